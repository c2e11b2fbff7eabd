"""sign_in_code and party_draft; user.email_verified_at: emailed sign-in codes, parties
kept as drafts until their host confirms an address, verified senders (#19, #22)

Existing accounts stay unverified until their owner enters a code.

Revision ID: 8f2dd6ae964f
Revises: 51e045b55469
Create Date: 2026-12-04 20:40:00

"""
from alembic import op
import sqlalchemy as sa

import watchparty.models.base


# revision identifiers, used by Alembic.
revision = '8f2dd6ae964f'
down_revision = '51e045b55469'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', watchparty.models.base.UTCDateTime(), nullable=True))

    op.create_table('party_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('form_data', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('display_name', sa.String(length=80), nullable=True),
    sa.Column('created_at', watchparty.models.base.UTCDateTime(), nullable=False),
    sa.Column('expires_at', watchparty.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_party_draft_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_party_draft')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_party_draft_token_hash'))
    )
    with op.batch_alter_table('party_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_party_draft_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_party_draft_user_id'), ['user_id'], unique=False)

    op.create_table('sign_in_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('nonce', sa.String(length=32), nullable=False),
    sa.Column('issued_at', watchparty.models.base.UTCDateTime(), nullable=False),
    sa.Column('expires_at', watchparty.models.base.UTCDateTime(), nullable=False),
    sa.Column('used_at', watchparty.models.base.UTCDateTime(), nullable=True),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('window_start', watchparty.models.base.UTCDateTime(), nullable=False),
    sa.Column('window_failures', sa.Integer(), nullable=False),
    sa.Column('window_sends', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_sign_in_code_email_lowercase')),
    sa.CheckConstraint('tries >= 0 AND window_failures >= 0 AND window_sends >= 0', name=op.f('ck_sign_in_code_counts_not_negative')),
    sa.ForeignKeyConstraint(['draft_id'], ['party_draft.id'], name=op.f('fk_sign_in_code_draft_id_party_draft'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_code')),
    sa.UniqueConstraint('email', name=op.f('uq_sign_in_code_email'))
    )
    with op.batch_alter_table('sign_in_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_code_draft_id'), ['draft_id'], unique=False)


def downgrade():
    with op.batch_alter_table('sign_in_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_code_draft_id'))
    op.drop_table('sign_in_code')
    with op.batch_alter_table('party_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_party_draft_user_id'))
        batch_op.drop_index(batch_op.f('ix_party_draft_expires_at'))
    op.drop_table('party_draft')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('email_verified_at')
