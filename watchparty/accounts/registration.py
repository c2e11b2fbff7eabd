"""Signing up (#22): the registration form keeps the sign-up aside until the code
emailed to the address comes back, and accounts made at once (the demo, tests)
or by an emailed code (a host publishing a first party).
"""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from watchparty import clock
from watchparty.accounts import codes, passwords
from watchparty.accounts.service import EmailTaken, email_taken_message
from watchparty.extensions import conflict_insert, db
from watchparty.models import PendingRegistration, User, UTCDateTime
from watchparty.timezones import canonical_timezone

REGISTRATION_LIFETIME = timedelta(days=1)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_registration(email: str, display_name: str, password: str, timezone: str = "UTC",
                       now: datetime | None = None) -> str:
    """The registration form, answered the same whether or not the address has an
    account: the same rule checked, the same hash computed, the same rows written
    (the sign-up kept in `pending_registration`, a code issued for it, one outbox
    row of the same kind and subject). The worker then writes either the code that
    finishes the sign-up or, to an existing account's owner, "someone tried to sign
    up with your address" (codes._render_code); the code creates the account
    (finish_registration). Returns the token that lets this browser ask for a new
    code; TooManyCodes when the address has had its codes for the hour."""
    now = now or clock.now()
    email = email.strip().lower()
    passwords.check_password_rule(password, email, display_name)
    token = secrets.token_urlsafe(32)
    values = {
        "display_name": display_name, "password_hash": passwords.hash_password(password),
        "timezone": canonical_timezone(timezone) or "UTC", "token_hash": _token_hash(token),
        "created_at": now, "expires_at": now + REGISTRATION_LIFETIME,
    }
    table = PendingRegistration.__table__
    db.session.execute(sa.delete(table).where(table.c.expires_at <= _at(now)))
    registration_id = db.session.scalar(
        conflict_insert(table).values(email=email, **values)
        .on_conflict_do_update(index_elements=["email"], set_=values)
        .returning(table.c.id)
    )
    codes.issue(email, now=now, registration_id=registration_id)
    return token


def registration_for(token: str | None, email: str, now: datetime | None = None) -> PendingRegistration | None:
    """The unexpired sign-up of `email` that this browser's token names (to send a new code for it)."""
    if not token or not isinstance(token, str) or len(token) > 64:
        return None
    found = db.session.scalar(sa.select(PendingRegistration).where(
        PendingRegistration.email == email.strip().lower(), PendingRegistration.expires_at > (now or clock.now()),
    ))
    if found is None or not hmac.compare_digest(found.token_hash, _token_hash(token)):
        return None
    return found


def finish_registration(registration: PendingRegistration, token: str | None = None,
                        now: datetime | None = None) -> User:
    """The code sent for a sign-up was entered: the account, its address verified.

    The password typed at sign-up is the account's only when the code (or link) is
    used in the browser that typed it (its `token`). Anywhere else, the account is
    made without a password: otherwise a stranger who signed up with someone's
    address, and whose email that someone then followed, would know the password of
    their new account. The owner sets one in Settings (a code sign-in is fresh)."""
    typed_here = bool(token) and hmac.compare_digest(registration.token_hash, _token_hash(token or ""))
    user = User(
        email=registration.email, display_name=registration.display_name,
        password_hash=registration.password_hash if typed_here else passwords.NO_PASSWORD, timezone=registration.timezone,
        email_verified_at=now or clock.now(),
    )
    # In a savepoint: an account made for the address a moment ago (another code) refuses
    # this one cleanly, and the caller can still commit the spent code.
    savepoint = db.session.begin_nested()
    db.session.add(user)
    db.session.delete(registration)
    try:
        db.session.flush()
    except IntegrityError:
        savepoint.rollback()
        raise EmailTaken(email_taken_message()) from None
    savepoint.commit()
    return user


def drop_registration(email: str) -> None:
    """The address is signed in to (its account exists): a sign-up waiting for it is void."""
    db.session.execute(
        sa.delete(PendingRegistration).where(PendingRegistration.email == email.strip().lower())
        .execution_options(synchronize_session=False)
    )


def _at(value: datetime):
    return sa.literal(value, UTCDateTime())


def register_user(email: str, display_name: str, password: str, timezone: str = "UTC") -> User:
    """Create an account at once (the demo, the benchmark, tests); the unique
    constraint on email decides duplicates. The registration form goes through
    start_registration instead."""
    passwords.check_password_rule(password, email, display_name)
    user = User(
        email=email.strip().lower(),
        display_name=display_name,
        password_hash=passwords.hash_password(password),
        timezone=canonical_timezone(timezone) or "UTC",
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        raise EmailTaken(email_taken_message()) from None
    return user


def create_verified_user(email: str, display_name: str, timezone: str = "UTC", now: datetime | None = None) -> User:
    """An account made by an emailed code (a host publishing their first party): the
    address is verified, and there is no password until its owner sets one
    (the reset link does; "!" matches no password)."""
    user = User(
        email=email.strip().lower(), display_name=display_name, password_hash=passwords.NO_PASSWORD,
        timezone=canonical_timezone(timezone) or "UTC", email_verified_at=now or clock.now(),
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        raise EmailTaken(email_taken_message()) from None
    return user


def mark_verified(user: User, now: datetime | None = None) -> None:
    """The owner entered a code sent to the address: it is theirs."""
    if user.email_verified_at is None:
        user.email_verified_at = now or clock.now()
        db.session.flush()


def request_sign_in_code(email: str, now: datetime | None = None, registration_token: str | None = None,
                         draft_id: int | None = None) -> None:
    """Email a sign-in code to the address, account or not: the same work and the
    same answer either way (the worker drops it when nobody would be signed in).
    From the browser that signed up (its token) or typed a party (the draft's id),
    the new code is sent for that sign-up or party, so asking again loses nothing."""
    registration = registration_for(registration_token, email, now) if draft_id is None else None
    codes.issue(email, now=now, draft_id=draft_id, registration_id=registration.id if registration else None)
