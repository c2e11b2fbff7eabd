"""The film catalogue's rules: creating and updating films, and reading them back
for the pages and the admin's queue. Beside it: `data` (what a film may hold:
FilmData and its checks), `search` (finding films), `lines` (the film form's
line-per-entry formats), `page` (the film page's read model), `transfer` (JSON
import and export) and `naming` (slugs and cast anchors).

Functions take plain values (a `FilmData` describes one film), `flush()` but
never commit, and raise `FilmDataError` with a message a person can act on.
"""

import hashlib
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from watchparty.errors import DomainError
from watchparty.extensions import db
from watchparty.films import matching, posters

# FilmData is what the service's verbs take: callers may build it from here (parties.service does).
from watchparty.films.data import FilmData as FilmData
from watchparty.films.data import validate_film_data
from watchparty.films.naming import SLUG_MAX, SLUG_PATTERN, base_slug
from watchparty.films.search import visible_films
from watchparty.models import Award, Credit, Film, Person, Trivia


class SlugTaken(DomainError):
    status = 409
    field = "title"


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
