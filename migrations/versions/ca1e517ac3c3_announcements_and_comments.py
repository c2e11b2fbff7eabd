"""announcement and party_comment: the host's announcements and the guests' comments,
both shown on the party page, so both stamp it (#20)

Revision ID: ca1e517ac3c3
Revises: d9de0302ec94
Create Date: 2026-12-04 20:35:00

"""
from alembic import op
import sqlalchemy as sa

from watchparty.models.base import UTCDateTime
from watchparty.models.page_version import drop_statements, trigger_statements


# revision identifiers, used by Alembic.
revision = 'ca1e517ac3c3'
down_revision = 'd9de0302ec94'
branch_labels = None
depends_on = None

# What the new tables stamp at this revision (the other tables' triggers stay as they are).
STAMPED_BY = {
    "announcement": [("party", "SELECT {row}.party_id AS id")],
    "party_comment": [("party", "SELECT {row}.party_id AS id")],
}


def upgrade():
    op.create_table(
        'announcement',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('party_id', sa.Integer(), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('to_going', sa.Boolean(), nullable=False),
        sa.Column('to_maybe', sa.Boolean(), nullable=False),
        sa.Column('to_waitlisted', sa.Boolean(), nullable=False),
        sa.Column('to_declined', sa.Boolean(), nullable=False),
        sa.Column('to_invited', sa.Boolean(), nullable=False),
        sa.Column('send_at', UTCDateTime(), nullable=True),
        sa.Column('sent_at', UTCDateTime(), nullable=True),
        sa.Column('deleted_at', UTCDateTime(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            'to_going OR to_maybe OR to_waitlisted OR to_declined OR to_invited',
            name=op.f('ck_announcement_audience_not_empty'),
        ),
        sa.CheckConstraint('length(message) <= 2000', name=op.f('ck_announcement_message_length')),
        sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_announcement_party_id_party'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_announcement')),
    )
    with op.batch_alter_table('announcement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_announcement_party_id'), ['party_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_announcement_sent_at'), ['sent_at'], unique=False)
        batch_op.create_index('ix_announcement_party_id_created_at', ['party_id', 'created_at'], unique=False)

    op.create_table(
        'party_comment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('party_id', sa.Integer(), nullable=False),
        sa.Column('rsvp_id', sa.Integer(), nullable=True),
        sa.Column('by_host', sa.Boolean(), nullable=False),
        sa.Column('author_name', sa.String(length=80), nullable=False),
        sa.Column('reply_to_id', sa.Integer(), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('is_spoiler', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('shown', 'hidden', 'deleted')", name=op.f('ck_party_comment_status_known')),
        sa.CheckConstraint('length(body) <= 1000', name=op.f('ck_party_comment_body_length')),
        sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_party_comment_party_id_party'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(
            ['reply_to_id'], ['party_comment.id'], name=op.f('fk_party_comment_reply_to_id_party_comment'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(['rsvp_id'], ['rsvp.id'], name=op.f('fk_party_comment_rsvp_id_rsvp'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_party_comment')),
    )
    with op.batch_alter_table('party_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_party_comment_party_id'), ['party_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_party_comment_rsvp_id'), ['rsvp_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_party_comment_reply_to_id'), ['reply_to_id'], unique=False)
        batch_op.create_index('ix_party_comment_party_id_created_at', ['party_id', 'created_at'], unique=False)

    for statement in trigger_statements(op.get_bind().dialect.name, STAMPED_BY):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    statements = drop_statements(dialect, STAMPED_BY)
    if dialect == "postgresql":
        statements = statements[:-1]  # page_version_flush() serves the other tables' triggers too
    for statement in statements:
        op.execute(statement)
    op.drop_table('party_comment')
    op.drop_table('announcement')
