"""The refusals of the party service: a form's value breaks a rule, the film typed
is not one the host may pick, the party is cancelled."""

from watchparty.errors import DomainError
from watchparty.films import matching


class InvalidParty(DomainError):
    """The form's values break a rule: shown beside the field as invalid input."""

    status = 422


class FilmNotFound(InvalidParty):
    """The film typed is not one film the host may pick: `matches` are the close ones
    ("Did you mean …?"), offered before the title may be added as a new film."""

    field = "film"

    def __init__(self, message: str, text: str, matches: list[matching.Match] | None = None):
        super().__init__(message)
        self.text = text
        self.matches = matches or []


class PartyCancelled(DomainError):
    status = 409
