"""Accounts: registration, authentication, settings, password reset, deletion."""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from email.message import EmailMessage
from functools import cache

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from watchparty import clock, mail, mail_messages
from watchparty.accounts import codes, passwords
from watchparty.errors import DomainError, NotAllowed
from watchparty.extensions import db
from watchparty.links import public_url
from watchparty.models import PendingRegistration, User, UTCDateTime
from watchparty.models.user import new_session_token
from watchparty.timezones import canonical_timezone


class EmailTaken(DomainError):
    status = 409
    field = "email"


class WrongPassword(NotAllowed):
    field = "password"


class InvalidCredentials(NotAllowed):
    pass


class InvalidResetLink(DomainError):
    status = 400


# The password of an account made by an emailed code, until its owner sets one: no hash matches it.
NO_PASSWORD = "!"  # noqa: S105 (not a password: a hash that no password matches)

# The password rule's one home: the forms show it, and every way to set a password checks it.
PASSWORD_MIN = 10
PASSWORD_MAX = 200


class WeakPassword(DomainError):
    status = 422
    field = "password"


def check_password_rule(password: str, email: str = "", display_name: str = "") -> None:
    """WeakPassword unless the password is long enough (and not absurdly long), does
    not contain its owner's email address or name, and is not among the first an
    attacker tries: common passwords, keyboard rows, repeats (accounts.passwords)."""
    if not isinstance(password, str) or not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise WeakPassword(f"Use between {PASSWORD_MIN} and {PASSWORD_MAX} characters.")
    words = passwords.personal_words(email, display_name)
    if passwords.contains_personal_word(password, words):
        raise WeakPassword("Choose a password that does not contain your email address or name.")
    if passwords.is_guessable(password, words):
        raise WeakPassword(
            "This password is one of the first a stranger would try (a common password, a keyboard row "
            "or a repeat). A few unrelated words work well."
        )


def _hash(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


@cache
def _dummy_hash() -> str:
    return _hash("a password nobody has")


def _email_taken_message() -> str:
    return "An account with this email address already exists. Log in, or reset the password."


def user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


# ---------------------------------------------------------------- signing up (#22)

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
    check_password_rule(password, email, display_name)
    token = secrets.token_urlsafe(32)
    values = {
        "display_name": display_name, "password_hash": _hash(password),
        "timezone": canonical_timezone(timezone) or "UTC", "token_hash": _token_hash(token),
        "created_at": now, "expires_at": now + REGISTRATION_LIFETIME,
    }
    table = PendingRegistration.__table__
    db.session.execute(sa.delete(table).where(table.c.expires_at <= _at(now)))
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    registration_id = db.session.scalar(
        insert(table).values(email=email, **values)
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
        password_hash=registration.password_hash if typed_here else NO_PASSWORD, timezone=registration.timezone,
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
        raise EmailTaken(_email_taken_message()) from None
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
    check_password_rule(password, email, display_name)
    user = User(
        email=email.strip().lower(),
        display_name=display_name,
        password_hash=_hash(password),
        timezone=canonical_timezone(timezone) or "UTC",
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        raise EmailTaken(_email_taken_message()) from None
    return user


def create_verified_user(email: str, display_name: str, timezone: str = "UTC", now: datetime | None = None) -> User:
    """An account made by an emailed code (a host publishing their first party): the
    address is verified, and there is no password until its owner sets one
    (the reset link does; "!" matches no password)."""
    user = User(
        email=email.strip().lower(), display_name=display_name, password_hash=NO_PASSWORD,
        timezone=canonical_timezone(timezone) or "UTC", email_verified_at=now or clock.now(),
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        raise EmailTaken(_email_taken_message()) from None
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


def authenticate(email: str, password: str) -> User:
    """The user with this email and password, or InvalidCredentials.

    An unknown address costs the same hash check as a wrong password, so the
    answer's timing does not tell whether the address has an account.
    """
    user = user_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        raise InvalidCredentials("That email and password do not match an account.")
    if not check_password_hash(user.password_hash, password):
        raise InvalidCredentials("That email and password do not match an account.")
    return user


def update_settings(user: User, display_name: str, email: str, timezone: str, password: str = "") -> str | None:
    """Change name and time zone at once. A new email address needs the current
    password and waits for the new address to confirm it (request_email_change);
    returns that address, or None when the email stays as it is."""
    user.display_name = display_name
    user.timezone = canonical_timezone(timezone) or user.timezone
    new_email = email.strip().lower()
    if new_email == user.email:
        db.session.flush()
        return None
    request_email_change(user, new_email, password)
    return new_email


# ---------------------------------------------------------------- changing the email address

EMAIL_CHANGE_KIND = "email_change"
EMAIL_CHANGE_SUBJECT = "Confirm your new Watchparty email address"
EMAIL_CHANGE_MAX_AGE = timedelta(days=1)


class InvalidEmailChangeLink(DomainError):
    status = 400


def request_email_change(user: User, new_email: str, password: str) -> None:
    """The current password proves it is the owner asking (a borrowed, signed-in
    phone is not enough); the new address proves it is theirs by the link the
    worker mints when it sends (no usable secret is stored). The account keeps its
    address until then."""
    if not has_password(user):
        raise WrongPassword("Set a password first (under Settings, below), then change the email address.",
                            field="email_password")
    if not check_password_hash(user.password_hash, password or ""):
        raise WrongPassword("Enter your current password to change the email address.", field="email_password")
    if user_by_email(new_email) is not None:
        raise EmailTaken(_email_taken_message())
    user.pending_email = new_email
    user.pending_email_at = clock.now()
    db.session.flush()
    mail.queue_kind(EMAIL_CHANGE_KIND, new_email, EMAIL_CHANGE_SUBJECT)


def _email_change_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="watchparty.email-change")


def _email_change_fingerprint(user: User) -> str:
    # Spent once the address changes, and void when another change replaces this one.
    text = f"{user.email}|{user.pending_email}|{user.session_token}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def make_email_change_token(user: User) -> str:
    return _email_change_serializer().dumps([user.id, _email_change_fingerprint(user)])


@mail.render_when_sent(EMAIL_CHANGE_KIND, asked_for=True)
def _render_email_change(address: str) -> EmailMessage | None:
    user = db.session.scalar(sa.select(User).where(User.pending_email == address))
    if user is None:
        return None  # replaced by a later change, or already confirmed
    token = make_email_change_token(user)
    return mail_messages.render_message(
        address, EMAIL_CHANGE_SUBJECT, "email_change",
        user=user, link=public_url("accounts.confirm_email", token=token),
    )


def user_for_email_change_token(token: str) -> User | None:
    try:
        user_id, fingerprint = _email_change_serializer().loads(
            token, max_age=int(EMAIL_CHANGE_MAX_AGE.total_seconds())
        )
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or not isinstance(fingerprint, str):
        return None
    user = db.session.get(User, user_id)
    if user is None or user.pending_email is None:
        return None
    if not hmac.compare_digest(_email_change_fingerprint(user), fingerprint):
        return None
    return user


def confirm_email_change(token: str) -> User:
    """The new address confirmed: it becomes the account's, every session begun
    before ends, and the old address is told (so a hijack does not go unseen)."""
    user = user_for_email_change_token(token)
    if user is None:
        raise InvalidEmailChangeLink("This link has expired or was already used. Change the email again in Settings.")
    old_email, new_email = user.email, user.pending_email
    assert new_email is not None
    user.email = new_email
    user.pending_email = None
    user.pending_email_at = None
    user.email_verified_at = clock.now()  # the link sent to it proves the address
    user.session_token = new_session_token()
    try:
        db.session.flush()
    except IntegrityError:
        raise EmailTaken(_email_taken_message()) from None
    mail.queue_template(
        old_email, "Your Watchparty email address was changed", "email_changed",
        user=user, old_email=old_email, new_email=new_email,
        reset_link=public_url("accounts.reset_request"),
    )
    return user


def set_password(user: User, password: str) -> None:
    """New hash and a new session token: other sessions and reset links die."""
    check_password_rule(password, user.email, user.display_name)
    user.password_hash = _hash(password)
    user.session_token = new_session_token()
    db.session.flush()


# ---------------------------------------------------------------- accounts without a password (#22)

# An account made by an emailed code has no password. Instead of one, it proves that
# its owner holds the inbox by a sign-in through a code (or its link) within this
# time: the session's own start, kept on the server (models.LoginSession), so there is
# no second email to wait for, and a phone left signed in for weeks is not enough.
# A passwordless account can only begin a session by a code: its age says it all.
FRESH_SIGN_IN = timedelta(minutes=15)


class SignInAgain(NotAllowed):
    pass


def has_password(user: User) -> bool:
    return user.password_hash != NO_PASSWORD


def signed_in_freshly(signed_in_at: datetime | None, now: datetime | None = None) -> bool:
    return signed_in_at is not None and signed_in_at > (now or clock.now()) - FRESH_SIGN_IN


def _check_fresh(signed_in_at: datetime | None, now: datetime | None, field: str) -> None:
    if not signed_in_freshly(signed_in_at, now):
        raise SignInAgain(
            f"For your safety, sign in with a new emailed code first: this works for "
            f"{FRESH_SIGN_IN.seconds // 60} minutes after you enter it.",
            field=field,
        )


def change_password(user: User, current_password: str, new_password: str, signed_in_at: datetime | None = None,
                    now: datetime | None = None) -> None:
    """Change the password after checking the current one; an account without one
    sets its first within FRESH_SIGN_IN of signing in by code."""
    if has_password(user):
        if not current_password:
            raise WrongPassword("Enter your current password.", field="current_password")
        if not check_password_hash(user.password_hash, current_password):
            raise WrongPassword("That is not your current password.", field="current_password")
    else:
        _check_fresh(signed_in_at, now, field="password")
    set_password(user, new_password)


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="watchparty.password-reset")


def _password_fingerprint(user: User) -> str:
    # Part of the token: any password change (including using the token) makes
    # every earlier token stop matching, so links are single-use.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def make_reset_token(user: User) -> str:
    return _reset_serializer().dumps([user.id, _password_fingerprint(user)])


def user_for_reset_token(token: str) -> User | None:
    """The user a reset token was made for, if it is unexpired and unused."""
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    try:
        user_id, fingerprint = _reset_serializer().loads(token, max_age=max_age)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or not isinstance(fingerprint, str):
        return None
    user = db.session.get(User, user_id)
    if user is None or not hmac.compare_digest(_password_fingerprint(user), fingerprint):
        return None
    return user


def request_password_reset(email: str) -> None:
    """Queue a reset email for whatever address was typed, account or not: the
    request does the same work either way, so neither its answer nor its time
    tells whether the address has an account. The mail worker mints the link as
    it sends (no usable secret is stored) and drops the message when no account
    has the address (`_render_reset`)."""
    mail.queue_kind(RESET_KIND, email.strip().lower(), RESET_SUBJECT)


RESET_KIND = "password_reset"
RESET_SUBJECT = "Reset your Watchparty password"


@mail.render_when_sent(RESET_KIND, asked_for=True)
def _render_reset(address: str) -> EmailMessage | None:
    user = user_by_email(address)
    if user is None:
        return None
    return mail_messages.render_message(
        user.email, RESET_SUBJECT, "reset_password",
        user=user,
        link=public_url("accounts.reset_password", token=make_reset_token(user)),
        minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
    )


def reset_password(token: str, new_password: str) -> User:
    """Set a new password through a reset token; the token is then spent."""
    user = user_for_reset_token(token)
    if user is None:
        raise InvalidResetLink("This reset link has expired or was already used. Ask for a new one.")
    set_password(user, new_password)
    return user


def delete_account(user: User, password: str = "", typed_email: str = "", signed_in_at: datetime | None = None,
                   now: datetime | None = None) -> None:
    """Delete the account after the password confirms it; an account without a
    password types its email address instead, within FRESH_SIGN_IN of signing in by
    code (the address typed guards against a slip, the fresh code against a
    borrowed phone)."""
    if has_password(user):
        if not password:
            raise WrongPassword("Enter your password to confirm.")
        if not check_password_hash(user.password_hash, password):
            raise WrongPassword("That is not your password.")
    else:
        if (typed_email or "").strip().lower() != user.email:
            raise WrongPassword("Type your email address exactly as above to confirm.", field="confirm_email")
        _check_fresh(signed_in_at, now, field="confirm_email")
    # Replies stay with the hosts, anonymised; hosted parties stay, cancelled.
    from watchparty.parties.service import cancel_parties_hosted_by
    from watchparty.rsvp.service import anonymise_replies_of

    cancel_parties_hosted_by(user)
    anonymise_replies_of(user)
    db.session.delete(user)
    db.session.flush()
