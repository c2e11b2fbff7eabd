"""Fixtures: a fresh app per test on a real database.

SQLite by default (a file in a temporary folder); PostgreSQL when
TEST_DATABASE_URL is set, in a schema made for this run and dropped after it.
Tables are created once per run and emptied after every test. Under
pytest-xdist (`make test` runs `pytest -n auto`) each worker has its own file
or schema, so workers never see each other's rows.
"""

import os
import re
import secrets

import pytest
import sqlalchemy as sa
from flask import has_app_context
from flask.testing import FlaskClient
from jinja2 import BytecodeCache

from watchparty import create_app
from watchparty.config import TestConfig, normalise_database_url
from watchparty.extensions import db, limiter

IN_CI = os.environ.get("CI", "").lower() == "true"


class Database:
    """Where the tests' tables live: a URL plus the engine options to reach them."""

    def __init__(self, url: str, engine_options: dict, schema: str | None = None):
        self.url = url
        self.engine_options = engine_options
        self.schema = schema

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith("postgresql")


def make_postgres_schema(url: str, prefix: str) -> Database:
    """A fresh schema in the PostgreSQL database at `url`, with search_path pointing at it."""
    schema = f"{prefix}_{secrets.token_hex(4)}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    # No waiting for the disk at each commit: a test database needs no durability.
    options = f"-csearch_path={schema} -csynchronous_commit=off"
    return Database(url, {"connect_args": {"options": options}, "pool_pre_ping": True}, schema)


def drop_postgres_schema(database: Database) -> None:
    engine = sa.create_engine(database.url)
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{database.schema}" CASCADE'))
    engine.dispose()


def new_database(tmp_path_factory, prefix: str) -> Database:
    """Under pytest-xdist each worker process makes its own: the SQLite file lies in
    the worker's own temporary folder, and the schema name carries the worker's id."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "")
        return make_postgres_schema(normalise_database_url(url), f"{prefix}_{worker}" if worker else prefix)
    path = tmp_path_factory.mktemp(prefix) / "test.db"
    return Database(f"sqlite:///{path}", {"connect_args": {"timeout": 15}})


class IsolatedClient(FlaskClient):
    """Runs each request in its own app context, as a real server would.

    Without this, a test holding an app context would share `g` (and so the
    logged-in user) and the database session with every request it makes.
    Afterwards the test's own session is ended, so it reads what the request wrote.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():
            db.session.rollback()
        return response


class CompiledTemplates(BytecodeCache):
    """Jinja's compiled templates, kept in memory for every app this process builds.

    Each test builds a fresh app, and each app's Jinja environment would compile
    every template it renders again. Jinja keys a bucket by the template's name and
    checks its source, so an edited template is compiled afresh. All test apps get
    their templates from create_app with the same Jinja settings.
    """

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


def make_app(database: Database, instance_path, **overrides):
    config = TestConfig(instance_path, database.url, database.engine_options)
    for key, value in overrides.items():
        setattr(config, key, value)
    app = create_app(config)
    app.test_client_class = IsolatedClient
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    return app


def migrating_app(database: Database, instance_path, **overrides):
    """An app whose schema the test builds with flask_migrate's functions (as `flask db` sets them up)."""
    from watchparty.cli import init_migrations

    app = make_app(database, instance_path, **overrides)
    init_migrations(app)
    return app


@pytest.fixture(scope="session", autouse=True)
def cheaper_password_hashing():
    """Passwords are hashed with scrypt as in production, at a 32nd of the work.

    At werkzeug's default cost (n=32768) each hash and each login takes about a
    tenth of a second of CPU, and most tests create a user and log in: a third of
    the suite's time. Same algorithm, same code path, same "scrypt:" hashes; only
    the cost factor is smaller (the system tests' gunicorn servers keep production's).
    """
    from werkzeug.security import generate_password_hash

    from watchparty.accounts import passwords

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "hash_password", lambda password: generate_password_hash(password, method="scrypt:1024:8:1"))
        passwords.dummy_hash.cache_clear()
        yield
    passwords.dummy_hash.cache_clear()


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    database = new_database(tmp_path_factory, "wp_test")
    app = make_app(database, tmp_path_factory.mktemp("instance"))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    yield database
    if database.is_postgres:
        drop_postgres_schema(database)


def empty_all_tables() -> None:
    """DELETE, not TRUNCATE, on both databases: TRUNCATE of every table took about a third
    of a second on PostgreSQL after each test, deleting a test's few rows a few ms."""
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
        if connection.dialect.name == "postgresql":
            # Ids start at 1 again, as TRUNCATE … RESTART IDENTITY did (and SQLite does).
            connection.execute(sa.text(
                "SELECT setval(c.oid, 1, false) FROM pg_class c "
                "WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace"
            ))
    # The deletes fired the page-version triggers, which stamped rows again (on
    # PostgreSQL at commit): empty that table once more, on its own.
    with db.engine.begin() as connection:
        connection.execute(db.metadata.tables["page_version"].delete())


@pytest.fixture
def app_factory(database, tmp_path):
    """Build an app on the test database with config overrides; cleaned up after the test."""
    apps = []

    def factory(**overrides):
        app = make_app(database, tmp_path / f"instance{len(apps)}", **overrides)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            if app.config["SQLALCHEMY_DATABASE_URI"] == database.url:
                empty_all_tables()
            db.engine.dispose()
            if app.config["RATELIMIT_ENABLED"]:
                limiter.reset()


@pytest.fixture
def app(app_factory):
    app = app_factory()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# ---------------------------------------------------------------- the usual cast: a host, a film, a party
# A module whose tests need one of them different overrides it by name, with a
# docstring saying how it differs (e.g. tests/test_verdict.py's shorter film).


@pytest.fixture
def host(app):
    """Hana Host (host@example.com, the factories' password)."""
    from tests.factories import make_user

    return make_user(email="host@example.com", display_name="Hana Host")


@pytest.fixture
def host_client(app, host):
    """A browser of its own, logged in as the host (`client` stays a stranger's)."""
    from tests.factories import log_in

    client = app.test_client()
    log_in(client, email="host@example.com")
    return client


@pytest.fixture
def film(app):
    """Anora (2024, 139 minutes), no cast or crew."""
    from tests.factories import make_film

    return make_film("Anora", 2024, runtime_minutes=139)


@pytest.fixture
def party(host, film):
    """Anora night, the host's, a week ahead: no capacity, up to 2 plus-ones each."""
    from tests.factories import make_party

    return make_party(host, film, title="Anora night", capacity=None)


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback that keeps what it receives (tests/smtp.py)."""
    from tests.smtp import serve

    yield from serve()


@pytest.fixture
def outbox_of():
    """The outbox of any app a test built (as `outbox` is the `app` fixture's)."""
    from pathlib import Path

    from tests.mailbox import Outbox

    return lambda app: Outbox(Path(app.config["MAIL_OUTBOX_DIR"]), app)


@pytest.fixture
def outbox(app):
    """The emails the mail worker has written to the outbox folder, oldest first."""
    from pathlib import Path

    from tests.mailbox import Outbox

    return Outbox(Path(app.config["MAIL_OUTBOX_DIR"]), app)


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no csrf_token in the page"
    return match.group(1)


@pytest.fixture
def count_queries(app):
    """`with count_queries() as statements:` collects the SQL run inside the block."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        statements = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)

    return counting
