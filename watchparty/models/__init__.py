"""Every model, re-exported so that Alembic and the app see them all."""

from watchparty.models.base import Base, UTCDateTime, utcnow
from watchparty.models.film import CREDIT_ROLES, WATCH_FORMATS, Award, Credit, Film, Person, Trivia
from watchparty.models.party import Party, Rsvp
from watchparty.models.review import REVIEW_KINDS, Review, ReviewSection
from watchparty.models.user import User

__all__ = [
    "CREDIT_ROLES",
    "REVIEW_KINDS",
    "WATCH_FORMATS",
    "Award",
    "Base",
    "Credit",
    "Film",
    "Party",
    "Person",
    "Review",
    "ReviewSection",
    "Rsvp",
    "Trivia",
    "UTCDateTime",
    "User",
    "utcnow",
]
