import secrets
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from watchparty.models.base import Base, UTCDateTime, utcnow


def new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique constraint makes addresses unique
    # whatever case they are typed in.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(80))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    is_admin: Mapped[bool] = mapped_column(default=False)
    # Copied into every login session (models.LoginSession); rotating it (on a
    # password change) ends every session begun before.
    session_token: Mapped[str] = mapped_column(sa.String(32), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # An email change waits here until the new address confirms it (accounts.settings
    # request_email_change); the confirmation link is minted when the email is sent.
    pending_email: Mapped[str | None] = mapped_column(sa.String(254))
    pending_email_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the owner proved the address by entering an emailed code (accounts.codes);
    # None until then. Only verified accounts publish parties and send invitations (#19, #22).
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.CheckConstraint("email = lower(email)", name="email_lowercase"),)

    # The server-side session this request is signed in through (set by accounts.sessions).
    # Not a column: typed for mypy only, as SQLAlchemy would try to map an annotation here.
    if TYPE_CHECKING:
        login_session_id: str | None
    login_session_id = None

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def get_id(self) -> str:
        """What Flask-Login keeps in the cookies: the user and the session (accounts.sessions)."""
        if not self.login_session_id:
            raise RuntimeError("sign users in with accounts.sessions.log_in, which begins a session")
        return f"{self.id}:{self.login_session_id}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"
