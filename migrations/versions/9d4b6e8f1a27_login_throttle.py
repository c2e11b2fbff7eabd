"""login_throttle: failed password logins per address; ten in 15 minutes pause
password login for that address for 15 minutes (#22)

Revision ID: 9d4b6e8f1a27
Revises: 5e7a3c1b2f90
Create Date: 2026-12-04 17:20:00

"""
from alembic import op
import sqlalchemy as sa

import watchparty.models.base


# revision identifiers, used by Alembic.
revision = '9d4b6e8f1a27'
down_revision = '5e7a3c1b2f90'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_throttle',
    sa.Column('email_key', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_start', watchparty.models.base.UTCDateTime(), nullable=False),
    sa.Column('locked_until', watchparty.models.base.UTCDateTime(), nullable=True),
    sa.CheckConstraint('failures >= 0', name=op.f('ck_login_throttle_failures_not_negative')),
    sa.PrimaryKeyConstraint('email_key', name=op.f('pk_login_throttle'))
    )


def downgrade():
    op.drop_table('login_throttle')
