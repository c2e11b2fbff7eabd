"""Reviews: saving imported drafts, reading them for pages, and the spoiler guard."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from watchparty.cache import page_rows
from watchparty.errors import DomainError, NotAllowed
from watchparty.extensions import db
from watchparty.films.naming import cast_anchor
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
from watchparty.party_clock import party_phase
from watchparty.reviews.importer import DraftReview, excerpt_source, parse_article
from watchparty.reviews.rendering import excerpt, render_markdown, render_plain_text
from watchparty.reviews.spoilers import FilmKnowledge
from watchparty.templating import local_time

EXCERPT_LENGTH = 300
# No review runs to this many lines; past it the text is a dump, not an article.
MAX_ARTICLE_LINES = 20_000
# One article, as pasted, uploaded or saved: a long feature runs to about 30,000
# characters (the seed articles are 6 and 16 kB), so 200,000 fits any real one and
# bounds what one request may make the parser and the renderer chew through.
ARTICLE_MAX_CHARS = 200_000
ARTICLE_TOO_LONG = (
    f"An article can be at most {ARTICLE_MAX_CHARS:,} characters (about 200 kB of text; "
    "a long feature is about 30,000). Shorten it, or save it as two reviews."
)
# An upload larger than this cannot decode to ARTICLE_MAX_CHARS characters (UTF-8: ≤ 4 bytes each).
MAX_ARTICLE_BYTES = 4 * ARTICLE_MAX_CHARS
MAX_SECTIONS = 200
VERDICT_TEXT_MAX = 1000
VERDICT_TITLE = "Watch party verdict"
# How many of the crowd's short reviews the film page lists (newest first).
CROWD_REVIEWS_SHOWN = 20
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Tables for the statements the pages run, built once at import.
_review = Review.__table__
_section = ReviewSection.__table__
_choice = PartyReview.__table__
_rsvp = Rsvp.__table__
_trivia = Trivia.__table__


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
        raise ArticleUnreadable(ARTICLE_TOO_LONG)
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


def film_knowledge(film: Film) -> FilmKnowledge:
    """What the film record says about its story, for folding the sections that spoil it:
    the spoiler notes, the cast's characters and the spoiler trivia (reads only)."""
    characters = db.session.scalars(
        sa.select(Credit.character).where(Credit.film_id == film.id, Credit.role == "cast", Credit.character != "")
    )
    trivia = db.session.scalars(sa.select(Trivia.text).where(Trivia.film_id == film.id, Trivia.is_spoiler))
    return FilmKnowledge(
        title=film.title,
        synopsis=film.synopsis or "",
        ending=film.spoiler_ending or "",
        turns=[line.strip() for line in (film.spoiler_turns or "").splitlines() if line.strip()],
        characters=list(characters),
        spoiler_trivia=list(trivia),
    )


@dataclass(frozen=True)
class ArticleContext:
    """What parsing an article needs from the database, as plain values (see draft_from_text)."""

    film_slug: str
    cast_names: tuple[str, ...]
    knowledge: FilmKnowledge


def article_context(film: Film) -> ArticleContext:
    return ArticleContext(film.slug, tuple(cast_names(film)), film_knowledge(film))


def draft_from_text(film: Film | ArticleContext, text: str) -> DraftReview:
    """Parse an article for this film: its cast names link to the film page, and
    sections that describe its ending or key turns (per its spoiler notes) are folded.

    Given an ArticleContext, it reads nothing from the database: a view can
    end its transaction first, so the parse holds no lock (see views.end_reads)."""

    if len(text) > ARTICLE_MAX_CHARS:
        raise ArticleUnreadable(ARTICLE_TOO_LONG)
    if not text.strip():
        raise ArticleUnreadable("Paste the article's text or upload a file.")
    if text.count("\n") >= MAX_ARTICLE_LINES:
        raise ArticleUnreadable(
            f"The text has more than {MAX_ARTICLE_LINES:,} lines; an article is far shorter. Paste the review itself."
        )
    context = film if isinstance(film, ArticleContext) else article_context(film)
    draft = parse_article(
        text,
        cast_names=list(context.cast_names),
        cast_anchor=lambda name: f"/films/{context.film_slug}#{cast_anchor(name)}",
        film=context.knowledge,
    )
    # The preview form holds at most MAX_SECTIONS; more was a 500 before the editor saw anything.
    if len(draft.sections) > MAX_SECTIONS:
        raise ArticleUnreadable(
            f"This article splits into {len(draft.sections)} sections; a review holds at most {MAX_SECTIONS}. "
            "Join some of its headings and paste it again."
        )
    return draft


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
    """The opening prose of the sections that are not spoilers, as plain text.

    Never text from a folded section, a list (an info box) or a "spoilers
    ahead" line; with nothing safe, no excerpt ("")."""
    return excerpt(excerpt_source(sections, limit), limit)


def article_length(sections: list[SectionInput]) -> int:
    """What counts towards ARTICLE_MAX_CHARS: every heading and body."""
    return sum(len(section.heading) + len(section.body) for section in sections)


@dataclass(frozen=True)
class RenderedReview:
    """A review ready to store: its sections with text, each rendered and sanitised, and its excerpt."""

    data: ReviewInput
    sections: list[tuple[SectionInput, str]]
    excerpt: str


def render_review(data: ReviewInput) -> RenderedReview:
    """The heavy half of saving a review (Markdown rendered and sanitised), reading
    and writing nothing: a view runs it before its write transaction (views.end_reads)."""
    sections = [s for s in data.sections if s.body.strip() or s.heading.strip()]
    if not sections:
        raise DomainError("A review needs at least one section with text.", field="sections")
    if article_length(sections) > ARTICLE_MAX_CHARS:
        raise DomainError(ARTICLE_TOO_LONG, field="sections")
    return RenderedReview(
        data, [(section, str(render_markdown(section.body))) for section in sections], spoiler_free_excerpt(sections)
    )


def save_review(
    film: Film, data: ReviewInput | RenderedReview, created_by: User | None, kind: str = "editorial"
) -> Review:
    """Store a review and its sections, each rendered and sanitised once (by render_review)."""
    rendered = data if isinstance(data, RenderedReview) else render_review(data)
    data = rendered.data
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
        excerpt=rendered.excerpt,
        created_by_id=created_by.id if created_by else None,
        sections=[
            ReviewSection(
                position=position,
                heading=section.heading,
                body=section.body,
                body_html=body_html,
                is_spoiler=section.is_spoiler,
            )
            for position, (section, body_html) in enumerate(rendered.sections)
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


_EDITORIAL_REVIEWS = (
    sa.select(
        _review.c.id, _review.c.title, _review.c.author, _review.c.source_name,
        _review.c.rating_value, _review.c.rating_scale, _review.c.excerpt,
    )
    .where(_review.c.film_id == sa.bindparam("film_id"), _review.c.kind == "editorial")
    .order_by(_review.c.published_on.desc().nulls_last(), _review.c.created_at.desc(), _review.c.id.desc())
)


def editorial_review_rows(film_id: int) -> tuple[sa.Row, ...]:
    """A film's editorial reviews for lists and panels, newest first: what a card
    shows (the excerpt is stored), no sections."""
    return tuple(db.session.execute(_EDITORIAL_REVIEWS, {"film_id": film_id}).all())


def review_for_page(film: Film, review_id: int) -> Review | None:
    """An editorial review of this film with its sections; verdicts have no page of their own."""
    return db.session.scalar(
        sa.select(Review)
        .where(Review.id == review_id, Review.film_id == film.id, Review.kind == "editorial")
        .options(selectinload(Review.sections))
    )


# ---------------------------------------------------------------- spoiler guard


def spoilers_open(party, reply=None, now: datetime | None = None) -> bool:
    """Whether a party page shows spoilers open: after the film, or for a guest
    who said they have seen it. (On a film page they are always closed.)"""
    if reply is not None and getattr(reply, "seen_it", False):
        return True
    if party is None:
        return False
    return party_phase(party, now or utcnow()).film_over



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
        may_rate=_crew_refusal(party, viewer) is None and not party.is_cancelled,
        rating_open=party_phase(party, now).rating_open,
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


def _crowd_statement(limit: int) -> sa.Select:
    """The statement behind `crowd_verdict_rows` (built once for the film page's limit)."""
    score = _review.c.rating_value
    return (
        sa.select(
            score,
            _review.c.created_at,
            _section.c.id.label("section_id"),
            _section.c.body_html,
            _section.c.is_spoiler,
            sa.func.count(_review.c.id).over(),
            sa.func.avg(score).over(),
            *(sa.func.sum(sa.case((score == value, 1), else_=0)).over() for value in VERDICT_SCORES),
        )
        # A verdict has at most one section (its short review), so joining keeps one row per verdict.
        .outerjoin(_section, _section.c.review_id == _review.c.id)
        .where(_review.c.film_id == sa.bindparam("film_id"), _review.c.kind == "guest")
        .order_by(_section.c.id.is_(None), _review.c.created_at.desc(), _review.c.id.desc())
        .limit(limit)
    )


_CROWD = _crowd_statement(CROWD_REVIEWS_SHOWN)


def crowd_verdict_rows(film_id: int, limit: int = CROWD_REVIEWS_SHOWN) -> tuple[sa.Row, ...]:
    """A film's verdicts from every party, in one query: those with a short review
    first, newest first, each row carrying the totals over every verdict on the
    film. The database aggregates them (window functions, computed before the
    LIMIT), so the film page's query count does not grow with the number of ratings."""
    statement = _CROWD if limit == CROWD_REVIEWS_SHOWN else _crowd_statement(limit)
    return tuple(db.session.execute(statement, {"film_id": film_id}).all())


def crowd_from_rows(rows: tuple[sa.Row, ...]) -> tuple[CrowdRating, list[CrowdReview]]:
    """The crowd rating and the newest short reviews, from `crowd_verdict_rows`."""
    if not rows:
        return CrowdRating(), []
    _, _, _, _, _, count, average, *distribution = rows[0]
    crowd = CrowdRating(
        count=count, average=round(float(average), 1), distribution=[int(value or 0) for value in distribution]
    )
    reviews = [
        CrowdReview(round(row.rating_value), Markup(row.body_html), row.is_spoiler, row.created_at)  # noqa: S704
        for row in rows
        if row.section_id is not None
    ]
    return crowd, reviews

