"""What the host's dashboard and the home page read: the guests by status, their
dietary notes, the guest list as CSV, and a user's parties."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from watchparty.extensions import db
from watchparty.models import Party, Rsvp, User, utcnow
from watchparty.parties.times import to_local
from watchparty.polls import service as polls
from watchparty.spreadsheet import csv_document


@dataclass
class GuestOverview:
    going: list[Rsvp] = field(default_factory=list)
    maybe: list[Rsvp] = field(default_factory=list)
    declined: list[Rsvp] = field(default_factory=list)
    waitlisted: list[Rsvp] = field(default_factory=list)
    seats_taken: int = 0
    capacity: int | None = None
    dietary: list[tuple[str, int, list[str]]] = field(default_factory=list)

    @property
    def over_capacity(self) -> bool:
        return self.capacity is not None and self.seats_taken > self.capacity

    @property
    def waitlisted_seats(self) -> int:
        return sum(1 + rsvp.plus_ones for rsvp in self.waitlisted)


def guest_overview(party: Party) -> GuestOverview:
    """Everything the host's dashboard shows about the guests, in one query."""
    rsvps = db.session.scalars(
        sa.select(Rsvp).where(Rsvp.party_id == party.id).order_by(Rsvp.created_at, Rsvp.id)
    ).all()
    overview = GuestOverview(seats_taken=party.seats_taken, capacity=party.capacity)
    for rsvp in rsvps:
        if rsvp.is_waitlisted:
            overview.waitlisted.append(rsvp)
        else:
            getattr(overview, rsvp.response).append(rsvp)
    overview.waitlisted.sort(key=lambda rsvp: (rsvp.queued_at, rsvp.id))
    overview.dietary = dietary_summary(overview.going + overview.maybe)
    return overview


def dietary_summary(rsvps: list[Rsvp]) -> list[tuple[str, int, list[str]]]:
    """Dietary notes grouped case-insensitively: (note, how many, who), most common first."""
    names: dict[str, list[str]] = {}
    shown: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for rsvp in rsvps:
        note = " ".join(rsvp.dietary.split())
        if not note:
            continue
        key = note.casefold()
        shown.setdefault(key, note)
        names.setdefault(key, []).append(rsvp.name)
        counts[key] += 1
    return [(shown[key], count, names[key]) for key, count in counts.most_common()]


CSV_HEADER = ("Name", "Email", "Response", "Waitlist", "Plus-ones", "Seen it", "Dietary", "Note", "Replied at")


def guests_csv(party: Party) -> bytes:
    """The guest list as UTF-8 CSV with a BOM (so Excel reads accents right)."""
    overview = guest_overview(party)
    places = {rsvp.id: place for place, rsvp in enumerate(overview.waitlisted, start=1)}
    rows = [
        (
            rsvp.name,
            rsvp.email or "",
            rsvp.response,
            f"#{places[rsvp.id]}" if rsvp.id in places else "",
            rsvp.plus_ones,
            "yes" if rsvp.seen_it else "no",
            rsvp.dietary,
            rsvp.note,
            to_local(rsvp.created_at, party.timezone).strftime("%Y-%m-%d %H:%M"),
        )
        for rsvp in overview.going + overview.waitlisted + overview.maybe + overview.declined
    ]
    # A party decided (or being decided) by a vote: the votes follow, after a blank row.
    return csv_document([CSV_HEADER, *rows, *polls.vote_rows(party)])


# ---------------------------------------------------------------- home page


@dataclass
class PartyListing:
    party: Party
    hosting: bool
    rsvp: Rsvp | None = None


@dataclass
class MyParties:
    upcoming_hosting: list[PartyListing] = field(default_factory=list)
    upcoming_attending: list[PartyListing] = field(default_factory=list)
    past: list[PartyListing] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.upcoming_hosting or self.upcoming_attending or self.past)


def parties_for_user(user: User, now: datetime | None = None, past_limit: int = 20) -> MyParties:
    """A user's parties for the home page: upcoming hosted, upcoming attended, then past ones."""
    now = now or utcnow()
    hosted = db.session.scalars(
        sa.select(Party).options(joinedload(Party.film)).where(Party.host_id == user.id)
    ).all()
    replies = db.session.scalars(
        sa.select(Rsvp)
        .options(joinedload(Rsvp.party).joinedload(Party.film))
        .where(Rsvp.user_id == user.id, Rsvp.response != "declined")
    ).all()
    result = MyParties()
    past: list[PartyListing] = []
    for party in hosted:
        listing = PartyListing(party, hosting=True)
        (result.upcoming_hosting if party.ends_at > now else past).append(listing)
    hosted_ids = {party.id for party in hosted}
    for rsvp in replies:
        if rsvp.party_id in hosted_ids:
            continue
        listing = PartyListing(rsvp.party, hosting=False, rsvp=rsvp)
        (result.upcoming_attending if rsvp.party.ends_at > now else past).append(listing)
    result.upcoming_hosting.sort(key=lambda listing: listing.party.starts_at)
    result.upcoming_attending.sort(key=lambda listing: listing.party.starts_at)
    past.sort(key=lambda listing: listing.party.starts_at, reverse=True)
    result.past = past[:past_limit]
    return result
