"""Page furniture in copied articles: what is not the review, and the fields hidden in it.

A page copied from a browser brings its furniture along: breadcrumbs, kickers,
share rows, newsletter boxes, comment prompts, captions, "Also read" tails.
This module recognises those lines (``junk_reason``), the lines that carry a
field (bylines, dates, ratings, label/value info lines) and the pieces of a
line that are furniture (``strip_inline_junk``). Everything here is pure and
works on one collapsed line of bounded length, so the cost stays linear.

Ratings: ``n/10``, ``n/5``, ``n out of 5``, ``3.5 stars``, ``4 \u00bd stars``,
star runs with an optional half (``\u2605\u2605\u2605\u2605\u00bd``) and
letter grades. A letter grade is only read after the word "grade" and is
mapped to a score out of 10 with ``LETTER_GRADES``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

LINE_MAX_CHARS = 300  # furniture is short; longer lines are always text


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text``: word lists stay readable in the source."""
    return frozenset(text.split())
SEPARATORS = "\u00bb\u203a>/|\u2192"  # breadcrumb separators: guillemet, angle quote, >, /, |, arrow

# A letter grade as a score out of 10: the top of each band is the plain letter
# plus half a point, minus takes half a point off. F is a fail, not a zero.
LETTER_GRADES = {
    "A+": 10.0, "A": 9.5, "A-": 9.0,
    "B+": 8.5, "B": 8.0, "B-": 7.5,
    "C+": 7.0, "C": 6.5, "C-": 6.0,
    "D+": 5.5, "D": 5.0, "D-": 4.5,
    "F": 2.0,
}  # fmt: skip

_SOCIAL = (
    r"facebook|twitter|x|instagram|tiktok|youtube|threads|bluesky|mastodon|pinterest|reddit|linkedin"
    r"|whatsapp|telegram|tumblr|email|e-mail|print|copy\s+link|copy\s+url|messenger|flipboard|sms"
)
_SITE = r"[\w'\u2019&.-]+(?:\s+[\w'\u2019&.-]+){0,4}"

# Whole lines that are page furniture, with the reason the preview shows.
_JUNK_LINES: list[tuple[str, re.Pattern[str]]] = [
    ("advertisement", re.compile(
        r"^(?:advertisement|advertisements|advert|ad|sponsored(?:\s+content)?|paid\s+content"
        r"|story\s+continues\s+below(?:\s+(?:this\s+)?advertisement)?|scroll\s+to\s+continue(?:\s+with\s+content)?"
        r"|continue\s+reading\s+below)$", re.I)),
    ("share row", re.compile(
        rf"^(?:share(?:\s+(?:this|this\s+(?:article|story|post|review)|the\s+article|on\s+(?:{_SOCIAL})"
        rf"|via\s+(?:{_SOCIAL})|to\s+(?:{_SOCIAL})))?|(?:{_SOCIAL})|tweet|pin\s+it|like\s+this|like"
        rf"|loading\u2026?|loading\.\.\.)\s*:?$", re.I)),
    ("newsletter box", re.compile(
        r"^(?:subscribe|sign\s+up)\b.{0,120}\b(?:newsletter|inbox|e-?mail|posts|updates|free)\b.{0,80}$"
        r"|^(?:get|join)\b.{0,80}\b(?:newsletter|inbox)\b.{0,60}$"
        r"|^subscribe(?:\s+now)?[.!]?$|^sign\s+up[.!]?$"
        r"|^(?:type|enter)\s+your\s+e-?mail(?:\s+address)?(?:\s*(?:\u2026|\.\.\.|here))?\.?$"
        r"|^(?:your\s+)?e-?mail\s+address\b.{0,40}$|^no\s+spam\b.{0,80}$|^unsubscribe\s+at\s+any\s+time\.?$", re.I)),
    ("comment prompt", re.compile(
        r"^(?:leave\s+a\s+(?:reply|comment)|post\s+a\s+comment|add\s+a\s+comment|cancel\s+reply"
        r"|join\s+the\s+(?:conversation|discussion)|comments?|show\s+comments|view\s+comments"
        r"|\d+\s+(?:comments?|responses?|replies)|comments?\s*\(\d+\)|continue\s+reading|read\s+more"
        r"|you\s+must\s+be\s+logged\s+in\s+to\s+post\s+a\s+comment\.?)\s*[.:]?$", re.I)),
    ("\"discover more\" box", re.compile(rf"^discover\s+more\s+from\s+{_SITE}$", re.I)),
    ("related-articles box", re.compile(
        r"^(?:you\s+(?:may|might|will|could)\s+also\s+(?:like|enjoy|love)|related(?:\s+(?:posts|articles|stories|reading|content|coverage))?"
        r"|more\s+(?:on|from|in|about)\s+" + _SITE + r"|more\s+(?:\w+\s+){0,2}(?:news|stories|reviews|articles|features)"
        r"|read\s+next|up\s+next|watch\s+next"
        r"|recommended(?:\s+for\s+you|\s+reading)?|popular(?:\s+now|\s+posts)?|trending(?:\s+now)?|most\s+read"
        r"|editor[\u2019']?s\s+picks?|latest(?:\s+(?:news|reviews|posts))?|further\s+reading)\s*:?$", re.I)),
    ("social follow line", re.compile(
        rf"^(?:\W\s*)?follow\s+(?:us|me|{_SITE})\s+(?:on|at)\s+(?:{_SOCIAL}|{_SITE}).{{0,80}}$"
        r"|^follow\s+(?:us|me)\b.{0,60}$|^(?:like|find)\s+us\s+on\s+\w+.{0,40}$", re.I)),
    ("tags", re.compile(r"^(?:tags?|tagged(?:\s+with)?|filed\s+under|categories|category|topics?)\s*:\s*.{1,200}$", re.I)),
    ("like button", re.compile(
        r"^(?:like\s+(?:review|this|post)|like\s+loading(?:\.\.\.|\u2026)?|loading(?:\.\.\.|\u2026)|liked\s+by\b.{0,60}"
        r"|\d+\s+likes?|\d+\s+(?:shares?|views?|reactions?))$", re.I)),
    ("reading time", re.compile(r"^(?:\d{1,3}\s+min(?:ute)?s?\s+read|reading\s+time\s*:?\s*\d{1,3}\s+min(?:ute)?s?)\.?$", re.I)),
]  # fmt: skip

# Boxes whose following short lines are the boxed article titles.
BOX_REASONS = frozenset({"related-articles box"})

# Words a kicker or category label is made of ("MOVIE REVIEW", "Film Reviews").
_KICKER_WORDS = word_set(
    """review reviews film films movie movies cinema features feature culture entertainment arts art
    animation classic classics opinion news tv television streaming analysis explainer explained essay
    essays criticism critic critics pick picks home blog spotlight retrospective interview interviews
    guide guides new releases now showing on demand drama comedy horror thriller documentary world
    international music books lifestyle reel notes and & the of in screen screens"""
)

# "Home \u00bb Reviews \u00bb Film", "Film > Reviews", "Reviews / Animation".
_BREADCRUMB = re.compile(rf"^[^{SEPARATORS}]{{1,40}}(?:\s+[{SEPARATORS}]\s+[^{SEPARATORS}]{{1,40}}){{1,6}}$")

# "... (Photo: A24)", "Ani at the club. Photo: Neon": a caption ends with its credit,
# in brackets or after a full stop; "courtesy of" in the middle of prose is not one.
_CAPTIONS = (
    re.compile(
        r"^(?P<caption>.{3,220}?)\s*[(\[]\s*(?:photo(?:graph)?s?|image|picture|still|credit|courtesy)"
        r"(?:\s+credit)?\s*(?::|by\b|of\b)?\s*(?P<credit>[^()\[\]]{2,80}?)\s*[)\]]\.?$",
        re.I,
    ),
    re.compile(
        r"^(?P<caption>.{3,220}?[.!?])\s+(?:photo(?:graph)?s?|image|picture|still|credit)(?:\s+credit)?\s*:"
        r"\s*(?P<credit>[^()\[\]:]{2,80}?)\.?$",
        re.I,
    ),
)

# Inline furniture inside a paragraph line: "(Also read: ...)" and trailing "Related: ..." tails.
_INLINE_ALSO_READ = re.compile(
    r"\s*[(\[]\s*(?:also\s+read|read\s+also|read\s+more|related|see\s+also|also\s+see|don[\u2019']?t\s+miss|watch)"
    r"\s*:[^()\[\]]{1,200}[)\]]",
    re.I,
)
_INLINE_TAIL = re.compile(
    r"(?<=[.!?\"\u201d\u2019)])\s+(?:also\s+read|read\s+also|read\s+more|related|see\s+also|don[\u2019']?t\s+miss)"
    r"\s*:\s*[^.!?]{1,200}$",
    re.I,
)


def junk_reason(line: str) -> str | None:
    """Why a whole (collapsed) line is page furniture, or None."""
    if not line or len(line) > LINE_MAX_CHARS:
        return None
    bare = line.strip("*_ \u2022\u00b7|")
    for reason, pattern in _JUNK_LINES:
        if pattern.match(bare):
            return reason
    return None


def is_breadcrumb(line: str) -> bool:
    """ "Home » Reviews » Film": short parts joined by separators, no sentence in it."""
    if len(line) > 100 or line[-1:] in ".!?":
        return False
    if line.casefold().startswith("home ") and any(mark in line for mark in SEPARATORS):
        return True
    return bool(_BREADCRUMB.match(line)) and all(len(part.split()) <= 4 for part in re.split(rf"[{SEPARATORS}]", line))


def is_kicker(line: str) -> bool:
    """A category label or kicker over a title: "MOVIE REVIEW", "Film Reviews", "FEATURES"."""
    words = line.split()
    if not 1 <= len(words) <= 4 or len(line) > 40 or line[-1:] in ".!?,;:":
        return False
    folded = [word.strip("&:").casefold() for word in words]
    if all(word in _KICKER_WORDS or not word for word in folded):
        return True
    letters = [character for character in line if character.isalpha()]
    return len(words) <= 3 and len(letters) >= 3 and all(character.isupper() for character in letters)


def is_category_label(line: str) -> bool:
    """A bare section name near the top ("Reviews", "Entertainment | Movies")."""
    parts = [part.strip() for part in re.split(rf"[{SEPARATORS}]", line) if part.strip()]
    if not parts or len(line) > 60 or line[-1:] in ".!?,;:":
        return False
    return all(
        1 <= len(part.split()) <= 3 and all(word.strip("&").casefold() in _KICKER_WORDS for word in part.split())
        for part in parts
    )


def caption_credit(line: str) -> str | None:
    """The credit of a photo caption ("Ani at the club. (Photo: Neon)" -> "Neon"), or None."""
    if len(line) > 260:
        return None
    match = _CAPTIONS[0].match(line) or _CAPTIONS[1].match(line)
    if match is None:
        return None
    credit = match.group("credit").strip(" .")
    if not credit or len(credit.split()) > 8:
        return None
    return credit


def strip_inline_junk(line: str) -> tuple[str, list[str]]:
    """The line without "(Also read: ...)" or a trailing "Related: ..." tail, and what was cut."""
    if len(line) > 20_000 or ":" not in line:
        return line, []
    cut: list[str] = []

    def take(match: re.Match[str]) -> str:
        cut.append(match.group().strip())
        return ""

    line = _INLINE_ALSO_READ.sub(take, line)
    line = _INLINE_TAIL.sub(take, line)
    return line.strip(), cut


# --- Dates ---------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
            ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
            ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}  # fmt: skip
_MONTH = r"(?P<month>[A-Za-z]{3,9})\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_DATE_PATTERNS = [
    re.compile(rf"\b{_DAY},?\s+{_MONTH},?\s+{_YEAR}\b"),  # 7 Feb 2020, 7, Feb 2020
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b"),  # Feb 7, 2020
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<mon>\d{2})-(?P<day>\d{2})\b"),  # 2020-02-07
    re.compile(r"\b(?P<day>\d{1,2})\.(?P<mon>\d{1,2})\.(?P<year>(?:19|20)\d\d)\b"),  # 07.02.2020
]
_DATE_LABEL = re.compile(
    r"\b(?:published|posted|updated|last\s+updated|first\s+published|date|released|on|at|watched|reviewed"
    r"|logged|seen|et|pt|gmt|bst|utc)\b",
    re.I,
)
_TIME = re.compile(r"\b\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s+[A-Z]{2,4}\b)?", re.I)
_READING = re.compile(r"\d{1,3}\s+min(?:ute)?s?\s+read", re.I)


def find_date(text: str) -> tuple[date, tuple[int, int]] | None:
    """The first calendar date written in ``text`` and where it is, or None."""
    if len(text) > LINE_MAX_CHARS:
        return None
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            parts = match.groupdict()
            month = _MONTHS.get((parts.get("month") or "").casefold()) or int(parts.get("mon") or 0)
            try:
                return date(int(parts["year"]), month, int(parts["day"])), match.span()
            except (ValueError, TypeError):
                continue
    return None


def date_line(line: str) -> date | None:
    """The date of a line that is only a date ("PUBLISHED MAR 14, 2023", "Updated: Feb 10, 2023 09:15 AM IST")."""
    found = find_date(line)
    if found is None:
        return None
    day, (start, end) = found
    rest = line[:start] + " " + line[end:]
    rest = _READING.sub(" ", _TIME.sub(" ", rest))
    rest = _DATE_LABEL.sub(" ", rest)
    if re.search(r"[^\W_]", rest):
        return None
    return day


# --- Bylines ---------------------------------------------------------------------

_NAME_WORD = r"[A-Z\u00c0-\u024f][\w\u00c0-\u024f'\u2019.-]*"
_NAME = rf"{_NAME_WORD}(?:\s+(?:(?:de|del|der|van|von|da|di|la|le|bin|al)\s+)?{_NAME_WORD}){{0,4}}"
_BYLINE_LEAD = re.compile(
    r"^(?:(?:text|words|story|review|article|written|reviewed|posted|posted\s+by|interview)\s+by|by|words|text"
    r"|author|reviewer|critic|posted\s+by)\b\s*[:|\u2013\u2014-]?\s*(?P<rest>.+)$",
    re.I,
)
_POSTED_ON_BY = re.compile(r"^(?:posted|published|written)\s+(?:on\s+)?(?P<date>.+?)\s+by\s+(?P<rest>.+)$", re.I)
_NAME_BAR_DATE = re.compile(rf"^(?P<name>{_NAME})\s*[|\u00b7\u2022\u2013\u2014]\s*(?P<rest>.+)$")
_NOT_NAME_WORDS = word_set(
    """the a an this that these those it its our my your his her their now then all no far way end time day
    night film movie"""
)
_ROLE_WORDS = word_set(
    """staff writer editor critic film chief senior contributing contributor features reviews correspondent
    columnist reporter associate deputy managing executive digital culture arts entertainment freelance
    guest special editor-at-large at large"""
)


@dataclass(frozen=True)
class Byline:
    author: str
    published: date | None = None


def _clean_name(text: str) -> str | None:
    text = text.strip(" .,:;|*_")
    words = text.split()
    if not 1 <= len(words) <= 5 or any(character.isdigit() for character in text):
        return None
    for word in words:
        bare = word.strip(",.'\u2019")
        if not bare:
            return None
        if bare.casefold() in {"de", "del", "der", "van", "von", "da", "di", "la", "le", "bin", "al", "and", "&"}:
            continue
        if not bare[0].isupper() or bare.casefold() in _NOT_NAME_WORDS or any(c in ":;!?" for c in bare):
            return None
    if text.isupper():
        text = " ".join(word.capitalize() if word.isupper() else word for word in words)
    return text


def trailing_rating(line: str) -> WordRating | None:
    """Stars at the end of a byline ("Review by Jane Doe \u2605\u2605\u2605\u2605")."""
    run = _STAR_RUN.search(line)
    return star_or_grade_rating(line[run.start() :]) if run and not line[run.end() :].strip() else None


def byline(line: str, near_top: bool) -> Byline | None:
    """The author (and date) of a byline, or None.

    Reads "By Jane Doe", "Written by Jane Doe, Staff Writer", "Words: Jane Doe",
    "BY JANE DOE", "Posted by Jane Doe on June 3, 2021", "Posted on February 20,
    2017 by Jane Doe" and, near the top, "Jane Doe | On 16, Feb 2025".
    Roles after a comma and dates after a separator are taken off the name.
    """
    if len(line) > 160:
        return None
    line = line.strip("*_ ")
    published: date | None = None
    rest: str | None = None
    posted = _POSTED_ON_BY.match(line)
    if posted is not None:
        published = date_line(posted.group("date"))
        if published is None:
            return None
        rest = posted.group("rest")
    else:
        lead = _BYLINE_LEAD.match(line)
        if lead is not None:
            rest = lead.group("rest")
            # "By Jane Doe" without a colon is only believed where bylines live (top or bottom).
            with_separator = re.match(r"^\w+(?:\s+by)?\s*[:|\u2013\u2014-]", line) is not None
            if not with_separator and not near_top:
                return None
        elif near_top:
            bar = _NAME_BAR_DATE.match(line)
            if bar is None:
                return None
            published = date_line(bar.group("rest"))
            if published is None:
                return None
            name = _clean_name(bar.group("name"))
            return Byline(name, published) if name and len(name.split()) >= 2 else None
    if rest is None:
        return None
    rest = _STAR_RUN.sub("", rest).strip()  # "Review by Jane Doe \u2605\u2605\u2605\u2605": the stars are the rating
    # "Jane Doe on June 3, 2021", "Jane Doe | 3 June 2021", "Jane Doe, Staff Writer"
    on_date = re.match(r"^(?P<name>.+?)\s+(?:on\s+|[|\u00b7\u2022\u2013\u2014]\s*)(?P<date>.+)$", rest)
    if on_date is not None and date_line(on_date.group("date")) is not None:
        published = published or date_line(on_date.group("date"))
        rest = on_date.group("name")
    if "|" in rest:  # "Jane Doe | Special to the Gazette"
        rest = rest.split("|", 1)[0]
    if "," in rest:
        name_part, role = rest.split(",", 1)
        role_words = set(re.findall(r"[\w-]+", role.casefold()))
        if role_words and (role_words & _ROLE_WORDS or len(role_words) <= 4):
            rest = name_part
    name = _clean_name(rest)
    if name is None:
        return None
    return Byline(name, published)


# --- Info lines -------------------------------------------------------------------

_INFO_LABELS = (
    r"directors?|directed\s+by|writers?|screenplay|screenwriters?|starring|stars|cast|main\s+cast|with"
    r"|runtime|run\s*time|running\s+time|length|duration|year|release(?:\s+date)?|released|in\s+cinemas"
    r"|(?:mpaa?|bbfc|uk|us|age|parental)?\s*(?:rating|rated|certificate|certification|classification)"
    r"|cert|genres?|country|countries|language|languages|studio|distributor|distributed\s+by|production"
    r"|budget|box\s+office|producers?|music|score\s+by|composer|cinematography|cinematographer|editor|editing"
    r"|based\s+on|where\s+to\s+(?:watch|stream)|streaming(?:\s+on)?|available\s+on|format|original\s+title"
)
_INFO = re.compile(rf"^(?P<label>(?:{_INFO_LABELS}))\s*:\s*(?P<value>\S.{{0,160}})$", re.I)


_INFO_WITHOUT_COLON = re.compile(
    r"^(?P<label>(?i:(?:directed|produced|shot|edited|scored|adapted)\s+by|starring))\s+(?P<value>[A-Z\u00c0-\u024f].{0,120})$"
)


def info_line(line: str) -> tuple[str, str] | None:
    """A label/value line of a film's details ("Runtime: 139 min", "Rating: R",
    "Directed by Bong Joon-ho"), or None."""
    if len(line) > 200:
        return None
    bare = line.strip("*_ ")
    match = _INFO.match(bare)
    if match is not None:
        return match.group("label"), match.group("value")
    match = _INFO_WITHOUT_COLON.match(bare)
    if match is not None and not bare.endswith("."):
        return match.group("label"), match.group("value")
    return None


_TITLE_LABEL = re.compile(r"^(?:title|film|movie|film\s+title)\s*:\s*(?P<title>\S.{0,150})$", re.I)


def title_label(line: str) -> str | None:
    """ "Title: Casablanca" -> "Casablanca"."""
    match = _TITLE_LABEL.match(line.strip("*_ "))
    return match.group("title").strip() if match else None


# --- Ratings ------------------------------------------------------------------------

_HALF = r"(?:\s*\u00bd|\s+1/2|\.5|,5)"
_STARS_WORDS = re.compile(
    rf"(?<![\d.,/])(?P<whole>\d{{1,2}})(?P<half>{_HALF})?\s*(?:/\s*(?P<of>5|4|10)\s*)?"
    rf"(?:out\s+of\s+(?P<outof>5|4|10)\s+)?stars?\b",
    re.I,
)
_STAR_RUN = re.compile("[\u2605\u2606\u2b50\u272a\u2729]+(?:\\s*\u00bd)?")
_GRADE = re.compile(
    r"^(?i:(?:our|my|the|final|overall|critic[\u2019']?s|film)\s+)*(?i:grade)\s*[:\-\u2013\u2014]?\s*"
    r"(?P<grade>[A-DF][+\-\u2212\u2013]?)(?:\s*\(.*\))?$"
)


@dataclass(frozen=True)
class WordRating:
    value: float
    scale: int
    span: tuple[int, int]


def star_or_grade_rating(line: str) -> WordRating | None:
    """A rating written with stars ("4 \u00bd STARS", "\u2605\u2605\u2605\u2605\u00bd", "3.5 stars")
    or as a letter grade ("Grade: B+"), or None. Fractions are read elsewhere."""
    if len(line) > 80:
        return None
    grade = _GRADE.match(line.strip("*_ "))
    if grade is not None:
        letter = grade.group("grade").replace("\u2212", "-").replace("\u2013", "-")
        return WordRating(LETTER_GRADES[letter], 10, (0, len(line)))
    words = _STARS_WORDS.search(line)
    if words is not None:
        value = int(words.group("whole")) + (0.5 if words.group("half") else 0.0)
        scale = int(words.group("of") or words.group("outof") or 5)
        if 0 < value <= scale:
            return WordRating(value, scale, words.span())
    run = _STAR_RUN.search(line)
    if run is not None:
        text = run.group()
        full = sum(text.count(star) for star in "\u2605\u2b50\u272a")
        empty = text.count("\u2606") + text.count("\u2729")
        half = "\u00bd" in text
        value = full + (0.5 if half else 0.0)
        total = full + empty + (1 if half else 0)
        if value > 0 and (full + empty >= 3 or (half and full >= 1)):
            scale = 5 if total <= 5 else 10
            return WordRating(value, scale, run.span())
    return None
