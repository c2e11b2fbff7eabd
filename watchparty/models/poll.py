"""A party's poll (#23): the film and/or the date left to a vote of the guests.

While a poll is open its party is *undecided* (`Party.undecided`): the party's
film and start hold the first candidate film and the latest candidate date only
because the columns are required; nothing shows them, no reminder or
morning-after email is sent, and replies wait for the decision
(watchparty.party_clock). Closing the poll writes the winners into the party.
"""

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from watchparty.models.base import Base, UTCDateTime, utcnow
from watchparty.models.film import Film

DATE_ANSWERS = ("yes", "maybe", "no")
FILMS_MIN, FILMS_MAX = 2, 8
DATES_MIN, DATES_MAX = 2, 6
VOTER_NAME_MAX = 80


def new_vote_token() -> str:
    """A voter's manage token: 192 random bits, as a reply's."""
    return secrets.token_urlsafe(24)


class Poll(Base):
    __tablename__ = "poll"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(sa.ForeignKey("party.id", ondelete="CASCADE"), unique=True)
    decides_film: Mapped[bool] = mapped_column(default=False)
    decides_date: Mapped[bool] = mapped_column(default=False)
    # Voters who said yes to the winning date become going replies (else: asked to confirm).
    yes_means_going: Mapped[bool] = mapped_column(default=False)
    # Guests may add one film each to the vote (within FILMS_MAX candidates).
    guests_nominate: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set once, by a guarded UPDATE (… WHERE closed_at IS NULL): the close that wins it counts.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped by every vote under the same guard, so a vote and a close meet on this row.
    votes_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    films: Mapped[list["PollFilm"]] = relationship(
        back_populates="poll", order_by="PollFilm.position", cascade="all, delete-orphan", passive_deletes=True
    )
    dates: Mapped[list["PollDate"]] = relationship(
        back_populates="poll", order_by="PollDate.starts_at", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        sa.CheckConstraint("decides_film OR decides_date", name="decides_something"),
        sa.CheckConstraint("votes_version >= 0", name="votes_version_not_negative"),
    )

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def __repr__(self) -> str:
        return f"<Poll {self.id} party {self.party_id}>"


class PollFilm(Base):
    """A candidate film."""

    __tablename__ = "poll_film"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    film_id: Mapped[int] = mapped_column(sa.ForeignKey("film.id", ondelete="RESTRICT"), index=True)
    # The host's order: the last tie-break ("then the host") is the film they listed first.
    position: Mapped[int] = mapped_column(default=0)
    # The poll_vote of the guest who nominated it (None: the host's). A unique index, so one
    # nomination per guest. No foreign key: SQLite can then add and drop the column in place,
    # without rebuilding the table (which the page-version triggers name); a vote is only ever
    # deleted with its poll, and its candidates go with it.
    nominated_by_id: Mapped[int | None] = mapped_column(index=True, unique=True)

    poll: Mapped[Poll] = relationship(back_populates="films")
    film: Mapped[Film] = relationship()

    __table_args__ = (sa.UniqueConstraint("poll_id", "film_id"),)


class PollDate(Base):
    """A candidate start time (UTC; shown in the party's zone and the viewer's)."""

    __tablename__ = "poll_date"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The host's order: the last tie-break is the date they listed first.
    position: Mapped[int] = mapped_column(default=0)

    poll: Mapped[Poll] = relationship(back_populates="dates")

    __table_args__ = (sa.UniqueConstraint("poll_id", "starts_at"),)


class PollVote(Base):
    """One guest's ballot: remembered like a reply (cookie and manage link)."""

    __tablename__ = "poll_vote"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(VOTER_NAME_MAX))
    # Lower-cased; NULL when not given (NULLs never collide).
    email: Mapped[str | None] = mapped_column(sa.String(254))
    manage_token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_vote_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The voter's "stop emails about this vote" (the link in every poll email).
    emails_stopped: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    __table_args__ = (
        sa.UniqueConstraint("poll_id", "email"),
        sa.CheckConstraint("email IS NULL OR email = lower(email)", name="email_lowercase"),
    )


class PollDateAnswer(Base):
    __tablename__ = "poll_date_answer"

    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("poll_vote.id", ondelete="CASCADE"), primary_key=True)
    date_id: Mapped[int] = mapped_column(sa.ForeignKey("poll_date.id", ondelete="CASCADE"), primary_key=True, index=True)
    answer: Mapped[str] = mapped_column(sa.String(5))

    __table_args__ = (
        sa.CheckConstraint("answer IN (" + ", ".join(f"'{a}'" for a in DATE_ANSWERS) + ")", name="answer_known"),
    )


class PollFilmAnswer(Base):
    """Approval ("I'd happily watch it") and "I've seen it", per voter and candidate film."""

    __tablename__ = "poll_film_answer"

    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("poll_vote.id", ondelete="CASCADE"), primary_key=True)
    film_id: Mapped[int] = mapped_column(sa.ForeignKey("poll_film.id", ondelete="CASCADE"), primary_key=True, index=True)
    approves: Mapped[bool] = mapped_column(default=False)
    seen_it: Mapped[bool] = mapped_column(default=False)
