import secrets
from datetime import datetime

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
    # Part of the login cookie; rotating it (on a password change) ends every
    # other session of this user.
    session_token: Mapped[str] = mapped_column(sa.String(32), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.CheckConstraint("email = lower(email)", name="email_lowercase"),)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"
