"""Films added for a party stay out of the public catalogue until listed

A film a host adds from the party form (title and year only) is marked
`added_for_party`; it is listed once it has a synopsis or an admin approves it
(`approved_at`). Films already in the catalogue stay listed.

Revision ID: 5b8e1d3c7a20
Revises: c7e2a9d45b18
Create Date: 2026-12-04 20:30:00
"""

import sqlalchemy as sa
from alembic import op

from watchparty.models.base import UTCDateTime

revision = "5b8e1d3c7a20"
down_revision = 'c7e2a9d45b18'
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not a batch: SQLite's batch mode copies the table, which would drop
# the film table's page-version triggers. Both databases add and drop columns in place.
def upgrade():
    op.add_column("film", sa.Column("added_for_party", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("film", sa.Column("approved_at", UTCDateTime(), nullable=True))


def downgrade():
    op.drop_column("film", "approved_at")
    op.drop_column("film", "added_for_party")
