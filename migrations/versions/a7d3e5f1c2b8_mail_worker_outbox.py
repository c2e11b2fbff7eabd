"""outbound_email for the mail worker: next_attempt_at (the retry schedule), kind
and a nullable message (messages rendered when sent, like password resets), and
the 'dropped' status (#17)

Revision ID: a7d3e5f1c2b8
Revises: 8c1f2a6b9d40
Create Date: 2026-12-04 17:10:00

"""
from alembic import op
import sqlalchemy as sa

from watchparty.models.base import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'a7d3e5f1c2b8'
down_revision = '8c1f2a6b9d40'
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('pending', 'sending', 'sent', 'failed')"
NEW_STATUSES = "status IN ('pending', 'sending', 'sent', 'failed', 'dropped')"


def upgrade():
    with op.batch_alter_table('outbound_email', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=30), server_default='message', nullable=False))
        batch_op.add_column(sa.Column('next_attempt_at', UTCDateTime(), nullable=True))
    # What was waiting is due at once.
    op.execute("UPDATE outbound_email SET next_attempt_at = created_at")
    with op.batch_alter_table('outbound_email', schema=None) as batch_op:
        batch_op.alter_column('next_attempt_at', existing_type=UTCDateTime(), nullable=False)
        batch_op.alter_column('message', existing_type=sa.LargeBinary(), nullable=True)
        batch_op.drop_constraint(batch_op.f('ck_outbound_email_status_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_outbound_email_status_known'), NEW_STATUSES)
        batch_op.create_check_constraint(
            batch_op.f('ck_outbound_email_message_rendered_or_late'), "message IS NOT NULL OR kind <> 'message'"
        )
        batch_op.create_index(batch_op.f('ix_outbound_email_next_attempt_at'), ['next_attempt_at'], unique=False)


def downgrade():
    # Messages the worker would have rendered (resets) cannot be kept without their body.
    op.execute("DELETE FROM outbound_email WHERE message IS NULL")
    op.execute("UPDATE outbound_email SET status = 'failed' WHERE status = 'dropped'")
    with op.batch_alter_table('outbound_email', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbound_email_next_attempt_at'))
        batch_op.drop_constraint(batch_op.f('ck_outbound_email_message_rendered_or_late'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_outbound_email_status_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_outbound_email_status_known'), OLD_STATUSES)
        batch_op.alter_column('message', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('kind')
