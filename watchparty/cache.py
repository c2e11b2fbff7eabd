"""What each worker keeps between requests, and how it knows it still holds.

Two kinds of key, each proof against a stale page whoever made the change
(a service, the CLI, plain SQL, another worker or machine):

- **Content.** A fragment the same for every viewer (the film card, the
  "Before you watch" panel, the film page, the sign-up rows that are nobody's
  own) is kept under everything it shows: the rows it was rendered from, as
  this request read them. Nothing to invalidate; a hit saves rendering, not
  queries (`cached`, `cached_fragment`, `cache_block`).
- **Stamps.** Every write to a table the party page reads gives its party or
  film a new stamp, from a database trigger (models/page_version.py). Under
  those stamps the party page keeps the rows it reads (`page_rows`, inside
  `reading_under(stamp)`, which only watchparty.party_page opens) and
  itself, whole, per viewer (`cached_page`): compressed, with the two things
  that differ per request — the session's CSRF token and the server's clock —
  cut out and put back on every view. A hit renders nothing and runs two
  statements for a guest (the party with its stamps, their reply), one for
  the film page, plus the user's for someone signed in. Stamps are read with the party, in the same statement, and only by a
  request that writes nothing (party_with_stamps): on
  PostgreSQL a transaction's own writes are stamped only at its commit.

With VERIFY_PAGE_CACHE (the test config) every stamped hit is read or
rendered again and compared, and a difference raises StaleCache: a write the
triggers miss, or a page key that leaves something out, cannot pass the
test suite unnoticed.

The cache is a bounded LRU per worker (keys and values both count towards
FRAGMENT_CACHE_MAX_CHARS); old entries simply fall out.
"""

import hmac
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import fields, is_dataclass
from typing import NamedTuple

import sqlalchemy as sa
from flask import Flask, current_app, g, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy.engine import Row
from sqlalchemy.orm import joinedload

from watchparty.extensions import db
from watchparty.models import PageVersion, Party

EXTENSION = "watchparty.fragments"
DEFAULT_MAX_CHARS = 8_000_000


def _weight(value) -> int:
    """Roughly how many characters a key or fragment holds: its strings count, the rest a little."""
    if isinstance(value, (str, bytes)):
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


# The party page's party with the stamps of what it shows, in the same statement.
_party_version = PageVersion.__table__.alias("party_version")
_film_version = PageVersion.__table__.alias("film_version")
_PARTY_WITH_STAMPS = (
    sa.select(Party, _party_version.c.stamp, _film_version.c.stamp)
    .outerjoin(_party_version, sa.and_(_party_version.c.scope == "party", _party_version.c.scope_id == Party.id))
    .outerjoin(_film_version, sa.and_(_film_version.c.scope == "film", _film_version.c.scope_id == Party.film_id))
    .where(Party.share_token == sa.bindparam("token"))
    .options(joinedload(Party.host), joinedload(Party.film))
)


def party_with_stamps(token: str) -> tuple[Party, PageStamp | None] | None:
    """The party behind a share link and the stamps of what its page shows, read together.

    In one statement, so that everything the page reads is as new as its
    stamps or newer: on PostgreSQL each statement sees the latest commits, and
    a party read before its stamps could be kept under a stamp it predates.
    Only a request that writes nothing may keep what it reads under them.
    """
    row = db.session.execute(_PARTY_WITH_STAMPS, {"token": token}).first()
    if row is None or not hmac.compare_digest(row[0].share_token.encode(), token.encode()):
        return None
    party, party_stamp, film_stamp = row
    if party_stamp is None or film_stamp is None:
        return party, None
    return party, PageStamp(party.id, party_stamp, party.film_id, film_stamp)


# The stamps the party page is being read under, set by the page's one home
# (watchparty.party_page) around its read model: services read their rows
# through `page_rows` and never see a stamp.
_reading_under: ContextVar[PageStamp | None] = ContextVar("watchparty_page_stamp", default=None)


@contextmanager
def reading_under(stamp: PageStamp | None) -> Iterator[None]:
    """Rows read through `page_rows` inside this block are kept under `stamp` (None: never kept)."""
    token = _reading_under.set(stamp)
    try:
        yield
    finally:
        _reading_under.reset(token)


def page_rows(statement: sa.Executable, params: dict) -> list[Row]:
    """`statement`'s rows, kept per worker while the stamps of `reading_under` hold
    (outside such a block, or with no stamps: read every time).

    The statement must read only the stamped party's and film's rows, and
    `params` be the same for everyone who reads under the stamp.
    """
    stamp = _reading_under.get()

    def read() -> list[Row]:
        return list(db.session.execute(statement, params).all())  # typed a Sequence, kept as a list

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


# ---------------------------------------------------------------- whole pages


# The countdown's server time (rsvp/_when_where.html): cut out of a kept page, put back per view.
NOW_ATTRIBUTE = 'data-now="{}"'
NOW_SLOT = NOW_ATTRIBUTE.format("<now-slot>")


def _csrf_field() -> str:
    return current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")


def _cut_holes(html: str, now_text: str) -> str:
    """The page as it is kept: this request's CSRF token and server time replaced by slots."""
    token = g.get(_csrf_field())  # set by flask-wtf once the page has asked for a token
    if token:
        html = html.replace(token, CSRF_SLOT)
    return html.replace(NOW_ATTRIBUTE.format(now_text), NOW_SLOT) if now_text else html


def _fill_holes(kept: str, now_text: str) -> str:
    html = kept.replace(NOW_SLOT, NOW_ATTRIBUTE.format(now_text)) if now_text else kept
    return fill_csrf_slots(Markup(html))  # noqa: S704 - a page we rendered


def signed_in_as() -> tuple | None:
    """The signed-in user as the base layout (and a reply form) shows them, for page keys."""
    if not current_user.is_authenticated:
        return None
    return (current_user.id, current_user.display_name, current_user.email)


def cached_page(key: Hashable | None, render: Callable[[], str], now_text: str = "") -> str:
    """A whole page for one viewer, kept per worker under `key` (None, or a flash message
    waiting in the session: rendered every time).

    The key must hold everything the page shows but its CSRF token and the
    server's time `now_text` (the countdown's data-now, if the page has one):
    the stamps of what it reads, who is looking (`signed_in_as`), and where
    the clock stands. A page is kept compressed (a large party's is ~150 kB,
    ~12 kB compressed).
    """
    if key is None or "_flashes" in session or not current_app.config.get("KEEP_WHOLE_PAGES", True):
        return render()  # (a message to show once would come back)
    full_key = ("page", request.root_url, key)
    kept = fragments().get(full_key)
    verify = current_app.config.get("VERIFY_PAGE_CACHE")
    if kept is not None and not verify:
        return _fill_holes(zlib.decompress(kept).decode(), now_text)
    html = render()
    holed = _cut_holes(html, now_text)
    if kept is None:
        fragments().put(full_key, zlib.compress(holed.encode(), 1))
    elif (was := zlib.decompress(kept).decode()) != holed:
        raise StaleCache(f"kept page differs from a fresh render under key {key!r}:\n{_first_difference(was, holed)}")
    return html


def _first_difference(kept: str, fresh: str) -> str:
    at = next((i for i, (a, b) in enumerate(zip(kept, fresh, strict=False)) if a != b), min(len(kept), len(fresh)))
    return f"kept …{kept[max(0, at - 80):at + 80]!r}…\nfresh …{fresh[max(0, at - 80):at + 80]!r}…"
