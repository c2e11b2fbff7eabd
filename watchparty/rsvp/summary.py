"""What the party page shows of the replies (counts, and the guest list for a
viewer who may see it) and of the film (its card), each in one query, read
through watchparty.cache.page_rows."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import sqlalchemy as sa

from watchparty.cache import page_rows
from watchparty.models import Credit, Party, Person, Rsvp
from watchparty.rsvp.service import Viewer

if TYPE_CHECKING:
    from watchparty.reviews.companion import Score

class GuestName(Protocol):
    """One line of the guest list (a result row)."""

    name: str
    plus_ones: int
    response: str

    def __iter__(self) -> Iterator[object]: ...  # a row's values: the page cache keys on them


@dataclass
class PartySummary:
    going_replies: int = 0
    seats_taken: int = 0
    seats_left: int | None = None
    maybe: int = 0
    waitlisted: int = 0
    guests: Sequence[GuestName] = ()


_rsvp = Rsvp.__table__
_REPLY_COUNTS = (
    sa.select(_rsvp.c.response, _rsvp.c.state, sa.func.count())
    .where(_rsvp.c.party_id == sa.bindparam("party_id"))
    .group_by(_rsvp.c.response, _rsvp.c.state)
)
_GUEST_NAMES = (
    sa.select(_rsvp.c.name, _rsvp.c.plus_ones, _rsvp.c.response)
    .where(
        _rsvp.c.party_id == sa.bindparam("party_id"),
        _rsvp.c.state == "confirmed",
        _rsvp.c.response != "declined",
    )
    .order_by(_rsvp.c.response, _rsvp.c.created_at, _rsvp.c.id)
)


def party_summary(party: Party, viewer: Viewer) -> PartySummary:
    """Counts (aggregated by the database) and the guest list (names only, when this viewer may see it);
    rows read through watchparty.cache.page_rows."""
    summary = PartySummary(seats_taken=party.seats_taken)
    if party.capacity is not None:
        summary.seats_left = max(0, party.capacity - party.seats_taken)
    for response, state, count in page_rows(_REPLY_COUNTS, {"party_id": party.id}):
        if state == "waitlisted":
            summary.waitlisted += count
        elif response == "going":
            summary.going_replies += count
        elif response == "maybe":
            summary.maybe += count
    if viewer.sees_guest_list:
        # The rows themselves: a few hundred objects made per view would cost more than the query.
        summary.guests = page_rows(_GUEST_NAMES, {"party_id": party.id})
    return summary


@dataclass(frozen=True)
class FilmCard:
    """Everything the party page's film card shows — and so the key its HTML is cached under
    (watchparty.cache): the card is rendered from this and nothing else."""

    share_token: str
    slug: str
    title: str
    year: int
    runtime_minutes: int | None
    poster_filename: str | None
    directors: tuple[str, ...]
    cast: tuple[tuple[str, str], ...]  # the top-billed: (name, character)
    critics: "Score"  # the editorial reviews the party shows
    verdict: "Score"  # the crew's verdicts


_credit = Credit.__table__
_person = Person.__table__
_CARD_CREDITS = (
    sa.select(_credit.c.role, _credit.c.character, _person.c.name)
    .join(_person, _credit.c.person_id == _person.c.id)
    .where(_credit.c.film_id == sa.bindparam("film_id"), _credit.c.role.in_(("director", "cast")))
    .order_by(_credit.c.position, _credit.c.id)
)


def film_card(party: Party, critics, verdict, cast_size: int = 4) -> FilmCard:
    """The party's film as its card shows it: credits in one query; the scores come from the reviews panel."""
    film = party.film
    directors: list[str] = []
    cast: list[tuple[str, str]] = []
    for role, character, name in page_rows(_CARD_CREDITS, {"film_id": film.id}):
        if role == "director":
            directors.append(name)
        elif len(cast) < cast_size:
            cast.append((name, character))
    return FilmCard(
        share_token=party.share_token,
        slug=film.slug,
        title=film.title,
        year=film.year,
        runtime_minutes=film.runtime_minutes,
        poster_filename=film.poster_filename,
        directors=tuple(directors),
        cast=tuple(cast),
        critics=critics,
        verdict=verdict,
    )


