"""The lines of an imported article: normalising the text, the furniture a
line can be (cross-promotion, author and image credits, a rating, a publication
date, a source link), and how strongly a short line reads as a heading.
Pure: no Flask, no database (see importer.parse_article for the whole)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from watchparty.reviews import furniture
from watchparty.reviews.furniture import star_or_grade_rating

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

EMPTY_TEXT_WARNING = "The text is empty."

# --- Character classes written as escapes so the source stays plain ASCII ----
APOSTROPHES = "'\u2019"
_DASHES = "\\-\u2013\u2014"  # hyphen, en dash, em dash (for use inside [...])
_OPENING_QUOTES = "\"'\u201c\u2018\u201e\u00ab"
_CLOSING_QUOTES = "\"'\u201d\u2019\u00bb"
_CLOSING_PUNCTUATION = ".,;:!?\u2026"
_ELLIPSIS = "\u2026"

@dataclass(frozen=True)
class DroppedLine:
    """A line left out as page furniture, listed so that the editor can put it back."""

    text: str
    reason: str


# --- Normalising -------------------------------------------------------------

# Line and paragraph separators other than "\n" become newlines...
_LINE_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# ...and other control characters, byte-order marks, noncharacters and lone
# surrogates are removed. Tabs are kept (they become spaces later).
_UNWANTED_CHARACTERS = re.compile(
    r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\ufeff\ufffe\uffff\ud800-\udfff]"
)


def normalise(text: str) -> str:
    text = _LINE_BREAKS.sub("\n", text)
    text = _UNWANTED_CHARACTERS.sub("", text)
    return unicodedata.normalize("NFC", text)


def collapse(line: str) -> str:
    """Trim a line and collapse its inner whitespace (tabs, no-break spaces) to single spaces."""
    return " ".join(line.split())


def comparable(text: str) -> str:
    """A form of a line used to spot repeats: no Markdown heading marks, case or spacing."""
    return collapse(text.lstrip("#").strip("*_ ")).casefold()


# --- Furniture: promotion, credits, rating, publication data ----------------

_CROSS_PROMOTION = re.compile(
    rf"""^\W*(?:
        don[{APOSTROPHES}]?t\s+miss | do\s+not\s+miss
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
RATING_ONLY_HEADING_WORDS = frozenset(
    {"rating", "rated", "rate", "score", "stars", "grade", "total", "we", "give", "it", "i",
     "us", "for", "my", "our", "the", "review"}
)  # fmt: skip

HORIZONTAL_RULE = re.compile(r"^([-*_=])(?:\s*\1){2,}$")
MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+(?P<text>.*?)(?:\s+#+)?$")
_BOLD_LINE = re.compile(r"^(\*\*|__)(?P<text>[^*_]+)\1$")
BULLET = re.compile("^(?:[-*]\\s+|\u2022\\s*|\u25aa\\s*|\u25cf\\s*)(?P<text>.*)$")
NUMBERED = re.compile(r"^(?P<number>\d{1,9})[.)]\s+(?P<text>.*)$")


@dataclass
class _Rating:
    value: float
    scale: int
    label: str  # the line without the rating, e.g. "Final Verdict?"
    rating_only: bool


def find_rating(line: str) -> _Rating | None:
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
    label = collapse(line[: span[0]] + " " + line[span[1] :]).strip(f" :|{_DASHES}")
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
    raw = collapse(match.group("date")).strip(" .")
    for date_format in _DATE_FORMATS:
        try:
            return datetime.strptime(raw, date_format).date()
        except ValueError:
            continue
    return None


# --- Lines -------------------------------------------------------------------

LineKind = Literal["text", "bullet", "number", "heading", "rating", "info"]


@dataclass
class Line:
    kind: LineKind
    text: str
    indent: int = 0
    number: int = 0
    blank_before: bool = False
    plain: bool = False  # past STRUCTURE_MAX_LINES: never a heading


@dataclass
class Furniture:
    """What the furniture pass found, to be copied into the DraftReview."""

    author: str | None = None
    extra_authors: list[str] = field(default_factory=list)
    image_credits: list[str] = field(default_factory=list)
    ratings: list[_Rating] = field(default_factory=list)
    published: date | None = None
    source_name: str | None = None
    source_url: str | None = None


def unwrap(line: str) -> str:
    """A line without the emphasis wrapped round it ("*Words: Jane Doe*")."""
    return line.strip("*_ ") or line


def take_furniture(
    line: str, near_edge: bool, found: Furniture, dropped: list[DroppedLine]
) -> str | None:
    """Record ``line`` in ``found`` if it is article furniture.

    Returns None for text, "" for a line whose content went into a field
    (byline, credit, date, source) and the reason for a line that was dropped
    (also appended to ``dropped`` so that the editor sees it).
    """
    if len(line) > FURNITURE_MAX_CHARS:
        return None
    bare = unwrap(line)
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
        name = collapse(_URL.sub("", raw)).strip(" ,;:-")
        if name and found.source_name is None:
            found.source_name = name
        return ""
    return None


def classify(line: str, indent: int) -> Line:
    """What a (non-furniture, non-blank) line is for the layout pass."""
    if len(line) <= HEADING_MAX_CHARS * 3:
        heading = MARKDOWN_HEADING.match(line)
        if heading is not None and heading.group("text").strip():
            return Line("heading", heading.group("text").strip(), indent)
    bullet = BULLET.match(line)
    if bullet is not None:
        return Line("bullet", bullet.group("text").strip(), indent)
    numbered = NUMBERED.match(line)
    if numbered is not None:
        number = int(numbered.group("number"))
        return Line("number", numbered.group("text").strip(), indent, number)
    return Line("text", line, indent)


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


def heading_text(line: str) -> str:
    bold = _BOLD_LINE.match(line)
    return bold.group("text").strip() if bold else line
