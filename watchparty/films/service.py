"""The film catalogue's rules: what a film may hold, creating and updating films,
and finding them. Beside it: `lines` (the film form's line-per-entry formats),
`page` (the film page's read model), `transfer` (JSON import and export) and
`naming` (slugs and cast anchors).

Functions take plain values (a `FilmData` describes one film whatever it came
from: the web form, a JSON file or the demo catalogue), `flush()` but never
commit, and raise `FilmDataError` with a message a person can act on.
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from watchparty.errors import DomainError
from watchparty.extensions import db
from watchparty.films import matching, posters
from watchparty.films.naming import slugify
from watchparty.models import CREDIT_ROLES, WATCH_FORMATS, Award, Credit, Film, Person, Trivia
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
# One-line text may hold no control character at all; long text keeps tab and newline.
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_LONG = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
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


def has_control_characters(text: str) -> bool:
    return bool(_CONTROL_ONE_LINE.search(text))


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


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def check_text(
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


# ------------------------------------------------------------- writing a film


def can_edit(user, film: Film | sa.Row[Any]) -> bool:
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


def apply_film_data(film: Film, data: FilmData) -> bool:
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


def create_film(
    data: FilmData, created_by=None, poster: bytes | None = None, *, added_for_party: bool = False
) -> Film:
    """Add a film to the catalogue with a unique slug from its title and year.

    "Anora" (2024) becomes `anora-2024`, the next one `anora-2024-2`: the
    slug's unique constraint decides, also between simultaneous requests.
    A film `added_for_party` stays out of the public catalogue until it is
    listed (`Film.is_listed`); its creator can use it at once.
    """
    data = validate_film_data(data)
    encoded = posters.encode_poster(poster) if poster is not None else None
    film = Film(
        title=data.title,
        year=data.year,
        created_by_id=created_by.id if created_by is not None else None,
        added_for_party=added_for_party,
    )
    _insert_with_unique_slug(film, base_slug(data.title, data.year))
    apply_film_data(film, data)
    _flush_children()
    if encoded is not None:
        film.poster_filename = posters.save_poster(*encoded)
        db.session.flush()
    return film


class FilmMayBeThere(DomainError):
    """The film form's title is, or may be, a film already in the catalogue: `matches` to pick
    from (best first). `exact`: the same title and year, which is never added twice."""

    status = 422
    field = "title"

    def __init__(self, message: str, matches: list[matching.Match], exact: bool = False):
        super().__init__(message)
        self.matches = matches
        self.exact = exact


def _one_at_a_time(title: str, year: int) -> None:
    """Two people adding the same film at once: the database lets one look and add at a time.
    SQLite's writer already holds the database's write lock from the request's first read
    (extensions._begin_sqlite); PostgreSQL takes a lock on the folded title and year until
    the transaction ends, and the second request's look then sees the first one's film."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    folded = matching.Forms.of(title)
    digest = hashlib.blake2b(f"film:{folded.stripped or folded.full}:{year}".encode(), digest_size=8).digest()
    db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": int.from_bytes(digest, signed=True)})


def add_film(
    data: FilmData,
    created_by=None,
    poster: bytes | None = None,
    *,
    added_for_party: bool = False,
    different_film: bool = False,
) -> Film:
    """A film someone adds on the film form, never as a duplicate: a film with the same
    title (ignoring case, accents, punctuation and a leading article) and year is refused,
    and while films close to it exist (`matching.close_matches`, those the person may find)
    it is added only once they said it is a `different_film`."""
    data = validate_film_data(data)
    _one_at_a_time(data.title, data.year)
    # Any film, even one a host added that the catalogue does not list yet: one film, one row.
    same = matching.same_film(data.title, data.year, sa.true())
    if same is not None:
        raise FilmMayBeThere(
            f"{matching.film_label(same)} is already in the catalogue: pick it below.",
            [matching.Match(same, 100.0)],
            exact=True,
        )
    if not different_film:
        close = matching.close_matches(f"{data.title} ({data.year})", visible_films(created_by))
        if close:
            raise FilmMayBeThere(
                f"Did you mean {close[0].label}? Pick it below, or tick that yours is a different film.", close
            )
    return create_film(data, created_by=created_by, poster=poster, added_for_party=added_for_party)


def update_film(film: Film, data: FilmData, poster: bytes | None = None, remove_poster: bool = False) -> None:
    """Change a film. Its slug stays: links to it have been shared. A replaced
    or removed poster is dropped in the same transaction."""
    data = validate_film_data(data)
    encoded = posters.encode_poster(poster) if poster is not None else None
    apply_film_data(film, data)
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


def with_details(statement: sa.Select) -> sa.Select:
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
    return db.session.scalar(with_details(statement) if details else statement)


def visible_films(user: Any) -> sa.ColumnElement[bool]:
    """The films `user` (anonymous or not) may find in the catalogue and the film picker."""
    if not getattr(user, "is_authenticated", False):
        return Film.visible_to(None)
    return Film.visible_to(user.id, is_admin=bool(user.is_admin))


def approve_film(film: Film, now: datetime | None = None) -> None:
    """An admin lists a film a host added for a party in the public catalogue."""
    if film.approved_at is None:
        film.approved_at = now or datetime.now(UTC)
        db.session.flush()


def unlisted_films() -> list[Film]:
    """Films hosts added for their parties that the public catalogue does not show yet."""
    return list(db.session.scalars(sa.select(Film).where(sa.not_(Film.is_listed)).order_by(Film.created_at, Film.id)))


def count_unlisted_films() -> int:
    """How many films hosts added wait for a synopsis or an admin's approval."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Film).where(sa.not_(Film.is_listed))) or 0


def search_films(q: str | None, user: Any = None, unlisted_only: bool = False) -> sa.Select:
    """Films whose title, cast or crew name, or character matches `q`,
    ignoring case and accents ("amelie" finds "Amélie"); all films when empty.
    Only the films `user` may find (`visible_films`); with `unlisted_only`, only
    those of them the public catalogue does not list yet (an admin's queue).

    Returns a select for `db.paginate`.
    """
    statement = sa.select(Film).where(visible_films(user)).order_by(Film.search_title, Film.year, Film.id)
    if unlisted_only:
        statement = statement.where(sa.not_(Film.is_listed))
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
