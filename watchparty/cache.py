"""Rendered fragments kept in each worker: the parts of a page that are the same
for every viewer (the film card, the "Before you watch" panel, the film page,
the rows of the sign-up list that are nobody's own).

A fragment is stored under a key made of everything it shows: the rows it was
rendered from, as this request read them, plus the few facts about the viewer
it depends on. There is no version to bump and nothing to invalidate, so an
edit made through any path — a service, the CLI, another worker or another
machine — can never leave a stale fragment behind: the next request reads
the changed rows, the key differs, and the fragment is rendered anew. What a
hit saves is building objects and rendering templates, not the queries, so a
page runs the same statements whether its fragments are cached or not.

The party page also keeps the rows it reads, under the stamps of its party
and film (`page_stamp`, `stamped_rows`): every write that changes them gives
a new stamp, from a database trigger (models/page_version.py), so a hit
needs no query at all. With VERIFY_PAGE_CACHE (the tests) every hit is read
again and compared, and a difference is an error: a write the triggers miss
cannot pass the test suite unnoticed.

The cache is a bounded LRU per worker (keys and fragments both count towards
FRAGMENT_CACHE_MAX_CHARS); old fragments simply fall out.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import fields, is_dataclass
from typing import NamedTuple

import sqlalchemy as sa
from flask import Flask, current_app, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy.engine import Row

from watchparty.extensions import db
from watchparty.models import PageVersion

EXTENSION = "watchparty.fragments"
DEFAULT_MAX_CHARS = 4_000_000


def _weight(value) -> int:
    """Roughly how many characters a key or fragment holds: its strings count, the rest a little."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, (tuple, list, Row)):
        return 8 + sum(_weight(item) for item in value)
    if is_dataclass(value):
        return 8 + sum(_weight(getattr(value, item.name)) for item in fields(value))
    return 8


class FragmentCache:
    """A least-recently-used map of rendered HTML, bounded by size, shared by a worker's threads."""

    def __init__(self, max_chars: int = DEFAULT_MAX_CHARS):
        self.max_chars = max_chars
        self._entries: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable):
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[0]

    def put(self, key: Hashable, value) -> None:
        weight = _weight(key) + _weight(value)
        # One huge fragment must not push out everything else.
        if weight > self.max_chars // 4:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= old[1]
            self._entries[key] = (value, weight)
            self._size += weight
            while self._size > self.max_chars and self._entries:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._size -= dropped

    def fetch(self, key: Hashable, render: Callable[[], object]):
        """The fragment stored under `key`, or `render()`'s result, stored for next time."""
        value = self.get(key)
        if value is None:
            value = render()
            self.put(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0


def init_fragments(app: Flask) -> None:
    app.extensions[EXTENSION] = FragmentCache(app.config.get("FRAGMENT_CACHE_MAX_CHARS", DEFAULT_MAX_CHARS))


def fragments(app: Flask | None = None) -> FragmentCache:
    """This app's (this worker's) fragment cache."""
    return (app or current_app).extensions[EXTENSION]


def cached(key: Hashable, render: Callable[[], object]):
    """What `render()` makes (rendered templates), cached under `key`: see the module docstring.

    The site's address as this request reached it (scheme, host, script root)
    is part of every key: fragments hold URLs built from it, and a request
    with a made-up Host header must not leave its links for anyone else.
    """
    return fragments().fetch((request.root_url, key), render)


def cached_fragment(key: Hashable, render: Callable[[], str]) -> Markup:
    """One rendered template, cached under `key` (see `cached`)."""
    # A rendered template: Jinja's autoescape has already escaped what it shows.
    return cached(key, lambda: Markup(render()))  # noqa: S704


def cache_block(key: Hashable | None, caller: Callable[[], Markup]) -> Markup:
    """For templates: `{% call cache_block(key) %}…{% endcall %}` is the block's HTML,
    rendered once per worker for `key` (see `cached`); a None key renders it every time.

    The key must hold everything the block shows, and the block must not show
    a CSRF token: it uses `csrf_slot` instead (see `fill_csrf_slots`).
    """
    if key is None:
        return caller()
    return cached(("block", key), caller)


# A cached block is shared by every viewer, so it cannot hold a session's CSRF
# token: it holds this slot, and `fill_csrf_slots` puts the viewer's token in
# its place around the part of the page that has the forms. Text a user typed
# is escaped ("<" becomes "&lt;"), so only a template can put a slot in a page.
CSRF_SLOT = Markup("<csrf-slot>")


def fill_csrf_slots(html: Markup) -> Markup:
    """`{% filter fill_csrf_slots %}`: every CSRF slot in the block replaced by this session's token."""
    if CSRF_SLOT not in html:
        return html  # no form: no token, and no session made for one
    return html.replace(CSRF_SLOT, generate_csrf())


# ---------------------------------------------------------------- rows kept under stamps


class StaleCache(AssertionError):
    """VERIFY_PAGE_CACHE found kept rows that differ from the database: a write that stamped nothing."""


class PageStamp(NamedTuple):
    """A party's and its film's stamps, as this request read them."""

    party_id: int
    party: int
    film_id: int
    film: int


_version = PageVersion.__table__
_STAMPS = sa.select(_version.c.scope, _version.c.stamp).where(
    sa.or_(
        sa.and_(_version.c.scope == "party", _version.c.scope_id == sa.bindparam("party_id")),
        sa.and_(_version.c.scope == "film", _version.c.scope_id == sa.bindparam("film_id")),
    )
)


def page_stamp(party_id: int, film_id: int) -> PageStamp | None:
    """The stamps of a party and its film, or None when one has none yet (nothing is kept then).

    Read them only where the request has written nothing: on PostgreSQL a
    transaction's own writes are stamped at its commit, so rows read after a
    write, under the stamps read with them, could be rows nobody else sees.
    """
    stamps = dict(db.session.execute(_STAMPS, {"party_id": party_id, "film_id": film_id}).all())
    if len(stamps) < 2:
        return None
    return PageStamp(party_id, stamps["party"], film_id, stamps["film"])


def stamped_rows(stamp: PageStamp | None, statement: sa.Executable, params: dict) -> list[Row]:
    """`statement`'s rows, kept per worker while `stamp` holds (None: read every time).

    The statement must read only the stamped party's and film's rows, and
    `params` be the same for everyone who reads under the stamp.
    """
    def read() -> list[Row]:
        return db.session.execute(statement, params).all()

    if stamp is None:
        return read()
    key = ("rows", stamp, statement, tuple(sorted(params.items())))
    kept = fragments().get(key)
    if kept is None:
        kept = read()
        fragments().put(key, kept)
    elif current_app.config.get("VERIFY_PAGE_CACHE") and (fresh := read()) != kept:
        raise StaleCache(f"kept rows of party {stamp.party_id} differ from the database: {kept!r} != {fresh!r}")
    return kept
