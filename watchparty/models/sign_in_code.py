"""The emailed sign-in code of one address (#19, #22): one row per address, so a
newer code replaces the older one in the same row (the unique address decides
two requests at once).

No usable secret is stored: the row keeps a random nonce, and the 6-digit code
and the one-click link's token are HMACs of it under the app's SECRET_KEY
(accounts.codes), computed again when the mail worker renders the email and
when a code is checked. The counters limit guesses per code and per address.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from watchparty.models.base import Base, UTCDateTime


class SignInCode(Base):
    __tablename__ = "sign_in_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    nonce: Mapped[str] = mapped_column(sa.String(32))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Wrong tries of the current code.
    tries: Mapped[int] = mapped_column(default=0)
    # Per address, within the window that began at window_start: wrong tries and codes sent.
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_failures: Mapped[int] = mapped_column(default=0)
    window_sends: Mapped[int] = mapped_column(default=0)
    # The party waiting for this confirmation, if the code was sent for one.
    draft_id: Mapped[int | None] = mapped_column(sa.ForeignKey("party_draft.id", ondelete="SET NULL"), index=True)
    # The sign-up waiting for this confirmation, if the code was sent for one (a newer code replaces it).
    registration_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("pending_registration.id", ondelete="SET NULL"), index=True
    )

    __table_args__ = (
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
        sa.CheckConstraint("tries >= 0 AND window_failures >= 0 AND window_sends >= 0", name="counts_not_negative"),
    )

    def __repr__(self) -> str:
        return f"<SignInCode {self.id} tries={self.tries}>"
