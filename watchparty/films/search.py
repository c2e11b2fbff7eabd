"""Finding films in the catalogue: the films a person may find, and the search box
(title, cast and crew names, characters, ignoring case and accents). The film
picker's fuzzy "Did you mean …?" is `matching`'s.
"""

from typing import Any

import sqlalchemy as sa

from watchparty.films.data import CONTROL_ONE_LINE
from watchparty.models import Credit, Film, Person
from watchparty.models.film import search_key

QUERY_MAX = 200
PER_PAGE = 12


def clean_query(q: str | None) -> str:
    """A search box value made safe to send to any database: no control characters, bounded."""
    return CONTROL_ONE_LINE.sub(" ", q or "").strip()[:QUERY_MAX]


def has_control_characters(text: str) -> bool:
    return bool(CONTROL_ONE_LINE.search(text))


def escape_like(text: str) -> str:
    """Make % and _ (and the escape character itself) literal in a LIKE pattern."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def visible_films(user: Any) -> sa.ColumnElement[bool]:
    """The films `user` (anonymous or not) may find in the catalogue and the film picker."""
    if not getattr(user, "is_authenticated", False):
        return Film.visible_to(None)
    return Film.visible_to(user.id, is_admin=bool(user.is_admin))


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
