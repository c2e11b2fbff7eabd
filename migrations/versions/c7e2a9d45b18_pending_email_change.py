"""user.pending_email: an email change waits for the new address to confirm it (#22)

Revision ID: c7e2a9d45b18
Revises: b1f04c7e9a35
Create Date: 2026-12-04 20:25:00

"""
from alembic import op
import sqlalchemy as sa

import watchparty.models.base


# revision identifiers, used by Alembic.
revision = 'c7e2a9d45b18'
down_revision = 'b1f04c7e9a35'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('pending_email_at', watchparty.models.base.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('pending_email_at')
        batch_op.drop_column('pending_email')
