"""page-version stamps on PostgreSQL: the pending table is made ON COMMIT PRESERVE ROWS.

Each session's temporary page_version_pending table was made ON COMMIT DELETE
ROWS, so PostgreSQL truncated it at every commit that wrote a stamped table
(~0.85 ms of the database's time each). page_version_flush() empties it at the
commit anyway. Only the CREATE TEMPORARY TABLE inside each page_version_<table>()
function changes: every such function is rewritten from its own definition, so
this revision touches exactly the functions the database has. Sessions that made
their table before keep it as it was until they reconnect (both behave alike).
SQLite has no such table: nothing to do there.

Revision ID: 7a4f0c2d9e15
Revises: 4c8a2e6f1b93
Create Date: 2026-12-05 18:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a4f0c2d9e15'
down_revision = '4c8a2e6f1b93'
branch_labels = None
depends_on = None


def _rewrite(before: str, after: str) -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    definitions = connection.execute(sa.text(
        "SELECT pg_get_functiondef(p.oid) FROM pg_proc p "
        "WHERE p.proname LIKE 'page_version\\_%' AND p.pronamespace = current_schema()::regnamespace"
    )).scalars().all()
    for definition in definitions:
        if before in definition:
            connection.exec_driver_sql(definition.replace(before, after))


def upgrade():
    _rewrite("ON COMMIT DELETE ROWS", "ON COMMIT PRESERVE ROWS")


def downgrade():
    _rewrite("ON COMMIT PRESERVE ROWS", "ON COMMIT DELETE ROWS")
