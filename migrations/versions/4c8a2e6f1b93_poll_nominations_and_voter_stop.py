"""polls: guests may nominate one film each (poll.guests_nominate, poll_film.nominated_by_id
under a unique index) and a voter may stop the poll's emails (poll_vote.emails_stopped).

Plain ADD COLUMN and CREATE INDEX, no batch: SQLite would otherwise rebuild the tables,
whose page-version triggers would go with them.

Revision ID: 4c8a2e6f1b93
Revises: 06b6d48f4d46
Create Date: 2026-12-05 11:50:00

"""
from alembic import op
import sqlalchemy as sa

import watchparty.models.base


# revision identifiers, used by Alembic.
revision = '4c8a2e6f1b93'
down_revision = '06b6d48f4d46'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('poll', sa.Column('guests_nominate', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('poll_film', sa.Column('nominated_by_id', sa.Integer(), nullable=True))
    op.create_index(op.f('ix_poll_film_nominated_by_id'), 'poll_film', ['nominated_by_id'], unique=True)
    op.add_column('poll_vote', sa.Column('emails_stopped', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    op.drop_column('poll_vote', 'emails_stopped')
    op.drop_index(op.f('ix_poll_film_nominated_by_id'), table_name='poll_film')
    op.drop_column('poll_film', 'nominated_by_id')
    op.drop_column('poll', 'guests_nominate')
