"""party_activity (what guests did, for the host), how the host hears of it, and the
dashboard's once-a-day nudges (#20)

Revision ID: d9de0302ec94
Revises: 8f2dd6ae964f
Create Date: 2026-12-04 20:40:00

"""
from alembic import op
import sqlalchemy as sa

from watchparty.models.base import UTCDateTime
from watchparty.models.page_version import drop_statements, trigger_statements


# revision identifiers, used by Alembic.
revision = 'd9de0302ec94'
down_revision = '8f2dd6ae964f'
branch_labels = None
depends_on = None

KINDS = "kind IN ('reply', 'change', 'withdrawal', 'promotion', 'claim', 'release', 'item', 'comment', 'removed')"
HOST_UPDATES = "host_updates IN ('auto', 'each', 'digest', 'off')"

# The page-version triggers of this revision (as in 8c1f2a6b9d40). SQLite rebuilds the party
# table to add a CHECK constraint, and a rebuild cannot rename a table other triggers name:
# they are dropped first and put back after.
STAMPED_BY = {
    "party": [("party", "SELECT {row}.id AS id")],
    "rsvp": [("party", "SELECT {row}.party_id AS id")],
    "signup_item": [("party", "SELECT {row}.party_id AS id")],
    "claim": [("party", "SELECT party_id AS id FROM signup_item WHERE id = {row}.item_id")],
    "party_review": [("party", "SELECT {row}.party_id AS id")],
    "review": [("film", "SELECT {row}.film_id AS id"), ("party", "SELECT {row}.party_id AS id")],
    "review_section": [
        ("film", "SELECT film_id AS id FROM review WHERE id = {row}.review_id"),
        ("party", "SELECT party_id AS id FROM review WHERE id = {row}.review_id"),
    ],
    "user": [("party", "SELECT id FROM party WHERE host_id = {row}.id")],
    "film": [("film", "SELECT {row}.id AS id")],
    "credit": [("film", "SELECT {row}.film_id AS id")],
    "award": [("film", "SELECT {row}.film_id AS id")],
    "trivia": [("film", "SELECT {row}.film_id AS id")],
    "person": [("film", "SELECT film_id AS id FROM credit WHERE person_id = {row}.id")],
}


def _triggers(install):
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in (trigger_statements if install else drop_statements)(dialect, STAMPED_BY):
            op.execute(statement)


def upgrade():
    op.create_table('party_activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('rsvp_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('told_at', UTCDateTime(), nullable=True),
    sa.CheckConstraint(KINDS, name=op.f('ck_party_activity_kind_known')),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_party_activity_party_id_party'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rsvp_id'], ['rsvp.id'], name=op.f('fk_party_activity_rsvp_id_rsvp'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_party_activity'))
    )
    op.create_index(op.f('ix_party_activity_rsvp_id'), 'party_activity', ['rsvp_id'], unique=False)
    op.create_index('ix_party_activity_party_id_created_at', 'party_activity', ['party_id', 'created_at'], unique=False)
    op.create_index('ix_party_activity_told_at', 'party_activity', ['told_at'], unique=False)
    _triggers(install=False)
    with op.batch_alter_table('party', schema=None) as batch_op:
        batch_op.add_column(sa.Column('host_updates', sa.String(length=10), server_default='auto', nullable=False))
        batch_op.add_column(sa.Column('host_told_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('nudged_unreplied_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('nudged_unclaimed_at', UTCDateTime(), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_party_host_updates_known'), HOST_UPDATES)
    _triggers(install=True)


def downgrade():
    _triggers(install=False)
    with op.batch_alter_table('party', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_party_host_updates_known'), type_='check')
        batch_op.drop_column('nudged_unclaimed_at')
        batch_op.drop_column('nudged_unreplied_at')
        batch_op.drop_column('host_told_at')
        batch_op.drop_column('host_updates')
    _triggers(install=True)
    op.drop_index('ix_party_activity_told_at', table_name='party_activity')
    op.drop_index(op.f('ix_party_activity_rsvp_id'), table_name='party_activity')
    op.drop_index('ix_party_activity_party_id_created_at', table_name='party_activity')
    op.drop_table('party_activity')
