"""Reviews: importing articles into drafts and saving them, reading them for
pages, the spoiler guard, and the host's choice of reviews for a party.
Beside it: `verdicts` (the crew rates the film), `companion` (what the party
page shows of the reviews), `crowd` (the crowd's rating on the film page)."""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from watchparty.errors import DomainError
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
from watchparty.party_clock import party_phase
from watchparty.reviews.importer import DraftReview, excerpt_source, parse_article
from watchparty.reviews.rendering import excerpt, render_markdown
from watchparty.reviews.spoilers import FilmKnowledge

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
