"""Reviews: saving imported drafts, reading them for pages, and the spoiler guard."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from watchparty.errors import DomainError, NotAllowed
from watchparty.extensions import db
from watchparty.models import (
    Credit,
    Film,
    Party,
    PartyReview,
    Person,
    Review,
    ReviewSection,
    Rsvp,
    Trivia,
    User,
    utcnow,
)
from watchparty.models.review import VERDICT_SCALE, VERDICT_SCORES
from watchparty.reviews.importer import DraftReview, parse_article
from watchparty.reviews.rendering import excerpt, render_markdown, render_plain_text
from watchparty.templating import local_time

# Without a runtime, assume a long film: better to hold spoilers a little too long.
DEFAULT_RUNTIME = timedelta(hours=3)
EXCERPT_LENGTH = 300
MAX_ARTICLE_BYTES = 1024 * 1024
VERDICT_TEXT_MAX = 1000
VERDICT_TITLE = "Watch party verdict"
# How many of the crowd's short reviews the film page lists (newest first).
CROWD_REVIEWS_SHOWN = 20
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ArticleUnreadable(DomainError):
    status = 422
    field = "text"


@dataclass(frozen=True)
class SectionInput:
    heading: str
    body: str
    is_spoiler: bool


@dataclass(frozen=True)
class ReviewInput:
    """What the editor confirmed on the preview form."""

    title: str
    author: str
    source_name: str
    source_url: str
    published_on: date | None
    rating_value: float | None
    rating_scale: int | None
    sections: list[SectionInput]


# ------------------------------------------------------------------ importing


def decode_article(data: bytes) -> str:
    """Uploaded bytes as text: UTF-8 (with or without BOM), nothing else guessed."""
    if len(data) > MAX_ARTICLE_BYTES:
        raise ArticleUnreadable("The file is larger than 1 MB.")
    if b"\x00" in data:
        raise ArticleUnreadable("That file is not text. Upload a .txt or .md file.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ArticleUnreadable("That file is not UTF-8 text. Save it as UTF-8 and try again.") from None


def cast_names(film: Film) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Person.name)
            .join(Credit, Credit.person_id == Person.id)
            .where(Credit.film_id == film.id, Credit.role == "cast")
            .order_by(Credit.position)
        )
    )


def draft_from_text(film: Film, text: str) -> DraftReview:
    """Parse an article for this film: its cast names link to the film page."""
    from watchparty.films.service import cast_anchor

    if not text.strip():
        raise ArticleUnreadable("Paste the article's text or upload a file.")
    return parse_article(
        text,
        cast_names=cast_names(film),
        cast_anchor=lambda name: f"/films/{film.slug}#{cast_anchor(name)}",
    )


def review_input_from_draft(draft: DraftReview) -> ReviewInput:
    return ReviewInput(
        title=draft.title,
        author=draft.author or "",
        source_name=draft.source_name or "",
        source_url=draft.source_url or "",
        published_on=draft.published,
        rating_value=draft.rating_value,
        rating_scale=draft.rating_scale,
        sections=[SectionInput(s.heading or "", s.body, s.is_spoiler) for s in draft.sections],
    )


def spoiler_free_excerpt(sections: list[SectionInput] | list[ReviewSection], limit: int = EXCERPT_LENGTH) -> str:
    """The opening of the first section that is not a spoiler; spoiler text never leaks."""
    for section in sections:
        if not section.is_spoiler and section.body.strip():
            return excerpt(section.body, limit)
    return ""


def save_review(film: Film, data: ReviewInput, created_by: User | None, kind: str = "editorial") -> Review:
    """Store a review and its sections, each rendered and sanitised once, now."""
    sections = [s for s in data.sections if s.body.strip() or s.heading.strip()]
    if not sections:
        raise DomainError("A review needs at least one section with text.", field="sections")
    review = Review(
        film=film,
        kind=kind,
        title=data.title,
        author=data.author,
        source_name=data.source_name,
        source_url=data.source_url,
        published_on=data.published_on,
        rating_value=data.rating_value,
        rating_scale=data.rating_scale,
        excerpt=spoiler_free_excerpt(sections),
        created_by_id=created_by.id if created_by else None,
        sections=[
            ReviewSection(
                position=position,
                heading=section.heading,
                body=section.body,
                body_html=str(render_markdown(section.body)),
                is_spoiler=section.is_spoiler,
            )
            for position, section in enumerate(sections)
        ],
    )
    db.session.add(review)
    db.session.flush()
    return review


def import_article(film: Film, text: str, created_by: User | None = None) -> tuple[Review, DraftReview]:
    """Parse and save in one go (the CLI's path; the web form previews first)."""
    draft = draft_from_text(film, text)
    data = review_input_from_draft(draft)
    if not data.title:
        first_heading = next((s.heading for s in data.sections if s.heading), "")
        data = ReviewInput(**{**data.__dict__, "title": first_heading or f"A review of {film.title}"})
    return save_review(film, data, created_by), draft


# -------------------------------------------------------------------- reading


def reviews_for_film(film_id: int, kind: str = "editorial") -> list[Review]:
    """Reviews for lists and panels: no sections loaded, the excerpt is stored."""
    return list(
        db.session.scalars(
            sa.select(Review)
            .where(Review.film_id == film_id, Review.kind == kind)
            .order_by(Review.published_on.desc().nulls_last(), Review.created_at.desc(), Review.id.desc())
        )
    )


def review_for_page(film: Film, review_id: int) -> Review | None:
    """An editorial review of this film with its sections; verdicts have no page of their own."""
    return db.session.scalar(
        sa.select(Review)
        .where(Review.id == review_id, Review.film_id == film.id, Review.kind == "editorial")
        .options(selectinload(Review.sections))
    )


# ---------------------------------------------------------------- spoiler guard


def reveal_time(party) -> datetime:
    """When a party's film is over: its start plus the runtime (or 3 hours)."""
    runtime = party.film.runtime_minutes if party.film is not None else None
    return party.starts_at + (timedelta(minutes=runtime) if runtime else DEFAULT_RUNTIME)


def spoilers_open(party, reply=None, now: datetime | None = None) -> bool:
    """Whether a party page shows spoilers open: after the film, or for a guest
    who said they have seen it. (On a film page they are always closed.)"""
    if reply is not None and getattr(reply, "seen_it", False):
        return True
    if party is None:
        return False
    return (now or utcnow()) >= reveal_time(party)



# ---------------------------------------------------------------- the crew's verdict


class NotInTheCrew(NotAllowed):
    """Only the host and guests seated as going rate the film (403)."""


class VerdictNotOpen(DomainError):
    """Too early (before the start) or pointless (a cancelled party): 409."""

    status = 409


class InvalidVerdict(DomainError):
    status = 422
    field = "score"


@dataclass(frozen=True)
class VerdictInput:
    """What a rater sends: a whole score from 1 to 10, an optional short review."""

    score: int
    text: str = ""
    is_spoiler: bool = False


def _crew_refusal(party: Party, viewer) -> NotInTheCrew | None:
    """Why this viewer is not one of the raters of the party, or None if they are."""
    if viewer.is_host:
        return None
    rsvp = viewer.rsvp
    if rsvp is None:
        return NotInTheCrew("Only the host and guests who replied going can rate the film. Reply first.")
    if rsvp.response == "declined":
        return NotInTheCrew("You replied that you can't make it, so you can't rate the film for this party.")
    if rsvp.response == "maybe":
        return NotInTheCrew("Only guests who replied going can rate the film — your reply says maybe.")
    if rsvp.is_waitlisted:
        return NotInTheCrew("You were on the waitlist without a seat, so you can't rate the film for this party.")
    return None


def check_may_rate(party: Party, viewer, now: datetime) -> None:
    """Raise the reason this viewer may not rate the party's film at `now`;
    return quietly when they may (the host, or a guest seated as going, from
    the start of a party that is not cancelled)."""
    refusal = _crew_refusal(party, viewer)
    if refusal is not None:
        raise refusal
    if party.is_cancelled:
        raise VerdictNotOpen("The party was cancelled, so there is no film night to rate.")
    if now < party.starts_at:
        starts = local_time(party.starts_at, party.timezone, "%a %-d %b, %H:%M %Z")
        raise VerdictNotOpen(f"Rating opens when the party starts ({starts}).")


def _checked_verdict(verdict: VerdictInput) -> tuple[int, str]:
    """The score and the stripped text, or InvalidVerdict: the form checks too, this guards every other caller."""
    score = verdict.score
    if isinstance(score, bool) or not isinstance(score, int) or score not in VERDICT_SCORES:
        raise InvalidVerdict(f"Choose a score from 1 to {VERDICT_SCALE}.", field="score")
    text = (verdict.text or "").strip()
    if len(text) > VERDICT_TEXT_MAX:
        raise InvalidVerdict(f"Keep it short: at most {VERDICT_TEXT_MAX} characters.", field="text")
    if _CONTROL.search(text):
        raise InvalidVerdict("Remove control characters from your review.", field="text")
    return score, text


def _verdict_of(party: Party, rsvp_id: int | None) -> Review | None:
    """The verdict a rater already gave: a guest's by their reply, the host's by the party."""
    statement = (
        sa.select(Review)
        .where(Review.party_id == party.id, Review.kind == "guest")
        .options(selectinload(Review.sections))
        .execution_options(populate_existing=True)
    )
    if rsvp_id is None:
        statement = statement.where(Review.rsvp_id.is_(None), Review.created_by_id == party.host_id)
    else:
        statement = statement.where(Review.rsvp_id == rsvp_id)
    return db.session.scalar(statement)


def _fill_verdict(review: Review, party: Party, score: int, text: str, is_spoiler: bool) -> None:
    """Write the score and the short review (one plain-text section, or none) onto a verdict."""
    review.film_id = party.film_id
    review.rating_value = score
    review.rating_scale = VERDICT_SCALE
    if not text:
        review.sections.clear()
    else:
        if not review.sections:
            review.sections.append(ReviewSection(position=0, heading=""))
        section = review.sections[0]
        section.body = text
        section.body_html = str(render_plain_text(text))
        section.is_spoiler = is_spoiler
    review.excerpt = spoiler_free_excerpt(review.sections)


def rate_film(party: Party, viewer, verdict: VerdictInput, now: datetime | None = None) -> Review:
    """Give or change this viewer's verdict on the party's film: one per rater.

    Raises NotInTheCrew (403) unless the viewer is the host or a guest seated
    as going, VerdictNotOpen (409) before the start or for a cancelled party,
    InvalidVerdict (422) for a score outside 1 to 10 or a review that is too
    long. A second submit — even one racing this one — changes the single
    verdict instead of adding another: the unique constraints decide.
    """
    now = now or utcnow()
    check_may_rate(party, viewer, now)
    score, text = _checked_verdict(verdict)
    rsvp_id = None if viewer.is_host else viewer.rsvp.id
    review = _verdict_of(party, rsvp_id)
    if review is None:
        review = Review(
            film_id=party.film_id,
            kind="guest",
            title=VERDICT_TITLE,
            party_id=party.id,
            rsvp_id=rsvp_id,
            created_by_id=party.host_id if viewer.is_host else viewer.rsvp.user_id,
            created_at=now,
        )
        _fill_verdict(review, party, score, text, verdict.is_spoiler)
        try:
            with db.session.begin_nested():
                db.session.add(review)
        except IntegrityError:
            # The rater's other submit stored its verdict first: change that one.
            review = _verdict_of(party, rsvp_id)
            if review is None:
                raise VerdictNotOpen("Your rating crossed with another change. Please send it again.") from None
            _fill_verdict(review, party, score, text, verdict.is_spoiler)
    else:
        _fill_verdict(review, party, score, text, verdict.is_spoiler)
    db.session.flush()
    return review


# ---------------------------------------------------------------- alongside the party


@dataclass
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


@dataclass
class ChosenReview:
    """An editorial review in the "Before you watch" panel; the pinned one comes with its sections."""

    review: Review
    pinned: bool = False
    sections: list[ReviewSection] = field(default_factory=list)


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
    """What the party page shows about the film beyond its card: reviews, trivia, the crew's verdict."""

    reviews: list[ChosenReview]  # pinned first, then newest first
    trivia: list[Trivia]  # spoiler-free
    spoiler_trivia: list[Trivia]
    spoilers_open: bool
    seen_it: bool
    reveal_at: datetime
    critics: Score
    verdict: Score
    crew_reviews: list[CrewVerdict]  # the verdicts with a short review, newest first
    mine: CrewVerdict | None
    may_rate: bool  # the host, or a guest seated as going, of a party not cancelled
    rating_open: bool  # the party has started

    @property
    def pinned(self) -> ChosenReview | None:
        return self.reviews[0] if self.reviews and self.reviews[0].pinned else None


def _party_reviews_statement(party: Party) -> sa.Select:
    """Every review row the party page shows, in one statement: the film's
    editorial reviews the host did not hide (with the pinned one's sections)
    and this party's verdicts (with their short review and the guest's name).

    Rows come pinned first, then newest first, sections in order.
    """
    choice = PartyReview
    sections_wanted = sa.or_(Review.kind == "guest", choice.pinned.is_(True))
    return (
        sa.select(Review, choice.pinned, ReviewSection, Rsvp.name)
        .outerjoin(choice, sa.and_(choice.review_id == Review.id, choice.party_id == party.id))
        .outerjoin(ReviewSection, sa.and_(ReviewSection.review_id == Review.id, sections_wanted))
        .outerjoin(Rsvp, Rsvp.id == Review.rsvp_id)
        .where(
            Review.film_id == party.film_id,
            sa.or_(
                sa.and_(Review.kind == "editorial", choice.hidden.is_not(True)),
                sa.and_(Review.kind == "guest", Review.party_id == party.id),
            ),
        )
        .order_by(
            sa.func.coalesce(choice.pinned, False).desc(),
            Review.published_on.desc().nulls_last(),
            Review.created_at.desc(),
            Review.id.desc(),
            ReviewSection.position,
        )
    )


def _rater_name(party: Party, viewer, review: Review, guest_name: str | None, is_mine: bool) -> str:
    """Who gave a verdict, as this viewer may know it."""
    # Guests' names follow the guest-list setting: a rating must not reveal who came.
    if is_mine:
        return "You"
    if review.rsvp_id is None:
        return f"{party.host.display_name} (host)" if party.host is not None else "The host"
    if viewer.sees_guest_list and guest_name:
        return guest_name
    return "A guest"


def party_companion(party: Party, viewer, now: datetime | None = None) -> PartyCompanion:
    """The "Before you watch" panel and the crew's verdict for one viewer of a party page.

    Two queries whatever the number of reviews and ratings: the review rows
    (editorial and verdicts together), and the film with its trivia.
    """
    now = now or utcnow()
    chosen: dict[int, ChosenReview] = {}
    verdicts: dict[int, tuple[Review, ReviewSection | None, str | None]] = {}
    for review, pinned, section, guest_name in db.session.execute(_party_reviews_statement(party)):
        if review.kind == "editorial":
            item = chosen.setdefault(review.id, ChosenReview(review, pinned=bool(pinned)))
            if section is not None:
                item.sections.append(section)
        else:
            verdicts[review.id] = (review, section, guest_name)

    mine = None
    crew_reviews = []
    for review, section, guest_name in verdicts.values():
        is_mine = (viewer.is_host and review.rsvp_id is None) or (
            viewer.rsvp is not None and not viewer.is_host and review.rsvp_id == viewer.rsvp.id
        )
        crew = CrewVerdict(
            score=round(review.rating_value),
            name=_rater_name(party, viewer, review, guest_name, is_mine),
            text=section.body if section is not None else "",
            html=section.html if section is not None else Markup(""),
            is_spoiler=section.is_spoiler if section is not None else False,
            is_mine=is_mine,
        )
        if is_mine:
            mine = crew
        if crew.text:
            crew_reviews.append(crew)

    # The film and its trivia in one statement (a party page shows both).
    film = (
        db.session.execute(sa.select(Film).where(Film.id == party.film_id).options(joinedload(Film.trivia)))
        .unique()
        .scalar_one()
    )
    trivia = list(film.trivia)
    reviews = list(chosen.values())
    seen_it = viewer.rsvp is not None and viewer.rsvp.seen_it
    return PartyCompanion(
        reviews=reviews,
        trivia=[item for item in trivia if not item.is_spoiler],
        spoiler_trivia=[item for item in trivia if item.is_spoiler],
        spoilers_open=spoilers_open(party, viewer.rsvp, now),
        seen_it=seen_it,
        reveal_at=reveal_time(party),
        critics=Score.of([c.review.rating_out_of_ten for c in reviews if c.review.rating_out_of_ten is not None]),
        verdict=Score.of([review.rating_value for review, _, _ in verdicts.values()]),
        crew_reviews=crew_reviews,
        mine=mine,
        may_rate=_crew_refusal(party, viewer) is None and not party.is_cancelled,
        rating_open=now >= party.starts_at,
    )


# ---------------------------------------------------------------- the host's choice


class InvalidChoice(DomainError):
    status = 422
    field = "shown"


@dataclass
class ChoiceItem:
    review: Review
    shown: bool
    pinned: bool


@dataclass
class ReviewChoice:
    """The film's editorial reviews with the host's choice for this party, for the dashboard."""

    items: list[ChoiceItem]
    is_default: bool  # the host never chose: every review shown, newest first


def review_choice(party: Party) -> ReviewChoice:
    """Which reviews the host shows on the party page, in the order the page shows them."""
    rows = db.session.execute(
        sa.select(Review, PartyReview.hidden, PartyReview.pinned)
        .outerjoin(PartyReview, sa.and_(PartyReview.review_id == Review.id, PartyReview.party_id == party.id))
        .where(Review.film_id == party.film_id, Review.kind == "editorial")
        .order_by(
            sa.func.coalesce(PartyReview.pinned, False).desc(),
            Review.published_on.desc().nulls_last(),
            Review.created_at.desc(),
            Review.id.desc(),
        )
    )
    items = [ChoiceItem(review, shown=not hidden, pinned=bool(pinned)) for review, hidden, pinned in rows]
    return ReviewChoice(items=items, is_default=all(item.shown and not item.pinned for item in items))


def choose_reviews(party: Party, shown: list[int], pinned: int | None = None) -> None:
    """Save the host's choice: the reviews in `shown` appear, the rest are
    hidden; `pinned` (always shown) goes first. Ids must be this film's
    editorial reviews (InvalidChoice otherwise)."""
    # One choice at a time per party: a double submit waits for the first
    # instead of colliding with its rows. (SQLite's write lock does the same.)
    db.session.execute(sa.select(Party.id).where(Party.id == party.id).with_for_update())
    # Membership is checked in Python, so a huge or foreign id never reaches SQL.
    film_reviews = set(
        db.session.scalars(sa.select(Review.id).where(Review.film_id == party.film_id, Review.kind == "editorial"))
    )
    if any(review_id not in film_reviews for review_id in shown):
        raise InvalidChoice("Choose among this film's reviews.", field="shown")
    if pinned is not None and pinned not in film_reviews:
        raise InvalidChoice("Pin one of this film's reviews, or none.", field="pinned")
    visible = set(shown) | ({pinned} if pinned is not None else set())
    db.session.execute(sa.delete(PartyReview).where(PartyReview.party_id == party.id))
    for review_id in sorted(film_reviews):
        if review_id not in visible or review_id == pinned:
            db.session.add(
                PartyReview(
                    party_id=party.id, review_id=review_id, hidden=review_id not in visible, pinned=review_id == pinned
                )
            )
    try:
        db.session.flush()
    except IntegrityError:
        raise DomainError("The choice changed at the same moment elsewhere. Reload and try again.") from None


# ---------------------------------------------------------------- the crowd, on the film page

CHART_BAR_WIDTH = 18
CHART_GAP = 4
CHART_HEIGHT = 48


@dataclass
class ChartBar:
    """One score's bar in the film page's small chart (SVG units)."""

    score: int
    count: int
    x: int
    y: int
    height: int


@dataclass
class CrowdRating:
    """Every verdict on a film from every party: average, count, and how many gave each score."""

    count: int = 0
    average: float | None = None
    distribution: list[int] = field(default_factory=lambda: [0] * VERDICT_SCALE)  # index 0 is score 1

    @property
    def label(self) -> str:
        return f"{self.average:.1f}" if self.average is not None else ""

    @property
    def chart_width(self) -> int:
        return VERDICT_SCALE * (CHART_BAR_WIDTH + CHART_GAP) - CHART_GAP

    @property
    def bars(self) -> list[ChartBar]:
        tallest = max(self.distribution) or 1
        bars = []
        for index, count in enumerate(self.distribution):
            # A score nobody gave still shows a hairline, so the scale reads 1 to 10.
            height = max(1, round(count * CHART_HEIGHT / tallest))
            bars.append(ChartBar(index + 1, count, index * (CHART_BAR_WIDTH + CHART_GAP), CHART_HEIGHT - height, height))
        return bars


@dataclass
class CrowdReview:
    """A guest's short review on the film page: no name, no party (who came where stays private)."""

    score: int
    html: Markup
    is_spoiler: bool
    created_at: datetime


def crowd_verdicts(film_id: int, limit: int = CROWD_REVIEWS_SHOWN) -> tuple[CrowdRating, list[CrowdReview]]:
    """A film's crowd rating across all parties and its newest short reviews, in one query.

    Each row is a verdict — those with a short review first, newest first —
    and carries the totals over every verdict on the film: the database
    aggregates them (window functions, computed before the LIMIT), so the
    film page's query count does not grow with the number of ratings.
    """
    score = Review.rating_value
    rows = db.session.execute(
        sa.select(
            Review.rating_value,
            Review.created_at,
            ReviewSection,
            sa.func.count(Review.id).over(),
            sa.func.avg(score).over(),
            *(sa.func.sum(sa.case((score == value, 1), else_=0)).over() for value in VERDICT_SCORES),
        )
        # A verdict has at most one section (its short review), so joining keeps one row per verdict.
        .outerjoin(ReviewSection, ReviewSection.review_id == Review.id)
        .where(Review.film_id == film_id, Review.kind == "guest")
        .order_by(ReviewSection.id.is_(None), Review.created_at.desc(), Review.id.desc())
        .limit(limit)
    ).all()
    if not rows:
        return CrowdRating(), []
    _, _, _, count, average, *distribution = rows[0]
    crowd = CrowdRating(
        count=count, average=round(float(average), 1), distribution=[int(value or 0) for value in distribution]
    )
    reviews = [
        CrowdReview(round(value), section.html, section.is_spoiler, created_at)
        for value, created_at, section, *_ in rows
        if section is not None
    ]
    return crowd, reviews
