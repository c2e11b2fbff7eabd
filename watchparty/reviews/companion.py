"""What the party page shows of the reviews: the "Before you watch" panel (the
host's chosen reviews, spoilers folded until the film is over), the film's
trivia, the critics' and the crew's scores, and the viewer's own verdict."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa
from markupsafe import Markup

from watchparty.cache import page_rows
from watchparty.models import Party, PartyReview, Review, ReviewSection, Rsvp, Trivia, utcnow
from watchparty.party_clock import party_phase
from watchparty.reviews.service import spoilers_open
from watchparty.reviews.verdicts import crew_refusal

_review = Review.__table__
_section = ReviewSection.__table__
_choice = PartyReview.__table__
_rsvp = Rsvp.__table__
_trivia = Trivia.__table__

@dataclass(frozen=True)
class Score:
    """An average out of 10 and how many ratings make it."""

    average: float | None = None
    count: int = 0

    @property
    def label(self) -> str:
        return f"{self.average:.1f}" if self.average is not None else ""

    @classmethod
    def of(cls, values: list[float]) -> "Score":
        if not values:
            return cls()
        return cls(average=round(sum(values) / len(values), 1), count=len(values))


@dataclass(frozen=True)
class PanelSection:
    """A section of the host's pinned review, as the panel shows it."""

    heading: str
    body_html: str
    is_spoiler: bool

    @property
    def html(self) -> Markup:
        """The body as sanitised HTML: rendered and cleaned when the review was saved."""
        return Markup(self.body_html)  # noqa: S704 - sanitised with nh3 in reviews.rendering


@dataclass(frozen=True)
class PanelReview:
    """An editorial review in the "Before you watch" panel; the pinned one comes with its sections."""

    id: int
    title: str
    author: str
    source_name: str
    rating_value: float | None
    rating_scale: int | None
    excerpt: str
    pinned: bool = False
    sections: tuple[PanelSection, ...] = ()

    @property
    def rating_out_of_ten(self) -> float | None:
        if self.rating_value is None or not self.rating_scale:
            return None
        return round(self.rating_value * 10 / self.rating_scale, 1)


class TriviaLine(Protocol):
    """One trivia row: its text and whether it gives the ending away."""

    text: str
    is_spoiler: bool


@dataclass(frozen=True)
class ReviewsPanel:
    """The part of "Before you watch" that every viewer who sees spoilers the same way sees
    alike: the host's pick, the other reviews, the trivia.

    Everything it shows is in its fields, read for this request, so it is also
    the key its HTML is cached under (watchparty.cache).
    """

    share_token: str  # the review links keep the reader on the party's spoiler rule
    film_slug: str
    film_title: str
    spoilers_open: bool
    reviews: tuple[PanelReview, ...]  # pinned first, then newest first
    trivia: tuple[TriviaLine, ...]

    @property
    def pinned(self) -> PanelReview | None:
        return self.reviews[0] if self.reviews and self.reviews[0].pinned else None

    @property
    def others(self) -> tuple[PanelReview, ...]:
        return self.reviews[1:] if self.pinned else self.reviews

    @property
    def plain_trivia(self) -> list[TriviaLine]:
        return [item for item in self.trivia if not item.is_spoiler]

    @property
    def spoiler_trivia(self) -> list[TriviaLine]:
        return [item for item in self.trivia if item.is_spoiler]


@dataclass
class CrewVerdict:
    """One rater's verdict as the party page shows it."""

    score: int
    name: str
    text: str
    html: Markup
    is_spoiler: bool
    is_mine: bool


@dataclass
class PartyCompanion:
    """What the party page shows about the film beyond its card, for one viewer:
    the shared reviews panel, and the crew's verdict as this viewer sees it."""

    panel: ReviewsPanel
    spoilers_open: bool
    seen_it: bool
    reveal_at: datetime
    critics: Score
    verdict: Score
    crew_reviews: list[CrewVerdict]  # the verdicts with a short review, newest first
    mine: CrewVerdict | None
    may_rate: bool  # the host, or a guest seated as going, of a party not cancelled
    rating_open: bool  # the party has started


# Every review row the party page shows, in one statement (built once): the
# film's editorial reviews the host did not hide (with the pinned one's
# sections) and this party's verdicts (with their short review and the
# guest's name). Rows come pinned first, then newest first, sections in order.
_PARTY_REVIEWS = (
    sa.select(
        _review.c.id,
        _review.c.kind,
        _review.c.title,
        _review.c.author,
        _review.c.source_name,
        _review.c.rating_value,
        _review.c.rating_scale,
        _review.c.excerpt,
        _review.c.rsvp_id,
        _choice.c.pinned,
        _section.c.id.label("section_id"),
        _section.c.heading,
        _section.c.body_html,
        _section.c.is_spoiler,
        # A verdict's short review as its rater typed it (their form shows it again).
        sa.case((_review.c.kind == "guest", _section.c.body)).label("text"),
        _rsvp.c.name.label("guest_name"),
    )
    .outerjoin(_choice, sa.and_(_choice.c.review_id == _review.c.id, _choice.c.party_id == sa.bindparam("party_id")))
    .outerjoin(
        _section,
        sa.and_(_section.c.review_id == _review.c.id, sa.or_(_review.c.kind == "guest", _choice.c.pinned.is_(True))),
    )
    .outerjoin(_rsvp, _rsvp.c.id == _review.c.rsvp_id)
    .where(
        _review.c.film_id == sa.bindparam("film_id"),
        sa.or_(
            sa.and_(_review.c.kind == "editorial", _choice.c.hidden.is_not(True)),
            sa.and_(_review.c.kind == "guest", _review.c.party_id == sa.bindparam("party_id")),
        ),
    )
    .order_by(
        sa.func.coalesce(_choice.c.pinned, False).desc(),
        _review.c.published_on.desc().nulls_last(),
        _review.c.created_at.desc(),
        _review.c.id.desc(),
        _section.c.position,
    )
)
_FILM_TRIVIA = (
    sa.select(_trivia.c.text, _trivia.c.is_spoiler)
    .where(_trivia.c.film_id == sa.bindparam("film_id"))
    .order_by(_trivia.c.position, _trivia.c.id)
)


def _rater_name(party: Party, viewer, rsvp_id: int | None, guest_name: str | None, is_mine: bool) -> str:
    """Who gave a verdict, as this viewer may know it."""
    # Guests' names follow the guest-list setting: a rating must not reveal who came.
    if is_mine:
        return "You"
    if rsvp_id is None:
        return f"{party.host.display_name} (host)" if party.host is not None else "The host"
    if viewer.sees_guest_list and guest_name:
        return guest_name
    return "A guest"


def party_companion(party: Party, viewer, now: datetime | None = None) -> PartyCompanion:
    """The "Before you watch" panel and the crew's verdict for one viewer of a party page.

    Two queries whatever the number of reviews and ratings: the review rows
    (editorial and verdicts together), and the film's trivia, read through
    watchparty.cache.page_rows.
    """
    now = now or utcnow()
    editorial: dict[int, tuple[sa.Row, list[PanelSection]]] = {}
    verdicts = []
    for row in page_rows(_PARTY_REVIEWS, {"party_id": party.id, "film_id": party.film_id}):
        if row.kind != "editorial":
            verdicts.append(row)  # one row per verdict: it has at most one section
            continue
        entry = editorial.get(row.id)
        if entry is None:
            entry = editorial[row.id] = (row, [])
        if row.section_id is not None:
            entry[1].append(PanelSection(row.heading, row.body_html, row.is_spoiler))
    reviews = tuple(
        PanelReview(
            id=row.id, title=row.title, author=row.author, source_name=row.source_name,
            rating_value=row.rating_value, rating_scale=row.rating_scale, excerpt=row.excerpt,
            pinned=bool(row.pinned), sections=tuple(sections),
        )
        for row, sections in editorial.values()
    )

    mine = None
    crew_reviews = []
    my_rsvp_id = viewer.rsvp.id if viewer.rsvp is not None and not viewer.is_host else None
    for row in verdicts:
        is_mine = (viewer.is_host and row.rsvp_id is None) or (my_rsvp_id is not None and row.rsvp_id == my_rsvp_id)
        has_text = row.section_id is not None
        crew = CrewVerdict(
            score=round(row.rating_value),
            name=_rater_name(party, viewer, row.rsvp_id, row.guest_name, is_mine),
            text=row.text if has_text else "",
            html=Markup(row.body_html) if has_text else Markup(""),  # noqa: S704 - sanitised when saved
            is_spoiler=row.is_spoiler if has_text else False,
            is_mine=is_mine,
        )
        if is_mine:
            mine = crew
        if crew.text:
            crew_reviews.append(crew)

    opened = spoilers_open(party, viewer.rsvp, now)
    film = party.film
    panel = ReviewsPanel(
        share_token=party.share_token,
        film_slug=film.slug,
        film_title=film.title,
        spoilers_open=opened,
        reviews=reviews,
        trivia=tuple(page_rows(_FILM_TRIVIA, {"film_id": party.film_id})),
    )
    return PartyCompanion(
        panel=panel,
        spoilers_open=opened,
        seen_it=viewer.rsvp is not None and viewer.rsvp.seen_it,
        reveal_at=party.ends_at,
        critics=Score.of([review.rating_out_of_ten for review in reviews if review.rating_out_of_ten is not None]),
        verdict=Score.of([row.rating_value for row in verdicts]),
        crew_reviews=crew_reviews,
        mine=mine,
        may_rate=crew_refusal(party, viewer) is None and not party.is_cancelled,
        rating_open=party_phase(party, now).rating_open,
    )


