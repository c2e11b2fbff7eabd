"""Turn a plain-text (or light Markdown) article into a draft review.

This module is pure: no Flask, no database. ``parse_article`` reads the text
line by line, recognises the article's furniture (title, author and image
credits, rating, cross-promotion links), groups the rest into Markdown
paragraphs and lists, splits it into sections at headings and flags the
sections that give the ending away. The editor sees the draft and its warnings
and decides; nothing here is final, and nothing here ever raises on odd input.

The rules, in the order they are applied:

* Lines are normalised (newlines, control characters, whitespace runs).
* Furniture lines are taken out of the text: cross-promotion ("Read more: ...")
  is dropped; author credits ("Text Marco Kokkot", "By ...") set ``author``;
  image credits ("Images: ...", "(c) ...") go to ``image_credits``; a line that
  is only a rating ("Rating: 4/5") sets the rating and leaves the text (a
  verdict line standing over text, "Final Verdict? 10/10", keeps its words as
  the heading "Final Verdict?").
* The title is the first remaining line, unless it is too long to be one.
  Later lines that repeat it are dropped.
* Paragraphs: blank lines separate paragraphs and consecutive lines are joined,
  except in articles that put every paragraph on one long line without blank
  lines between them; there each line is a paragraph.
* Lists: lines led by ``-``, ``*``, ``\u2022`` become ``- `` items, lines led by
  ``1.`` or ``1)`` become numbered items; neighbouring items form one list.
* Headings: a Markdown ``#`` heading, or a stand-alone short line that is
  ALL CAPS, led by an emoji, or without closing punctuation, and that is
  followed by body text. When several such lines follow one another, the
  first is the heading and the others become a subheading (two lines) or a
  list (three or more), which is how articles lay out award lists.
* Spoilers: see ``spoiler_reason``.
* Cast names: exact mentions are linked; near-miss spellings are reported in
  ``warnings`` and left as written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from watchparty.reviews import furniture
from watchparty.reviews.furniture import star_or_grade_rating, word_set
from watchparty.reviews.spoilers import (
    SPOILER_IN_BODY,
    SPOILER_IN_HEADING,
    FilmKnowledge,
    block_reason,
    evidence,
    heading_reason,
    is_spoiler_marker,
    title_reason,
)

# --- Limits ----------------------------------------------------------------
# Article furniture and headings are short; checking only short lines keeps the
# work linear and stops a huge single line from being mistaken for anything.
HEADING_MAX_CHARS = 80
HEADING_MAX_WORDS = 12
TITLE_MAX_CHARS = 150
FURNITURE_MAX_CHARS = 300
RATING_LINE_MAX_CHARS = 80
# Author credits without a colon ("Text Marco Kokkot") are only believed near
# the top or the bottom of the article, where bylines live.
BYLINE_EDGE_LINES = 6
# Misspelling checks compare candidate names pairwise; cap the work on huge input.
NAME_SCAN_MAX_CHARS = 300_000
NAME_CANDIDATES_MAX = 5_000

EMPTY_TEXT_WARNING = "The text is empty."

# --- Character classes written as escapes so the source stays plain ASCII ----
_APOSTROPHES = "'\u2019"
_DASHES = "\\-\u2013\u2014"  # hyphen, en dash, em dash (for use inside [...])
_OPENING_QUOTES = "\"'\u201c\u2018\u201e\u00ab"
_CLOSING_QUOTES = "\"'\u201d\u2019\u00bb"
_CLOSING_PUNCTUATION = ".,;:!?\u2026"
_ELLIPSIS = "\u2026"

# --- Data ------------------------------------------------------------------


@dataclass
class DraftSection:
    """One section of a draft review: an optional heading and a Markdown body."""

    heading: str | None
    body: str
    is_spoiler: bool = False
    spoiler_reason: str | None = None  # why it was folded, for the editor


@dataclass(frozen=True)
class DroppedLine:
    """A line left out as page furniture, listed so that the editor can put it back."""

    text: str
    reason: str


@dataclass
class DraftReview:
    """What ``parse_article`` understood of an article, for an editor to check."""

    title: str = ""
    author: str | None = None
    source_name: str | None = None
    source_url: str | None = None
    published: date | None = None
    rating_value: float | None = None
    rating_scale: int | None = None
    image_credits: list[str] = field(default_factory=list)
    sections: list[DraftSection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dropped: list[DroppedLine] = field(default_factory=list)
    excerpt: str = ""


# --- Normalising -------------------------------------------------------------

# Line and paragraph separators other than "\n" become newlines...
_LINE_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# ...and other control characters, byte-order marks, noncharacters and lone
# surrogates are removed. Tabs are kept (they become spaces later).
_UNWANTED_CHARACTERS = re.compile(
    r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\ufeff\ufffe\uffff\ud800-\udfff]"
)


def _normalise(text: str) -> str:
    text = _LINE_BREAKS.sub("\n", text)
    text = _UNWANTED_CHARACTERS.sub("", text)
    return unicodedata.normalize("NFC", text)


def _collapse(line: str) -> str:
    """Trim a line and collapse its inner whitespace (tabs, no-break spaces) to single spaces."""
    return " ".join(line.split())


def _comparable(text: str) -> str:
    """A form of a line used to spot repeats: no Markdown heading marks, case or spacing."""
    return _collapse(text.lstrip("#").strip("*_ ")).casefold()


# --- Furniture: promotion, credits, rating, publication data ----------------

_CROSS_PROMOTION = re.compile(
    rf"""^\W*(?:
        don[{_APOSTROPHES}]?t\s+miss | do\s+not\s+miss
        | read\s+(?:more|also|next|this\s+next)
        | also\s+read | more\s+reading | further\s+reading
        | you\s+(?:might|may|will|could)\s+also\s+(?:like|enjoy|love)
        | related(?:\s+(?:article|story|stories|reading|posts?|content))?
        | see\s+also | more\s+from\s+\w+(?:\s+\w+)? | recommended(?:\s+reading)?
        | watch\s+next | up\s+next
    )\s*[:{_DASHES}|>\u00bb]""",
    re.IGNORECASE | re.VERBOSE,
)

# "Text Marco Kokkot", "Words: ...", "Written by ...", "Review by ...", "By ...".
_BYLINE_LABEL = (
    r"(?:(?:text|words|story|review|article|written|reviewed)\s+by|text|words|by|author)"
)
_AUTHOR_WITH_SEPARATOR = re.compile(
    rf"^{_BYLINE_LABEL}\s*[:{_DASHES}|]\s*(?P<name>.+)$", re.IGNORECASE
)
_AUTHOR_WITHOUT_SEPARATOR = re.compile(rf"^{_BYLINE_LABEL}\s+(?P<name>.+)$", re.IGNORECASE)
_NAME_CONNECTORS = frozenset({"and", "&", "de", "del", "der", "van", "von", "da", "di", "la", "le"})
# Capitalised words that start sentences, not names ("By The Way").
_NOT_NAME_WORDS = frozenset(
    {"the", "a", "an", "this", "that", "these", "those", "it", "its", "our", "my", "your",
     "his", "her", "their", "now", "then", "all", "no", "far"}
)  # fmt: skip

_IMAGE_CREDIT = re.compile(
    rf"""^(?:
        (?:(?:header|cover|featured|title|lead|hero|top)\s+)?
            (?:images?|photos?|photographs?|pictures?|stills?|photography|artwork|illustrations?)
            (?:\s+credits?)?\s*(?:[:{_DASHES}|]|\s+(?:by|courtesy(?:\s+of)?)\b)
        | (?:image|photo|picture)\s+credits?\b\s*[:{_DASHES}|]?
        | \(c\) | \u00a9 | copyright\b
    )\s*(?P<credit>.+)$""",
    re.IGNORECASE | re.VERBOSE,
)

_PUBLISHED = re.compile(
    rf"^(?:published|posted|first\s+published)(?:\s+on)?\s*[:{_DASHES}]?\s*(?P<date>.+)$",
    re.IGNORECASE,
)
_DATE_FORMATS = (
    "%Y-%m-%d", "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%B %d %Y", "%d.%m.%Y",
)  # fmt: skip

_SOURCE = re.compile(
    rf"""^(?:source\s*[:{_DASHES}] | originally\s+(?:published|appeared)\s+(?:on|at|in|by)\b[:]?)
        \s*(?P<source>.+)$""",
    re.IGNORECASE | re.VERBOSE,
)
_URL = re.compile(r"https?://[^\s<>()\[\]]+", re.IGNORECASE)

_RATING_FRACTION = re.compile(r"(?<![\d.,/])(\d{1,3}(?:[.,]\d{1,2})?)\s*/\s*(\d{1,3})(?![\d/])")
_RATING_OUT_OF = re.compile(
    r"(?<![\d.,])(\d{1,3}(?:[.,]\d{1,2})?)\s+out\s+of\s+(\d{1,3})(?!\d)", re.IGNORECASE
)
_RATING_SCALES = frozenset({5, 10, 20, 100})
_RATING_KEYWORDS = re.compile(r"\b(?:rating|rated|rate|verdict|score|grade|stars?)\b", re.I)
# Words that only label a rating; a line made of these plus a rating is "only the rating".
_RATING_LABEL_WORDS = frozenset(
    {"rating", "rated", "rate", "score", "verdict", "our", "my", "the", "final", "overall", "stars",
     "grade", "review", "total", "we", "give", "it", "i", "us", "for"}
)  # fmt: skip
# A rating line standing over the text stays as a heading ("Final Verdict?") only
# if it has words beyond these; "Rating: 4/5" or "We rate it 4/5" just go.
_RATING_ONLY_HEADING_WORDS = frozenset(
    {"rating", "rated", "rate", "score", "stars", "grade", "total", "we", "give", "it", "i",
     "us", "for", "my", "our", "the", "review"}
)  # fmt: skip

_HORIZONTAL_RULE = re.compile(r"^([-*_=])(?:\s*\1){2,}$")
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+(?P<text>.*?)(?:\s+#+)?$")
_BOLD_LINE = re.compile(r"^(\*\*|__)(?P<text>[^*_]+)\1$")
_BULLET = re.compile("^(?:[-*]\\s+|\u2022\\s*|\u25aa\\s*|\u25cf\\s*)(?P<text>.*)$")
_NUMBERED = re.compile(r"^(?P<number>\d{1,9})[.)]\s+(?P<text>.*)$")


@dataclass
class _Rating:
    value: float
    scale: int
    label: str  # the line without the rating, e.g. "Final Verdict?"
    rating_only: bool


def _find_rating(line: str) -> _Rating | None:
    """The rating in a short line, or None. Dates and fractions are not ratings."""
    if len(line) > RATING_LINE_MAX_CHARS:
        return None
    folded = line.casefold()
    if not any(marker in folded for marker in ("/", "\u2605", "\u2606", "\u2b50", "\u00bd", "star", "grade")) and (
        "out of" not in folded
    ):
        return None  # the common case, answered without regular expressions
    value: float | None = None
    scale = 0
    span: tuple[int, int] | None = None
    for pattern in (_RATING_FRACTION, _RATING_OUT_OF):
        for match in pattern.finditer(line):
            candidate = float(match.group(1).replace(",", "."))
            candidate_scale = int(match.group(2))
            if candidate_scale in _RATING_SCALES and candidate <= candidate_scale:
                value, scale, span = candidate, candidate_scale, match.span()
                break
        if span:
            break
    if span is None or value is None:
        worded = star_or_grade_rating(line)
        if worded is None:
            return None
        value, scale, span = worded.value, worded.scale, worded.span
    label = _collapse(line[: span[0]] + " " + line[span[1] :]).strip(f" :|{_DASHES}")
    label_words = re.findall(r"[^\W\d_]+", label.casefold())
    rating_only = all(word in _RATING_LABEL_WORDS for word in label_words)
    # "3/5 of critics agree" is not a rating; "Rating: 3/5", "Anora: 4/5" are.
    at_end = not re.search(r"[^\W_]", line[span[1] :])
    if not (rating_only or at_end or _RATING_KEYWORDS.search(line)):
        return None
    return _Rating(value=value, scale=scale, label=label, rating_only=rating_only)


def _author_name(line: str, near_edge: bool) -> str | None:
    """The name in a byline ("Text Marco Kokkot", "By: Jane Doe"), or None."""
    match = _AUTHOR_WITH_SEPARATOR.match(line)
    if match is None and near_edge:
        match = _AUTHOR_WITHOUT_SEPARATOR.match(line)
    if match is None:
        return None
    name = match.group("name").strip(" .")
    words = name.split()
    if not 1 <= len(words) <= 6 or any(character.isdigit() for character in name):
        return None
    name_words = [word for word in words if word.casefold() not in _NAME_CONNECTORS]
    # A name is capitalised words; two of them unless the byline said so with a colon.
    minimum = 1 if _AUTHOR_WITH_SEPARATOR.match(line) else 2
    if len(name_words) < minimum:
        return None
    for word in name_words:
        bare = word.strip(",.")
        if not bare or not bare[0].isupper() or bare.casefold() in _NOT_NAME_WORDS:
            return None
        if any(character in ":;!?" for character in bare):
            return None
    return name


def _published_date(line: str) -> date | None:
    match = _PUBLISHED.match(line)
    if match is None:
        return None
    raw = _collapse(match.group("date")).strip(" .")
    for date_format in _DATE_FORMATS:
        try:
            return datetime.strptime(raw, date_format).date()
        except ValueError:
            continue
    return None


# --- Lines -------------------------------------------------------------------

LineKind = Literal["text", "bullet", "number", "heading", "rating", "info"]


@dataclass
class _Line:
    kind: LineKind
    text: str
    indent: int = 0
    number: int = 0
    blank_before: bool = False
    plain: bool = False  # past STRUCTURE_MAX_LINES: never a heading


@dataclass
class _Furniture:
    """What the furniture pass found, to be copied into the DraftReview."""

    author: str | None = None
    extra_authors: list[str] = field(default_factory=list)
    image_credits: list[str] = field(default_factory=list)
    ratings: list[_Rating] = field(default_factory=list)
    published: date | None = None
    source_name: str | None = None
    source_url: str | None = None


def _unwrap(line: str) -> str:
    """A line without the emphasis wrapped round it ("*Words: Jane Doe*")."""
    return line.strip("*_ ") or line


def _take_furniture(
    line: str, near_edge: bool, found: _Furniture, dropped: list[DroppedLine]
) -> str | None:
    """Record ``line`` in ``found`` if it is article furniture.

    Returns None for text, "" for a line whose content went into a field
    (byline, credit, date, source) and the reason for a line that was dropped
    (also appended to ``dropped`` so that the editor sees it).
    """
    if len(line) > FURNITURE_MAX_CHARS:
        return None
    bare = _unwrap(line)
    if _CROSS_PROMOTION.match(bare):
        dropped.append(DroppedLine(line, "cross-promotion"))
        return "cross-promotion"
    reason = furniture.junk_reason(bare)
    if reason is not None:
        dropped.append(DroppedLine(line, reason))
        return reason
    found_byline = furniture.byline(bare, near_edge)
    author = found_byline.author if found_byline else _author_name(bare, near_edge)
    if author is not None:
        if found.author is None:
            found.author = author
        elif author != found.author:
            found.extra_authors.append(author)
        if found_byline is not None and found_byline.published is not None:
            found.published = found.published or found_byline.published
        stars = furniture.trailing_rating(bare)
        if stars is not None:
            found.ratings.append(_Rating(stars.value, stars.scale, "", rating_only=True))
        return ""
    credit = _IMAGE_CREDIT.match(bare)
    if credit is not None and credit.group("credit").strip():
        found.image_credits.append(credit.group("credit").strip())
        return ""
    caption = furniture.caption_credit(bare)
    if caption is not None:
        found.image_credits.append(caption)
        dropped.append(DroppedLine(line, "photo caption (credit kept)"))
        return "photo caption"
    published = _published_date(bare) or (furniture.date_line(bare) if near_edge else None)
    if published is not None:
        found.published = found.published or published
        return ""
    source = _SOURCE.match(bare)
    if source is not None:
        raw = source.group("source").strip()
        url = _URL.search(raw)
        if url and found.source_url is None:
            found.source_url = url.group().rstrip(".,;")
        name = _collapse(_URL.sub("", raw)).strip(" ,;:-")
        if name and found.source_name is None:
            found.source_name = name
        return ""
    return None


def _classify(line: str, indent: int) -> _Line:
    """What a (non-furniture, non-blank) line is for the layout pass."""
    if len(line) <= HEADING_MAX_CHARS * 3:
        heading = _MARKDOWN_HEADING.match(line)
        if heading is not None and heading.group("text").strip():
            return _Line("heading", heading.group("text").strip(), indent)
    bullet = _BULLET.match(line)
    if bullet is not None:
        return _Line("bullet", bullet.group("text").strip(), indent)
    numbered = _NUMBERED.match(line)
    if numbered is not None:
        number = int(numbered.group("number"))
        return _Line("number", numbered.group("text").strip(), indent, number)
    return _Line("text", line, indent)


# --- Headings ----------------------------------------------------------------

Strength = Literal["strong", "weak"] | None


def _is_emoji(character: str) -> bool:
    return unicodedata.category(character) == "So" or 0x1F000 <= ord(character) <= 0x1FAFF


def heading_strength(line: str) -> Strength:
    """How much ``line`` looks like a heading on its own: "strong", "weak" or None.

    Strong: ALL CAPS, led by an emoji, or a line in bold. Weak: a short line
    that starts with a capital and has no closing punctuation. Whether it *is*
    a heading also depends on body text following it (see ``parse_article``).
    """
    if not line or len(line) > HEADING_MAX_CHARS:
        return None
    if line[0] in _OPENING_QUOTES or line[-1] in _CLOSING_QUOTES:
        return None  # a quotation, not a heading
    if _BOLD_LINE.match(line):
        return "strong"
    words = [word for word in line.split() if any(character.isalpha() for character in word)]
    if not 1 <= len(words) <= HEADING_MAX_WORDS:
        return None
    last = line[-1]
    if _is_emoji(line[0]):
        # "SOME MORE Fun facts about Mickey Madison:" is a heading; "Go see it." is not.
        return "strong" if last not in ".,;" else None
    letters = [character for character in line if character.isalpha()]
    cased = [character for character in letters if character.lower() != character.upper()]
    if len(cased) >= 3 and all(character.isupper() for character in cased):
        # "WHAT MAKES ANORA SO SPECIAL?" is a heading; a shouted sentence ends with a full stop.
        return "strong" if last not in ".,;" else None
    first_letter = letters[0] if letters else ""
    starts_like_a_heading = first_letter.isupper() or line[0].isdigit()
    if starts_like_a_heading and last not in _CLOSING_PUNCTUATION and last not in "\u2013\u2014-":
        return "weak"
    # "Did Rick make the right call?" is a heading too: one short question, nothing after it.
    if starts_like_a_heading and last == "?" and line.count("?") == 1 and not re.search(r"[.!;]\s", line):
        return "weak"
    return None


def _heading_text(line: str) -> str:
    bold = _BOLD_LINE.match(line)
    return bold.group("text").strip() if bold else line


# --- Spoilers ----------------------------------------------------------------
# The rules live in watchparty.reviews.spoilers; these names stay for callers.
_SPOILER_IN_HEADING = SPOILER_IN_HEADING
_SPOILER_IN_BODY = SPOILER_IN_BODY
_SUBHEADING = re.compile(r"^#{2,6} (.+)$", re.MULTILINE)


def spoiler_reason(heading: str | None, body: str, film: FilmKnowledge | None = None) -> str | None:
    """Why a section looks like a spoiler, or None.

    A section is a spoiler when its heading (or a subheading in its body)
    names the ending ("ending", "finale", "twist", "final scene", "how it
    ends", "goodbye") or events from the film's spoiler notes, or when its
    text describes those events (see ``spoilers.block_reason``). Without
    notes, a phrase that points at the ending ("the final shot", "it ends
    in", "his goodbye") is enough. The editor can change any flag.
    """
    for text in [heading or "", *_SUBHEADING.findall(body)]:
        reason = heading_reason(text, film)
        if reason:
            return reason
    return block_reason(body, film)


# --- Cast names ----------------------------------------------------------------

# Existing links, images, inline code, autolinks and bare URLs: never link inside them.
_PROTECTED_SPANS = re.compile(
    r"!?\[[^\[\]\n]*\]\([^()\n]*\)|`[^`\n]*`|<[^<>\s]+>|https?://\S+", re.IGNORECASE
)
_WORD = re.compile(rf"[^\W\d_][\w{_APOSTROPHES}-]*")
_POSSESSIVE = re.compile(f"[{_APOSTROPHES}]s$")


def _markdown_destination(anchor: str) -> str:
    # Spaces, brackets and parentheses would end a Markdown link destination early.
    return "".join(f"%{ord(c):02X}" if c in " ()<>[]\\\n\t" else c for c in anchor)


def link_cast_names(body: str, cast_names: Sequence[str], cast_anchor: Callable[[str], str]) -> str:
    """Link every exact (case-sensitive, whole-word) mention of a cast name in Markdown ``body``.

    Text already inside a link, inline code or a URL is left alone; longer
    names win over shorter ones they contain.
    """
    unique_names = {name.strip() for name in cast_names if name and name.strip()}
    names = sorted(unique_names, key=len, reverse=True)
    if not names:
        return body
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(name) for name in names) + r")(?!\w)")
    anchors: dict[str, str] = {}

    def link(match: re.Match[str]) -> str:
        name = match.group()
        if name not in anchors:
            anchors[name] = _markdown_destination(cast_anchor(name))
        label = name.replace("[", "\\[").replace("]", "\\]")
        return f"[{label}]({anchors[name]})"

    pieces: list[str] = []
    position = 0
    for protected in _PROTECTED_SPANS.finditer(body):
        pieces.append(pattern.sub(link, body[position : protected.start()]))
        pieces.append(protected.group())
        position = protected.end()
    pieces.append(pattern.sub(link, body[position:]))
    return "".join(pieces)


def _edit_distance(first: str, second: str, limit: int) -> int:
    """Levenshtein distance, or ``limit + 1`` as soon as it is known to exceed ``limit``.

    Only a band of width ``2 * limit + 1`` around the diagonal is computed.
    """
    too_far = limit + 1
    if abs(len(first) - len(second)) > limit:
        return too_far
    if first == second:
        return 0
    previous = [column if column <= limit else too_far for column in range(len(second) + 1)]
    for row in range(1, len(first) + 1):
        low, high = max(1, row - limit), min(len(second), row + limit)
        current = [too_far] * (len(second) + 1)
        current[0] = row if row <= limit else too_far
        for column in range(low, high + 1):
            cost = first[row - 1] != second[column - 1]
            current[column] = min(
                previous[column] + 1, current[column - 1] + 1, previous[column - 1] + cost
            )
        if min(current[low - 1 : high + 1]) > limit:
            return too_far
        previous = current
    return min(previous[-1], too_far)


def _allowed_distance(name: str) -> int:
    # One slip in a short name, two in a long one; very short names are too risky.
    if len(name) >= 10:
        return 2
    return 1 if len(name) >= 5 else 0


def _capitalised_phrases(text: str, lengths: set[int]) -> dict[str, str]:
    """Runs of capitalised words of the given word counts: casefolded form -> spelling seen.

    A title-case spelling is preferred over an ALL-CAPS one for messages.
    """
    phrases: dict[str, str] = {}
    run: list[str] = []
    previous_end = -1

    def collect() -> None:
        if len(phrases) >= NAME_CANDIDATES_MAX:
            return
        for length in lengths:
            for start in range(len(run) - length + 1):
                words = run[start : start + length]
                words[-1] = _POSSESSIVE.sub("", words[-1])
                spelling = " ".join(words)
                key = spelling.casefold()
                if key not in phrases:
                    if len(phrases) < NAME_CANDIDATES_MAX:
                        phrases[key] = spelling
                elif phrases[key].isupper() and not spelling.isupper():
                    phrases[key] = spelling

    for match in _WORD.finditer(text):
        word = match.group()
        joined = previous_end >= 0 and text[previous_end : match.start()] == " "
        if not word[0].isupper():
            collect()
            run, previous_end = [], -1
            continue
        if not joined:
            collect()
            run = []
        run.append(word)
        previous_end = match.end()
    collect()
    return phrases


def near_miss_warnings(text: str, cast_names: Sequence[str]) -> list[str]:
    """Warnings for names in ``text`` that are spelt almost, but not exactly, like a cast name."""
    names = {
        name.strip(): _collapse(name).casefold() for name in cast_names if name and name.strip()
    }
    if not names:
        return []
    known = set(names.values())
    lengths = {len(folded.split()) for folded in known}
    warnings: list[str] = []
    for folded, spelling in _capitalised_phrases(text[:NAME_SCAN_MAX_CHARS], lengths).items():
        if folded in known:
            continue
        for name, name_folded in names.items():
            if len(name_folded.split()) != len(folded.split()):
                continue
            limit = _allowed_distance(name_folded)
            if limit and _edit_distance(folded, name_folded, limit) <= limit:
                warnings.append(
                    f'Possible misspelling "{spelling}" \u2014 did you mean "{name}"? '
                    "The text is left as written."
                )
                break
    return warnings


# --- Layout --------------------------------------------------------------------

ElementKind = Literal["paragraph", "list", "heading", "candidate", "rating_heading"]
# Words a sentence does not end on: a line ending with one was broken (around a link, say).
_OPEN_ENDINGS = word_set(
    """by to for from of with and the in on at as a an into about like than or but featuring starring
    including via between his her their its our my your this that"""
)
_CONTINUATION = re.compile(rf"^(?:[,;:.!?)\]\u2026]|[{_APOSTROPHES}]s\b|[a-z])")
_TERMINAL = tuple(".!?:;\"')\u201d\u2019\u2026")


@dataclass(slots=True)
class _Row:
    """A non-blank line of the article, collapsed, with what stood before it."""

    text: str
    indent: int
    blank_before: bool
    parts: list[str] = field(default_factory=list)  # joined continuation lines, before joining
    junk: bool | None = None  # page furniture? worked out once, when first needed


@dataclass
class _Element:
    kind: ElementKind
    lines: list[str] = field(default_factory=list)  # paragraph lines, list items or heading text
    ordered: bool = False
    start: int = 1
    strong: bool = False  # a heading candidate that is ALL CAPS, emoji-led or bold
    info: bool = False  # a list of label/value lines ("Runtime: 139 min")
    marker: bool = False  # a line that warns that spoilers follow
    subheading: bool = False
    plain: bool = False  # never a heading candidate

    @property
    def text(self) -> str:
        return " ".join(self.lines)

    def markdown(self) -> str:
        if self.kind == "list":
            if self.ordered:
                numbered = enumerate(self.lines, start=self.start)
                return "\n".join(f"{number}. {item}" for number, item in numbered)
            return "\n".join(f"- {item}" for item in self.lines)
        return self.text


def _rows(raw_lines: list[str]) -> list[_Row]:
    rows: list[_Row] = []
    blank = False
    for raw_line in raw_lines:
        line = _collapse(raw_line)
        if not line or _HORIZONTAL_RULE.match(line):
            blank = True
            continue
        rows.append(_Row(line, len(raw_line) - len(raw_line.lstrip()), blank))
        blank = False
    return rows


def _is_hard_wrapped(rows: list[_Row]) -> tuple[bool, int]:
    """Whether the text was wrapped at a fixed width (and that width).

    Wrapped text has no line much longer than ~100 characters, and many of its
    long lines stop mid-sentence. A trailing newline or a blank line every few
    lines says nothing either way.
    """
    width = max((len(row.text) for row in rows), default=0)
    if width > 100:
        return False, width
    if width < 30:
        # A few short lines: Markdown's rule, blank lines part paragraphs and lines join.
        return any(row.blank_before for row in rows[1:]), width
    long_rows = [row.text for row in rows if len(row.text) >= 0.6 * width]
    open_rows = [text for text in long_rows if not text.endswith(_TERMINAL)]
    return len(open_rows) >= 2 and len(open_rows) >= 0.3 * len(long_rows), width


def _is_structural(text: str) -> bool:
    return bool(_MARKDOWN_HEADING.match(text) or _BULLET.match(text) or _NUMBERED.match(text))


def _join_broken_lines(rows: list[_Row]) -> list[_Row]:
    """Join lines that a copy broke apart: around a link, or mid-sentence before a lower-case word.

    "adapted from a play by" / "Tarell Alvin McCraney" / ", follows Chiron" is one sentence.
    """
    joined: list[_Row] = []
    for row in rows:
        previous = joined[-1] if joined else None
        if previous is None or row.blank_before or _is_structural(row.text) or _MARKDOWN_HEADING.match(previous.text):
            joined.append(row)
            continue
        last_text = previous.parts[-1] if previous.parts else previous.text
        last_word = last_text.rsplit(" ", 1)[-1].casefold()
        # A lower-case start continues a sentence cut off mid-way, not a short title or heading.
        glued = _CONTINUATION.match(row.text) and (
            not row.text[0].isalpha()
            or (not last_text.endswith(_TERMINAL) and (len(last_text) >= 40 or last_text.endswith((",", "-"))))
        )
        open_ending = last_word in _OPEN_ENDINGS and not last_text.endswith(_TERMINAL)
        if (glued or open_ending) and previous.junk is None:
            previous.junk = furniture.junk_reason(previous.text) is not None
        if (glued or open_ending) and not previous.junk:
            if not previous.parts:
                previous.parts.append(previous.text)
            space = "" if row.text[0] in ",;:.!?)]\u2026" or row.text[0] in _APOSTROPHES else " "
            previous.parts.append(space + row.text)
            continue
        joined.append(row)
    for row in joined:
        if row.parts:
            row.text = "".join(row.parts)
            row.parts = []
    return joined


def _is_box_item(line: str) -> bool:
    """A line in a "You may also like" box: the title of another article."""
    return len(line) <= 120 and len(line.split()) <= 16 and not line.endswith(".")


def _elements(lines: list[_Line], hard_wrapped: bool, width: int) -> list[_Element]:
    """Group classified lines into paragraphs, lists and heading candidates."""
    elements: list[_Element] = []
    for line in lines:
        last = elements[-1] if elements else None
        if line.kind == "heading":
            elements.append(_Element("heading", [line.text]))
        elif line.kind == "rating":
            elements.append(_Element("rating_heading", [line.text]))
        elif line.kind == "info":
            if last is not None and last.info:
                last.lines.append(line.text)
            else:
                elements.append(_Element("list", [line.text], info=True))
        elif line.kind in ("bullet", "number"):
            if not line.text:
                continue
            ordered = line.kind == "number"
            if last is not None and last.kind == "list" and not last.info and last.ordered == ordered:
                last.lines.append(line.text)
            else:
                elements.append(_Element("list", [line.text], ordered=ordered, start=line.number))
        elif (
            last is not None
            and last.kind == "list"
            and not last.info
            and line.indent >= 2
            and not line.blank_before
            and hard_wrapped
        ):
            last.lines[-1] += " " + line.text  # an indented continuation of the last item
        elif (
            hard_wrapped
            and last is not None
            and last.kind == "paragraph"
            and not last.marker
            and not line.blank_before
            and len(last.lines[-1]) >= 0.6 * width
        ):
            last.lines.append(line.text)
        elif line.plain:
            elements.append(_Element("paragraph", [line.text], plain=True))
        else:
            elements.append(_Element("paragraph", [line.text], marker=is_spoiler_marker(line.text)))
    return _mark_heading_candidates(elements)


def _mark_heading_candidates(elements: list[_Element]) -> list[_Element]:
    """Turn stand-alone heading-like lines into candidates.

    A strong heading line (ALL CAPS, emoji-led, bold) is also split off the top
    of a longer paragraph.
    """
    marked: list[_Element] = []
    for element in elements:
        if element.kind != "paragraph" or element.plain:
            marked.append(element)
            continue
        if element.marker:
            # "Spoiler alert!" on its own line is a heading that folds its section.
            short = len(element.lines) == 1 and len(element.text.split()) <= 4 and not element.text.endswith(".")
            marked.append(_Element("candidate", element.lines, strong=True, marker=True) if short else element)
            continue
        strength = heading_strength(element.lines[0])
        if len(element.lines) == 1 and strength:
            text = _heading_text(element.lines[0])
            marked.append(_Element("candidate", [text], strong=strength == "strong"))
        elif len(element.lines) > 1 and strength == "strong":
            marked.append(_Element("candidate", [_heading_text(element.lines[0])], strong=True))
            marked.append(_Element("paragraph", element.lines[1:]))
        else:
            marked.append(element)
    return marked


def _numbered_headings(elements: list[_Element]) -> list[_Element]:
    """ "1. The baptism is a confession" standing alone over a paragraph, with "2. ..." over
    the next, is a numbered heading, not a list of one item."""
    singles = [
        index
        for index, element in enumerate(elements)
        if element.kind == "list" and element.ordered and len(element.lines) == 1
        and heading_strength(element.lines[0]) and _is_body(elements, index + 1)
        and elements[index + 1].kind == "paragraph"
    ]  # fmt: skip
    if len(singles) < 2:
        return elements
    for index in singles:
        element = elements[index]
        elements[index] = _Element("candidate", [f"{element.start}. {element.lines[0]}"], strong=True)
    return elements


def _resolve_headings(elements: list[_Element], has_title: bool) -> list[_Element]:
    """Decide which candidates are headings: only those followed by body text.

    A plain (weak) candidate right under the title is the standfirst, not a heading.
    """
    elements = _numbered_headings(elements)
    resolved: list[_Element] = []
    index = 0
    while index < len(elements):
        element = elements[index]
        if element.kind == "rating_heading":
            # "Final Verdict? 10/10" over a paragraph stays as the heading "Final Verdict?".
            if element.lines[0] and _is_body(elements, index + 1):
                resolved.append(_Element("heading", element.lines))
            index += 1
            continue
        if element.kind != "candidate":
            resolved.append(element)
            index += 1
            continue
        end = index
        while end < len(elements) and elements[end].kind == "candidate":
            end += 1
        run = elements[index:end]
        if index == 0 and has_title and not run[0].strong:
            resolved.append(_Element("paragraph", run[0].lines))  # the standfirst
            index += 1
            continue
        if not _is_body(elements, end):
            resolved.extend(_Element("paragraph", candidate.lines) for candidate in run)
        else:
            resolved.append(_Element("heading", run[0].lines, marker=run[0].marker))
            if len(run) == 2:
                resolved.append(_Element("paragraph", ["### " + run[1].text], subheading=True))
            elif len(run) > 2:
                resolved.append(_Element("list", [candidate.text for candidate in run[1:]]))
        index = end
    return resolved


def _is_body(elements: list[_Element], index: int) -> bool:
    return index < len(elements) and elements[index].kind in ("paragraph", "list")


@dataclass
class _RawSection:
    heading: str | None
    elements: list[_Element]
    marker: bool = False  # the heading itself warns of spoilers ("Spoiler alert!")


def _sections(elements: list[_Element], warnings: list[str]) -> list[_RawSection]:
    """Split resolved elements into sections at headings."""
    raw: list[_RawSection] = []
    for element in elements:
        if element.kind == "heading":
            raw.append(_RawSection(element.text, [], marker=element.marker))
        else:
            if not raw:
                raw.append(_RawSection(None, []))
            raw[-1].elements.append(element)
    sections: list[_RawSection] = []
    pending_headings: list[str] = []
    for section in raw:
        heading, parts = section.heading, section.elements
        if not parts:
            if heading is not None:
                pending_headings.append(heading)
            continue
        if pending_headings:
            # A heading with nothing under it is kept as the first heading of the
            # next section, and that section's own heading becomes a subheading.
            if heading is not None:
                parts = [_Element("paragraph", [f"### {heading}"], subheading=True), *parts]
            heading = pending_headings[0]
            extra = [_Element("paragraph", [f"### {text}"], subheading=True) for text in pending_headings[1:]]
            parts = extra + parts
            pending_headings = []
        sections.append(_RawSection(heading, parts, marker=section.marker))
    for heading in pending_headings:
        warnings.append(f'The heading "{heading}" has no text under it and was left out.')
    return sections


def _body(elements: list[_Element]) -> str:
    return "\n\n".join(element.markdown() for element in elements)


def _fold_point(
    sections: list[_RawSection], title: str
) -> tuple[int, int, str] | None:
    """Where an article says everything after is a spoiler: (section, element, reason)."""
    points: list[tuple[int, int, str]] = []
    cue = title_reason(title)
    if cue and sections:
        if len(sections) > 1:
            points.append((1, 0, cue))
        else:
            elements = sections[0].elements
            first = next((i for i, e in enumerate(elements) if e.kind == "paragraph" and not e.marker), 0)
            points.append((0, first + 1, cue))
    for section_index, section in enumerate(sections):
        for element_index, element in enumerate(section.elements):
            if element.marker:
                quoted = _collapse(element.text)[:80]
                points.append((section_index, element_index + 1, f'a line says spoilers follow ("{quoted}")'))
                break
        else:
            continue
        break
    return min(points) if points else None


def _flag_section(section: _RawSection, film: FilmKnowledge | None) -> list[DraftSection]:
    """One section as draft sections: folded whole, or split around the runs of paragraphs that spoil."""
    if section.marker:
        reason = f'its heading warns of spoilers ("{section.heading}")'
        return [DraftSection(section.heading, _body(section.elements), True, reason)]
    subheadings = [e.text[4:] for e in section.elements if e.subheading]
    for text in [section.heading, *subheadings]:
        reason = heading_reason(text, film)
        if reason:
            return [DraftSection(section.heading, _body(section.elements), True, reason)]
    result: list[DraftSection] = []
    heading = section.heading
    run: list[_Element] = []
    elements = section.elements
    index = 0
    while index < len(elements):
        element = elements[index]
        skip = element.info or element.subheading or element.marker
        reason = None if skip else block_reason(element.text, film)
        if reason is None:
            run.append(element)
            index += 1
            continue
        # When unsure, fold: the paragraphs after it that still point at the story go too.
        end = index + 1
        while end < len(elements) and not elements[end].info and evidence(elements[end].text, film).any:
            end += 1
        if run:
            result.append(DraftSection(heading, _body(run)))
            heading, run = None, []
        result.append(DraftSection(heading, _body(elements[index:end]), True, reason))
        heading = None
        index = end
    if run or not result:
        result.append(DraftSection(heading, _body(run)))
    return result


def _flag_spoilers(sections: list[_RawSection], title: str, film: FilmKnowledge | None) -> list[DraftSection]:
    fold = _fold_point(sections, title)
    drafts: list[DraftSection] = []
    for index, section in enumerate(sections):
        if fold is not None and index > fold[0]:
            drafts.append(DraftSection(section.heading, _body(section.elements), True, fold[2]))
            continue
        if fold is not None and index == fold[0]:
            before, after = section.elements[: fold[1]], section.elements[fold[1] :]
            if before:
                drafts.extend(_flag_section(_RawSection(section.heading, before), film))
            if after:
                drafts.append(DraftSection(None if before else section.heading, _body(after), True, fold[2]))
            continue
        drafts.extend(_flag_section(section, film))
    return [draft for draft in drafts if draft.body.strip()]


# --- Excerpts --------------------------------------------------------------------

_NOT_PROSE = re.compile(r"^(?:[-*+]\s|\d{1,9}[.)]\s|#{1,6}\s|>|\||```)")


def excerpt_source(sections: Sequence, limit: int = 300) -> str:
    """The Markdown an excerpt is made from: prose paragraphs of the sections not folded.

    Never text from a folded section, never a list (an info box, a list of
    facts), a subheading or a "spoilers ahead" line; with nothing safe, "".
    """
    chosen: list[str] = []
    size = 0
    budget = max(limit, 1) * 4  # enough Markdown for ``limit`` visible characters, and no more
    for section in sections:
        if section.is_spoiler:
            continue
        for block in section.body.split("\n\n"):
            block = block.strip()
            if not block or _NOT_PROSE.match(block) or is_spoiler_marker(block):
                continue
            if size + len(block) > budget:
                cut = block[: budget - size]
                chosen.append(cut[: cut.rfind(" ")] if " " in cut else cut)
                return "\n\n".join(chosen)
            chosen.append(block)
            size += len(block)
            if size > limit:
                return "\n\n".join(chosen)
    return "\n\n".join(chosen)


# --- The whole article ----------------------------------------------------------

TOP_LINES = 12  # where breadcrumbs, kickers, titles and bylines live
# Lines past this many are taken as plain paragraphs, with no furniture or heading
# checks: real articles are far shorter, and it bounds the per-line work.
STRUCTURE_MAX_LINES = 3_000


def parse_article(
    text: str,
    cast_names: Sequence[str] = (),
    cast_anchor: Callable[[str], str] | None = None,
    film: FilmKnowledge | None = None,
) -> DraftReview:
    """Read a plain-text or light-Markdown article into a ``DraftReview``.

    ``cast_names`` are the film's cast as the catalogue spells them. With
    ``cast_anchor`` (name -> URL) each exact mention in a body becomes a
    Markdown link; near-miss spellings are reported in ``warnings`` either way
    and never rewritten. ``film`` is what the film record knows about its
    story (spoiler notes, characters), used to fold the sections that give it
    away. Never raises for any ``str``: empty text gives a draft without
    sections and the warning "The text is empty.".
    """
    from watchparty.reviews.rendering import excerpt

    review = DraftReview()
    raw_lines = _normalise(text if isinstance(text, str) else "").split("\n")
    rows = _rows(raw_lines)
    if not rows:
        review.warnings.append(EMPTY_TEXT_WARNING)
        return review

    hard_wrapped, width = _is_hard_wrapped(rows)
    rows = _join_broken_lines(rows)
    edge = set(range(min(len(rows), TOP_LINES))) | set(range(max(0, len(rows) - BYLINE_EDGE_LINES), len(rows)))
    labelled_title = next(
        (i for i in range(min(len(rows), TOP_LINES)) if furniture.title_label(rows[i].text)), None
    )

    found = _Furniture()
    kept: list[_Line] = []
    title_key: str | None = None
    blank_before = False
    box_open = False
    for position, row in enumerate(rows):
        line = row.text
        blank_before = blank_before or row.blank_before
        if position >= STRUCTURE_MAX_LINES:
            kept.append(_Line("text", line, row.indent, blank_before=blank_before, plain=True))
            blank_before = False
            continue
        if box_open and not row.blank_before and _is_box_item(line):
            review.dropped.append(DroppedLine(line, "related-articles box"))
            continue
        box_open = False
        if title_key is None and position < TOP_LINES:
            if furniture.is_breadcrumb(line):
                review.dropped.append(DroppedLine(line, "breadcrumb"))
                continue
            if labelled_title is not None and position <= labelled_title:
                if position == labelled_title:
                    title_key = _take_title(furniture.title_label(line) or "", review)
                    blank_before = True
                    continue
                if _take_furniture(line, True, found, review.dropped) is None:
                    review.dropped.append(DroppedLine(line, "kicker or category label"))
                continue
            if furniture.is_kicker(_unwrap(line)) and _could_be_title(rows, position + 1):
                review.dropped.append(DroppedLine(line, "kicker or category label"))
                continue
        if position < TOP_LINES and not kept and furniture.is_category_label(_unwrap(line)):
            review.dropped.append(DroppedLine(line, "kicker or category label"))
            continue
        taken = _take_furniture(line, position in edge, found, review.dropped)
        if taken is not None:
            box_open = taken in furniture.BOX_REASONS
            blank_before = True  # a removed line still separates what was around it
            continue
        rating = _find_rating(_unwrap(line))
        if rating is not None:
            found.ratings.append(rating)
            if rating.rating_only:
                label_words = set(re.findall(r"[^\W\d_]+", rating.label.casefold()))
                meaningful = bool(label_words - _RATING_ONLY_HEADING_WORDS)
                kept.append(_Line("rating", rating.label if meaningful else "", blank_before=True))
                blank_before = True
                continue
        if title_key is None:
            title_key = _take_title(line, review)
            if review.title:
                blank_before = True
                continue
        elif len(line) <= 2 * len(title_key) + 10 and _comparable(line) == title_key:
            blank_before = True
            continue  # the title repeated (page header, social card...)
        line, cut = furniture.strip_inline_junk(line)
        review.dropped.extend(DroppedLine(piece, "cross-promotion") for piece in cut)
        if not line:
            continue
        info = furniture.info_line(line)
        classified = _Line("info", _unwrap(line), row.indent) if info is not None else _classify(line, row.indent)
        classified.blank_before = blank_before
        kept.append(classified)
        blank_before = False

    _copy_furniture(found, review)
    elements = _resolve_headings(_elements(kept, hard_wrapped, width), has_title=bool(review.title))
    review.sections = _flag_spoilers(_sections(elements, review.warnings), review.title, film)

    if cast_names:
        searchable = "\n".join(
            [review.title, *(f"{s.heading or ''}\n{s.body}" for s in review.sections)]
        )
        review.warnings.extend(near_miss_warnings(searchable, cast_names))
        if len(searchable) > NAME_SCAN_MAX_CHARS:
            review.warnings.append(
                f"Only the first {NAME_SCAN_MAX_CHARS:,} characters were checked "
                "for misspelt cast names."
            )
        if cast_anchor is not None:
            for section in review.sections:
                section.body = link_cast_names(section.body, cast_names, cast_anchor)
    review.excerpt = excerpt(excerpt_source(review.sections))
    if not review.sections:
        review.warnings.append("No body text was found.")
    return review


def _could_be_title(rows: list[_Row], index: int) -> bool:
    """Whether the line at ``index`` could be the title that a kicker stands over."""
    if index >= len(rows):
        return False
    line = _unwrap(rows[index].text)
    return (
        10 <= len(line) <= TITLE_MAX_CHARS
        and not line.endswith(".")
        and furniture.junk_reason(line) is None
        and furniture.byline(line, True) is None
        and furniture.date_line(line) is None
    )


def _take_title(line: str, review: DraftReview) -> str:
    """Use ``line`` as the title if it can be one; return the key that spots its repeats."""
    heading = _MARKDOWN_HEADING.match(line) if len(line) <= TITLE_MAX_CHARS * 2 else None
    candidate = heading.group("text").strip() if heading else _heading_text(line)
    if candidate and len(candidate) <= TITLE_MAX_CHARS and not _BULLET.match(line):
        review.title = candidate
        return _comparable(candidate)
    review.warnings.append("The first line does not look like a title, so the review has none yet.")
    return "\0"  # matches no line: nothing to collapse


def _copy_furniture(found: _Furniture, review: DraftReview) -> None:
    review.author = found.author
    review.image_credits = found.image_credits
    review.published = found.published
    review.source_name = found.source_name
    review.source_url = found.source_url
    if found.extra_authors:
        review.warnings.append(
            "More than one byline was found; the author is set to the first, "
            f'"{found.author}" (also found: {", ".join(found.extra_authors)}).'
        )
    preferred = [rating for rating in found.ratings if rating.rating_only] or found.ratings
    if preferred:
        chosen = preferred[0]
        review.rating_value, review.rating_scale = chosen.value, chosen.scale
        distinct = {(rating.value, rating.scale) for rating in found.ratings}
        if len(distinct) > 1:
            review.warnings.append(
                f"Several ratings were found; using {chosen.value:g}/{chosen.scale}."
            )
