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
  itself, whole, per viewer (`cached_page`): as runs of lines shared between
  pages, with the two things that differ per request — the session's CSRF token and the server's clock —
  cut out and put back on every view. A hit renders nothing and runs two
  statements for a guest (the party with its stamps, their reply), one for
  the film page, plus the user's for someone signed in. Stamps are read with the party, in the same statement, and only by a
  request that writes nothing (party_head): on
  PostgreSQL a transaction's own writes are stamped only at its commit.

With VERIFY_PAGE_CACHE (the test config) every stamped hit is read or
rendered again and compared, and a difference raises StaleCache: a write the
triggers miss, or a page key that leaves something out, cannot pass the
test suite unnoticed.

The cache is a bounded LRU per worker: keys and values count towards
PAGE_CACHE_MAX_BYTES by about the memory they take; old entries simply fall out.
"""

import hmac
import re
import sys
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import fields, is_dataclass
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from flask import Flask, current_app, g, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy.engine import Row

from watchparty.extensions import db
from watchparty.models import Film, PageVersion, Party, Rsvp
from watchparty.models.party import film_end

EXTENSION = "watchparty.fragments"
DEFAULT_MAX_BYTES = 16_000_000


def _weight(value) -> int:
    """About how many bytes a key or value takes in memory, with everything it holds.
    (Objects shared with others count again: on the safe side of the bound.)"""
    size = sys.getsizeof(value)
    if isinstance(value, (str, bytes)):
        return size
    if isinstance(value, (tuple, list, Row)):
        return size + sum(8 + _weight(item) for item in value)
    if is_dataclass(value):
        return size + sum(8 + _weight(getattr(value, item.name)) for item in fields(value))
    return size


class FragmentCache:
    """A least-recently-used map of rendered HTML, bounded by size, shared by a worker's threads."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES):
        self.max_bytes = max_bytes
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

    def put(self, key: Hashable, value, weight: int | None = None) -> None:
        """Keep `value` under `key`; `weight` (what it costs to keep, in bytes) if the
        value's own size would overstate it (text shared with other entries)."""
        weight = _weight(key) + (_weight(value) if weight is None else weight)
        # One huge fragment must not push out everything else.
        if weight > self.max_bytes // 4:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= old[1]
            self._entries[key] = (value, weight)
            self._size += weight
            while self._size > self.max_bytes and self._entries:
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
    app.extensions[EXTENSION] = FragmentCache(app.config.get("PAGE_CACHE_MAX_BYTES", DEFAULT_MAX_BYTES))


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


class PartyHead(NamedTuple):
    """What a view of the party page needs before it knows whether a kept page will do:
    the party's schedule and host, and the stamps of what its page shows. Plain
    columns, no ORM objects: a kept page's view builds none."""

    party_id: int
    share_token: str
    host_id: int | None
    undecided: bool
    status: str
    starts_at: datetime
    rsvp_deadline: datetime | None
    timezone: str
    runtime_minutes: int | None
    users_reply_id: int | None  # the signed-in viewer's own reply, if they made one
    remembered_reply_id: int | None  # the reply whose manage token this browser keeps, if any
    stamp: PageStamp | None

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def ends_at(self) -> datetime:
        return film_end(self.starts_at, self.runtime_minutes)


# The party page's head with the stamps of what it shows, in the same statement.
_party_version = PageVersion.__table__.alias("party_version")
_film_version = PageVersion.__table__.alias("film_version")
_PARTY_HEAD = (
    sa.select(
        Party.id, Party.share_token, Party.host_id, Party.undecided, Party.status, Party.starts_at,
        Party.rsvp_deadline, Party.timezone, Film.runtime_minutes,
        sa.select(Rsvp.id)
        .where(Rsvp.party_id == Party.id, Rsvp.user_id == sa.bindparam("user_id"))
        .scalar_subquery(),
        sa.select(Rsvp.id)
        .where(Rsvp.party_id == Party.id, Rsvp.manage_token.in_(sa.bindparam("tokens", expanding=True)))
        .limit(1)
        .scalar_subquery(),
        Party.film_id, _party_version.c.stamp, _film_version.c.stamp,
    )
    .join(Film, Film.id == Party.film_id)
    .outerjoin(_party_version, sa.and_(_party_version.c.scope == "party", _party_version.c.scope_id == Party.id))
    .outerjoin(_film_version, sa.and_(_film_version.c.scope == "film", _film_version.c.scope_id == Party.film_id))
    .where(Party.share_token == sa.bindparam("token"))
)


def party_head(token: str, user_id: int | None, remembered_tokens: Sequence[str] = ()) -> PartyHead | None:
    """The party behind a share link, the reply of the signed-in user `user_id`, the
    reply among `remembered_tokens` (the manage tokens this browser keeps, for any
    party) that belongs to it, and the stamps of what its page shows, read together.

    In one statement, so that everything the page reads is as new as its
    stamps or newer: on PostgreSQL each statement sees the latest commits, and
    a party read before its stamps could be kept under a stamp it predates.
    Only a request that writes nothing may keep what it reads under them.
    """
    params = {"token": token, "user_id": user_id, "tokens": list(remembered_tokens)}
    row = db.session.execute(_PARTY_HEAD, params).first()
    if row is None or not hmac.compare_digest(row.share_token.encode(), token.encode()):
        return None
    party_id, _, host_id, undecided, status, starts_at, deadline, zone, runtime, users_reply, remembered, film_id, *stamps = row
    stamp = None
    if stamps[0] is not None and stamps[1] is not None:
        stamp = PageStamp(party_id, stamps[0], film_id, stamps[1])
    return PartyHead(
        party_id, token, host_id, undecided, status, starts_at, deadline, zone, runtime, users_reply, remembered, stamp
    )


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
_SLOTS = re.compile(f"({re.escape(CSRF_SLOT)}|{re.escape(NOW_SLOT)})")

# A kept page is stored as runs of lines shared with every other kept page: the
# pages of one party differ between viewers in a few lines (their name, their
# reply, their claims), so 300 guests' pages of a large party keep its ~2,500
# distinct lines once plus a tuple of references each, and a view joins bytes
# (no decompressing, decoding or encoding of the whole page). A run ends after
# a line whose checksum ends in three zero bits, so runs start and end at the
# same lines in every viewer's page, whatever differs before them.
_RUN_END_MASK = 0b111
_RUN_TABLE_MAX = 50_000  # distinct runs remembered for sharing; beyond it, sharing starts afresh
_runs: dict[bytes, bytes] = {}


# A kept page: the runs of its lines (each the same bytes object as any equal run
# kept for another page) in order, with its slots' own text between them, as the
# module's two objects below, which a view fills. One flat tuple per page: a tuple
# per stretch between slots and a string per slot would cost more memory than the
# page's own new text.
KeptPage = tuple[bytes, ...]
_CSRF_PIECE = CSRF_SLOT.encode()
_NOW_PIECE = NOW_SLOT.encode()
_PIECE_OF_SLOT = {CSRF_SLOT: _CSRF_PIECE, NOW_SLOT: _NOW_PIECE}
_PAGE_OVERHEAD = sys.getsizeof(()) + 100  # bytes: the tuple itself and its place in the cache


def _shared_runs(text: str, pieces: list[bytes]) -> int:
    """Add `text` to `pieces` as runs of lines, each the same object as any equal run
    already kept, and return how many bytes the new ones take (what keeping them costs)."""
    if len(_runs) > _RUN_TABLE_MAX:
        _runs.clear()  # kept pages hold their runs; only later pages stop sharing with them
    new_bytes = 0
    lines = text.encode().splitlines(keepends=True)
    run: list[bytes] = []
    for number, line in enumerate(lines, 1):
        run.append(line)
        if zlib.crc32(line) & _RUN_END_MASK == 0 or number == len(lines):
            joined = b"".join(run)
            shared = _runs.setdefault(joined, joined)
            new_bytes += sys.getsizeof(joined) + 50 if shared is joined else 0  # 50: its place in _runs
            pieces.append(shared)
            run = []
    return new_bytes


def _keep(holed: str) -> tuple[KeptPage, int]:
    """The holed page as kept, and its weight for the cache's size bound (about the bytes it adds)."""
    pieces: list[bytes] = []
    weight = _PAGE_OVERHEAD
    for number, piece in enumerate(_SLOTS.split(holed)):
        if number % 2:
            pieces.append(_PIECE_OF_SLOT[piece])  # the module's own object: no copy per page
        else:
            weight += _shared_runs(piece, pieces)
    return tuple(pieces), weight + 8 * len(pieces)


def _holed(kept: KeptPage) -> str:
    """The kept page with its slots, as it was cut (to compare with a fresh render)."""
    return b"".join(kept).decode()


def _fill(kept: KeptPage, now_text: str) -> bytes:
    """The kept page for this view: this session's CSRF token and the server's time in their slots."""
    filling = {_NOW_PIECE: NOW_ATTRIBUTE.format(now_text).encode()}
    if _CSRF_PIECE in kept:  # no form: no token, and no session made for one
        filling[_CSRF_PIECE] = generate_csrf().encode()
    return b"".join(map(filling.get, kept, kept))


def _csrf_field() -> str:
    return current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")


def _cut_holes(html: str, now_text: str) -> str:
    """The page as it is kept: this request's CSRF token and server time replaced by slots."""
    token = g.get(_csrf_field())  # set by flask-wtf once the page has asked for a token
    if token:
        html = html.replace(token, CSRF_SLOT)
    return html.replace(NOW_ATTRIBUTE.format(now_text), NOW_SLOT) if now_text else html


def signed_in_as() -> tuple | None:
    """The signed-in user as the base layout (and a reply form) shows them, for page keys."""
    if not current_user.is_authenticated:
        return None
    return (current_user.id, current_user.display_name, current_user.email)


def cached_page(key: Hashable | None, render: Callable[[], str], now_text: str = "") -> str | bytes:
    """A whole page for one viewer, kept per worker under `key` (None, or a flash message
    waiting in the session: rendered every time); a kept page comes back as UTF-8 bytes.

    The key must hold everything the page shows but its CSRF token and the
    server's time `now_text` (the countdown's data-now, if the page has one):
    the stamps of what it reads, who is looking (`signed_in_as`), and where
    the clock stands. A page is kept as runs of lines shared between pages
    (see KeptPage): a large party's 300 guests' pages (~175 kB each) keep
    ~250 kB of text between them, plus ~3 kB of references each.
    """
    if key is None or "_flashes" in session or not current_app.config.get("KEEP_WHOLE_PAGES", True):
        return render()  # (a message to show once would come back)
    full_key = ("page", request.root_url, key)
    kept = fragments().get(full_key)
    verify = current_app.config.get("VERIFY_PAGE_CACHE")
    if kept is not None and not verify:
        return _fill(kept, now_text)
    html = render()
    holed = _cut_holes(html, now_text)
    if kept is None:
        page, weight = _keep(holed)
        fragments().put(full_key, page, weight=weight)
    elif (was := _holed(kept)) != holed:
        raise StaleCache(f"kept page differs from a fresh render under key {key!r}:\n{_first_difference(was, holed)}")
    return html


def _first_difference(kept: str, fresh: str) -> str:
    at = next((i for i, (a, b) in enumerate(zip(kept, fresh, strict=False)) if a != b), min(len(kept), len(fresh)))
    return f"kept …{kept[max(0, at - 80):at + 80]!r}…\nfresh …{fresh[max(0, at - 80):at + 80]!r}…"
