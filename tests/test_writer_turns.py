"""SQLite's writers take turns on a lock that wakes them (watchparty.writer_turns).

On a SQLite file of its own in both passes: the turns exist only for SQLite.
What is proved: a writing transaction holds the turn from BEGIN to its COMMIT or
ROLLBACK (another process sees the file locked), a reading one never takes it,
a connection given back unfinished gives it back, a second thread waits for it
and writes after the first commits, and a writer that cannot get its turn goes
on to SQLite's own lock instead of waiting for ever. And a writing request's
reads_before_the_writes block (a reply's party) reads without the turn, keeps
what it read loaded, and leaves the turn to the writes after it.
"""

import fcntl
import os
import threading
import time

import pytest
import sqlalchemy as sa

from watchparty import writer_turns
from watchparty.extensions import writing_transactions


@pytest.fixture
def engine(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'turns.db'}", connect_args={"timeout": 15})
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE seen (n INTEGER)")
    yield engine
    engine.dispose()


def turn_is_taken(engine) -> bool:
    """Whether a writer holds the turn, asked as another process would: through its own open file."""
    file = os.open(f"{engine.url.database}.writer-turn", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(file)  # (closing also drops the lock taken just now)
    return False


def test_a_writing_transaction_holds_the_turn_until_it_commits_or_rolls_back(engine):
    with writing_transactions():
        with engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO seen VALUES (1)")
            assert turn_is_taken(engine)
        assert not turn_is_taken(engine)

        connection = engine.connect()
        transaction = connection.begin()
        connection.exec_driver_sql("INSERT INTO seen VALUES (2)")
        assert turn_is_taken(engine)
        transaction.rollback()
        assert not turn_is_taken(engine)

        connection.begin()
        connection.exec_driver_sql("INSERT INTO seen VALUES (3)")
        connection.close()  # back to the pool unfinished: the pool's rollback ends the turn
        assert not turn_is_taken(engine)

    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT n FROM seen").scalars().all() == [1]


def test_a_reading_transaction_takes_no_turn(engine):
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT count(*) FROM seen").scalar()
        assert not turn_is_taken(engine)


def test_a_second_writer_waits_for_its_turn_and_writes_after_the_first_commits(engine):
    order: list[str] = []
    first_holds = threading.Event()

    def first():
        with writing_transactions(), engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO seen VALUES (1)")
            first_holds.set()
            time.sleep(0.3)
            order.append("first commits")

    def second():
        first_holds.wait()
        with writing_transactions(), engine.begin() as connection:
            order.append("second begins")
            connection.exec_driver_sql("INSERT INTO seen VALUES (2)")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert order == ["first commits", "second begins"]
    assert not turn_is_taken(engine)


def test_a_writer_that_cannot_get_its_turn_goes_on_to_sqlites_own_lock(engine, monkeypatch):
    monkeypatch.setattr(writer_turns, "TURN_TIMEOUT", 0.2)
    # Another process holds the turn and never gives it back.
    other = os.open(f"{engine.url.database}.writer-turn", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(other, fcntl.LOCK_EX)
    try:
        started = time.monotonic()
        with writing_transactions(), engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO seen VALUES (1)")
        assert time.monotonic() - started < 5
    finally:
        os.close(other)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT n FROM seen").scalars().all() == [1]
    # The thread lock went back too: the next writer gets its turn at once.
    with writing_transactions(), engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO seen VALUES (2)")
        assert turn_is_taken(engine)


# ---------------------------------------------------------------- a reply's reads come before its turn


@pytest.fixture
def sqlite_app(app_factory, tmp_path):
    """The app on a SQLite file of its own, in both passes: the turns exist only for SQLite."""
    from watchparty.extensions import db

    app = app_factory(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'reply.db'}",
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 15}},  # not the PostgreSQL pass's options
    )
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()


def test_reads_before_the_writes_take_no_turn_and_stay_loaded(sqlite_app):
    from tests.factories import make_party, make_user
    from watchparty.extensions import db, reads_before_the_writes
    from watchparty.models import Party

    party_id = make_party(make_user()).id
    db.session.remove()
    engine = db.engine
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda conn, cursor, statement, *args: statements.append(statement))
    with sqlite_app.test_request_context("/p/x/rsvp", method="POST"):
        with reads_before_the_writes():
            party = db.session.get(Party, party_id)
            assert not turn_is_taken(engine)
        assert not db.session().in_transaction()
        read = len(statements)
        assert party.title == "Film night"  # still loaded: no second read
        assert len(statements) == read
        party.title = "Film night, moved"
        db.session.flush()  # the first write of the request takes the turn, at BEGIN IMMEDIATE
        assert turn_is_taken(engine)
        db.session.commit()
    assert not turn_is_taken(engine)
    assert statements[0] == "BEGIN" and "BEGIN IMMEDIATE" in statements[read:]


def test_a_reply_reads_its_party_before_it_takes_the_write_lock(sqlite_app):
    from tests.factories import make_party, make_user
    from watchparty.extensions import db
    from watchparty.models import Rsvp

    token = make_party(make_user()).share_token
    client = sqlite_app.test_client()
    statements: list[str] = []
    sa.event.listen(db.engine, "before_cursor_execute", lambda conn, cursor, statement, *args: statements.append(statement))
    response = client.post(f"/p/{token}/rsvp", data={"name": "Ana", "response": "maybe"})
    assert response.status_code == 302
    immediate = statements.index("BEGIN IMMEDIATE")
    assert any("FROM party" in statement for statement in statements[:immediate])
    # Inside the lock: the writes, and no second read of the party.
    assert not any("FROM party" in statement for statement in statements[immediate:])
    assert any(statement.startswith("INSERT INTO rsvp") for statement in statements[immediate:])
    assert db.session.scalar(sa.select(Rsvp.name)) == "Ana"
