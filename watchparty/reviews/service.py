"""Reviews: saving imported drafts, reading them for pages, and the spoiler guard."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from watchparty.errors import DomainError
from watchparty.extensions import db
from watchparty.models import Credit, Film, Person, Review, ReviewSection, User, utcnow
from watchparty.reviews.importer import DraftReview, parse_article
from watchparty.reviews.rendering import excerpt, render_markdown

# Without a runtime, assume a long film: better to hold spoilers a little too long.
DEFAULT_RUNTIME = timedelta(hours=3)
EXCERPT_LENGTH = 300
MAX_ARTICLE_BYTES = 1024 * 1024


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
    return db.session.scalar(
        sa.select(Review)
        .where(Review.id == review_id, Review.film_id == film.id)
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


def party_companion(party, viewer, now: datetime | None = None):
    """The reviews panel and the crew's verdict on the party page (built in the party-reviews issue)."""
    return None


def review_choice(party):
    """Which reviews the host shows on the party page, for the dashboard (built in the party-reviews issue)."""
    return None
