"""Fixtures of the system tests: a fresh PostgreSQL database, Redis, and production servers.

Outside CI a missing PostgreSQL or Redis skips these tests saying why; under
CI=true it fails them, because CI promises both.
"""

import os
import secrets

import pytest
import sqlalchemy as sa

from tests.system.harness import SystemDatabase, production_environ, start_servers, stop_servers
from watchparty.config import normalise_database_url

IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: CI provides it, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server_url():
    """TEST_DATABASE_URL: the PostgreSQL server on which the system database is made."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql")):
        unavailable("system tests need PostgreSQL: set TEST_DATABASE_URL=postgresql+psycopg://…")
    url = normalise_database_url(url)
    engine = sa.create_engine(url)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as error:
        unavailable(f"system tests need PostgreSQL at TEST_DATABASE_URL: {error.orig}")
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def redis_url():
    """TEST_REDIS_URL: the Redis the servers share their rate-limit counters through."""
    import redis

    url = os.environ.get("TEST_REDIS_URL", "")
    if not url:
        unavailable("system tests need Redis: set TEST_REDIS_URL=redis://…")
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as error:
        unavailable(f"system tests need Redis at TEST_REDIS_URL: {error}")
    finally:
        client.close()
    return url


@pytest.fixture(scope="session")
def rate_limits(redis_url):
    """Rate-limit settings on the shared Redis under a key prefix of this run only;
    afterwards exactly the keys under that prefix are deleted."""
    import redis

    prefix = f"wp-system-{secrets.token_hex(6)}"
    yield {"RATELIMIT_ENABLED": "true", "RATELIMIT_STORAGE_URI": redis_url, "RATELIMIT_KEY_PREFIX": prefix}
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"*{prefix}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(scope="session")
def system_database(postgres_server_url, tmp_path_factory):
    """A database made for this run (watchparty_system_<random>), built by `flask db upgrade`
    and dropped at the end, also when tests fail."""
    database = SystemDatabase(postgres_server_url, tmp_path_factory.mktemp("system-app"))
    database.create()
    try:
        database.migrate()
        yield database
    finally:
        database.drop()


def check_logs(servers, expected=()):
    problems = [problem for server in servers for problem in server.problems(expected)]
    if problems:
        pytest.fail("server logs show errors:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture(scope="session")
def servers(system_database, rate_limits, tmp_path_factory):
    """Two production servers (2 gthread workers each) on the system database and Redis.

    Rate limits are production's, except a small login limit that a test
    proves shared (`fire` sends each guest from its own loopback address, so
    the per-address limits do not throttle a crowd of guests). At the end the
    servers are stopped and their logs must hold no traceback.
    """
    environ = production_environ(
        system_database.url, tmp_path_factory.mktemp("instance"), RATELIMIT_LOGIN="6 per minute", **rate_limits
    )
    group = start_servers(2, environ, tmp_path_factory.mktemp("logs"))
    yield group
    stop_servers(group)
    check_logs(group)
