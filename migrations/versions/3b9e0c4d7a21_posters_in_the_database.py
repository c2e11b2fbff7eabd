"""film posters in the database (poster_image), so every server serves every poster

Posters used to be files under instance/uploads/posters, which only the server
that took the upload had. The upgrade copies any such files into the table
(the files stay where they are; remove them once every server runs this
version). Issue #10.

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


def _legacy_files() -> list[Path]:
    try:
        from flask import current_app

        folder = Path(current_app.instance_path) / "uploads" / "posters"
    except RuntimeError:  # run without the app (plain alembic): nothing to copy
        return []
    return sorted(path for path in folder.glob("*") if _NAME.match(path.name)) if folder.is_dir() else []


def upgrade():
    poster_image = op.create_table('poster_image',
    sa.Column('filename', sa.String(length=100), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', watchparty.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('filename', name=op.f('pk_poster_image'))
    )
    rows = [
        {
            "filename": path.name,
            "content_type": _TYPES[_NAME.match(path.name).group(1)],
            "data": path.read_bytes(),
            "created_at": datetime.fromtimestamp(path.stat().st_mtime, UTC),
        }
        for path in _legacy_files()
    ]
    if rows:
        op.bulk_insert(poster_image, rows)


def downgrade():
    op.drop_table('poster_image')
