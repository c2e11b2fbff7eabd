"""Re-fold the stored search columns with anyascii, which replaces Unidecode (GPL) (#18)

The folded forms differ for some scripts (CJK: "北京" was "bei jing", is now
"beijing"; Greek, Korean, emoji, "™"): searches fold the query with anyascii, so
every stored folded value is folded again the same way. The demo data folds
identically either way. Slugs are left alone: they are addresses already shared.

Revision ID: e4b7c2a9d613
Revises: 9d4b6e8f1a27
Create Date: 2026-12-04 17:20:00

"""
import re
import unicodedata

from alembic import op
import sqlalchemy as sa
from anyascii import anyascii


# revision identifiers, used by Alembic.
revision = 'e4b7c2a9d613'
down_revision = '9d4b6e8f1a27'
branch_labels = None
depends_on = None

# A copy of watchparty.models.film.search_key as of this revision: a migration
# must keep doing what it did when it was written, whatever the app does later.
SEARCH_LENGTH = 600
_SPACES = re.compile(r"\s+")

FOLDED = [("film", "title", "search_title"), ("person", "name", "search_name"), ("credit", "character", "search_character")]


def search_key(text):
    folded = anyascii(unicodedata.normalize("NFKC", text or "")).lower()
    return _SPACES.sub(" ", folded).strip()[:SEARCH_LENGTH]


def upgrade():
    connection = op.get_bind()
    for table_name, source, folded in FOLDED:
        table = sa.table(table_name, sa.column("id"), sa.column(source), sa.column(folded))
        rows = connection.execute(sa.select(table.c.id, table.c[source], table.c[folded])).all()
        changed = [
            {"row_id": row_id, "value": search_key(text)} for row_id, text, stored in rows if search_key(text) != stored
        ]
        if changed:
            connection.execute(
                table.update().where(table.c.id == sa.bindparam("row_id")).values({folded: sa.bindparam("value")}),
                changed,
            )


def downgrade():
    # Unidecode is no longer installed, so the old folding cannot be redone; the
    # older code still finds every Latin-script title (those fold the same).
    pass
