"""polls: a party's film and date left to a vote (#23); party.undecided while one is open.
The poll's tables are shown on the party page, so each stamps it.

Revision ID: 06b6d48f4d46
Revises: 83def8e4d9bc
Create Date: 2026-12-05 05:21:41.938220

"""
from alembic import op
import sqlalchemy as sa

import watchparty.models.base
from watchparty.models.page_version import drop_statements, trigger_statements


# revision identifiers, used by Alembic.
revision = '06b6d48f4d46'
down_revision = '83def8e4d9bc'
branch_labels = None
depends_on = None

_POLL_OF_VOTE = "SELECT poll.party_id AS id FROM poll_vote JOIN poll ON poll.id = poll_vote.poll_id WHERE poll_vote.id = {row}.vote_id"
# What the new tables stamp at this revision (the other tables' triggers stay as they are).
STAMPED_BY = {
    "poll": [("party", "SELECT {row}.party_id AS id")],
    "poll_film": [("party", "SELECT party_id AS id FROM poll WHERE id = {row}.poll_id")],
    "poll_date": [("party", "SELECT party_id AS id FROM poll WHERE id = {row}.poll_id")],
    "poll_vote": [("party", "SELECT party_id AS id FROM poll WHERE id = {row}.poll_id")],
    "poll_date_answer": [("party", _POLL_OF_VOTE)],
    "poll_film_answer": [("party", _POLL_OF_VOTE)],
}


def upgrade():
    op.create_table('poll',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('decides_film', sa.Boolean(), nullable=False),
    sa.Column('decides_date', sa.Boolean(), nullable=False),
    sa.Column('yes_means_going', sa.Boolean(), nullable=False),
    sa.Column('closes_at', watchparty.models.base.UTCDateTime(), nullable=True),
    sa.Column('closed_at', watchparty.models.base.UTCDateTime(), nullable=True),
    sa.Column('votes_version', sa.Integer(), nullable=False),
    sa.Column('created_at', watchparty.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint('decides_film OR decides_date', name=op.f('ck_poll_decides_something')),
    sa.CheckConstraint('votes_version >= 0', name=op.f('ck_poll_votes_version_not_negative')),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_poll_party_id_party'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll')),
    sa.UniqueConstraint('party_id', name=op.f('uq_poll_party_id'))
    )
    op.create_table('poll_date',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', watchparty.models.base.UTCDateTime(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], name=op.f('fk_poll_date_poll_id_poll'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_date')),
    sa.UniqueConstraint('poll_id', 'starts_at', name=op.f('uq_poll_date_poll_id_starts_at'))
    )
    with op.batch_alter_table('poll_date', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_date_poll_id'), ['poll_id'], unique=False)

    op.create_table('poll_film',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('film_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['film_id'], ['film.id'], name=op.f('fk_poll_film_film_id_film'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], name=op.f('fk_poll_film_poll_id_poll'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_film')),
    sa.UniqueConstraint('poll_id', 'film_id', name=op.f('uq_poll_film_poll_id_film_id'))
    )
    with op.batch_alter_table('poll_film', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_film_film_id'), ['film_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_poll_film_poll_id'), ['poll_id'], unique=False)

    op.create_table('poll_vote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('manage_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', watchparty.models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', watchparty.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint('email IS NULL OR email = lower(email)', name=op.f('ck_poll_vote_email_lowercase')),
    sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], name=op.f('fk_poll_vote_poll_id_poll'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_vote')),
    sa.UniqueConstraint('manage_token', name=op.f('uq_poll_vote_manage_token')),
    sa.UniqueConstraint('poll_id', 'email', name=op.f('uq_poll_vote_poll_id_email'))
    )
    with op.batch_alter_table('poll_vote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_vote_poll_id'), ['poll_id'], unique=False)

    op.create_table('poll_date_answer',
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('date_id', sa.Integer(), nullable=False),
    sa.Column('answer', sa.String(length=5), nullable=False),
    sa.CheckConstraint("answer IN ('yes', 'maybe', 'no')", name=op.f('ck_poll_date_answer_answer_known')),
    sa.ForeignKeyConstraint(['date_id'], ['poll_date.id'], name=op.f('fk_poll_date_answer_date_id_poll_date'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vote_id'], ['poll_vote.id'], name=op.f('fk_poll_date_answer_vote_id_poll_vote'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('vote_id', 'date_id', name=op.f('pk_poll_date_answer'))
    )
    with op.batch_alter_table('poll_date_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_date_answer_date_id'), ['date_id'], unique=False)

    op.create_table('poll_film_answer',
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('film_id', sa.Integer(), nullable=False),
    sa.Column('approves', sa.Boolean(), nullable=False),
    sa.Column('seen_it', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['film_id'], ['poll_film.id'], name=op.f('fk_poll_film_answer_film_id_poll_film'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vote_id'], ['poll_vote.id'], name=op.f('fk_poll_film_answer_vote_id_poll_vote'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('vote_id', 'film_id', name=op.f('pk_poll_film_answer'))
    )
    with op.batch_alter_table('poll_film_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_film_answer_film_id'), ['film_id'], unique=False)

    # A plain ADD COLUMN (no batch): SQLite would otherwise rebuild the party table,
    # which the page-version triggers of other tables name.
    op.add_column('party', sa.Column('undecided', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('party', sa.Column('decided_by_votes', sa.Integer(), nullable=True))

    for statement in trigger_statements(op.get_bind().dialect.name, STAMPED_BY):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    statements = drop_statements(dialect, STAMPED_BY)
    if dialect == "postgresql":
        statements = statements[:-1]  # page_version_flush() serves the other tables' triggers too
    for statement in statements:
        op.execute(statement)
    # SQLite 3.35+ drops a column in place (no rebuild, so the triggers naming party stay).
    op.execute("ALTER TABLE party DROP COLUMN decided_by_votes")
    op.execute("ALTER TABLE party DROP COLUMN undecided")

    with op.batch_alter_table('poll_film_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poll_film_answer_film_id'))

    op.drop_table('poll_film_answer')
    with op.batch_alter_table('poll_date_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poll_date_answer_date_id'))

    op.drop_table('poll_date_answer')
    with op.batch_alter_table('poll_vote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poll_vote_poll_id'))

    op.drop_table('poll_vote')
    with op.batch_alter_table('poll_film', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poll_film_poll_id'))
        batch_op.drop_index(batch_op.f('ix_poll_film_film_id'))

    op.drop_table('poll_film')
    with op.batch_alter_table('poll_date', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poll_date_poll_id'))

    op.drop_table('poll_date')
    op.drop_table('poll')
