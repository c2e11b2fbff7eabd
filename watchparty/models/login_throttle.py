"""Failed password logins per email address, so that password guessing against one
account stops after a few tries, whoever sends them and from wherever (#22)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from watchparty.models.base import Base, UTCDateTime


class LoginThrottle(Base):
    __tablename__ = "login_throttle"

    # sha256 of the lower-cased address, whether or not it has an account: the answer
    # is the same for both, and no stranger's address is kept in clear.
    email_key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    # Password tries in the window that began at window_start (tries being checked count too).
    failures: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    # Password login for the address is refused until then.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.CheckConstraint("failures >= 0", name="failures_not_negative"),)

    def __repr__(self) -> str:
        return f"<LoginThrottle {self.email_key[:8]} {self.failures}>"
