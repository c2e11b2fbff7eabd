"""Accounts: who someone is. Looking an account up, signing in with a password,
setting one, and resetting a forgotten one by an emailed link. Signing up is
`registration`'s, the settings page's changes `settings`'s, the password rule
`passwords`'.
"""

import hashlib
import hmac
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.security import check_password_hash

from watchparty import mail, mail_messages
from watchparty.accounts import passwords
from watchparty.errors import DomainError, NotAllowed
from watchparty.extensions import db
from watchparty.links import public_url
from watchparty.models import User
from watchparty.models.user import new_session_token


class EmailTaken(DomainError):
    status = 409
    field = "email"


class WrongPassword(NotAllowed):
    field = "password"


class InvalidCredentials(NotAllowed):
    pass


class InvalidResetLink(DomainError):
    status = 400


def email_taken_message() -> str:
    return "An account with this email address already exists. Log in, or reset the password."


def user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def authenticate(email: str, password: str) -> User:
    """The user with this email and password, or InvalidCredentials.

    An unknown address costs the same hash check as a wrong password, so the
    answer's timing does not tell whether the address has an account.
    """
    user = user_by_email(email)
    if user is None:
        check_password_hash(passwords.dummy_hash(), password)
        raise InvalidCredentials("That email and password do not match an account.")
    if not check_password_hash(user.password_hash, password):
        raise InvalidCredentials("That email and password do not match an account.")
    return user


def set_password(user: User, password: str) -> None:
    """New hash and a new session token: other sessions and reset links die."""
    passwords.check_password_rule(password, user.email, user.display_name)
    user.password_hash = passwords.hash_password(password)
    user.session_token = new_session_token()
    db.session.flush()


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
