"""Finding the film a person means from what they typed: the film picker's search,
and the party form's "Did you mean …?".

Matching ignores case, accents, punctuation and a leading article ("The", "A",
"Le", "Die" …), takes a trailing year as a hint ("spirited away 2001"), and
forgives small typos ("parasit", "godfathr"). It runs in two steps, so it stays
fast with any number of films: SQL picks at most `CANDIDATES` films that share a
few letters with the query (a LIKE over the folded `search_title`, the same on
SQLite and PostgreSQL), then Python scores only those with rapidfuzz.

Only films the person may find are considered (`Film.visible_to`).
"""

import re
from dataclasses import dataclass

import sqlalchemy as sa
from rapidfuzz import fuzz
from sqlalchemy.orm import load_only

from watchparty.extensions import db
from watchparty.models import Film
from watchparty.models.film import search_key

QUERY_MAX = 200
CANDIDATES = 200
PICKER_RESULTS = 8
CHOICES = 5
# Scores run from 0 to 100 (and a little over with a matching year).
PICKER_THRESHOLD = 60.0  # shown while typing
CLOSE_THRESHOLD = 74.0  # offered as "Did you mean …?" before a new film is added

# Leading articles in English and the languages whose titles a catalogue meets most.
ARTICLES = frozenset({
    "the", "a", "an",  # English
    "le", "la", "les", "l", "un", "une",  # French
    "der", "die", "das", "ein", "eine",  # German
    "el", "los", "las", "una", "uno",  # Spanish
    "il", "lo", "gli",  # Italian
    "de", "het",  # Dutch
})  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_TRAILING_YEAR = re.compile(r"^(?P<title>.*?)[\s,]*[(\[]?(?P<year>1[89]\d\d|2[01]\d\d)[)\]]?$")
_MAX_CHUNKS = 12


@dataclass(frozen=True)
class Forms:
    """One title folded for comparison: all its words, and without a leading article."""

    full: str
    stripped: str

    @classmethod
    def of(cls, text: str) -> "Forms":
        words = _NOT_WORD.sub(" ", search_key(text)).split()
        stripped = words[1:] if len(words) > 1 and words[0] in ARTICLES else words
        return cls("".join(words), "".join(stripped))


@dataclass(frozen=True)
class Query:
    """What a person typed, folded: the whole text, and the text without a trailing year."""

    text: str
    whole: Forms
    without_year: Forms | None
    year: int | None
    words: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not self.whole.full


def parse_query(text: str | None) -> Query:
    """"Spirited Away (2001)" -> title forms, year 2001; control characters become spaces."""
    text = _CONTROL.sub(" ", text or "").strip()[:QUERY_MAX]
    match = _TRAILING_YEAR.match(text)
    without_year, year = None, None
    if match and match.group("title").strip():
        without_year, year = Forms.of(match.group("title")), int(match.group("year"))
    words = tuple(_NOT_WORD.sub(" ", search_key(text)).split())
    return Query(text, Forms.of(text), without_year, year, words)


@dataclass(frozen=True)
class Match:
    film: Film
    score: float

    @property
    def label(self) -> str:
        return film_label(self.film)


def film_label(film: Film) -> str:
    """What the host reads and what the party form resolves without doubt: "The Godfather (1972)"."""
    return f"{film.title} ({film.year})"


def _title_score(typed: Forms, title: Forms) -> float:
    """How well a typed title matches a film's, 0-100: whole-title typos, then a prefix or
    a part of the title (someone still typing), then a part with a typo."""
    if not typed.full or not title.full:
        return 0.0
    best = max(fuzz.ratio(typed.full, title.full), fuzz.ratio(typed.stripped, title.stripped))
    for query, target in ((typed.full, title.full), (typed.stripped, title.stripped)):
        if not query or len(query) > len(target):
            continue
        if target.startswith(query):
            best = max(best, 85 + 15 * len(query) / len(target))
        elif query in target:
            best = max(best, 72 + 15 * len(query) / len(target))
        elif len(query) >= 4:
            best = max(best, 0.88 * fuzz.partial_ratio(query, target))
    return float(best)


def score(query: Query, film: Film) -> float:
    """The query's score for one film: the better of the text as typed ("Blade Runner 2049")
    and the text without its year, nudged by whether the year is the film's."""
    title = Forms.of(film.title)
    best = _title_score(query.whole, title)
    if query.without_year is not None and query.year is not None:
        hinted = _title_score(query.without_year, title)
        hinted += 3 if query.year == film.year else -20
        best = max(best, hinted)
    return best


def _chunks(query: Query) -> list[str]:
    """Three-letter pieces of the query's words: a film sharing any of them is a candidate, so
    one typo spoils at most two pieces and the others still find it."""
    chunks: list[str] = []
    words = [word for word in query.words if word not in ARTICLES] or list(query.words)
    if query.year is not None and len(words) > 1 and words[-1] == str(query.year):
        words = words[:-1]
    for word in words:
        if len(word) < 3:
            continue
        pieces = [word[start : start + 3] for start in range(0, len(word) - 2, 3)]
        pieces.append(word[-3:])
        for piece in pieces:
            if piece not in chunks:
                chunks.append(piece)
    return chunks[:_MAX_CHUNKS]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def candidates(query: Query, visible: sa.ColumnElement[bool], limit: int = CANDIDATES) -> list[Film]:
    """At most `limit` films worth scoring: those sharing the most three-letter pieces with the
    query (or, for a query of one or two letters, whose title or a word of it starts so)."""
    chunks = _chunks(query)
    # Only what scoring and a result show: no synopsis or spoiler notes for 200 rows.
    statement = (
        sa.select(Film)
        .options(load_only(Film.id, Film.slug, Film.title, Film.year, Film.poster_filename, raiseload=False))
        .where(visible)
    )
    if chunks:
        hits = [sa.case((Film.search_title.like(f"%{_escape_like(chunk)}%", escape="\\"), 1), else_=0)
                for chunk in chunks]  # fmt: skip
        total = sum(hits[1:], hits[0])
        statement = statement.where(total > 0).order_by(total.desc(), Film.search_title, Film.id)
    else:
        folded = _escape_like(search_key(query.text))
        if not folded:
            return []
        statement = statement.where(
            sa.or_(Film.search_title.like(f"{folded}%", escape="\\"), Film.search_title.like(f"% {folded}%", escape="\\"))
        ).order_by(Film.search_title, Film.id)
    return list(db.session.scalars(statement.limit(limit)))


def rank(query: Query, films: list[Film], threshold: float, limit: int) -> list[Match]:
    """The films scoring at least `threshold`, best first (then newest, then by title)."""
    scored = [Match(film, score(query, film)) for film in films]
    kept = [match for match in scored if match.score >= threshold]
    kept.sort(key=lambda match: (-match.score, -match.film.year, match.film.title, match.film.id))
    return kept[:limit]


def search(text: str | None, visible: sa.ColumnElement[bool], limit: int = PICKER_RESULTS) -> list[Match]:
    """The film picker's results while someone types: up to `limit`, best first."""
    query = parse_query(text)
    if query.is_empty:
        return []
    return rank(query, candidates(query, visible), PICKER_THRESHOLD, limit)


def close_matches(text: str | None, visible: sa.ColumnElement[bool], limit: int = CHOICES) -> list[Match]:
    """Films close enough to what was typed to ask "Did you mean …?" before adding a new one."""
    query = parse_query(text)
    if query.is_empty:
        return []
    return rank(query, candidates(query, visible), CLOSE_THRESHOLD, limit)


def same_film(title: str, year: int, visible: sa.ColumnElement[bool]) -> Film | None:
    """A film already there under this title (ignoring case, accents, punctuation and a
    leading article) and year: adding the title again would make a duplicate."""
    wanted = Forms.of(title)
    if not wanted.full:
        return None
    for film in candidates(parse_query(title), sa.and_(visible, Film.year == year)):
        forms = Forms.of(film.title)
        if forms.full == wanted.full or (wanted.stripped and forms.stripped == wanted.stripped):
            return film
    return None
