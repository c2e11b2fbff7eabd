"""SQLite's writers wait their turn on a lock that wakes them, not in SQLite's sleeps.

SQLite lets one transaction write at a time. The others, at BEGIN IMMEDIATE,
wait in SQLite's busy handler, which sleeps 1, 2, 5 … up to 100 ms between
tries: the lock often lies free while every waiter sleeps. At 16 connections
the bench's RSVP posts ran at about 160 a second with a p99 near a second,
though one holds the lock for about 2.5 ms.

So a writing transaction first takes its turn here: a thread lock inside the
process (the next thread wakes the moment the last one commits) and an
advisory lock on a file beside the database between processes (gunicorn's
workers, the mail worker, the CLI). The turn ends when the transaction
commits or rolls back.

The turn only orders writers; SQLite's own lock still decides. A writer that
cannot get its turn within the busy timeout (a thread that opens a second
writing transaction while holding one, a process that holds its turn too
long) goes on without it and waits in SQLite's busy handler as before, so
nothing here can deadlock or change what is written.
"""

import fcntl
import os
import threading
import time
from pathlib import Path

from sqlalchemy.engine import Engine

TURN_TIMEOUT = 15.0  # seconds: SQLite's busy_timeout (extensions._configure_sqlite)
_POLL = 0.0005  # between tries of the file lock, by the one thread per process that waits on it


class WriterTurns:
    """The turns of one SQLite database file."""

    def __init__(self, database: str):
        self.lock_path = Path(f"{database}.writer-turn")
        self._thread_lock = threading.Lock()
        self._held = threading.local()
        self._file: int | None = None
        self._pid = 0

    def _lock_file(self) -> int:
        # Opened once per process: a forked worker must not share its parent's open file.
        if self._file is None or self._pid != os.getpid():
            self._file = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._file

    def take(self) -> None:
        """Wait for this thread's turn to write (or for the timeout: then go on without it)."""
        if getattr(self._held, "turn", False):
            return
        deadline = time.monotonic() + TURN_TIMEOUT
        if not self._thread_lock.acquire(timeout=TURN_TIMEOUT):
            return
        try:
            file = self._lock_file()
            while True:
                try:
                    fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        self._thread_lock.release()
                        return
                    time.sleep(_POLL)
        except OSError:
            self._thread_lock.release()  # no lock file (read-only folder): SQLite's busy handler alone
            return
        self._held.turn = True

    def give_back(self) -> None:
        """The transaction ended: the next writer's turn."""
        if not getattr(self._held, "turn", False):
            return
        self._held.turn = False
        try:
            if self._file is not None:
                fcntl.flock(self._file, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()


def turns_of(engine: Engine) -> WriterTurns | None:
    """The engine's writer turns, installed on first use; None for other databases or an in-memory one."""
    turns = engine.__dict__.get("_watchparty_writer_turns", False)
    if turns is not False:
        return turns
    database = engine.url.database
    turns = WriterTurns(database) if engine.dialect.name == "sqlite" and database and database != ":memory:" else None
    if turns is not None:
        _give_back_at_the_end(engine, turns)
    engine.__dict__["_watchparty_writer_turns"] = turns
    return turns


def _give_back_at_the_end(engine: Engine, turns: WriterTurns) -> None:
    """The turn ends after the COMMIT or ROLLBACK itself (SQLAlchemy's commit and
    rollback events come before it), including the pool's rollback when a
    connection goes back unfinished."""
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_connection) -> None:
        try:
            commit(dbapi_connection)
        finally:
            turns.give_back()

    def do_rollback(dbapi_connection) -> None:
        try:
            rollback(dbapi_connection)
        finally:
            turns.give_back()

    dialect.do_commit = do_commit  # type: ignore[method-assign]  # one engine's dialect, wrapped once
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]  # (the same)
