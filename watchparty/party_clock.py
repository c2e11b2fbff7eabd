"""Where a party stands at a moment: the one answer to every "has it … yet?".

Replies, the sign-up list, the spoiler guard, the rating form and the party
page's kept copies all change at the same few moments: the RSVP deadline, the
start, and the end of the film (`Party.ends_at`: the start plus the runtime, or
three hours). Each is decided here once; services, templates and the page
cache read a `PartyPhase` instead of comparing times themselves.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from watchparty.templating import local_time

# The morning after: the first MORNING_AFTER_AT in the party's zone at least
# MORNING_AFTER_GAP after the film ends — breakfast time the next day for an
# evening film, the same morning for one that ends after midnight, never the
# middle of the night, and never while the guests are still on their way home.
MORNING_AFTER_AT = time(9, 0)
MORNING_AFTER_GAP = timedelta(hours=6)

# What closes, in the words each place uses: replies, or the sign-up list.
Closing = Literal["replies", "signups"]

_CLOSED = {
    ("replies", "cancelled"): "The host cancelled this party, so replies are closed.",
    ("replies", "undecided"): "Replies open once the vote has decided the party.",
    ("signups", "undecided"): "The sign-up list opens once the vote has decided the party.",
    ("replies", "started"): "The party has started, so replies are closed.",
    ("replies", "deadline"): "Replies closed at the RSVP deadline ({deadline}).",
    ("signups", "cancelled"): "The party is cancelled, so the sign-up list is closed.",
    ("signups", "started"): "The party has started, so the sign-up list is closed.",
    ("signups", "deadline"): "Sign-ups closed with replies at the RSVP deadline ({deadline}).",
}


class Schedule(Protocol):
    """What a phase reads of a party: a Party, or the party page's head (watchparty.cache.PartyHead)."""

    @property
    def undecided(self) -> bool: ...
    @property
    def is_cancelled(self) -> bool: ...
    @property
    def rsvp_deadline(self) -> datetime | None: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def timezone(self) -> str: ...


@dataclass(frozen=True)
class PartyPhase:
    """A party at one moment. `moments` is everything here that changes with time,
    so two views whose phases have equal moments show the same."""

    party: Schedule
    cancelled: bool
    deadline_passed: bool
    started: bool
    film_over: bool  # the film has ended: spoilers open on the party page
    # Its film and/or date are still being voted on (watchparty.polls): no start, no
    # deadline, no end yet, whatever the placeholder columns say.
    undecided: bool = False

    @property
    def moments(self) -> tuple[bool, ...]:
        return (self.cancelled, self.deadline_passed, self.started, self.film_over, self.undecided)

    @property
    def after_film(self) -> bool:
        """The night is over (the film has ended, the party was not cancelled): the
        party page looks back — "How was it?", who came, what was brought."""
        return self.film_over and not self.cancelled

    @property
    def rating_open(self) -> bool:
        """The crew may rate the film from the start of the party on."""
        return self.started

    def closed_reason(self, what: Closing, is_host: bool = False) -> str | None:
        """Why replies (or the sign-up list) are closed, or None while open. The host
        keeps the sign-up list in shape past the RSVP deadline, until the start."""
        if self.cancelled:
            moment = "cancelled"
        elif self.undecided:
            moment = "undecided"
        elif self.started:
            moment = "started"
        elif self.deadline_passed and not (what == "signups" and is_host):
            moment = "deadline"
        else:
            return None
        deadline = self.party.rsvp_deadline
        shown = local_time(deadline, self.party.timezone, "%a %-d %b, %H:%M %Z") if deadline is not None else ""
        return _CLOSED[what, moment].format(deadline=shown)


def party_phase(party: Schedule, now: datetime) -> PartyPhase:
    """Where `party` stands at `now`. An undecided party has not started, whatever
    its placeholder start says: it has no start yet."""
    decided = not party.undecided
    return PartyPhase(
        party=party,
        cancelled=party.is_cancelled,
        deadline_passed=decided and party.rsvp_deadline is not None and now >= party.rsvp_deadline,
        started=decided and now >= party.starts_at,
        film_over=decided and now >= party.ends_at,
        undecided=party.undecided,
    )


def morning_after(party: Schedule) -> datetime:
    """When the party's "How was it?" email is due (aware UTC): the first 09:00 in
    the party's time zone at least six hours after the film ends."""
    zone = ZoneInfo(party.timezone)
    earliest = (party.ends_at + MORNING_AFTER_GAP).astimezone(zone)
    due = datetime.combine(earliest.date(), MORNING_AFTER_AT, tzinfo=zone)
    if due < earliest:
        due = datetime.combine(earliest.date() + timedelta(days=1), MORNING_AFTER_AT, tzinfo=zone)
    return due.astimezone(UTC)
