"""Email waiting to be sent: written in the same transaction as the change it
reports, sent after the commit, and retried by `flask parties remind` when
the mail server was down."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from watchparty.models.base import Base, UTCDateTime, utcnow

MAIL_STATUSES = ("pending", "sending", "sent", "failed")


class OutboundEmail(Base):
    __tablename__ = "outbound_email"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    # The whole rendered message (RFC 5322 bytes): a retry sends exactly what
    # was written at the time, whatever changed since.
    message: Mapped[bytes] = mapped_column(sa.LargeBinary)
    # Unique when set: "reminder:<rsvp>:<start>" lets the database decide that
    # each guest gets each reminder once, however many cron runs overlap.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    party_id: Mapped[int | None] = mapped_column(sa.ForeignKey("party.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When a sender claimed it (status "sending"); a claim older than a few
    # minutes belongs to a sender that died, and the row is retried.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint(
            "status IN (" + ", ".join(f"'{status}'" for status in MAIL_STATUSES) + ")", name="status_known"
        ),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    def __repr__(self) -> str:
        return f"<OutboundEmail {self.id} {self.status} to {self.recipient!r}>"
