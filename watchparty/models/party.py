"""Watch parties and the replies (RSVPs) of their guests."""

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from watchparty.models.base import Base, UTCDateTime, utcnow
from watchparty.models.film import Film
from watchparty.models.user import User

PARTY_STATUSES = ("scheduled", "cancelled")
# How the host hears about replies and sign-ups (watchparty.notifications.host): "auto" is an
# email for each change for the first replies, then hourly digests.
HOST_UPDATES = ("auto", "each", "digest", "off")
RESPONSES = ("going", "maybe", "declined")
RSVP_STATES = ("confirmed", "waitlisted")

CAPACITY_MAX = 10_000
TITLE_MAX = 120
PLUS_ONES_MAX = 10
# What a party allows when the host says nothing: the common case is a guest
# who brings someone, and a guest list that guests who replied may see. The
# form, the service's PartyFields and the model all read these.
DEFAULT_PLUS_ONES = 1
DEFAULT_GUEST_LIST_VISIBLE = True
# How long a party lasts when its film has no runtime.
DEFAULT_LENGTH = timedelta(hours=3)


def new_token() -> str:
    """A share or manage token: 24 random bytes, 192 bits, 32 URL-safe characters."""
    return secrets.token_urlsafe(24)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"



def film_end(starts_at: datetime, runtime_minutes: int | None) -> datetime:
    """When a party's film should be over: start + runtime, or start + 3 hours
    (better to hold spoilers a little too long). The one definition."""
    return starts_at + (timedelta(minutes=runtime_minutes) if runtime_minutes else DEFAULT_LENGTH)


class Party(Base):
    __tablename__ = "party"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A deleted host's parties stay (cancelled) for their guests: SET NULL.
    host_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    # A film with parties cannot be deleted from under them.
    film_id: Mapped[int] = mapped_column(sa.ForeignKey("film.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    timezone: Mapped[str] = mapped_column(sa.String(64))
    area: Mapped[str] = mapped_column(sa.String(120), default="")
    address: Mapped[str] = mapped_column(sa.String(500), default="")
    online_url: Mapped[str] = mapped_column(sa.String(500), default="")
    screening_notes: Mapped[str] = mapped_column(sa.String(1000), default="")
    capacity: Mapped[int | None]
    rsvp_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    max_plus_ones: Mapped[int] = mapped_column(default=DEFAULT_PLUS_ONES)
    # False: only the host sees who is coming; True: guests who replied see names too.
    guest_list_visible: Mapped[bool] = mapped_column(default=DEFAULT_GUEST_LIST_VISIBLE)
    show_address_to_guests: Mapped[bool] = mapped_column(default=True)
    share_token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_token)
    status: Mapped[str] = mapped_column(sa.String(20), default="scheduled")
    # The film and/or the date are still being voted on (watchparty.polls): film_id and
    # starts_at then hold the first candidate film and the latest candidate date, because
    # they are required, and nothing shows or acts on them (party_clock, reminders, the
    # morning after, cards, .ics) until the poll closes and writes the winners.
    undecided: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # How many votes decided it, once a poll did: the page's "decided by N votes" (no extra query).
    decided_by_votes: Mapped[int | None]
    cancel_message: Mapped[str] = mapped_column(sa.String(1000), default="")
    host_updates: Mapped[str] = mapped_column(sa.String(10), default="auto", server_default="auto")
    # When the host was last emailed about the party's activity: the digest's hour counts
    # from here, and a guarded update on it lets one mail worker send each email.
    host_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The dashboard's nudges, each at most once a day (a guarded update decides).
    nudged_unreplied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    nudged_unclaimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Seats held by confirmed "going" replies (1 + plus-ones each). Only ever
    # changed by guarded UPDATE statements in rsvp.service, never from Python.
    seats_taken: Mapped[int] = mapped_column(default=0)
    # iCalendar SEQUENCE: bumped on every edit so calendars replace the event.
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    host: Mapped[User | None] = relationship()
    film: Mapped[Film] = relationship()
    rsvps: Mapped[list["Rsvp"]] = relationship(
        back_populates="party", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        sa.CheckConstraint("seats_taken >= 0", name="seats_taken_not_negative"),
        sa.CheckConstraint(
            f"capacity IS NULL OR (capacity >= 1 AND capacity <= {CAPACITY_MAX})", name="capacity_range"
        ),
        sa.CheckConstraint(
            f"max_plus_ones >= 0 AND max_plus_ones <= {PLUS_ONES_MAX}", name="max_plus_ones_range"
        ),
        sa.CheckConstraint(
            "rsvp_deadline IS NULL OR rsvp_deadline < starts_at", name="deadline_before_start"
        ),
        sa.CheckConstraint(_in("status", PARTY_STATUSES), name="status_known"),
        sa.CheckConstraint("sequence >= 0", name="sequence_not_negative"),
        sa.CheckConstraint(_in("host_updates", HOST_UPDATES), name="host_updates_known"),
    )

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def ends_at(self) -> datetime:
        """When the film should be over (`film_end`): the calendar event's end, the
        spoiler guard and the party's phase (watchparty.party_clock) all read it."""
        return film_end(self.starts_at, self.film.runtime_minutes if self.film is not None else None)

    def __repr__(self) -> str:
        return f"<Party {self.id} {self.title!r}>"


class Rsvp(Base):
    """One guest's reply to a party (with their plus-ones)."""

    __tablename__ = "rsvp"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(sa.ForeignKey("party.id", ondelete="CASCADE"), index=True)
    # A deleted account leaves its replies behind, anonymised: SET NULL.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    # Stored lower-cased so that the unique constraint ignores case; NULL when
    # not given (NULLs never collide, so any number of replies may omit it).
    email: Mapped[str | None] = mapped_column(sa.String(254))
    response: Mapped[str] = mapped_column(sa.String(10))
    state: Mapped[str] = mapped_column(sa.String(12), default="confirmed")
    plus_ones: Mapped[int] = mapped_column(default=0)
    seen_it: Mapped[bool] = mapped_column(default=False)
    dietary: Mapped[str] = mapped_column(sa.String(200), default="")
    note: Mapped[str] = mapped_column(sa.String(1000), default="")
    manage_token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_token)
    # "Stop emails about this party", from the link in every email: honoured by the sender.
    emails_stopped: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # When the reply joined the waitlist: its place in the queue (ties: id).
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    party: Mapped[Party] = relationship(back_populates="rsvps")
    user: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("party_id", "email"),
        sa.UniqueConstraint("party_id", "user_id"),
        sa.CheckConstraint(_in("response", RESPONSES), name="response_known"),
        sa.CheckConstraint(_in("state", RSVP_STATES), name="state_known"),
        sa.CheckConstraint("state = 'confirmed' OR response = 'going'", name="only_going_waits"),
        sa.CheckConstraint("plus_ones >= 0", name="plus_ones_not_negative"),
        sa.CheckConstraint("email IS NULL OR email = lower(email)", name="email_lowercase"),
    )

    @property
    def seats(self) -> int:
        """Seats this reply holds now."""
        if self.response == "going" and self.state == "confirmed":
            return 1 + self.plus_ones
        return 0

    @property
    def is_waitlisted(self) -> bool:
        return self.state == "waitlisted"

    @property
    def is_seated_or_maybe(self) -> bool:
        """Seated as going, or maybe: who may see the exact address and brings things."""
        return (self.response == "going" and self.state == "confirmed") or self.response == "maybe"

    def __repr__(self) -> str:
        return f"<Rsvp {self.id} {self.response}/{self.state}>"


class Invitation(Base):
    """An address the host invited by email; it keeps re-invitations out and carries the opt-out."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(sa.ForeignKey("party.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    # The invitee's "stop emails about this party" link (they have no manage link yet).
    token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_token)
    emails_stopped: Mapped[bool] = mapped_column(default=False)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    party: Mapped[Party] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("party_id", "email"),
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
    )
