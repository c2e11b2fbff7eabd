"""pending_registration: a sign-up waits for its emailed code, and the code row
names the sign-up it was sent for (#22: registration answers the same for new and
existing addresses)

Revision ID: 83def8e4d9bc
Revises: ca1e517ac3c3
Create Date: 2026-12-05 05:21:34

"""
from alembic import op
import sqlalchemy as sa

import watchparty.models.base


# revision identifiers, used by Alembic.
revision = '83def8e4d9bc'
down_revision = 'ca1e517ac3c3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pending_registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', watchparty.models.base.UTCDateTime(), nullable=False),
    sa.Column('expires_at', watchparty.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_pending_registration_email_lowercase')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_registration')),
    sa.UniqueConstraint('email', name=op.f('uq_pending_registration_email'))
    )
    with op.batch_alter_table('pending_registration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_registration_expires_at'), ['expires_at'], unique=False)

    with op.batch_alter_table('sign_in_code', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registration_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_sign_in_code_registration_id'), ['registration_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_sign_in_code_registration_id_pending_registration'), 'pending_registration', ['registration_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('sign_in_code', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_sign_in_code_registration_id_pending_registration'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_sign_in_code_registration_id'))
        batch_op.drop_column('registration_id')

    with op.batch_alter_table('pending_registration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_registration_expires_at'))

    op.drop_table('pending_registration')
