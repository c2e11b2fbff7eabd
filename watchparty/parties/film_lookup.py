"""Finding the film a host picked or typed on the party form, among the films they may pick."""

import re

import sqlalchemy as sa

from watchparty.extensions import db
from watchparty.films import matching
from watchparty.models import Film, User
from watchparty.models.film import search_key
from watchparty.parties.errors import FilmNotFound

# "Anora (2024)": a title with its year, as the film field shows a picked film.
TITLE_WITH_YEAR = re.compile(r"^(?P<title>.+?)\s*\((?P<year>\d{4})\)$")
_SLUG = re.compile(r"\A[a-z0-9]+(?:-[a-z0-9]+)*\Z")


def _visible(host: User | None) -> sa.ColumnElement[bool]:
    """The films a host may pick: the public catalogue and the films they added themselves."""
    if host is None:
        return Film.visible_to(None)
    return Film.visible_to(host.id, is_admin=bool(host.is_admin))


def _by_slug(slug: str, host: User | None) -> Film | None:
    slug = (slug or "").strip().lower()
    if not slug or len(slug) > 120 or not _SLUG.match(slug):
        return None
    return db.session.scalar(sa.select(Film).where(Film.slug == slug, _visible(host)))


def film_label(text: str, host: User | None = None) -> str:
    """What the film field shows for a slug (a link's `?film=`): "Anora (2024)"; other text as it is."""
    film = _by_slug(text, host)
    return matching.film_label(film) if film is not None else text


def close_films(text: str, host: User | None = None) -> list[matching.Match]:
    """The films close to `text` that the host may pick ("Did you mean …?")."""
    return matching.close_matches(text, _visible(host))


def find_film(text: str, host: User | None = None, slug: str = "") -> Film:
    """The film a host picked or typed: a slug picked from a list, then the text as a slug,
    an exact title (any case or accents) or "Title (Year)" — one the host may pick.

    Anything else raises FilmNotFound with the close matches: the host chooses
    among them (or to add the title as a new film) rather than the app guessing.
    """
    text = (text or "").strip()
    film = _by_slug(slug, host) or _by_slug(text, host)
    if film is not None:
        return film
    title, year = text, None
    match = TITLE_WITH_YEAR.match(text)
    if match:
        title, year = match.group("title"), int(match.group("year"))
    # search_title is the title folded to lower-case ASCII: "amelie" finds "Amélie".
    query = sa.select(Film).where(Film.search_title == search_key(title), _visible(host))
    if year is not None:
        query = query.where(Film.year == year)
    films = db.session.scalars(query.order_by(Film.year.desc(), Film.id).limit(matching.CHOICES)).all()
    if len(films) == 1:
        return films[0]
    if films:
        raise FilmNotFound(
            "Several films are called that: pick the one you mean.",
            text,
            [matching.Match(film, 100.0) for film in films],
        )
    matches = matching.close_matches(text, _visible(host))
    if matches:
        raise FilmNotFound(f"Did you mean {matches[0].label}? Pick the film below.", text, matches)
    raise FilmNotFound(
        f"No film called “{text}” in the catalogue yet: give the year it came out to add it, or pick another.", text
    )
