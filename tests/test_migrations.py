"""The migrations build the whole schema, undo it, and never drift from the models."""

import re

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.conftest import drop_postgres_schema, migrating_app, new_database
from watchparty.extensions import db
from watchparty.models import Film
from watchparty.models.page_version import STAMPED_BY


@pytest.fixture
def empty_database(tmp_path_factory):
    database = new_database(tmp_path_factory, "wp_migrations")
    yield database
    if database.is_postgres:
        drop_postgres_schema(database)


def page_version_triggers(connection) -> set[str]:
    if connection.dialect.name == "postgresql":
        query = (
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
            "AND t.tgname LIKE 'page_version_%'"
        )
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'page_version_%'"
    return set(connection.execute(sa.text(query)).scalars())


def expected_triggers(dialect: str) -> set[str]:
    if dialect == "postgresql":
        return {f"page_version_{table}" for table in STAMPED_BY}
    return {f"page_version_{table}_{operation}" for table in STAMPED_BY for operation in ("insert", "update", "delete")}


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_upgrade_downgrade_upgrade_and_no_drift(empty_database, tmp_path):
    app = migrating_app(empty_database, tmp_path)
    with app.app_context():
        assert table_names() == set()

        flask_migrate.upgrade()
        assert table_names() == set(db.metadata.tables) | {"alembic_version"}
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
            # The stamping triggers too, for every table the model lists.
            assert page_version_triggers(connection) == expected_triggers(connection.dialect.name)

        flask_migrate.downgrade(revision="base")
        assert table_names() <= {"alembic_version"}

        flask_migrate.upgrade()
        assert table_names() == set(db.metadata.tables) | {"alembic_version"}
        db.engine.dispose()


def test_posters_kept_as_files_before_are_copied_into_the_database(empty_database, tmp_path):
    """Before posters moved into the database each server kept its uploads on its
    own disk; upgrading copies the ones this instance has (only names we made)."""
    app = migrating_app(empty_database, tmp_path)
    folder = tmp_path / "uploads" / "posters"
    folder.mkdir(parents=True)
    (folder / "0123456789abcdef0123456789abcdef.webp").write_bytes(b"RIFF....WEBPVP8 poster")
    (folder / "fedcba9876543210fedcba9876543210.jpg").write_bytes(b"\xff\xd8\xff poster")
    (folder / "notes.svg").write_bytes(b"<svg onload=alert(1)>")  # not a name we made: left out
    with app.app_context():
        assert app.instance_path == str(tmp_path)
        flask_migrate.upgrade(revision="6d97bf1e3ee3")
        flask_migrate.upgrade()
        client = app.test_client()
        webp = client.get("/films/posters/0123456789abcdef0123456789abcdef.webp")
        jpeg = client.get("/films/posters/fedcba9876543210fedcba9876543210.jpg")
        assert (webp.status_code, webp.mimetype, webp.data) == (200, "image/webp", b"RIFF....WEBPVP8 poster")
        assert (jpeg.status_code, jpeg.mimetype) == (200, "image/jpeg")
        assert client.get("/films/posters/notes.svg").status_code == 404
        assert db.session.scalar(sa.text("SELECT count(*) FROM poster_image")) == 2
        db.session.remove()

        # Going back writes them out again for the older version, which reads files.
        for path in folder.iterdir():
            path.unlink()
        flask_migrate.downgrade(revision="6d97bf1e3ee3")
        assert sorted(path.name for path in folder.iterdir()) == [
            "0123456789abcdef0123456789abcdef.webp", "fedcba9876543210fedcba9876543210.jpg",
        ]
        assert (folder / "0123456789abcdef0123456789abcdef.webp").read_bytes() == b"RIFF....WEBPVP8 poster"
        flask_migrate.downgrade(revision="base")
        db.engine.dispose()


def test_search_columns_folded_by_unidecode_are_folded_again_with_anyascii(empty_database, tmp_path):
    """Unidecode gave way to anyascii (#18); they fold CJK, Greek and emoji
    differently, and searches fold the query with anyascii, so the upgrade folds
    every stored value again: a Beijing film stored as "bei jing" is found again."""
    from tests.factories import make_film

    app = migrating_app(empty_database, tmp_path)
    with app.app_context():
        flask_migrate.upgrade()
        make_film(title="北京 Story", year=2001, cast=[("Ελένη", "Κυρία")])
        make_film(title="Amélie", year=2001, cast=[("Audrey Tautou", "Amélie Poulain")])
        # What Unidecode stored for the first film, and the same for the second.
        db.session.execute(sa.text("UPDATE film SET search_title = 'bei jing story' WHERE year = 2001 AND slug LIKE 'bei%'"))
        db.session.execute(sa.text("UPDATE person SET search_name = 'elene' WHERE search_name = 'eleni'"))
        db.session.execute(sa.text("UPDATE credit SET search_character = 'kuria' WHERE search_character = 'kyria'"))
        db.session.commit()
        assert db.session.execute(sa.text("SELECT search_title FROM film ORDER BY id")).scalars().all() == [
            "bei jing story", "amelie",
        ]
        db.session.remove()
        flask_migrate.stamp(revision="9d4b6e8f1a27")  # the one before the re-fold (e4b7c2a9d613)

        # Only the re-fold runs again: the later migrations' tables are there already.
        flask_migrate.upgrade(revision="e4b7c2a9d613")
        titles = db.session.execute(sa.text("SELECT search_title FROM film ORDER BY id")).scalars().all()
        names = db.session.execute(sa.text("SELECT search_name FROM person ORDER BY id")).scalars().all()
        characters = db.session.execute(sa.text("SELECT search_character FROM credit ORDER BY id")).scalars().all()
        assert titles == ["beijing story", "amelie"]
        assert names == ["eleni", "audrey tautou"]
        assert characters == ["kyria", "amelie poulain"]
        db.session.remove()
        flask_migrate.stamp(revision="heads")  # the later revisions' tables were never dropped
        flask_migrate.downgrade(revision="base")
        db.engine.dispose()


def test_web_workers_leave_alembic_out_and_flask_db_still_migrates(tmp_path):
    """`flask db …` sets Flask-Migrate up when it runs: an app that only serves pages
    never imports Alembic (with Mako and Pygments, ~10 MB in every web worker)."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, WATCHPARTY_ENV="development", DATABASE_URL=f"sqlite:///{tmp_path}/cli.db",
               WATCHPARTY_INSTANCE_PATH=str(tmp_path / "instance"))
    served = subprocess.run(
        [sys.executable, "-c", "import sys; from watchparty import create_app; create_app(); "
         "print(sorted(m for m in ('alembic', 'flask_migrate', 'mako') if m in sys.modules))"],
        env=env, capture_output=True, text=True, check=True,
    )
    assert served.stdout.strip() == "[]", served.stdout + served.stderr
    # The CLI sets Flask-Migrate up when `flask db` runs (the system tests run `flask db upgrade`).
    heads = subprocess.run([sys.executable, "-m", "flask", "--app", "watchparty", "db", "heads"],
                           env=env, capture_output=True, text=True)
    assert heads.returncode == 0 and "(head)" in heads.stdout, heads.stdout + heads.stderr


def pending_table_commit_actions(connection) -> set[str]:
    """How each page_version_<table>() function makes its session's pending table."""
    definitions = connection.execute(sa.text(
        "SELECT pg_get_functiondef(p.oid) FROM pg_proc p "
        "WHERE p.proname LIKE 'page_version\\_%' AND p.proname <> 'page_version_flush' "
        "AND p.pronamespace = current_schema()::regnamespace"
    )).scalars().all()
    return {re.search(r"ON COMMIT (\w+ ROWS)", definition).group(1) for definition in definitions}


def test_the_pending_stamps_table_is_kept_across_commits_and_emptied_by_its_flush(empty_database, tmp_path):
    """PostgreSQL truncated an ON COMMIT DELETE ROWS table at every writing commit (~0.85 ms
    of the database's time); 7a4f0c2d9e15 makes it PRESERVE ROWS, and the flush empties it."""
    app = migrating_app(empty_database, tmp_path)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("only PostgreSQL keeps pending stamps in a temporary table: this runs in the PostgreSQL pass")
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            assert pending_table_commit_actions(connection) == {"PRESERVE ROWS"}
        flask_migrate.downgrade(revision="4c8a2e6f1b93")
        with db.engine.connect() as connection:
            assert pending_table_commit_actions(connection) == {"DELETE ROWS"}
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            assert pending_table_commit_actions(connection) == {"PRESERVE ROWS"}
            # Two writing commits on one session: each stamps, and leaves nothing pending.
            connection.execute(sa.insert(Film).values(title="Anora", slug="anora", search_title="anora", year=2024))
            connection.commit()
            first = connection.exec_driver_sql("SELECT stamp FROM page_version WHERE scope = 'film'").scalar_one()
            assert connection.exec_driver_sql("SELECT count(*) FROM pg_temp.page_version_pending").scalar() == 0
            connection.execute(sa.update(Film).values(year=2025))
            connection.commit()
            second = connection.exec_driver_sql("SELECT stamp FROM page_version WHERE scope = 'film'").scalar_one()
            assert second != first
            assert connection.exec_driver_sql("SELECT count(*) FROM pg_temp.page_version_pending").scalar() == 0
            connection.rollback()
        db.engine.dispose()
