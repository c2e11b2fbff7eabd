"""page_version: a stamp per party and per film, changed by triggers on every write
that changes what a party page shows, so that workers can keep what they read (#11)

Revision ID: 8c1f2a6b9d40
Revises: 3b9e0c4d7a21
Create Date: 2026-11-21 11:50:00

"""
from alembic import op
import sqlalchemy as sa

from watchparty.models.page_version import drop_statements, trigger_statements


# revision identifiers, used by Alembic.
revision = '8c1f2a6b9d40'
down_revision = '3b9e0c4d7a21'
branch_labels = None
depends_on = None

# What stamps what at this revision (models/page_version.STAMPED_BY may grow later;
# a change to it comes with its own migration that drops these and installs the new).
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


def upgrade():
    op.create_table('page_version',
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('scope_id', sa.Integer(), nullable=False),
    sa.Column('stamp', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'scope_id', name=op.f('pk_page_version'))
    )
    dialect = op.get_bind().dialect.name
    random = "(random() * 9.2e18)::bigint" if dialect == "postgresql" else "random()"
    op.execute(f"INSERT INTO page_version (scope, scope_id, stamp) SELECT 'party', id, {random} FROM party")
    op.execute(f"INSERT INTO page_version (scope, scope_id, stamp) SELECT 'film', id, {random} FROM film")
    for statement in trigger_statements(dialect, STAMPED_BY):
        op.execute(statement)


def downgrade():
    for statement in drop_statements(op.get_bind().dialect.name, STAMPED_BY):
        op.execute(statement)
    op.drop_table('page_version')
