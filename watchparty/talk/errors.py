"""The talk's refusals, shared by announcements and comments."""

from watchparty.errors import DomainError


class AnnouncementRefused(DomainError):
    status = 422
    field = "message"


class TooManyAnnouncements(DomainError):
    status = 429
    field = "message"


class CommentRefused(DomainError):
    status = 422
    field = "body"


class ReplyTargetGone(CommentRefused):
    """The comment replied to was deleted or hidden meanwhile."""


class TooManyComments(DomainError):
    status = 429
    field = "body"


class NoSuchThing(DomainError):
    status = 404
