"""film spoiler notes: how it ends and its key turns, for the review importer

Two text columns on film (not a new table, so the page stamps on film cover
them). Nothing shows them on a page; editors write them in the film form and
the importer folds imported sections that describe them. Issue #21.

Revision ID: 5e2d7b91c3a8
Revises: a7d3e5f1c2b8
Create Date: 2026-12-04 16:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e2d7b91c3a8'
down_revision = 'a7d3e5f1c2b8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('film', schema=None) as batch_op:
        batch_op.add_column(sa.Column('spoiler_ending', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('spoiler_turns', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('film', schema=None) as batch_op:
        batch_op.drop_column('spoiler_turns')
        batch_op.drop_column('spoiler_ending')
