"""Where a party stands at a moment: the one answer to every "has it … yet?".

Replies, the sign-up list, the spoiler guard, the rating form and the party
page's kept copies all change at the same few moments: the RSVP deadline, the
start, and the end of the film (`Party.ends_at`: the start plus the runtime, or
three hours). Each is decided here once; services, templates and the page
cache read a `PartyPhase` instead of comparing times themselves.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from watchparty.models import Party
from watchparty.templating import local_time

# What closes, in the words each place uses: replies, or the sign-up list.
Closing = Literal["replies", "signups"]

_CLOSED = {
    ("replies", "cancelled"): "The host cancelled this party, so replies are closed.",
    ("replies", "started"): "The party has started, so replies are closed.",
    ("replies", "deadline"): "Replies closed at the RSVP deadline ({deadline}).",
    ("signups", "cancelled"): "The party is cancelled, so the sign-up list is closed.",
    ("signups", "started"): "The party has started, so the sign-up list is closed.",
    ("signups", "deadline"): "Sign-ups closed with replies at the RSVP deadline ({deadline}).",
}


@dataclass(frozen=True)
class PartyPhase:
    """A party at one moment. `moments` is everything here that changes with time,
    so two views whose phases have equal moments show the same."""

    party: Party
    cancelled: bool
    deadline_passed: bool
    started: bool
    film_over: bool  # the film has ended: spoilers open on the party page

    @property
    def moments(self) -> tuple[bool, bool, bool, bool]:
        return (self.cancelled, self.deadline_passed, self.started, self.film_over)

    @property
    def rating_open(self) -> bool:
        """The crew may rate the film from the start of the party on."""
        return self.started

    def closed_reason(self, what: Closing, is_host: bool = False) -> str | None:
        """Why replies (or the sign-up list) are closed, or None while open. The host
        keeps the sign-up list in shape past the RSVP deadline, until the start."""
        if self.cancelled:
            moment = "cancelled"
        elif self.started:
            moment = "started"
        elif self.deadline_passed and not (what == "signups" and is_host):
            moment = "deadline"
        else:
            return None
        deadline = self.party.rsvp_deadline
        shown = local_time(deadline, self.party.timezone, "%a %-d %b, %H:%M %Z") if deadline is not None else ""
        return _CLOSED[what, moment].format(deadline=shown)


def party_phase(party: Party, now: datetime) -> PartyPhase:
    """Where `party` stands at `now`."""
    return PartyPhase(
        party=party,
        cancelled=party.is_cancelled,
        deadline_passed=party.rsvp_deadline is not None and now >= party.rsvp_deadline,
        started=now >= party.starts_at,
        film_over=now >= party.ends_at,
    )
