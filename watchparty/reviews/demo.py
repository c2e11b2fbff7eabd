"""A demo review of Anora, written for this project, imported like any article."""

from pathlib import Path

import sqlalchemy as sa

from watchparty.extensions import db
from watchparty.models import Review

DEMO_REVIEW = Path(__file__).resolve().parent.parent / "data" / "demo_review_anora.md"


def load_demo_reviews(host) -> list[str]:
    from watchparty.films.service import film_by_slug
    from watchparty.reviews.service import import_article

    film = film_by_slug("anora-2024")
    if film is None:
        return ["No Anora in the catalogue; skipped the demo review."]
    if db.session.scalar(sa.select(Review.id).where(Review.film_id == film.id).limit(1)):
        return []
    review, _ = import_article(film, DEMO_REVIEW.read_text(encoding="utf-8"), created_by=host)
    return [f"Imported the demo review {review.title!r}."]
