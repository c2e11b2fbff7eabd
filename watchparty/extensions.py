"""Extensions, created unbound; create_app() binds them to an app."""

import sqlite3
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import has_request_context, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Engine, Result

from watchparty.models.base import Base
from watchparty.writer_turns import turns_of

db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)


def changed_rows(result: Result[Any]) -> int:
    """How many rows an INSERT, UPDATE or DELETE changed: the guarded writes decide by it.
    (Session.execute is typed as returning any Result; for these statements it is a CursorResult.)"""
    if not isinstance(result, CursorResult):
        raise TypeError(f"{type(result).__name__} is no INSERT, UPDATE or DELETE result")
    return result.rowcount


def conflict_insert(entity: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `entity` (a model or a table) that can say what to do ON
    CONFLICT, in the dialect of the database in use: both spell it the same."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(entity)


_writing: ContextVar[bool] = ContextVar("watchparty_writing", default=False)
_reading_first: ContextVar[bool] = ContextVar("watchparty_reading_first", default=False)


@contextmanager
def writing_transactions():
    """Outside a request: SQLite transactions begun here take the write lock at
    BEGIN (see _begin_sqlite), so two overlapping jobs queue instead of failing."""
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


@contextmanager
def reads_before_the_writes():
    """In a writing request: what is read inside this block is read without SQLite's
    write lock, in a transaction that ends with the block; the request's writes
    then hold the lock only for themselves (single writer: the shorter the better).

    What was read stays loaded and is not read again. A later statement sees what
    others committed meanwhile, as every statement does on PostgreSQL (READ
    COMMITTED), where this changes nothing: so what decides a race must stay a
    guarded write or a lock taken after the block, as it must on PostgreSQL anyway.
    Inside a transaction already begun, the block changes nothing either.
    """
    session = db.session()  # the request's Session itself (expire_on_commit is its own)
    if session.in_transaction() or session.get_bind().dialect.name != "sqlite":
        yield
        return
    token = _reading_first.set(True)
    try:
        yield
    finally:
        _reading_first.reset(token)
    if session.in_transaction():
        keep = session.expire_on_commit
        session.expire_on_commit = False  # the rows read stay loaded: that is the point
        try:
            session.commit()
        finally:
            session.expire_on_commit = keep


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record):
    """WAL, foreign keys and a busy timeout on every SQLite connection."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # SQLAlchemy, not the sqlite3 module, starts transactions (see _begin_sqlite).
    dbapi_connection.isolation_level = None


@event.listens_for(Engine, "begin")
def _begin_sqlite(connection):
    """BEGIN IMMEDIATE for the transactions of POST (and other unsafe) requests.

    A deferred transaction that reads and then writes cannot wait for another
    writer under WAL: it fails at once with "database is locked". Taking the
    write lock at BEGIN makes such requests queue instead: for their turn
    (watchparty.writer_turns), then, rarely, on busy_timeout.
    Page views and the CLI keep a plain BEGIN, so readers never wait, except
    inside `writing_transactions()` (cron jobs that read, then write).
    """
    if connection.dialect.name != "sqlite":
        return
    writing = _writing.get() or (
        has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS") and not _reading_first.get()
    )
    if not writing:
        connection.exec_driver_sql("BEGIN")
        return
    turns = turns_of(connection.engine)  # writers queue on a lock that wakes them (watchparty.writer_turns)
    if turns is not None:
        turns.take()
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        if turns is not None:
            turns.give_back()
        raise
