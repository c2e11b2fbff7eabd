"""A sign-up waiting for its address to be confirmed (#22).

The registration form answers the same whether or not the address has an
account, so it cannot create the account at once: the name, the password's
hash and the time zone wait here, and the emailed code (accounts.codes, sent
for this row) creates the account, its address verified, when it is entered.
For an address that already has an account, the same row is written and the
worker sends its owner a "someone tried to sign up with your address" email
instead; using that code signs the owner in and the row is dropped unused.
One row per address (a second sign-up replaces the first); it expires after a
day, and is found again by the random token kept in the browser's session
(only its hash is stored) when that browser asks for a new code.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from watchparty.models.base import Base, UTCDateTime, utcnow


class PendingRegistration(Base):
    __tablename__ = "pending_registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(80))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    timezone: Mapped[str] = mapped_column(sa.String(64))
    # sha256 of the token held in the signing-up browser's session.
    token_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    __table_args__ = (sa.CheckConstraint("email = lower(email)", name="email_lowercase"),)

    def __repr__(self) -> str:
        return f"<PendingRegistration {self.id}>"
