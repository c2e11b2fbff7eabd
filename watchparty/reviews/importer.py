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

Where each part lives: ``article_lines`` (normalising, what a furniture line
is, how much a short line reads as a heading), ``article_layout`` (paragraphs,
lists, headings resolved, sections), ``cast_names`` (links and near misses);
here, the draft, the spoiler flags, excerpts and ``parse_article`` itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from watchparty.reviews import furniture
from watchparty.reviews.article_layout import (
    Element,
    RawSection,
    Row,
    build_elements,
    is_box_item,
    is_hard_wrapped,
    join_broken_lines,
    markdown_body,
    resolve_headings,
    split_rows,
    split_sections,
)
from watchparty.reviews.article_lines import (
    BULLET,
    BYLINE_EDGE_LINES,
    EMPTY_TEXT_WARNING,
    MARKDOWN_HEADING,
    RATING_ONLY_HEADING_WORDS,
    TITLE_MAX_CHARS,
    DroppedLine,
    Furniture,
    Line,
    classify,
    collapse,
    comparable,
    find_rating,
    heading_text,
    normalise,
    take_furniture,
    unwrap,
)
from watchparty.reviews.cast_names import NAME_SCAN_MAX_CHARS, link_cast_names, near_miss_warnings
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

# --- Data ------------------------------------------------------------------


@dataclass
class DraftSection:
    """One section of a draft review: an optional heading and a Markdown body."""

    heading: str | None
    body: str
    is_spoiler: bool = False
    spoiler_reason: str | None = None  # why it was folded, for the editor


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


def _fold_point(
    sections: list[RawSection], title: str
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
                quoted = collapse(element.text)[:80]
                points.append((section_index, element_index + 1, f'a line says spoilers follow ("{quoted}")'))
                break
        else:
            continue
        break
    return min(points) if points else None


def _flag_section(section: RawSection, film: FilmKnowledge | None) -> list[DraftSection]:
    """One section as draft sections: folded whole, or split around the runs of paragraphs that spoil."""
    if section.marker:
        reason = f'its heading warns of spoilers ("{section.heading}")'
        return [DraftSection(section.heading, markdown_body(section.elements), True, reason)]
    subheadings = [e.text[4:] for e in section.elements if e.subheading]
    for text in [section.heading, *subheadings]:
        reason = heading_reason(text, film)
        if reason:
            return [DraftSection(section.heading, markdown_body(section.elements), True, reason)]
    result: list[DraftSection] = []
    heading = section.heading
    run: list[Element] = []
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
            result.append(DraftSection(heading, markdown_body(run)))
            heading, run = None, []
        result.append(DraftSection(heading, markdown_body(elements[index:end]), True, reason))
        heading = None
        index = end
    if run or not result:
        result.append(DraftSection(heading, markdown_body(run)))
    return result


def _flag_spoilers(sections: list[RawSection], title: str, film: FilmKnowledge | None) -> list[DraftSection]:
    fold = _fold_point(sections, title)
    drafts: list[DraftSection] = []
    for index, section in enumerate(sections):
        if fold is not None and index > fold[0]:
            drafts.append(DraftSection(section.heading, markdown_body(section.elements), True, fold[2]))
            continue
        if fold is not None and index == fold[0]:
            before, after = section.elements[: fold[1]], section.elements[fold[1] :]
            if before:
                drafts.extend(_flag_section(RawSection(section.heading, before), film))
            if after:
                drafts.append(DraftSection(None if before else section.heading, markdown_body(after), True, fold[2]))
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
    raw_lines = normalise(text if isinstance(text, str) else "").split("\n")
    rows = split_rows(raw_lines)
    if not rows:
        review.warnings.append(EMPTY_TEXT_WARNING)
        return review

    hard_wrapped, width = is_hard_wrapped(rows)
    rows = join_broken_lines(rows)
    edge = set(range(min(len(rows), TOP_LINES))) | set(range(max(0, len(rows) - BYLINE_EDGE_LINES), len(rows)))
    labelled_title = next(
        (i for i in range(min(len(rows), TOP_LINES)) if furniture.title_label(rows[i].text)), None
    )

    found = Furniture()
    kept: list[Line] = []
    title_key: str | None = None
    blank_before = False
    box_open = False
    for position, row in enumerate(rows):
        line = row.text
        blank_before = blank_before or row.blank_before
        if position >= STRUCTURE_MAX_LINES:
            kept.append(Line("text", line, row.indent, blank_before=blank_before, plain=True))
            blank_before = False
            continue
        if box_open and not row.blank_before and is_box_item(line):
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
                if take_furniture(line, True, found, review.dropped) is None:
                    review.dropped.append(DroppedLine(line, "kicker or category label"))
                continue
            if furniture.is_kicker(unwrap(line)) and _could_be_title(rows, position + 1):
                review.dropped.append(DroppedLine(line, "kicker or category label"))
                continue
        if position < TOP_LINES and not kept and furniture.is_category_label(unwrap(line)):
            review.dropped.append(DroppedLine(line, "kicker or category label"))
            continue
        taken = take_furniture(line, position in edge, found, review.dropped)
        if taken is not None:
            box_open = taken in furniture.BOX_REASONS
            blank_before = True  # a removed line still separates what was around it
            continue
        rating = find_rating(unwrap(line))
        if rating is not None:
            found.ratings.append(rating)
            if rating.rating_only:
                label_words = set(re.findall(r"[^\W\d_]+", rating.label.casefold()))
                meaningful = bool(label_words - RATING_ONLY_HEADING_WORDS)
                kept.append(Line("rating", rating.label if meaningful else "", blank_before=True))
                blank_before = True
                continue
        if title_key is None:
            title_key = _take_title(line, review)
            if review.title:
                blank_before = True
                continue
        elif len(line) <= 2 * len(title_key) + 10 and comparable(line) == title_key:
            blank_before = True
            continue  # the title repeated (page header, social card...)
        line, cut = furniture.strip_inline_junk(line)
        review.dropped.extend(DroppedLine(piece, "cross-promotion") for piece in cut)
        if not line:
            continue
        info = furniture.info_line(line)
        classified = Line("info", unwrap(line), row.indent) if info is not None else classify(line, row.indent)
        classified.blank_before = blank_before
        kept.append(classified)
        blank_before = False

    _copy_furniture(found, review)
    elements = resolve_headings(build_elements(kept, hard_wrapped, width), has_title=bool(review.title))
    review.sections = _flag_spoilers(split_sections(elements, review.warnings), review.title, film)

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


def _could_be_title(rows: list[Row], index: int) -> bool:
    """Whether the line at ``index`` could be the title that a kicker stands over."""
    if index >= len(rows):
        return False
    line = unwrap(rows[index].text)
    return (
        10 <= len(line) <= TITLE_MAX_CHARS
        and not line.endswith(".")
        and furniture.junk_reason(line) is None
        and furniture.byline(line, True) is None
        and furniture.date_line(line) is None
    )


def _take_title(line: str, review: DraftReview) -> str:
    """Use ``line`` as the title if it can be one; return the key that spots its repeats."""
    heading = MARKDOWN_HEADING.match(line) if len(line) <= TITLE_MAX_CHARS * 2 else None
    candidate = heading.group("text").strip() if heading else heading_text(line)
    if candidate and len(candidate) <= TITLE_MAX_CHARS and not BULLET.match(line):
        review.title = candidate
        return comparable(candidate)
    review.warnings.append("The first line does not look like a title, so the review has none yet.")
    return "\0"  # matches no line: nothing to collapse


def _copy_furniture(found: Furniture, review: DraftReview) -> None:
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
