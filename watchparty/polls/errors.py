"""The polls' domain errors: each carries a message a person can read and the field it belongs beside."""

from watchparty.errors import DomainError


class InvalidPoll(DomainError):
    """The poll's candidates break a rule (each problem beside its field, all at once)."""

    status = 422


class PollClosed(DomainError):
    status = 409


class InvalidVote(DomainError):
    status = 422


class DuplicateVoter(DomainError):
    status = 409
    field = "email"


class PollFull(DomainError):
    """A nomination found every candidate place taken."""

    status = 409
