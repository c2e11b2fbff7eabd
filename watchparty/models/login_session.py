"""One row per signed-in browser, so that a session can be ended on the server:
the session cookie (and the remember-me cookie) carry the row's id, and a cookie
whose row is gone signs nobody in, however it was copied."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from watchparty.models.base import Base, UTCDateTime, utcnow


class LoginSession(Base):
    __tablename__ = "login_session"

    # secrets.token_urlsafe(32): a bearer secret, like the session cookie that holds it.
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # The user's session_token when the session began: rotating it (a new password)
    # ends every session begun before, wherever the password was set.
    user_token: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The longest a login lasts (REMEMBER_COOKIE_DURATION), remembered or not.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<LoginSession of user {self.user_id}>"
