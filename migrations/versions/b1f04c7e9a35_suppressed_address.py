"""suppressed_address: addresses that asked never to be emailed from this site (#22)

Revision ID: b1f04c7e9a35
Revises: e4b7c2a9d613
Create Date: 2026-12-04 20:20:00

"""
from alembic import op
import sqlalchemy as sa

import watchparty.models.base


# revision identifiers, used by Alembic.
revision = 'b1f04c7e9a35'
down_revision = 'e4b7c2a9d613'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('suppressed_address',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('created_at', watchparty.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suppressed_address')),
    sa.UniqueConstraint('email', name=op.f('uq_suppressed_address_email'))
    )


def downgrade():
    op.drop_table('suppressed_address')
