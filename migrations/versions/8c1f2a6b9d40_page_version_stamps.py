"""page_version: a stamp per party and per film, changed by triggers on every write
that changes what a party page shows, so that workers can keep what they read (#11)

Revision ID: 8c1f2a6b9d40
Revises: 3b9e0c4d7a21
Create Date: 2026-11-21 11:50:00

"""
from alembic import op
import sqlalchemy as sa

# The trigger DDL lives with the model, the one place that lists what stamps what.
# A later change to that list comes with its own migration (drop, then install).
from watchparty.models.page_version import drop_statements, trigger_statements


# revision identifiers, used by Alembic.
revision = '8c1f2a6b9d40'
down_revision = '3b9e0c4d7a21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('page_version',
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('scope_id', sa.Integer(), nullable=False),
    sa.Column('stamp', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'scope_id', name=op.f('pk_page_version'))
    )
    dialect = op.get_bind().dialect.name
    random = "(random() * 9.2e18)::bigint" if dialect == "postgresql" else "random()"
    op.execute(f"INSERT INTO page_version (scope, scope_id, stamp) SELECT 'party', id, {random} FROM party")
    op.execute(f"INSERT INTO page_version (scope, scope_id, stamp) SELECT 'film', id, {random} FROM film")
    for statement in trigger_statements(dialect):
        op.execute(statement)


def downgrade():
    for statement in drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table('page_version')
