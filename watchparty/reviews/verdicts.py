"""The crew's verdict: the host and the guests seated as going rate the film
(1 to 10, a line of text) from the start of the party on, once each."""

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from watchparty.errors import DomainError, NotAllowed
from watchparty.extensions import db
from watchparty.models import Party, Review, ReviewSection, utcnow
from watchparty.models.review import VERDICT_SCALE, VERDICT_SCORES
from watchparty.reviews.rendering import render_plain_text
from watchparty.reviews.service import spoiler_free_excerpt
from watchparty.templating import local_time

VERDICT_TEXT_MAX = 1000
VERDICT_TITLE = "Watch party verdict"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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


def crew_refusal(party: Party, viewer) -> NotInTheCrew | None:
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
    refusal = crew_refusal(party, viewer)
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


