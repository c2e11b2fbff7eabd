"""Email waiting to be sent: written in the same transaction as the change it
reports, and sent by the mail worker (`flask mail work`, watchparty.mail_worker),
which retries on a schedule while the mail server is down."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from watchparty.models.base import Base, UTCDateTime, utcnow

# dropped: a message rendered when sent that turned out to have no one to go to
# (a password reset for an address with no account).
MAIL_STATUSES = ("pending", "sending", "sent", "failed", "dropped")


class OutboundEmail(Base):
    __tablename__ = "outbound_email"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    # The whole rendered message (RFC 5322 bytes): a retry sends exactly what
    # was written at the time, whatever changed since.
    # None for a kind the worker renders as it sends (a password-reset link: no
    # secret is stored), see mail.render_when_sent.
    message: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    kind: Mapped[str] = mapped_column(sa.String(30), default="message", server_default="message")
    # Unique when set: "reminder:<rsvp>:<start>" lets the database decide that
    # each guest gets each reminder once, however many cron runs overlap.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    party_id: Mapped[int | None] = mapped_column(sa.ForeignKey("party.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Not before: a failed attempt puts the next one off (mail_worker.RETRY_DELAYS).
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # When a sender claimed it (status "sending"); a claim older than a few
    # minutes belongs to a sender that died, and the row is retried.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint(
            "status IN (" + ", ".join(f"'{status}'" for status in MAIL_STATUSES) + ")", name="status_known"
        ),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.CheckConstraint("message IS NOT NULL OR kind <> 'message'", name="message_rendered_or_late"),
    )

    def __repr__(self) -> str:
        return f"<OutboundEmail {self.id} {self.status} to {self.recipient!r}>"


class SuppressedAddress(Base):
    """An address that asked never to be emailed from this site again (the link in
    every email's footer). The mail worker drops every message to it, except one
    its owner asked for just then (a sign-in code, a password reset)."""

    __tablename__ = "suppressed_address"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased: one row per mailbox, however it was typed.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<SuppressedAddress {self.email!r}>"
