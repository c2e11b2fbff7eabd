"""The party talks: the host's announcements to the guests, and the guests' comments."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from watchparty.models.base import Base, UTCDateTime, utcnow

ANNOUNCEMENT_MAX = 2000
COMMENT_MAX = 1000
# Who an announcement is for, by the guest's status: seated going, maybe, on the
# waitlist, declined, and addresses invited by email that have not replied.
AUDIENCES = ("going", "maybe", "waitlisted", "declined", "invited")
COMMENT_STATUSES = ("shown", "hidden", "deleted")


class Announcement(Base):
    """The host's message to some of the guests: on the party page for them, and emailed."""

    __tablename__ = "announcement"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(sa.ForeignKey("party.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(sa.Text)
    to_going: Mapped[bool] = mapped_column(default=False)
    to_maybe: Mapped[bool] = mapped_column(default=False)
    to_waitlisted: Mapped[bool] = mapped_column(default=False)
    to_declined: Mapped[bool] = mapped_column(default=False)
    to_invited: Mapped[bool] = mapped_column(default=False)
    # When the host asked for it to go out (None: at once).
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When it went out: its emails queued, and from then on shown on the party page.
    # Set once, by a guarded update (the service or the timed job, whichever is first).
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Deleted announcements stay counted in the day's allowance, and show nowhere.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.CheckConstraint(
            "to_going OR to_maybe OR to_waitlisted OR to_declined OR to_invited", name="audience_not_empty"
        ),
        sa.CheckConstraint(f"length(message) <= {ANNOUNCEMENT_MAX}", name="message_length"),
        sa.Index("ix_announcement_party_id_created_at", "party_id", "created_at"),
    )

    @property
    def audience(self) -> tuple[str, ...]:
        return tuple(name for name in AUDIENCES if getattr(self, f"to_{name}"))

    def __repr__(self) -> str:
        return f"<Announcement {self.id} party {self.party_id}>"


class Comment(Base):
    """A short comment on the party page by a guest who replied, or by the host."""

    __tablename__ = "party_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(sa.ForeignKey("party.id", ondelete="CASCADE"), index=True)
    # The guest's reply; None for the host's comments, and once a guest is removed
    # (their name stays with what they wrote).
    rsvp_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rsvp.id", ondelete="SET NULL"), index=True)
    by_host: Mapped[bool] = mapped_column(default=False)
    author_name: Mapped[str] = mapped_column(sa.String(80))
    # One level of replies: a reply answers a top-level comment.
    reply_to_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("party_comment.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(sa.Text)
    is_spoiler: Mapped[bool] = mapped_column(default=False)
    # shown; hidden by the host (the host still sees it); deleted (its text is gone).
    status: Mapped[str] = mapped_column(sa.String(10), default="shown")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint(
            "status IN (" + ", ".join(f"'{status}'" for status in COMMENT_STATUSES) + ")", name="status_known"
        ),
        sa.CheckConstraint(f"length(body) <= {COMMENT_MAX}", name="body_length"),
        sa.Index("ix_party_comment_party_id_created_at", "party_id", "created_at"),
    )

    def __repr__(self) -> str:
        return f"<Comment {self.id} party {self.party_id} {self.status}>"
