"""The film catalogue's rules: slugs, parsing the film form's line formats,
creating and updating films, search, the film page, JSON import and export.

Functions take plain values (a `FilmData` describes one film whatever it came
from: the web form, a JSON file or the demo catalogue), `flush()` but never
commit, and raise `FilmDataError` with a message a person can act on.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from watchparty.errors import DomainError
from watchparty.extensions import db
from watchparty.films import posters
from watchparty.films.naming import cast_anchor, slugify
from watchparty.models import CREDIT_ROLES, WATCH_FORMATS, Award, Credit, Film, PageVersion, Person, Trivia
from watchparty.models.film import search_key

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
QUERY_MAX = 200
PER_PAGE = 12
SLUG_MAX = 120

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
# What people type before the colon in a crew line.
_ROLE_ALIASES = {
    "director": "director", "directors": "director", "directed by": "director",
    "writer": "writer", "writers": "writer", "written by": "writer",
    "screenplay": "writer", "screenplay by": "writer",
    "producer": "producer", "producers": "producer", "produced by": "producer",
    "editor": "editor", "editors": "editor", "edited by": "editor", "film editing": "editor",
    "cinematographer": "cinematographer", "cinematographers": "cinematographer",
    "cinematography": "cinematographer", "director of photography": "cinematographer",
    "composer": "composer", "composers": "composer", "music": "composer", "music by": "composer",
}  # fmt: skip
_WON = {"won", "win", "winner", "yes"}
_NOMINATED = {"nominated", "nomination", "nominee", "no"}

# One-line text may hold no control character at all; long text keeps tab and newline.
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_LONG = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Cast separators: em dash, en dash, a pipe, or a hyphen with spaces around it.
_CAST_SEPARATOR = re.compile("\\s*[\u2014\u2013|]\\s*|\\s+-\\s+")
_SPOILER_PREFIX = re.compile(r"\A\[\s*spoiler\s*\]\s*", re.IGNORECASE)
SLUG_PATTERN = re.compile(r"\A[a-z0-9]+(?:-[a-z0-9]+)*\Z")


class FilmDataError(DomainError):
    """Film data that breaks a rule; `line_no` points into a line-per-entry field."""

    status = 422

    def __init__(self, line_no: int | None, message: str, field: str | None = None):
        self.line_no = line_no
        self.detail = message
        super().__init__(f"Line {line_no}: {message}" if line_no else message, field)


class SlugTaken(DomainError):
    status = 409
    field = "title"


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


def base_slug(title: str, year: int) -> str:
    """The slug a film gets when no other film has it: "anora-2024", or "film-2024"
    for a title with nothing readable in ASCII (an all-emoji title)."""
    return f"{slugify(title) or 'film'}-{year}"


def format_runtime(minutes: int | None) -> str:
    """139 -> "2 h 19 min", 120 -> "2 h", 45 -> "45 min", None -> ""."""
    if not minutes:
        return ""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def clean_query(q: str | None) -> str:
    """A search box value made safe to send to any database: no control characters, bounded."""
    return _CONTROL_ONE_LINE.sub(" ", q or "").strip()[:QUERY_MAX]


def escape_like(text: str) -> str:
    """Make % and _ (and the escape character itself) literal in a LIKE pattern."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def _check_text(
    value: str, what: str, limit: int, *, long: bool = False, line_no: int | None = None, field: str | None = None
) -> str:
    pattern = _CONTROL_LONG if long else _CONTROL_ONE_LINE
    if pattern.search(value):
        raise FilmDataError(line_no, f"{what} contains control characters; remove them.", field)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise FilmDataError(line_no, f"{what} contains characters that are not valid text.", field) from None
    if len(value) > limit:
        raise FilmDataError(line_no, f"{what} is longer than {limit} characters.", field)
    return value


# ------------------------------------------------------- line-per-entry formats


def _lines(text: str | None):
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if line:
            yield number, line


def parse_cast_lines(text: str | None) -> list[CastEntry]:
    """`Mikey Madison — Anora "Ani" Mikheeva`, one per line, in billing order.

    The separator may be an em dash, an en dash, `|` or ` - `; a line with no
    separator is a name without a character. Raises FilmDataError(line_no, …).
    """
    entries = []
    for number, line in _lines(text):
        parts = _CAST_SEPARATOR.split(line, maxsplit=1)
        name = _nfc(parts[0])
        character = _nfc(parts[1]) if len(parts) > 1 else ""
        if not name:
            raise FilmDataError(
                number, "put the actor's name before the separator, like “Mikey Madison — Ani”.", "cast"
            )
        _check_text(name, "The name", NAME_MAX, line_no=number, field="cast")
        _check_text(character, "The character", CHARACTER_MAX, line_no=number, field="cast")
        entries.append(CastEntry(name, character))
    if len(entries) > MAX_CAST:
        raise FilmDataError(None, f"List at most {MAX_CAST} cast members.", "cast")
    return entries


def parse_crew_lines(text: str | None) -> list[CrewEntry]:
    """`Director: Sean Baker`, one role per line; several names separated by commas."""
    entries = []
    for number, line in _lines(text):
        role_text, colon, names = line.partition(":")
        role = _ROLE_ALIASES.get(" ".join(role_text.lower().split()))
        if not colon or role is None:
            known = ", ".join(label for label, _ in CREW_LABELS.values())
            raise FilmDataError(
                number, f"start with a role and a colon, like “Director: Sean Baker”. Roles: {known}.", "crew"
            )
        people = [_nfc(name) for name in names.split(",") if name.strip()]
        if not people:
            raise FilmDataError(number, "put a name after the colon.", "crew")
        for name in people:
            _check_text(name, "The name", NAME_MAX, line_no=number, field="crew")
            entries.append(CrewEntry(role, name))
    if len(entries) > MAX_CREW:
        raise FilmDataError(None, f"List at most {MAX_CREW} crew credits.", "crew")
    return entries


def _award_year(value: str, line_no: int | None, field_name: str = "awards") -> int:
    if not value.isdigit() or not FIRST_FILM_YEAR <= int(value) <= next_year():
        raise FilmDataError(line_no, f"the year must be between {FIRST_FILM_YEAR} and {next_year()}.", field_name)
    return int(value)


def parse_award_lines(text: str | None) -> list[AwardEntry]:
    """`97th Academy Awards | 2025 | Best Picture | | won`: ceremony | year |
    category | nominee (may be empty) | won or nominated."""
    entries = []
    for number, line in _lines(text):
        parts = [part.strip() for part in line.split("|")]
        if len(parts) == 4:  # no nominee column
            parts.insert(3, "")
        if len(parts) != 5:
            raise FilmDataError(number, "write ceremony | year | category | nominee | won or nominated.", "awards")
        ceremony, year, category, nominee, status = (_nfc(part) for part in parts)
        if not ceremony or not category:
            raise FilmDataError(number, "the ceremony and the category cannot be empty.", "awards")
        for value, what in ((ceremony, "The ceremony"), (category, "The category"), (nominee, "The nominee")):
            _check_text(value, what, AWARD_TEXT_MAX, line_no=number, field="awards")
        status = status.lower()
        if status not in _WON | _NOMINATED:
            raise FilmDataError(number, "end the line with “won” or “nominated”.", "awards")
        entries.append(AwardEntry(ceremony, _award_year(year, number), category, nominee, status in _WON))
    if len(entries) > MAX_AWARDS:
        raise FilmDataError(None, f"List at most {MAX_AWARDS} awards.", "awards")
    return entries


def parse_trivia_lines(text: str | None) -> list[TriviaEntry]:
    """One fact per line; a line starting with `[spoiler]` is a spoiler."""
    entries = []
    for number, line in _lines(text):
        is_spoiler = bool(_SPOILER_PREFIX.match(line))
        fact = _nfc(_SPOILER_PREFIX.sub("", line))
        if not fact:
            raise FilmDataError(number, "write the fact after [spoiler].", "trivia")
        _check_text(fact, "This fact", TRIVIA_MAX, line_no=number, field="trivia")
        entries.append(TriviaEntry(fact, is_spoiler))
    if len(entries) > MAX_TRIVIA:
        raise FilmDataError(None, f"List at most {MAX_TRIVIA} facts.", "trivia")
    return entries


def cast_lines(film: Film) -> str:
    """The cast in the form's line format, the inverse of parse_cast_lines."""
    return "\n".join(
        f"{credit.person.name} — {credit.character}" if credit.character else credit.person.name
        for credit in film.credits
        if credit.role == "cast"
    )


def crew_lines(film: Film) -> str:
    """The crew in the form's line format, one person per line."""
    return "\n".join(
        f"{CREW_LABELS[credit.role][0]}: {credit.person.name}" for credit in film.credits if credit.role != "cast"
    )


def award_lines(film: Film) -> str:
    """The awards in the form's line format."""
    return "\n".join(
        f"{a.ceremony} | {a.year} | {a.category} | {a.nominee} | {'won' if a.won else 'nominated'}" for a in film.awards
    )


def trivia_lines(film: Film) -> str:
    """The trivia in the form's line format, spoilers marked [spoiler]."""
    return "\n".join(("[spoiler] " if t.is_spoiler else "") + t.text for t in film.trivia)


def film_form_values(film: Film) -> dict:
    """The film form's fields for an existing film, in the form's own text formats."""
    return {
        "title": film.title,
        "year": film.year,
        "runtime_minutes": film.runtime_minutes,
        "tagline": film.tagline,
        "synopsis": film.synopsis,
        "genres": ", ".join(split_list(film.genres)),
        "formats": split_list(film.watch_formats),
        "streaming_services": ", ".join(split_list(film.streaming_services)),
        "cast": cast_lines(film),
        "crew": crew_lines(film),
        "awards": award_lines(film),
        "trivia": trivia_lines(film),
        "spoiler_ending": film.spoiler_ending,
        "spoiler_turns": film.spoiler_turns,
    }


def parse_spoiler_turn_lines(text: str | None) -> list[str]:
    """The key turns of the film form: one per line, blank lines skipped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


# ------------------------------------------------------------------- validation


def validate_film_data(data: FilmData) -> FilmData:
    """Check every rule on one film's data; return it normalised or raise FilmDataError.

    The form checks the same things field by field first; this is what JSON
    imports and any other caller go through too.
    """
    title = _nfc(data.title if isinstance(data.title, str) else "")
    if not title:
        raise FilmDataError(None, "Enter the film's title.", "title")
    _check_text(title, "The title", TITLE_MAX, field="title")
    if isinstance(data.year, bool) or not isinstance(data.year, int) or not FIRST_FILM_YEAR <= data.year <= next_year():
        raise FilmDataError(None, f"The year must be between {FIRST_FILM_YEAR} and {next_year()}.", "year")
    runtime = data.runtime_minutes
    if runtime is not None and (
        isinstance(runtime, bool) or not isinstance(runtime, int) or not RUNTIME_MIN <= runtime <= RUNTIME_MAX
    ):
        raise FilmDataError(
            None, f"The runtime must be between {RUNTIME_MIN} and {RUNTIME_MAX} minutes.", "runtime_minutes"
        )
    tagline = _check_text(_nfc(data.tagline or ""), "The tagline", TAGLINE_MAX, field="tagline")
    synopsis = _check_text(
        unicodedata.normalize("NFC", data.synopsis or "").strip(),
        "The synopsis",
        SYNOPSIS_MAX,
        long=True,
        field="synopsis",
    )
    genres = split_list(",".join(_nfc(genre) for genre in data.genres))
    for genre in genres:
        _check_text(genre, f"The genre “{genre[:20]}”", GENRE_MAX, field="genres")
    _check_text(", ".join(genres), "The genres", GENRES_MAX, field="genres")
    formats = []
    for name in data.formats:
        if name not in WATCH_FORMATS:
            raise FilmDataError(None, f"Unknown format “{name}”; use {', '.join(WATCH_FORMATS)}.", "formats")
        if name not in formats:
            formats.append(name)
    formats.sort(key=WATCH_FORMATS.index)
    services = split_list(",".join(_nfc(service) for service in data.streaming_services))
    _check_text(", ".join(services), "The streaming services", SERVICES_MAX, field="streaming_services")

    for what, entries, limit in (("cast", data.cast, MAX_CAST), ("crew", data.crew, MAX_CREW),
                                 ("awards", data.awards, MAX_AWARDS), ("trivia", data.trivia, MAX_TRIVIA)):  # fmt: skip
        if len(entries) > limit:
            raise FilmDataError(None, f"List at most {limit} entries.", what)
    cast = []
    for number, entry in enumerate(data.cast, start=1):
        name, character = _nfc(entry.name), _nfc(entry.character or "")
        if not name:
            raise FilmDataError(None, f"Entry {number} has no name.", "cast")
        _check_text(name, f"Entry {number}: the name", NAME_MAX, field="cast")
        _check_text(character, f"Entry {number}: the character", CHARACTER_MAX, field="cast")
        cast.append(CastEntry(name, character))
    crew = []
    for number, entry in enumerate(data.crew, start=1):
        if entry.role not in CREW_ROLES:
            raise FilmDataError(
                None, f"Entry {number}: unknown role “{entry.role}”; use {', '.join(CREW_ROLES)}.", "crew"
            )
        name = _nfc(entry.name)
        if not name:
            raise FilmDataError(None, f"Entry {number} has no name.", "crew")
        _check_text(name, f"Entry {number}: the name", NAME_MAX, field="crew")
        crew.append(CrewEntry(entry.role, name))
    awards = []
    for number, entry in enumerate(data.awards, start=1):
        ceremony, category, nominee = _nfc(entry.ceremony), _nfc(entry.category), _nfc(entry.nominee or "")
        if not ceremony or not category:
            raise FilmDataError(None, f"Entry {number}: the ceremony and the category cannot be empty.", "awards")
        for value, part in ((ceremony, "the ceremony"), (category, "the category"), (nominee, "the nominee")):
            _check_text(value, f"Entry {number}: {part}", AWARD_TEXT_MAX, field="awards")
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
        text = _nfc(entry.text)
        if not text:
            raise FilmDataError(None, f"Entry {number} is empty.", "trivia")
        _check_text(text, f"Entry {number}", TRIVIA_MAX, long=True, field="trivia")
        if not isinstance(entry.is_spoiler, bool):
            raise FilmDataError(None, f"Entry {number}: “spoiler” must be true or false.", "trivia")
        trivia.append(TriviaEntry(text, entry.is_spoiler))
    ending = _check_text(
        unicodedata.normalize("NFC", data.spoiler_ending or "").strip(),
        "How it ends",
        SPOILER_ENDING_MAX,
        long=True,
        field="spoiler_ending",
    )
    if len(data.spoiler_turns) > MAX_SPOILER_TURNS:
        raise FilmDataError(None, f"List at most {MAX_SPOILER_TURNS} key turns.", "spoiler_turns")
    turns = [
        _check_text(_nfc(turn).strip(), f"Key turn {number}", SPOILER_TURN_MAX, line_no=number, field="spoiler_turns")
        for number, turn in enumerate(data.spoiler_turns, start=1)
        if isinstance(turn, str) and turn.strip()
    ]
    return FilmData(
        title, data.year, runtime, tagline, synopsis, genres, formats, services, cast, crew, awards, trivia,
        spoiler_ending=ending, spoiler_turns=turns,
    )  # fmt: skip


# ------------------------------------------------------------- writing a film


def can_edit(user, film: Film) -> bool:
    """The film's creator and admins may edit it."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_admin or (film.created_by_id is not None and film.created_by_id == user.id))


def _persons(names: list[str]) -> dict[str, Person]:
    """Person rows for these names (one query), the missing ones created.

    A person created by a simultaneous request between our look and our
    insert makes the unique name refuse ours; we then take theirs.
    """
    wanted = set(names)
    if not wanted:
        return {}
    found = {p.name: p for p in db.session.scalars(sa.select(Person).where(Person.name.in_(wanted)))}
    for name in sorted(wanted - found.keys()):
        person = Person(name=name)
        try:
            with db.session.begin_nested():
                db.session.add(person)
        except IntegrityError:
            person = db.session.scalar(sa.select(Person).where(Person.name == name))
            if person is None:
                raise
        found[name] = person
    return found


def _credit_rows(data: FilmData) -> list[tuple[str, str, str, int]]:
    rows = [("cast", entry.name, entry.character, position) for position, entry in enumerate(data.cast)]
    rows += [(entry.role, entry.name, "", position) for position, entry in enumerate(data.crew)]
    return rows


def _apply(film: Film, data: FilmData) -> bool:
    """Copy `data` onto `film`, touching only what differs; True if anything changed."""
    values = {
        "title": data.title,
        "year": data.year,
        "runtime_minutes": data.runtime_minutes,
        "tagline": data.tagline,
        "synopsis": data.synopsis,
        "genres": ", ".join(data.genres),
        "watch_formats": ",".join(data.formats),
        "streaming_services": ", ".join(data.streaming_services),
        "spoiler_ending": data.spoiler_ending,
        "spoiler_turns": "\n".join(data.spoiler_turns),
    }
    changed = False
    for name, value in values.items():
        if getattr(film, name) != value:
            setattr(film, name, value)
            changed = True

    # Cast and crew number their positions separately, so compare sorted rows.
    rows = _credit_rows(data)
    current = [(c.role, c.person.name, c.character, c.position) for c in film.credits] if film.id else []
    if sorted(rows) != sorted(current):
        people = _persons([name for _, name, _, _ in rows])
        film.credits = [
            Credit(role=role, person=people[name], character=character, position=position)
            for role, name, character, position in rows
        ]
        changed = True
    awards = [(a.ceremony, a.year, a.category, a.nominee, a.won) for a in data.awards]
    if awards != ([(a.ceremony, a.year, a.category, a.nominee, a.won) for a in film.awards] if film.id else []):
        film.awards = [
            Award(ceremony=c, year=y, category=cat, nominee=n, won=w, position=position)
            for position, (c, y, cat, n, w) in enumerate(awards)
        ]
        changed = True
    trivia = [(t.text, t.is_spoiler) for t in data.trivia]
    if trivia != ([(t.text, t.is_spoiler) for t in film.trivia] if film.id else []):
        film.trivia = [
            Trivia(text=text, is_spoiler=spoiler, position=position) for position, (text, spoiler) in enumerate(trivia)
        ]
        changed = True
    return changed


def _flush_children() -> None:
    try:
        db.session.flush()
    except IntegrityError:
        # The film was changed or deleted by someone else at the same moment.
        raise DomainError("This film was changed by someone else at the same moment. Save again.") from None


def _next_free_slug(base: str) -> str:
    taken = set(db.session.scalars(sa.select(Film.slug).where(sa.or_(Film.slug == base, Film.slug.like(f"{base}-%")))))
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _insert_with_unique_slug(film: Film, base: str) -> None:
    """Insert `film` under `base`, or `base-2`, `base-3`… whichever the unique
    constraint accepts. Each try is a savepoint, so a refused insert leaves the
    rest of the transaction intact (SQLite and PostgreSQL alike)."""
    candidate = base
    for _ in range(10):
        film.slug = candidate
        try:
            with db.session.begin_nested():
                db.session.add(film)
        except IntegrityError:
            following = _next_free_slug(base)
            if following == candidate:  # the slug was not what the database refused
                break
            candidate = following
        else:
            return
    raise SlugTaken("This film could not be saved just now. Save again.")


def create_film(data: FilmData, created_by=None, poster: bytes | None = None) -> Film:
    """Add a film to the catalogue with a unique slug from its title and year.

    "Anora" (2024) becomes `anora-2024`, the next one `anora-2024-2`: the
    slug's unique constraint decides, also between simultaneous requests.
    """
    data = validate_film_data(data)
    encoded = posters.encode_poster(poster) if poster is not None else None
    film = Film(
        title=data.title,
        year=data.year,
        created_by_id=created_by.id if created_by is not None else None,
    )
    _insert_with_unique_slug(film, base_slug(data.title, data.year))
    _apply(film, data)
    _flush_children()
    if encoded is not None:
        film.poster_filename = posters.save_poster(*encoded)
        db.session.flush()
    return film


def update_film(film: Film, data: FilmData, poster: bytes | None = None, remove_poster: bool = False) -> None:
    """Change a film. Its slug stays: links to it have been shared. A replaced
    or removed poster is dropped in the same transaction."""
    data = validate_film_data(data)
    encoded = posters.encode_poster(poster) if poster is not None else None
    _apply(film, data)
    _flush_children()
    old = film.poster_filename
    if encoded is not None:
        film.poster_filename = posters.save_poster(*encoded)
    elif remove_poster:
        film.poster_filename = None
    else:
        return
    db.session.flush()
    posters.delete_poster(old)


# ------------------------------------------------------------ reading films


def _with_details(statement: sa.Select) -> sa.Select:
    """Load a film's credits (with their people), awards and trivia in three
    more queries, however many there are."""
    return statement.options(
        selectinload(Film.credits).joinedload(Credit.person),
        selectinload(Film.awards),
        selectinload(Film.trivia),
    )


def film_by_slug(slug: str, details: bool = False) -> Film | None:
    """The film with this slug, or None; `details` loads its lists up front (for the edit form)."""
    # Only slug-shaped text reaches the database: a NUL in the URL is an error in PostgreSQL.
    if len(slug) > SLUG_MAX or not SLUG_PATTERN.match(slug):
        return None
    statement = sa.select(Film).where(Film.slug == slug)
    return db.session.scalar(_with_details(statement) if details else statement)


def search_films(q: str | None) -> sa.Select:
    """Films whose title, cast or crew name, or character matches `q`,
    ignoring case and accents ("amelie" finds "Amélie"); all films when empty.

    Returns a select for `db.paginate`.
    """
    statement = sa.select(Film).order_by(Film.search_title, Film.year, Film.id)
    q = clean_query(q)
    if not q:
        return statement
    folded = search_key(q)
    if not folded:
        # Nothing survives folding (an emoji): look for the text as typed.
        return statement.where(Film.title.contains(q, autoescape=True))
    pattern = f"%{escape_like(folded)}%"
    people = (
        sa.select(Credit.film_id)
        .join(Person, Credit.person_id == Person.id)
        .where(
            sa.or_(Person.search_name.like(pattern, escape="\\"), Credit.search_character.like(pattern, escape="\\"))
        )
    )
    return statement.where(sa.or_(Film.search_title.like(pattern, escape="\\"), Film.id.in_(people)))


@dataclass
class CastMember:
    anchor: str
    name: str
    character: str


@dataclass
class CrewGroup:
    role: str
    label: str
    names: list[str]


@dataclass
class AwardGroup:
    ceremony: str
    year: int
    awards: list
    wins: int
    nominations: int


@dataclass(frozen=True)
class FilmPageSource:
    """Every row the film page is made of, as this request read them.

    The page is built from these alone (`film_page_from`), so they are also the
    key its HTML is cached under (watchparty.cache): any change to the film, its
    credits, awards, trivia, reviews or verdicts changes the key.
    """

    film: sa.Row  # id, slug, title, year, runtime_minutes, tagline, synopsis, …, created_by_id
    credits: tuple[sa.Row, ...]  # role, person_id, name, character; billing order
    awards: tuple[sa.Row, ...]
    trivia: tuple[sa.Row, ...]
    reviews: tuple[sa.Row, ...]  # editorial, newest first
    crowd: tuple[sa.Row, ...]  # reviews.service.crowd_verdicts' rows


@dataclass
class FilmPage:
    """What the film page shows, worked out here so the template only presents it."""

    film: sa.Row
    runtime: str
    synopsis: list[str]  # paragraphs
    genres: list[str]
    crew: list[CrewGroup]
    cast: list[CastMember]
    award_groups: list[AwardGroup]
    award_summary: str
    trivia: list
    formats: list[str]
    streaming_services: list[str]
    description: str
    reviews: list = field(default_factory=list)  # editorial reviews, newest first, sections not loaded
    crowd: object | None = None  # reviews.service.CrowdRating: every party's verdicts on the film
    crowd_reviews: list = field(default_factory=list)  # reviews.service.CrowdReview, newest first


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _excerpt(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


_film = Film.__table__
_credit = Credit.__table__
_person = Person.__table__
_award = Award.__table__
_trivia = Trivia.__table__
# The film page's statements, built once: the page runs them on every view.
_version = PageVersion.__table__
_PAGE_FILM = (
    sa.select(
        _film.c.id, _film.c.slug, _film.c.title, _film.c.year, _film.c.runtime_minutes, _film.c.tagline,
        _film.c.synopsis, _film.c.genres, _film.c.watch_formats, _film.c.streaming_services,
        _film.c.poster_filename, _film.c.created_by_id,
        _version.c.stamp,  # models/page_version.py: the page is kept under it (films.routes.detail)
    )
    .outerjoin(_version, sa.and_(_version.c.scope == "film", _version.c.scope_id == _film.c.id))
    .where(_film.c.slug == sa.bindparam("slug"))
)
_PAGE_CREDITS = (
    sa.select(_credit.c.role, _credit.c.person_id, _person.c.name, _credit.c.character)
    .join(_person, _credit.c.person_id == _person.c.id)
    .where(_credit.c.film_id == sa.bindparam("film_id"))
    .order_by(_credit.c.position, _credit.c.id)
)
_PAGE_AWARDS = (
    sa.select(_award.c.ceremony, _award.c.year, _award.c.category, _award.c.nominee, _award.c.won, _award.c.position)
    .where(_award.c.film_id == sa.bindparam("film_id"))
    .order_by(_award.c.position, _award.c.id)
)
_PAGE_TRIVIA = (
    sa.select(_trivia.c.text, _trivia.c.is_spoiler)
    .where(_trivia.c.film_id == sa.bindparam("film_id"))
    .order_by(_trivia.c.position, _trivia.c.id)
)


def film_page_row(slug: str) -> sa.Row | None:
    """The film row the film page shows (id, slug, title, …, created_by_id); None for an unknown slug."""
    # Only slug-shaped text reaches the database: a NUL in the URL is an error in PostgreSQL.
    if len(slug) > SLUG_MAX or not SLUG_PATTERN.match(slug):
        return None
    return db.session.execute(_PAGE_FILM, {"slug": slug}).first()


def film_page_source(film: sa.Row) -> FilmPageSource:
    """The film page's rows, in a fixed number of queries whatever the number of
    credits, awards, trivia, reviews or ratings (five besides the film's own:
    credits with people, awards, trivia, reviews, the crowd's verdicts)."""
    # reviews build on films, not the reverse
    from watchparty.reviews.service import crowd_verdict_rows, editorial_review_rows

    params = {"film_id": film.id}
    return FilmPageSource(
        film=film,
        credits=tuple(db.session.execute(_PAGE_CREDITS, params).all()),
        awards=tuple(db.session.execute(_PAGE_AWARDS, params).all()),
        trivia=tuple(db.session.execute(_PAGE_TRIVIA, params).all()),
        reviews=editorial_review_rows(film.id),
        crowd=crowd_verdict_rows(film.id),
    )


def film_page_from(source: FilmPageSource) -> FilmPage:
    """The film page's content, worked out from its rows (and nothing else: see FilmPageSource)."""
    from watchparty.reviews.service import crowd_from_rows

    film = source.film
    cast: list[CastMember] = []
    by_person: dict[int, CastMember] = {}
    anchors: set[str] = set()
    crew: dict[str, list[str]] = {}
    for role, person_id, name, character in source.credits:
        if role != "cast":
            crew.setdefault(role, []).append(name)
            continue
        member = by_person.get(person_id)
        if member is not None:  # one actor, several parts: one entry, one anchor
            member.character = " / ".join(part for part in (member.character, character) if part)
            continue
        anchor, number = cast_anchor(name), 2
        while anchor in anchors:  # "José" and "Jose" in one film
            anchor, number = f"{cast_anchor(name)}-{number}", number + 1
        anchors.add(anchor)
        member = by_person[person_id] = CastMember(anchor, name, character)
        cast.append(member)

    groups: dict[tuple[str, int], AwardGroup] = {}
    for award in source.awards:
        group = groups.setdefault((award.ceremony, award.year), AwardGroup(award.ceremony, award.year, [], 0, 0))
        group.awards.append(award)
    for group in groups.values():
        group.awards.sort(key=lambda award: (not award.won, award.position))
        group.wins = sum(award.won for award in group.awards)
        group.nominations = len(group.awards) - group.wins
    wins = sum(group.wins for group in groups.values())
    nominations = sum(group.nominations for group in groups.values())
    summary = " and ".join(
        part
        for part in (
            (_plural(wins, "win") if wins else ""),
            (_plural(nominations, "nomination") if nominations else ""),
        )
        if part
    )

    crowd, crowd_reviews = crowd_from_rows(source.crowd)
    return FilmPage(
        film=film,
        runtime=format_runtime(film.runtime_minutes),
        synopsis=[paragraph.strip() for paragraph in (film.synopsis or "").split("\n") if paragraph.strip()],
        genres=split_list(film.genres),
        crew=[
            CrewGroup(role, CREW_LABELS[role][len(crew[role]) > 1], crew[role]) for role in CREW_ROLES if role in crew
        ],
        cast=cast,
        award_groups=list(groups.values()),
        award_summary=summary,
        trivia=list(source.trivia),
        formats=[FORMAT_LABELS[name] for name in split_list(film.watch_formats) if name in FORMAT_LABELS],
        streaming_services=split_list(film.streaming_services),
        description=_excerpt(film.synopsis or film.tagline or f"{film.title} ({film.year}) on Watchparty."),
        reviews=list(source.reviews),
        crowd=crowd,
        crowd_reviews=crowd_reviews,
    )


def film_page(slug: str) -> FilmPage | None:
    """The film page's content for a slug; None for an unknown one."""
    film = film_page_row(slug)
    return film_page_from(film_page_source(film)) if film is not None else None


# ---------------------------------------------------------- import and export

FILM_KEYS = (
    "slug", "title", "year", "runtime_minutes", "tagline", "synopsis", "genres", "formats",
    "streaming_services", "cast", "crew", "awards", "trivia", "poster", "spoiler_ending", "spoiler_turns",
)  # fmt: skip


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Bad(Exception):
    """A JSON value of the wrong shape: (field, message), named with its film by the caller."""


def _json_str(obj: dict, key: str, *, required: bool = False) -> str:
    value = obj.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise _Bad(key, "must be a non-empty string" if required else "must be a string")
    return value


def _json_int(obj: dict, key: str, *, required: bool = False) -> int | None:
    value = obj.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad(key, "must be a whole number")
    return value


def _json_list(obj: dict, key: str, kind: type) -> list:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, kind) for item in value):
        raise _Bad(key, f"must be a list of {'strings' if kind is str else 'objects'}")
    return value


def _json_entries(obj: dict, key: str, allowed: set[str], required: set[str]) -> list[dict]:
    entries = _json_list(obj, key, dict)
    for number, entry in enumerate(entries, start=1):
        unknown = set(entry) - allowed
        missing = required - set(entry)
        if unknown:
            raise _Bad(key, f"entry {number} has unknown key(s) {', '.join(sorted(unknown))}")
        if missing:
            raise _Bad(key, f"entry {number} needs {', '.join(sorted(missing))}")
        for name, value in entry.items():
            expected = bool if name in ("won", "spoiler") else int if name == "year" else str
            if name in ("character", "nominee") and value is None:
                continue
            if isinstance(value, bool) != (expected is bool) or not isinstance(value, expected):
                kind = {bool: "true or false", int: "a whole number", str: "a string"}[expected]
                raise _Bad(key, f"entry {number}: “{name}” must be {kind}")
    return entries


def _film_from_json(obj: dict) -> tuple[str, FilmData, str | None]:
    unknown = set(obj) - set(FILM_KEYS)
    if unknown:
        raise _Bad(sorted(unknown)[0], f"is not a film field (known: {', '.join(FILM_KEYS)})")
    title = _json_str(obj, "title", required=True)
    year = _json_int(obj, "year", required=True)
    data = FilmData(
        title=title,
        year=year,
        runtime_minutes=_json_int(obj, "runtime_minutes"),
        tagline=_json_str(obj, "tagline"),
        synopsis=_json_str(obj, "synopsis"),
        genres=_json_list(obj, "genres", str),
        formats=_json_list(obj, "formats", str),
        streaming_services=_json_list(obj, "streaming_services", str),
        cast=[
            CastEntry(e["name"], e.get("character") or "")
            for e in _json_entries(obj, "cast", {"name", "character"}, {"name"})
        ],
        crew=[CrewEntry(e["role"], e["name"]) for e in _json_entries(obj, "crew", {"role", "name"}, {"role", "name"})],
        awards=[
            AwardEntry(e["ceremony"], e["year"], e["category"], e.get("nominee") or "", e["won"])
            for e in _json_entries(
                obj,
                "awards",
                {"ceremony", "year", "category", "nominee", "won"},
                {"ceremony", "year", "category", "won"},
            )
        ],
        trivia=[
            TriviaEntry(e["text"], e.get("spoiler", False))
            for e in _json_entries(obj, "trivia", {"text", "spoiler"}, {"text"})
        ],
        spoiler_ending=_json_str(obj, "spoiler_ending"),
        spoiler_turns=_json_list(obj, "spoiler_turns", str),
    )
    data = validate_film_data(data)
    slug = _json_str(obj, "slug") or base_slug(data.title, data.year)
    if len(slug) > SLUG_MAX or not SLUG_PATTERN.match(slug):
        raise _Bad("slug", f"must be lower-case letters, digits and single hyphens, at most {SLUG_MAX} characters")
    poster = obj.get("poster")
    if poster is not None and (not isinstance(poster, str) or not posters.is_poster_filename(poster)):
        raise _Bad("poster", "must be the file name of a stored poster, like 3f…9a.webp, or null")
    return slug, data, poster


def read_films_payload(payload) -> list[tuple[str, FilmData, str | None]]:
    """Check a whole import file; the first problem raises FilmDataError naming film and field."""
    if not isinstance(payload, dict) or not isinstance(payload.get("films"), list):
        raise FilmDataError(None, 'The file must be a JSON object with a "films" list.')
    if payload.get("version", 1) != 1:
        raise FilmDataError(None, 'This file has a "version" this Watchparty does not read (expected 1).')
    unknown = set(payload) - {"version", "films"}
    if unknown:
        raise FilmDataError(None, f"Unknown top-level key(s): {', '.join(sorted(unknown))}.")
    films, seen = [], {}
    for number, obj in enumerate(payload["films"], start=1):
        title = obj.get("title") if isinstance(obj, dict) else None
        name = f'Film {number} ("{title}")' if isinstance(title, str) and title.strip() else f"Film {number}"
        if not isinstance(obj, dict):
            raise FilmDataError(None, f"{name}: must be a JSON object.")
        try:
            slug, data, poster = _film_from_json(obj)
        except _Bad as error:
            key, message = error.args
            raise FilmDataError(None, f'{name}, field "{key}": {message}.', key) from None
        except FilmDataError as error:
            raise FilmDataError(None, f'{name}, field "{error.field}": {error.message}', error.field) from None
        if slug in seen:
            raise FilmDataError(None, f'{name}, field "slug": “{slug}” is also film {seen[slug]} in this file.', "slug")
        seen[slug] = number
        films.append((slug, data, poster))
    return films


def import_films(payload, created_by=None, skip_existing: bool = False) -> ImportResult:
    """Create or update films from an import payload (see docs/films-json.md).

    Films are matched by slug (given, or made from title and year). Everything
    is checked before anything is written, and all of it is one transaction:
    the caller commits, or rolls back on FilmDataError. With `skip_existing`,
    films already in the catalogue are left exactly as they are.
    """
    films = read_films_payload(payload)
    result = ImportResult()
    replaced: list[str | None] = []  # posters the import took off films: dropped if no film shows them
    slugs = [slug for slug, _, _ in films]
    existing = (
        {film.slug: film for film in db.session.scalars(_with_details(sa.select(Film).where(Film.slug.in_(slugs))))}
        if slugs
        else {}
    )
    for slug, data, poster in films:
        if poster is not None and not posters.has_poster(poster, lock=True):
            result.notes.append(f"{slug}: poster {poster} is not stored on this site; using a generated one.")
            poster = None
        film = existing.get(slug)
        if film is not None and skip_existing:
            result.skipped.append(slug)
            continue
        try:
            # Flushing film by film keeps new people visible to the next film's lookup.
            if film is None:
                film = Film(slug=slug, title=data.title, year=data.year, poster_filename=poster)
                film.created_by_id = created_by.id if created_by is not None else None
                db.session.add(film)
                _apply(film, data)
                result.created.append(slug)
            else:
                changed = _apply(film, data)
                if film.poster_filename != poster:
                    replaced.append(film.poster_filename)
                    film.poster_filename = poster
                    changed = True
                (result.updated if changed else result.unchanged).append(slug)
            db.session.flush()
        except IntegrityError:
            raise FilmDataError(
                None, f"Film “{slug}” or one of its people was saved elsewhere at the same moment; import again."
            ) from None
    for name in replaced:
        posters.delete_poster(name)
    return result


def export_films() -> dict:
    """Every film as the import format, ordered by slug: export, then import elsewhere."""
    films = db.session.scalars(_with_details(sa.select(Film).order_by(Film.slug)))
    out = []
    for film in films:
        item = {
            "slug": film.slug,
            "title": film.title,
            "year": film.year,
            "runtime_minutes": film.runtime_minutes,
            "tagline": film.tagline,
            "synopsis": film.synopsis,
            "genres": split_list(film.genres),
            "formats": split_list(film.watch_formats),
            "streaming_services": split_list(film.streaming_services),
            "cast": [{"name": c.person.name, "character": c.character} for c in film.credits if c.role == "cast"],
            "crew": [{"role": c.role, "name": c.person.name} for c in film.credits if c.role != "cast"],
            "awards": [
                {"ceremony": a.ceremony, "year": a.year, "category": a.category, "nominee": a.nominee, "won": a.won}
                for a in film.awards
            ],
            "trivia": [{"text": t.text, "spoiler": t.is_spoiler} for t in film.trivia],
            "spoiler_ending": film.spoiler_ending,
            "spoiler_turns": parse_spoiler_turn_lines(film.spoiler_turns),
        }
        if film.poster_filename:
            item["poster"] = film.poster_filename
        out.append(item)
    return {"version": 1, "films": out}
