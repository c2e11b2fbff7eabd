"""The migrations build the whole schema, undo it, and never drift from the models."""

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.conftest import drop_postgres_schema, make_app, new_database
from watchparty.extensions import db


@pytest.fixture
def empty_database(tmp_path_factory):
    database = new_database(tmp_path_factory, "wp_migrations")
    yield database
    if database.is_postgres:
        drop_postgres_schema(database)


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_upgrade_downgrade_upgrade_and_no_drift(empty_database, tmp_path):
    app = make_app(empty_database, tmp_path)
    with app.app_context():
        assert table_names() == set()

        flask_migrate.upgrade()
        assert table_names() == set(db.metadata.tables) | {"alembic_version"}
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []

        flask_migrate.downgrade(revision="base")
        assert table_names() <= {"alembic_version"}

        flask_migrate.upgrade()
        assert table_names() == set(db.metadata.tables) | {"alembic_version"}
        db.engine.dispose()
