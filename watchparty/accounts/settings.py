"""The settings page's changes: name and time zone, a new email address (confirmed
by a link to it), the password, and deleting the account; and the fresh sign-in
an account without a password proves itself by instead.
"""

import hashlib
import hmac
from datetime import datetime, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash

from watchparty import clock, mail, mail_messages
from watchparty.accounts import passwords
from watchparty.accounts.service import EmailTaken, WrongPassword, email_taken_message, set_password, user_by_email
from watchparty.errors import DomainError, NotAllowed
from watchparty.extensions import db
from watchparty.links import public_url
from watchparty.models import User
from watchparty.models.user import new_session_token
from watchparty.timezones import canonical_timezone


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
    if not passwords.has_password(user):
        raise WrongPassword("Set a password first (under Settings, below), then change the email address.",
                            field="email_password")
    if not check_password_hash(user.password_hash, password or ""):
        raise WrongPassword("Enter your current password to change the email address.", field="email_password")
    if user_by_email(new_email) is not None:
        raise EmailTaken(email_taken_message())
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
        raise EmailTaken(email_taken_message()) from None
    mail.queue_template(
        old_email, "Your Watchparty email address was changed", "email_changed",
        user=user, old_email=old_email, new_email=new_email,
        reset_link=public_url("accounts.reset_request"),
    )
    return user


# ---------------------------------------------------------------- accounts without a password (#22)

# An account made by an emailed code has no password. Instead of one, it proves that
# its owner holds the inbox by a sign-in through a code (or its link) within this
# time: the session's own start, kept on the server (models.LoginSession), so there is
# no second email to wait for, and a phone left signed in for weeks is not enough.
# A passwordless account can only begin a session by a code: its age says it all.
FRESH_SIGN_IN = timedelta(minutes=15)


class SignInAgain(NotAllowed):
    pass


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
    if passwords.has_password(user):
        if not current_password:
            raise WrongPassword("Enter your current password.", field="current_password")
        if not check_password_hash(user.password_hash, current_password):
            raise WrongPassword("That is not your current password.", field="current_password")
    else:
        _check_fresh(signed_in_at, now, field="password")
    set_password(user, new_password)


def delete_account(user: User, password: str = "", typed_email: str = "", signed_in_at: datetime | None = None,
                   now: datetime | None = None) -> None:
    """Delete the account after the password confirms it; an account without a
    password types its email address instead, within FRESH_SIGN_IN of signing in by
    code (the address typed guards against a slip, the fresh code against a
    borrowed phone)."""
    if passwords.has_password(user):
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
