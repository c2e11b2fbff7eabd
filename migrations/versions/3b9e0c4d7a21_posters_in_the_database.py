"""film posters in the database (poster_image), so every server serves every poster

Posters used to be files under instance/uploads/posters, which only the server
that took the upload had. The upgrade copies the files of the machine it runs
on; on every other server that took uploads, run `flask films import-posters`
(it skips names already stored, so running it twice is harmless). Keep the
files until every server has done so. A downgrade writes the stored posters
back as files on the machine that runs it. Issue #10.

Revision ID: 3b9e0c4d7a21
Revises: 6d97bf1e3ee3
Create Date: 2026-11-21 10:15:00

"""
import re
from datetime import UTC, datetime
from pathlib import Path

from alembic import op
import sqlalchemy as sa

import watchparty.models.base


# revision identifiers, used by Alembic.
revision = '3b9e0c4d7a21'
down_revision = '6d97bf1e3ee3'
branch_labels = None
depends_on = None

# The names films.posters made, and what each extension was encoded as.
_NAME = re.compile(r"\A[0-9a-f]{32}\.(webp|jpg)\Z")
_TYPES = {"webp": "image/webp", "jpg": "image/jpeg"}


def _legacy_folder() -> Path | None:
    try:
        from flask import current_app

        return Path(current_app.instance_path) / "uploads" / "posters"
    except RuntimeError:  # run without the app (plain alembic): no instance folder
        return None


def upgrade():
    poster_image = op.create_table('poster_image',
    sa.Column('filename', sa.String(length=100), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', watchparty.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('filename', name=op.f('pk_poster_image'))
    )
    folder = _legacy_folder()
    if folder is None or not folder.is_dir():
        return
    for path in sorted(folder.iterdir()):  # one file at a time: a big folder never sits in memory
        match = _NAME.match(path.name)
        if match and path.is_file():
            op.bulk_insert(poster_image, [{
                "filename": path.name,
                "content_type": _TYPES[match.group(1)],
                "data": path.read_bytes(),
                "created_at": datetime.fromtimestamp(path.stat().st_mtime, UTC),
            }])


def downgrade():
    # The older version reads posters from files: write them back before the table goes.
    folder = _legacy_folder()
    if folder is not None:
        rows = op.get_bind().execute(sa.text("SELECT filename, data FROM poster_image"))
        for filename, data in rows:
            if _NAME.match(filename):
                folder.mkdir(parents=True, exist_ok=True)
                (folder / filename).write_bytes(data)
    op.drop_table('poster_image')
