"""login_session: one row per signed-in browser, so that logging out ends the
session on the server and "Log out everywhere" ends them all (#22)

Sessions begun before this revision carry the old "id:session_token" id and
find no row: everyone logs in once more after the upgrade.

Revision ID: 5e7a3c1b2f90
Revises: 5e2d7b91c3a8
Create Date: 2026-12-04 17:00:00

"""
from alembic import op
import sqlalchemy as sa

import watchparty.models.base


# revision identifiers, used by Alembic.
revision = '5e7a3c1b2f90'
down_revision = '5e2d7b91c3a8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_session',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('user_token', sa.String(length=32), nullable=False),
    sa.Column('created_at', watchparty.models.base.UTCDateTime(), nullable=False),
    sa.Column('expires_at', watchparty.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_login_session_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_session'))
    )
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_session_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_session_user_id'))

    op.drop_table('login_session')
