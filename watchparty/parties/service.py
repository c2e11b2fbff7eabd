"""Parties: hosting, editing and cancelling; the public face of the parties service.

Beside it: errors (the refusals), times (wall-clock times in the party's zone),
film_lookup (the film a host picked or typed), overview (the dashboard's guests,
the CSV export, a user's parties), again (host again), drafts."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from watchparty.errors import DomainError
from watchparty.extensions import db
from watchparty.films import matching
from watchparty.models import Film, Party, Rsvp, User, utcnow
from watchparty.models.party import DEFAULT_GUEST_LIST_VISIBLE, DEFAULT_PLUS_ONES, TITLE_MAX, new_token
from watchparty.notifications import service as notifications
from watchparty.parties.errors import FilmNotFound, InvalidParty, PartyCancelled
from watchparty.parties.film_lookup import TITLE_WITH_YEAR, close_films, film_label, find_film
from watchparty.parties.overview import (
    CSV_HEADER,
    GuestOverview,
    MyParties,
    PartyListing,
    dietary_summary,
    guest_overview,
    guests_csv,
    parties_for_user,
)
from watchparty.parties.times import to_local, to_utc
from watchparty.polls import service as polls
from watchparty.rsvp import seats
from watchparty.rsvp import service as rsvp_service
from watchparty.timezones import canonical_timezone

__all__ = [
    "CSV_HEADER", "MAX_DAYS_AHEAD", "UNDECIDED_TITLE", "FilmNotFound", "GuestOverview", "InvalidParty",
    "MyParties", "PartyCancelled", "PartyFields", "PartyListing", "cancel_parties_hosted_by", "cancel_party",
    "close_films", "create_party", "default_title", "dietary_summary", "film_for_party", "film_label",
    "find_film", "guest_overview", "guests_csv", "guests_with_email", "parties_for_user",
    "regenerate_share_link", "to_local", "to_utc", "update_party",
]

# The title of a party whose film is put to a vote and whose host gave none.
UNDECIDED_TITLE = "Film night"
# Parties further ahead than this are almost certainly a typo in the year.
MAX_DAYS_AHEAD = 3 * 366


@dataclass
class PartyFields:
    """What the party form collects, as plain values (local times are naive).

    Only the film and the start are needed: an empty title becomes "Anora night"
    (default_title), and the place may be left for later (the page then says so).
    """

    title: str
    film: str
    starts_at: datetime | None  # None when the date is left to a vote (`poll`)
    timezone: str
    area: str = ""
    address: str = ""
    online_url: str = ""
    screening_notes: str = ""
    capacity: int | None = None
    rsvp_deadline: datetime | None = None
    max_plus_ones: int = DEFAULT_PLUS_ONES
    description: str = ""
    guest_list_visible: bool = DEFAULT_GUEST_LIST_VISIBLE
    show_address_to_guests: bool = True
    # Given when the film is not in the catalogue yet: it is added with the
    # title as typed and this year, in the same transaction as the party.
    new_film_year: int | None = None
    # The film picked from a list (the picker's results or "Did you mean …?"): wins over the text.
    film_slug: str = ""
    # The host saw the close matches and still wants the title added as a new film.
    add_new_film: bool = False
    # "Not decided yet": candidate films and/or dates for the guests to vote on (watchparty.polls).
    poll: polls.PollFields | None = None


# ---------------------------------------------------------------- film


def film_for_party(fields: PartyFields, host: User | None) -> Film:
    """The film the host picked or typed, or, when it is missing and the host
    gave its year, the film added there and then (theirs to complete later; out of
    the public catalogue until it has a synopsis or an admin approves it).

    No duplicate is made: while close matches exist the host must first choose
    (`add_new_film`), and a film already there under the same title and year is
    taken instead of a copy. A year that breaks the catalogue's rules is refused
    beside the year field."""
    try:
        return find_film(fields.film, host, fields.film_slug)
    except FilmNotFound as missing:
        if fields.add_new_film and fields.new_film_year is None:
            raise InvalidParty("Give the year it came out to add it as a new film.", field="new_film_year") from None
        if fields.new_film_year is None or (missing.matches and not fields.add_new_film):
            raise
        from watchparty.films import service as films

        match = TITLE_WITH_YEAR.match(missing.text)
        title = match.group("title") if match else missing.text
        # Any film, even one another host added and the catalogue does not list yet: one film, one row.
        existing = matching.same_film(title, fields.new_film_year, sa.true())
        if existing is not None:
            return existing
        try:
            return films.create_film(
                films.FilmData(title=title, year=fields.new_film_year), created_by=host, added_for_party=True
            )
        except DomainError as error:
            field = "new_film_year" if error.field == "year" else "film"
            raise InvalidParty(error.message, field=field) from None


# ---------------------------------------------------------------- host actions


def _check_times(
    fields: PartyFields, now: datetime, *, previous: Party | None, candidates: list[datetime] | None = None
) -> tuple[datetime, datetime | None]:
    """The start and the RSVP deadline in UTC. With candidate dates (a date poll) the start
    is the latest of them (a placeholder nothing shows) and the deadline must precede them all."""
    if candidates:
        starts_at = max(candidates)
        deadline = None
        if fields.rsvp_deadline is not None:
            deadline = to_utc(fields.rsvp_deadline, fields.timezone, "rsvp_deadline")
            if deadline >= min(candidates) or deadline <= now:
                raise InvalidParty("With the date to be voted on, set the RSVP deadline after the vote.",
                                   field="rsvp_deadline")
        return starts_at, deadline
    if fields.starts_at is None:
        raise InvalidParty("Enter the date and time the film starts.", field="starts_at")
    starts_at = to_utc(fields.starts_at, fields.timezone, "starts_at")
    start_changed = previous is None or starts_at != previous.starts_at
    if start_changed and starts_at <= now:
        raise InvalidParty("Pick a start time in the future.", field="starts_at")
    if starts_at > now + timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidParty("Pick a date within the next three years.", field="starts_at")
    deadline = None
    if fields.rsvp_deadline is not None:
        deadline = to_utc(fields.rsvp_deadline, fields.timezone, "rsvp_deadline")
        if deadline >= starts_at:
            raise InvalidParty("The RSVP deadline must be before the party starts.", field="rsvp_deadline")
        deadline_changed = previous is None or deadline != previous.rsvp_deadline
        if deadline_changed and deadline <= now:
            raise InvalidParty("That deadline has already passed. Pick a later one.", field="rsvp_deadline")
    return starts_at, deadline


def default_title(film: Film) -> str:
    """The title of a party whose host gave none: "Anora night"."""
    suffix = " night"
    room = TITLE_MAX - len(suffix)
    title = film.title if len(film.title) <= room else film.title[: room - 1].rstrip() + "…"
    return title + suffix


def _apply(party: Party, fields: PartyFields, film: Film, starts_at: datetime, deadline: datetime | None) -> None:
    party.title = fields.title or default_title(film)
    party.film = film
    party.starts_at = starts_at
    party.timezone = canonical_timezone(fields.timezone) or fields.timezone  # to_utc refused any other
    party.area = fields.area
    party.address = fields.address
    party.online_url = fields.online_url
    party.screening_notes = fields.screening_notes
    party.capacity = fields.capacity
    party.rsvp_deadline = deadline
    party.max_plus_ones = fields.max_plus_ones
    party.description = fields.description
    party.guest_list_visible = fields.guest_list_visible
    party.show_address_to_guests = fields.show_address_to_guests


def create_party(host: User, fields: PartyFields, now: datetime | None = None) -> Party:
    """Create a party hosted by `host`; times arrive as local wall-clock in fields.timezone."""
    now = now or utcnow()
    if fields.poll is not None and fields.poll.wanted:
        return _create_undecided_party(host, fields, now)
    film = film_for_party(fields, host)
    starts_at, deadline = _check_times(fields, now, previous=None)
    party = Party(host=host)
    _apply(party, fields, film, starts_at, deadline)
    db.session.add(party)
    db.session.flush()
    return party


def _create_undecided_party(host: User, fields: PartyFields, now: datetime) -> Party:
    """A party whose film and/or date the guests vote on: every problem with the form is
    raised at once (the first, with the others attached), each beside its field."""
    poll_fields = fields.poll or polls.PollFields()
    problems: list[DomainError] = []
    if poll_fields.films and fields.film:
        problems.append(InvalidParty("Leave the film empty when your guests vote on it.", field="film"))
    if any(poll_fields.dates) and fields.starts_at is not None:
        problems.append(InvalidParty("Leave the start empty when your guests vote on the date.", field="starts_at"))
    if canonical_timezone(fields.timezone) is None:
        raise InvalidParty("Choose a time zone from the list.", field="timezone")
    fixed_start = None
    if not any(poll_fields.dates) and fields.starts_at is not None:
        try:
            fixed_start = to_utc(fields.starts_at, fields.timezone, "starts_at")
        except InvalidParty as error:
            problems.append(error)
    checked, poll_problems = polls.check_poll(
        poll_fields, canonical_timezone(fields.timezone) or fields.timezone, now,
        lambda text: find_film(text, host), fixed_start=fixed_start,
    )
    problems += poll_problems
    film: Film | None = checked.films[0] if checked.films else None
    starts_at = deadline = None
    if not problems:
        try:
            if film is None:
                film = film_for_party(fields, host)
            starts_at, deadline = _check_times(fields, now, previous=None, candidates=checked.dates)
        except DomainError as error:
            problems.insert(0, error)
    if problems:
        first = problems[0]
        first.others = tuple(problems[1:])
        raise first
    assert film is not None and starts_at is not None
    party = Party(host=host)
    _apply(party, fields, film, starts_at, deadline)
    if checked.films and not fields.title:
        party.title = UNDECIDED_TITLE  # not "<first candidate> night": the film is not decided
    db.session.add(party)
    db.session.flush()
    polls.open_poll(party, checked, now)
    return party


def update_party(party: Party, fields: PartyFields, now: datetime | None = None) -> list[Rsvp]:
    """Change a party's details; bumps the calendar SEQUENCE.

    A raised capacity seats whoever on the waitlist now fits (returned, and
    told); a lowered one moves nobody out. Guests are told of a new time or
    place, with the updated event.
    """
    now = now or utcnow()
    if party.is_cancelled:
        raise PartyCancelled("This party is cancelled; it can no longer be changed.")
    before = notifications.PartySnapshot.of(party)
    film = film_for_party(fields, party.host)
    starts_at, deadline = _check_times(fields, now, previous=party)
    _apply(party, fields, film, starts_at, deadline)
    # An SQL expression, not a Python sum: two edits at once both count.
    party.sequence = Party.sequence + 1
    db.session.flush()
    db.session.refresh(party, ["sequence"])
    seated = seats.seat_waitlisted(party)
    for rsvp in seated:
        rsvp_service.send_seated(rsvp)
    notifications.notify_party_changed(party, before)
    return seated


def cancel_party(party: Party, message: str = "") -> None:
    """Cancel a party: its page says so (with the host's message), replies close,
    and everyone who replied or was invited is told. Cancelling twice does nothing."""
    if party.is_cancelled:
        return
    _mark_cancelled(party, message)
    notifications.notify_party_cancelled(party)


def _mark_cancelled(party: Party, message: str) -> None:
    party.status = "cancelled"
    party.cancel_message = message
    party.sequence = Party.sequence + 1
    db.session.flush()


def guests_with_email(party: Party) -> int:
    """How many guests a new share link would email (regenerate_share_link)."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Rsvp).where(Rsvp.party_id == party.id, Rsvp.email.is_not(None))
    ) or 0


def regenerate_share_link(party: Party) -> int:
    """A new share token: the old link (and manage links built on it) stop working.
    Every guest with an email gets their new personal link; returns how many."""
    party.share_token = new_token()
    db.session.flush()
    guests = db.session.scalars(
        sa.select(Rsvp).where(Rsvp.party_id == party.id, Rsvp.email.is_not(None)).order_by(Rsvp.id)
    )
    return sum(rsvp_service.send_new_link(rsvp) for rsvp in guests)


def cancel_parties_hosted_by(user: User, now: datetime | None = None) -> None:
    """Before an account goes: its parties are kept for the guests, and cancelled;
    guests of the ones still to come are told, as when the host cancels one."""
    now = now or utcnow()
    parties = db.session.scalars(
        sa.select(Party).where(Party.host_id == user.id, Party.status == "scheduled").order_by(Party.id)
    )
    for party in parties:
        if party.starts_at > now:
            cancel_party(party, "The host closed their Watchparty account.")
        else:
            _mark_cancelled(party, "The host closed their Watchparty account.")


