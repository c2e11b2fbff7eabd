"""Every model, re-exported so that Alembic and the app see them all."""

from watchparty.models.activity import ACTIVITY_KINDS, PartyActivity
from watchparty.models.base import Base, UTCDateTime, utcnow
from watchparty.models.film import CREDIT_ROLES, WATCH_FORMATS, Award, Credit, Film, Person, Trivia
from watchparty.models.login_session import LoginSession
from watchparty.models.login_throttle import LoginThrottle
from watchparty.models.outbox import OutboundEmail, SuppressedAddress
from watchparty.models.page_version import PageVersion
from watchparty.models.party import Invitation, Party, Rsvp
from watchparty.models.party_draft import PartyDraft
from watchparty.models.pending_registration import PendingRegistration
from watchparty.models.poll import Poll, PollDate, PollDateAnswer, PollFilm, PollFilmAnswer, PollVote
from watchparty.models.poster import PosterImage
from watchparty.models.review import REVIEW_KINDS, PartyReview, Review, ReviewSection
from watchparty.models.sign_in_code import SignInCode
from watchparty.models.signup import ITEM_CATEGORIES, Claim, SignupItem
from watchparty.models.talk import Announcement, Comment
from watchparty.models.user import User

__all__ = [
    "ACTIVITY_KINDS",
    "CREDIT_ROLES",
    "ITEM_CATEGORIES",
    "REVIEW_KINDS",
    "WATCH_FORMATS",
    "Announcement",
    "Award",
    "Base",
    "Claim",
    "Comment",
    "Credit",
    "Film",
    "Invitation",
    "LoginSession",
    "LoginThrottle",
    "OutboundEmail",
    "PageVersion",
    "Party",
    "PartyActivity",
    "PartyDraft",
    "PartyReview",
    "PendingRegistration",
    "Person",
    "Poll",
    "PollDate",
    "PollDateAnswer",
    "PollFilm",
    "PollFilmAnswer",
    "PollVote",
    "PosterImage",
    "Review",
    "ReviewSection",
    "Rsvp",
    "SignInCode",
    "SignupItem",
    "SuppressedAddress",
    "Trivia",
    "UTCDateTime",
    "User",
    "utcnow",
]
