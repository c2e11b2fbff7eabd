"""The layout of an imported article: lines joined into paragraphs and lists,
headings told from short lines, and the sections they open.
Pure: no Flask, no database (see importer.parse_article for the whole)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from watchparty.reviews import furniture
from watchparty.reviews.article_lines import (
    APOSTROPHES,
    BULLET,
    HORIZONTAL_RULE,
    MARKDOWN_HEADING,
    NUMBERED,
    Line,
    collapse,
    heading_strength,
    heading_text,
)
from watchparty.reviews.furniture import word_set
from watchparty.reviews.spoilers import is_spoiler_marker

ElementKind = Literal["paragraph", "list", "heading", "candidate", "rating_heading"]
# Words a sentence does not end on: a line ending with one was broken (around a link, say).
_OPEN_ENDINGS = word_set(
    """by to for from of with and the in on at as a an into about like than or but featuring starring
    including via between his her their its our my your this that"""
)

_CONTINUATION = re.compile(rf"^(?:[,;:.!?)\]\u2026]|[{APOSTROPHES}]s\b|[a-z])")
_TERMINAL = tuple(".!?:;\"')\u201d\u2019\u2026")


@dataclass(slots=True)
class Row:
    """A non-blank line of the article, collapsed, with what stood before it."""

    text: str
    indent: int
    blank_before: bool
    parts: list[str] = field(default_factory=list)  # joined continuation lines, before joining
    junk: bool | None = None  # page furniture? worked out once, when first needed


@dataclass
class Element:
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


def split_rows(raw_lines: list[str]) -> list[Row]:
    rows: list[Row] = []
    blank = False
    for raw_line in raw_lines:
        line = collapse(raw_line)
        if not line or HORIZONTAL_RULE.match(line):
            blank = True
            continue
        rows.append(Row(line, len(raw_line) - len(raw_line.lstrip()), blank))
        blank = False
    return rows


def is_hard_wrapped(rows: list[Row]) -> tuple[bool, int]:
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
    return bool(MARKDOWN_HEADING.match(text) or BULLET.match(text) or NUMBERED.match(text))


def join_broken_lines(rows: list[Row]) -> list[Row]:
    """Join lines that a copy broke apart: around a link, or mid-sentence before a lower-case word.

    "adapted from a play by" / "Tarell Alvin McCraney" / ", follows Chiron" is one sentence.
    """
    joined: list[Row] = []
    for row in rows:
        previous = joined[-1] if joined else None
        if previous is None or row.blank_before or _is_structural(row.text) or MARKDOWN_HEADING.match(previous.text):
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
            space = "" if row.text[0] in ",;:.!?)]\u2026" or row.text[0] in APOSTROPHES else " "
            previous.parts.append(space + row.text)
            continue
        joined.append(row)
    for row in joined:
        if row.parts:
            row.text = "".join(row.parts)
            row.parts = []
    return joined


def is_box_item(line: str) -> bool:
    """A line in a "You may also like" box: the title of another article."""
    return len(line) <= 120 and len(line.split()) <= 16 and not line.endswith(".")


def build_elements(lines: list[Line], hard_wrapped: bool, width: int) -> list[Element]:
    """Group classified lines into paragraphs, lists and heading candidates."""
    elements: list[Element] = []
    for line in lines:
        last = elements[-1] if elements else None
        if line.kind == "heading":
            elements.append(Element("heading", [line.text]))
        elif line.kind == "rating":
            elements.append(Element("rating_heading", [line.text]))
        elif line.kind == "info":
            if last is not None and last.info:
                last.lines.append(line.text)
            else:
                elements.append(Element("list", [line.text], info=True))
        elif line.kind in ("bullet", "number"):
            if not line.text:
                continue
            ordered = line.kind == "number"
            if last is not None and last.kind == "list" and not last.info and last.ordered == ordered:
                last.lines.append(line.text)
            else:
                elements.append(Element("list", [line.text], ordered=ordered, start=line.number))
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
            elements.append(Element("paragraph", [line.text], plain=True))
        else:
            elements.append(Element("paragraph", [line.text], marker=is_spoiler_marker(line.text)))
    return _mark_heading_candidates(elements)


def _mark_heading_candidates(elements: list[Element]) -> list[Element]:
    """Turn stand-alone heading-like lines into candidates.

    A strong heading line (ALL CAPS, emoji-led, bold) is also split off the top
    of a longer paragraph.
    """
    marked: list[Element] = []
    for element in elements:
        if element.kind != "paragraph" or element.plain:
            marked.append(element)
            continue
        if element.marker:
            # "Spoiler alert!" on its own line is a heading that folds its section.
            short = len(element.lines) == 1 and len(element.text.split()) <= 4 and not element.text.endswith(".")
            marked.append(Element("candidate", element.lines, strong=True, marker=True) if short else element)
            continue
        strength = heading_strength(element.lines[0])
        if len(element.lines) == 1 and strength:
            text = heading_text(element.lines[0])
            marked.append(Element("candidate", [text], strong=strength == "strong"))
        elif len(element.lines) > 1 and strength == "strong":
            marked.append(Element("candidate", [heading_text(element.lines[0])], strong=True))
            marked.append(Element("paragraph", element.lines[1:]))
        else:
            marked.append(element)
    return marked


def _numbered_headings(elements: list[Element]) -> list[Element]:
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
        elements[index] = Element("candidate", [f"{element.start}. {element.lines[0]}"], strong=True)
    return elements


def resolve_headings(elements: list[Element], has_title: bool) -> list[Element]:
    """Decide which candidates are headings: only those followed by body text.

    A plain (weak) candidate right under the title is the standfirst, not a heading.
    """
    elements = _numbered_headings(elements)
    resolved: list[Element] = []
    index = 0
    while index < len(elements):
        element = elements[index]
        if element.kind == "rating_heading":
            # "Final Verdict? 10/10" over a paragraph stays as the heading "Final Verdict?".
            if element.lines[0] and _is_body(elements, index + 1):
                resolved.append(Element("heading", element.lines))
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
            resolved.append(Element("paragraph", run[0].lines))  # the standfirst
            index += 1
            continue
        if not _is_body(elements, end):
            resolved.extend(Element("paragraph", candidate.lines) for candidate in run)
        else:
            resolved.append(Element("heading", run[0].lines, marker=run[0].marker))
            if len(run) == 2:
                resolved.append(Element("paragraph", ["### " + run[1].text], subheading=True))
            elif len(run) > 2:
                resolved.append(Element("list", [candidate.text for candidate in run[1:]]))
        index = end
    return resolved


def _is_body(elements: list[Element], index: int) -> bool:
    return index < len(elements) and elements[index].kind in ("paragraph", "list")


@dataclass
class RawSection:
    heading: str | None
    elements: list[Element]
    marker: bool = False  # the heading itself warns of spoilers ("Spoiler alert!")


def split_sections(elements: list[Element], warnings: list[str]) -> list[RawSection]:
    """Split resolved elements into sections at headings."""
    raw: list[RawSection] = []
    for element in elements:
        if element.kind == "heading":
            raw.append(RawSection(element.text, [], marker=element.marker))
        else:
            if not raw:
                raw.append(RawSection(None, []))
            raw[-1].elements.append(element)
    sections: list[RawSection] = []
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
                parts = [Element("paragraph", [f"### {heading}"], subheading=True), *parts]
            heading = pending_headings[0]
            extra = [Element("paragraph", [f"### {text}"], subheading=True) for text in pending_headings[1:]]
            parts = extra + parts
            pending_headings = []
        sections.append(RawSection(heading, parts, marker=section.marker))
    for heading in pending_headings:
        warnings.append(f'The heading "{heading}" has no text under it and was left out.')
    return sections


def markdown_body(elements: list[Element]) -> str:
    return "\n\n".join(element.markdown() for element in elements)
