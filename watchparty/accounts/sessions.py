"""Signed-in sessions, kept on the server (models.LoginSession).

Flask-Login keeps "<user id>:<session id>" in the signed session cookie (and in
the remember-me cookie); the user loader signs someone in only while that
session's row exists, has not expired and was begun under the user's current
session_token. So logging out ends the session for any copy of its cookies,
"Log out everywhere" ends them all, and a new password (which rotates the
token, accounts.service.set_password) ends every session begun before it.

These helpers sign a browser in and out: views call them, they flush, and the
view commits.
"""

import hmac
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_login import current_user, login_user, logout_user

from watchparty.extensions import db
from watchparty.models import LoginSession, User, utcnow


def lifetime() -> timedelta:
    """How long a login lasts at most, remembered or not: REMEMBER_COOKIE_DURATION."""
    value = current_app.config["REMEMBER_COOKIE_DURATION"]
    return value if isinstance(value, timedelta) else timedelta(seconds=int(value))


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the user, if this session of theirs is still alive. One statement."""
    id_part, _, session_id = user_id.partition(":")
    if not (id_part.isdigit() and len(id_part) <= 9 and 0 < len(session_id) <= 64):
        return None
    found = db.session.execute(
        sa.select(User, LoginSession.user_token, LoginSession.expires_at)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(User.id == int(id_part), LoginSession.id == session_id)
    ).first()
    if found is None:
        return None
    user, user_token, expires_at = found
    if expires_at <= utcnow() or not hmac.compare_digest(user_token, user.session_token):
        return None
    user.login_session_id = session_id
    return user


def log_in(user: User, remember: bool = False) -> None:
    """Begin a session for this browser on the server, and sign the browser in."""
    now = utcnow()
    # Sessions of this user that can no longer sign anyone in go with each new login.
    db.session.execute(
        sa.delete(LoginSession).where(
            LoginSession.user_id == user.id,
            sa.or_(LoginSession.expires_at <= now, LoginSession.user_token != user.session_token),
        )
    )
    session_id = secrets.token_urlsafe(32)
    db.session.add(
        LoginSession(id=session_id, user_id=user.id, user_token=user.session_token, created_at=now,
                     expires_at=now + lifetime())
    )
    db.session.flush()
    user.login_session_id = session_id
    login_user(user, remember=remember, duration=lifetime())


def signed_in_at() -> datetime | None:
    """When this browser's session began (a passwordless account's only way in is a code)."""
    if not current_user.is_authenticated or not current_user.login_session_id:
        return None
    return db.session.scalar(
        sa.select(LoginSession.created_at).where(LoginSession.id == current_user.login_session_id)
    )


def log_out() -> None:
    """Sign this browser out and end its session on the server: a copy of its cookies signs nobody in."""
    if current_user.is_authenticated and current_user.login_session_id:
        db.session.execute(sa.delete(LoginSession).where(LoginSession.id == current_user.login_session_id))
    logout_user()


def log_out_everywhere(user: User) -> None:
    """End every session of this user, on every device, this browser's too."""
    db.session.execute(sa.delete(LoginSession).where(LoginSession.user_id == user.id))
    logout_user()
