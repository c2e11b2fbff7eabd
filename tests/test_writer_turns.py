"""SQLite's writers take turns on a lock that wakes them (watchparty.writer_turns).

On a SQLite file of its own in both passes: the turns exist only for SQLite.
What is proved: a writing transaction holds the turn from BEGIN to its COMMIT or
ROLLBACK (another process sees the file locked), a reading one never takes it,
a connection given back unfinished gives it back, a second thread waits for it
and writes after the first commits, and a writer that cannot get its turn goes
on to SQLite's own lock instead of waiting for ever.
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
