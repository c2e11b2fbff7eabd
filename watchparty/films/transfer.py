"""Films as JSON: the catalogue file the demo loads and `flask films import` reads,
checked line by line, and the export that writes it back."""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, overload

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from watchparty.extensions import db
from watchparty.films import posters
from watchparty.films.data import (
    AwardEntry,
    CastEntry,
    CrewEntry,
    FilmData,
    FilmDataError,
    TriviaEntry,
    split_list,
    validate_film_data,
)
from watchparty.films.lines import parse_spoiler_turn_lines
from watchparty.films.naming import SLUG_MAX, SLUG_PATTERN, base_slug
from watchparty.films.service import apply_film_data, with_details
from watchparty.models import Film

FILM_KEYS = (
    "slug", "title", "year", "runtime_minutes", "tagline", "synopsis", "genres", "formats",
    "streaming_services", "cast", "crew", "awards", "trivia", "poster", "spoiler_ending", "spoiler_turns",
    "added_for_party", "approved_at",
)  # fmt: skip


@dataclass(frozen=True)
class Listing:
    """Whether the public catalogue lists a film (`Film.is_listed`): a film a host added for a
    party waits for a synopsis or an admin's approval. Travels with the film in the JSON."""

    added_for_party: bool = False
    approved_at: datetime | None = None

    @classmethod
    def of(cls, film: Film) -> "Listing":
        return cls(film.added_for_party, film.approved_at)

    def apply_to(self, film: Film) -> bool:
        """Set it on `film`; True when that changed something."""
        if (film.added_for_party, film.approved_at) == (self.added_for_party, self.approved_at):
            return False
        film.added_for_party, film.approved_at = self.added_for_party, self.approved_at
        return True


# What fromisoformat reads, and only that: it lets odd characters through (a NUL before the offset).
_ISO_INSTANT = re.compile(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d{1,6})?)?(?:Z|[+-]\d\d:\d\d)?\Z")


def _json_time(obj: dict, key: str) -> datetime | None:
    """An ISO 8601 instant with its offset ("2026-12-05T06:00:00Z"), as UTC; null for none."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not _ISO_INSTANT.match(value):
        raise _Bad(key, "must be a date and time like 2026-12-05T06:00:00Z, or null")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _Bad(key, "must be a date and time like 2026-12-05T06:00:00Z, or null") from None
    if moment.tzinfo is None:
        raise _Bad(key, "needs its offset from UTC, like 2026-12-05T06:00:00Z")
    if not 1900 <= moment.year <= 9000:
        raise _Bad(key, "must be a date and time like 2026-12-05T06:00:00Z, or null")
    return moment.astimezone(UTC)


def _json_bool(obj: dict, key: str) -> bool:
    value = obj.get(key, False)
    if not isinstance(value, bool):
        raise _Bad(key, "must be true or false")
    return value


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


@overload
def _json_int(obj: dict, key: str, *, required: Literal[True]) -> int: ...
@overload
def _json_int(obj: dict, key: str, *, required: bool = False) -> int | None: ...
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


def _film_from_json(obj: dict) -> tuple[str, FilmData, str | None, Listing]:
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
    listing = Listing(_json_bool(obj, "added_for_party"), _json_time(obj, "approved_at"))
    if listing.approved_at is not None and not listing.added_for_party:
        raise _Bad("approved_at", "is only for a film with \"added_for_party\": true")
    return slug, data, poster, listing


def read_films_payload(payload) -> list[tuple[str, FilmData, str | None, Listing]]:
    """Check a whole import file; the first problem raises FilmDataError naming film and field."""
    if not isinstance(payload, dict) or not isinstance(payload.get("films"), list):
        raise FilmDataError(None, 'The file must be a JSON object with a "films" list.')
    if payload.get("version", 1) != 1:
        raise FilmDataError(None, 'This file has a "version" this Watchparty does not read (expected 1).')
    unknown = set(payload) - {"version", "films"}
    if unknown:
        raise FilmDataError(None, f"Unknown top-level key(s): {', '.join(sorted(unknown))}.")
    films = []
    seen: dict[str, int] = {}  # slug: the film's number in the file
    for number, obj in enumerate(payload["films"], start=1):
        title = obj.get("title") if isinstance(obj, dict) else None
        name = f'Film {number} ("{title}")' if isinstance(title, str) and title.strip() else f"Film {number}"
        if not isinstance(obj, dict):
            raise FilmDataError(None, f"{name}: must be a JSON object.")
        try:
            slug, data, poster, listing = _film_from_json(obj)
        except _Bad as error:
            key, message = error.args
            raise FilmDataError(None, f'{name}, field "{key}": {message}.', key) from None
        except FilmDataError as error:
            raise FilmDataError(None, f'{name}, field "{error.field}": {error.message}', error.field) from None
        if slug in seen:
            raise FilmDataError(None, f'{name}, field "slug": “{slug}” is also film {seen[slug]} in this file.', "slug")
        seen[slug] = number
        films.append((slug, data, poster, listing))
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
    slugs = [slug for slug, _, _, _ in films]
    existing = (
        {film.slug: film for film in db.session.scalars(with_details(sa.select(Film).where(Film.slug.in_(slugs))))}
        if slugs
        else {}
    )
    for slug, data, poster, listing in films:
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
                listing.apply_to(film)
                db.session.add(film)
                apply_film_data(film, data)
                result.created.append(slug)
            else:
                changed = apply_film_data(film, data)
                changed = listing.apply_to(film) or changed
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


def _time_json(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def export_films() -> dict:
    """Every film as the import format, ordered by slug: export, then import elsewhere."""
    films = db.session.scalars(with_details(sa.select(Film).order_by(Film.slug)))
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
        if film.added_for_party:  # catalogue films leave both out (the defaults)
            item["added_for_party"] = True
            item["approved_at"] = _time_json(film.approved_at)
        out.append(item)
    return {"version": 1, "films": out}
