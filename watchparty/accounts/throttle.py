"""Password guessing against one account: after MAX_FAILURES wrong passwords for one
address within WINDOW, password login for that address is refused for PAUSE.

The per-address count lives in the database (models.LoginThrottle), so it holds
across every server process, and is kept by guarded single-statement updates:
each try is counted *before* its password is checked, and only while fewer than
MAX_FAILURES were counted in the window, so however many tries arrive at once,
at most MAX_FAILURES passwords are ever checked per window. A correct password
clears the count. Unknown addresses are counted exactly like known ones, so the
answer never tells whether an address has an account. Other ways in (a password
reset link, which also clears the count) are not affected.
"""

import hashlib
from datetime import datetime, timedelta

import sqlalchemy as sa

from watchparty.accounts import service as accounts
from watchparty.errors import DomainError
from watchparty.extensions import changed_rows, conflict_insert, db
from watchparty.models import LoginThrottle, User, UTCDateTime, utcnow

MAX_FAILURES = 10
WINDOW = timedelta(minutes=15)
PAUSE = timedelta(minutes=15)
# Rows of addresses nobody has tried for this long are dropped as new ones come.
FORGET_AFTER = timedelta(days=1)


class LoginPaused(DomainError):
    status = 429
    field = "password"


PAUSED_MESSAGE = (
    f"Too many wrong passwords for this address: password login is paused for {PAUSE.seconds // 60} minutes. "
    "You can reset your password now and log in with the new one."
)


def email_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


def _timestamp(value: datetime):
    return sa.literal(value, UTCDateTime())


def _ensure_row(key: str, now: datetime) -> None:
    """The address's row, made if missing (two requests making it at once: one wins, both go on)."""
    table = LoginThrottle.__table__
    made = changed_rows(db.session.execute(
        conflict_insert(table).values(email_key=key, failures=0, window_start=now, locked_until=None).on_conflict_do_nothing()
    ))
    if made:
        db.session.execute(
            sa.delete(LoginThrottle).where(
                LoginThrottle.window_start < now - FORGET_AFTER,
                sa.or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now),
            )
        )


def authenticate(email: str, password: str, now: datetime | None = None) -> User:
    """accounts.service.authenticate, counted per address: the user, InvalidCredentials
    (the failure is counted: commit it), or LoginPaused (nothing checked or counted)."""
    now = now or utcnow()
    key = email_key(email)
    _ensure_row(key, now)
    window_over = LoginThrottle.window_start <= now - WINDOW
    counted = changed_rows(db.session.execute(
        sa.update(LoginThrottle)
        .where(
            LoginThrottle.email_key == key,
            sa.or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
            sa.or_(window_over, LoginThrottle.failures < MAX_FAILURES),
        )
        .values(
            failures=sa.case((window_over, 1), else_=LoginThrottle.failures + 1),
            window_start=sa.case((window_over, _timestamp(now)), else_=LoginThrottle.window_start),
        )
        .execution_options(synchronize_session=False)
    ))
    if counted != 1:
        raise LoginPaused(PAUSED_MESSAGE)
    try:
        user = accounts.authenticate(email, password)
    except accounts.InvalidCredentials:
        # The last try of the window failed: pause password login from now.
        db.session.execute(
            sa.update(LoginThrottle)
            .where(LoginThrottle.email_key == key, LoginThrottle.failures >= MAX_FAILURES)
            .values(locked_until=_timestamp(now + PAUSE))
            .execution_options(synchronize_session=False)
        )
        raise
    forget(email)
    return user


def forget(email: str) -> None:
    """Clear the address's count: a correct password, or a password set through a reset link."""
    db.session.execute(
        sa.delete(LoginThrottle).where(LoginThrottle.email_key == email_key(email)).execution_options(
            synchronize_session=False
        )
    )
