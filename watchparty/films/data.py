"""What a film may hold: `FilmData` describes one film whatever it came from (the
web form, a JSON file or the demo catalogue), the limits on each of its values,
and `validate_film_data`, the one check every way of saving a film goes through.
Also how its stored values read (`split_list`, `format_runtime`).

A value that breaks a rule raises `FilmDataError` with a message a person can act on.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime

from watchparty.errors import DomainError
from watchparty.models import CREDIT_ROLES, WATCH_FORMATS

# Limits: the columns' sizes, and what keeps one film page a readable length.
TITLE_MAX = 200
TAGLINE_MAX = 300
SYNOPSIS_MAX = 5000
GENRES_MAX = 200
GENRE_MAX = 40
SERVICES_MAX = 300
NAME_MAX = 200
CHARACTER_MAX = 200
AWARD_TEXT_MAX = 200
TRIVIA_MAX = 1000
SPOILER_ENDING_MAX = 3000
SPOILER_TURN_MAX = 1000
MAX_SPOILER_TURNS = 20
MAX_CAST = 300
MAX_CREW = 100
MAX_AWARDS = 300
MAX_TRIVIA = 100
RUNTIME_MIN, RUNTIME_MAX = 1, 1000
FIRST_FILM_YEAR = 1888  # Roundhay Garden Scene

CREW_ROLES = tuple(role for role in CREDIT_ROLES if role != "cast")
FORMAT_LABELS = {
    "cinema": "In cinemas",
    "dvd": "DVD",
    "bluray": "Blu-ray",
    "digital": "Digital (buy or rent)",
    "streaming": "Streaming",
}
CREW_LABELS = {
    "director": ("Director", "Directors"),
    "writer": ("Writer", "Writers"),
    "producer": ("Producer", "Producers"),
    "editor": ("Editor", "Editors"),
    "cinematographer": ("Cinematographer", "Cinematographers"),
    "composer": ("Composer", "Composers"),
}
# One-line text may hold no control character at all; long text keeps tab and newline.
CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_LONG = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FilmDataError(DomainError):
    """Film data that breaks a rule; `line_no` points into a line-per-entry field."""

    status = 422

    def __init__(self, line_no: int | None, message: str, field: str | None = None):
        self.line_no = line_no
        self.detail = message
        super().__init__(f"Line {line_no}: {message}" if line_no else message, field)


@dataclass
class CastEntry:
    name: str
    character: str = ""


@dataclass
class CrewEntry:
    role: str
    name: str


@dataclass
class AwardEntry:
    ceremony: str
    year: int
    category: str
    nominee: str = ""
    won: bool = False


@dataclass
class TriviaEntry:
    text: str
    is_spoiler: bool = False


@dataclass
class FilmData:
    """Everything about one film except who made it and its poster image."""

    title: str
    year: int
    runtime_minutes: int | None = None
    tagline: str = ""
    synopsis: str = ""
    genres: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    streaming_services: list[str] = field(default_factory=list)
    cast: list[CastEntry] = field(default_factory=list)
    crew: list[CrewEntry] = field(default_factory=list)
    awards: list[AwardEntry] = field(default_factory=list)
    trivia: list[TriviaEntry] = field(default_factory=list)
    # Spoiler notes: never shown on a page; the review importer folds what matches them.
    spoiler_ending: str = ""
    spoiler_turns: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- small helpers


def next_year() -> int:
    """The latest year a film may have: films get announced a year ahead."""
    return datetime.now(UTC).year + 1


def format_runtime(minutes: int | None) -> str:
    """139 -> "2 h 19 min", 120 -> "2 h", 45 -> "45 min", None -> ""."""
    if not minutes:
        return ""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def split_list(text: str | None) -> list[str]:
    """ "Comedy, drama,, Romance" -> ["Comedy", "drama", "Romance"], duplicates dropped."""
    seen: set[str] = set()
    items = []
    for item in (text or "").split(","):
        item = " ".join(item.split())
        if item and item.casefold() not in seen:
            seen.add(item.casefold())
            items.append(item)
    return items


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def check_text(
    value: str, what: str, limit: int, *, long: bool = False, line_no: int | None = None, field: str | None = None
) -> str:
    pattern = CONTROL_LONG if long else CONTROL_ONE_LINE
    if pattern.search(value):
        raise FilmDataError(line_no, f"{what} contains control characters; remove them.", field)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise FilmDataError(line_no, f"{what} contains characters that are not valid text.", field) from None
    if len(value) > limit:
        raise FilmDataError(line_no, f"{what} is longer than {limit} characters.", field)
    return value


# ------------------------------------------------------------------- validation


def validate_film_data(data: FilmData) -> FilmData:
    """Check every rule on one film's data; return it normalised or raise FilmDataError.

    The form checks the same things field by field first; this is what JSON
    imports and any other caller go through too.
    """
    title = nfc(data.title if isinstance(data.title, str) else "")
    if not title:
        raise FilmDataError(None, "Enter the film's title.", "title")
    check_text(title, "The title", TITLE_MAX, field="title")
    if isinstance(data.year, bool) or not isinstance(data.year, int) or not FIRST_FILM_YEAR <= data.year <= next_year():
        raise FilmDataError(None, f"The year must be between {FIRST_FILM_YEAR} and {next_year()}.", "year")
    runtime = data.runtime_minutes
    if runtime is not None and (
        isinstance(runtime, bool) or not isinstance(runtime, int) or not RUNTIME_MIN <= runtime <= RUNTIME_MAX
    ):
        raise FilmDataError(
            None, f"The runtime must be between {RUNTIME_MIN} and {RUNTIME_MAX} minutes.", "runtime_minutes"
        )
    tagline = check_text(nfc(data.tagline or ""), "The tagline", TAGLINE_MAX, field="tagline")
    synopsis = check_text(
        unicodedata.normalize("NFC", data.synopsis or "").strip(),
        "The synopsis",
        SYNOPSIS_MAX,
        long=True,
        field="synopsis",
    )
    genres = split_list(",".join(nfc(genre) for genre in data.genres))
    for genre in genres:
        check_text(genre, f"The genre “{genre[:20]}”", GENRE_MAX, field="genres")
    check_text(", ".join(genres), "The genres", GENRES_MAX, field="genres")
    formats = []
    for name in data.formats:
        if name not in WATCH_FORMATS:
            raise FilmDataError(None, f"Unknown format “{name}”; use {', '.join(WATCH_FORMATS)}.", "formats")
        if name not in formats:
            formats.append(name)
    formats.sort(key=WATCH_FORMATS.index)
    services = split_list(",".join(nfc(service) for service in data.streaming_services))
    check_text(", ".join(services), "The streaming services", SERVICES_MAX, field="streaming_services")

    for what, entries, limit in (("cast", data.cast, MAX_CAST), ("crew", data.crew, MAX_CREW),
                                 ("awards", data.awards, MAX_AWARDS), ("trivia", data.trivia, MAX_TRIVIA)):  # fmt: skip
        if len(entries) > limit:
            raise FilmDataError(None, f"List at most {limit} entries.", what)
    cast = []
    for number, entry in enumerate(data.cast, start=1):
        name, character = nfc(entry.name), nfc(entry.character or "")
        if not name:
            raise FilmDataError(None, f"Entry {number} has no name.", "cast")
        check_text(name, f"Entry {number}: the name", NAME_MAX, field="cast")
        check_text(character, f"Entry {number}: the character", CHARACTER_MAX, field="cast")
        cast.append(CastEntry(name, character))
    crew = []
    for number, entry in enumerate(data.crew, start=1):
        if entry.role not in CREW_ROLES:
            raise FilmDataError(
                None, f"Entry {number}: unknown role “{entry.role}”; use {', '.join(CREW_ROLES)}.", "crew"
            )
        name = nfc(entry.name)
        if not name:
            raise FilmDataError(None, f"Entry {number} has no name.", "crew")
        check_text(name, f"Entry {number}: the name", NAME_MAX, field="crew")
        crew.append(CrewEntry(entry.role, name))
    awards = []
    for number, entry in enumerate(data.awards, start=1):
        ceremony, category, nominee = nfc(entry.ceremony), nfc(entry.category), nfc(entry.nominee or "")
        if not ceremony or not category:
            raise FilmDataError(None, f"Entry {number}: the ceremony and the category cannot be empty.", "awards")
        for value, part in ((ceremony, "the ceremony"), (category, "the category"), (nominee, "the nominee")):
            check_text(value, f"Entry {number}: {part}", AWARD_TEXT_MAX, field="awards")
        if (
            isinstance(entry.year, bool)
            or not isinstance(entry.year, int)
            or not FIRST_FILM_YEAR <= entry.year <= next_year()
        ):
            raise FilmDataError(
                None, f"Entry {number}: the year must be between {FIRST_FILM_YEAR} and {next_year()}.", "awards"
            )
        if not isinstance(entry.won, bool):
            raise FilmDataError(None, f"Entry {number}: “won” must be true or false.", "awards")
        awards.append(AwardEntry(ceremony, entry.year, category, nominee, entry.won))
    trivia = []
    for number, entry in enumerate(data.trivia, start=1):
        text = nfc(entry.text)
        if not text:
            raise FilmDataError(None, f"Entry {number} is empty.", "trivia")
        check_text(text, f"Entry {number}", TRIVIA_MAX, long=True, field="trivia")
        if not isinstance(entry.is_spoiler, bool):
            raise FilmDataError(None, f"Entry {number}: “spoiler” must be true or false.", "trivia")
        trivia.append(TriviaEntry(text, entry.is_spoiler))
    ending = check_text(
        unicodedata.normalize("NFC", data.spoiler_ending or "").strip(),
        "How it ends",
        SPOILER_ENDING_MAX,
        long=True,
        field="spoiler_ending",
    )
    if len(data.spoiler_turns) > MAX_SPOILER_TURNS:
        raise FilmDataError(None, f"List at most {MAX_SPOILER_TURNS} key turns.", "spoiler_turns")
    turns = [
        check_text(nfc(turn).strip(), f"Key turn {number}", SPOILER_TURN_MAX, line_no=number, field="spoiler_turns")
        for number, turn in enumerate(data.spoiler_turns, start=1)
        if isinstance(turn, str) and turn.strip()
    ]
    return FilmData(
        title, data.year, runtime, tagline, synopsis, genres, formats, services, cast, crew, awards, trivia,
        spoiler_ending=ending, spoiler_turns=turns,
    )  # fmt: skip

