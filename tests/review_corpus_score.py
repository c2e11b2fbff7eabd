"""Score the review importer on the development corpus in tests/review_corpus/.

Each ``NN_name.txt`` there is an article written for this project in the shape
a real page has when copied from a browser; ``NN_name.json`` beside it says by
hand what the importer should make of it:

* ``film``: the demo film's slug (its cast and spoiler notes come from
  watchparty/data/demo_films.json);
* ``title``, ``author``, ``published`` (ISO date), ``rating`` ([value, scale]);
* ``headings``: every section heading, in order;
* ``blocks``: the opening words of every body block (paragraph, list, info
  list), in order;
* ``spoilers``: the opening words of the blocks that give the ending away;
* ``junk``: page furniture that must not reach the review (whole lines, or
  an inline fragment such as an "(Also read: ...)" tail).

Run it from the repository root::

    .venv/bin/python tests/review_corpus_score.py          # totals and misses
    .venv/bin/python tests/review_corpus_score.py -v       # every article

The scores (all fractions 0..1):

* boundaries: expected blocks found as blocks, in order, over the larger of
  the expected and produced block counts;
* heading precision / recall: exact headings (case, emoji and spacing aside);
* junk dropped: junk entries found nowhere in the title, headings or bodies;
* spoiler recall: spoiler blocks that sit in a folded section;
* over-folding: spoiler-free blocks that sit in a folded section;
* excerpt leaks: excerpts holding spoiler text or junk (a count);
* empty excerpts: articles with spoiler-free prose but no excerpt (a count).
"""

from __future__ import annotations

import inspect
import json
import re
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from watchparty.reviews import importer  # noqa: E402

CORPUS = Path(__file__).resolve().parent / "review_corpus"
DEMO_FILMS = ROOT / "watchparty" / "data" / "demo_films.json"

_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MARKS = re.compile(r"[*_`#]+")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})


def norm(text: str) -> str:
    text = _LINK.sub(r"\1", text or "")
    text = re.sub(r"^\s*(?:[-*]|\d{1,3}\.)\s+", "", text)  # a list's first item marker
    text = text.lstrip("\"'\u201c\u2018")  # a block opening with a quotation
    text = _MARKS.sub("", text).translate(_QUOTES)
    return " ".join(text.split()).casefold()


def norm_heading(text: str) -> str:
    text = norm(text)
    return re.sub(r"^[^\w'\"]+", "", text).strip()


def words(text: str) -> list[str]:
    return re.findall(r"[\w']+", norm(text))


@dataclass
class ArticleScore:
    name: str
    blocks_matched: int = 0
    blocks_total: int = 0
    headings_found: int = 0
    headings_expected: int = 0
    headings_produced: int = 0
    junk_dropped: int = 0
    junk_total: int = 0
    spoilers_folded: int = 0
    spoilers_total: int = 0
    safe_folded: int = 0
    safe_total: int = 0
    excerpt_leak: bool = False
    excerpt_empty: bool = False
    fields_right: int = 0
    fields_total: int = 4
    misses: list[str] = field(default_factory=list)


def film_context(slug: str) -> dict:
    films = json.loads(DEMO_FILMS.read_text(encoding="utf-8"))["films"]
    return next((film for film in films if film["slug"] == slug), {})


def parse(text: str, film: dict):
    """Call the importer the way the app does, with whatever film knowledge it accepts."""
    cast = [member["name"] for member in film.get("cast", [])]
    parameters = inspect.signature(importer.parse_article).parameters
    if "film" in parameters and hasattr(importer, "FilmKnowledge"):
        knowledge = importer.FilmKnowledge.from_demo(film)
        return importer.parse_article(text, cast_names=cast, film=knowledge)
    return importer.parse_article(text, cast_names=cast)


def draft_excerpt(draft) -> str:
    if hasattr(draft, "excerpt"):
        return draft.excerpt or ""
    from watchparty.reviews.service import spoiler_free_excerpt

    return spoiler_free_excerpt(draft.sections)


def output_blocks(draft) -> tuple[list[str], list[str], list[tuple[str, bool]]]:
    """(headings, body blocks, [(section text, folded)]) of a draft."""
    headings: list[str] = []
    blocks: list[str] = []
    sections: list[tuple[str, bool]] = []
    for section in draft.sections:
        if section.heading:
            headings.append(section.heading)
        for part in section.body.split("\n\n"):
            part = part.strip()
            if not part:
                continue
            if part.startswith("### "):
                headings.append(part[4:])
            else:
                blocks.append(part)
        sections.append((norm(section.body), section.is_spoiler))
    return headings, blocks, sections


def _in_order_matches(expected: list[str], produced: list[str]) -> tuple[int, list[str]]:
    """How many expected block openings start produced blocks, in order (longest common run)."""
    keys = [norm(block) for block in produced]
    wanted = [norm(prefix) for prefix in expected]
    rows = len(wanted) + 1
    table = [[0] * (len(keys) + 1) for _ in range(rows)]
    for i in range(1, rows):
        for j in range(1, len(keys) + 1):
            if keys[j - 1].startswith(wanted[i - 1]):
                table[i][j] = table[i - 1][j - 1] + 1
            else:
                table[i][j] = max(table[i - 1][j], table[i][j - 1])
    matched = table[-1][-1]
    missing = [prefix for prefix, key in zip(expected, wanted, strict=True) if not any(k.startswith(key) for k in keys)]
    return matched, missing


def _shingles(text: str, size: int = 5) -> set[tuple[str, ...]]:
    tokens = words(text)
    return {tuple(tokens[i : i + size]) for i in range(max(0, len(tokens) - size + 1))}


def score_article(path: Path) -> ArticleScore:
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    text = path.read_text(encoding="utf-8")
    draft = parse(text, film_context(expected["film"]))
    result = ArticleScore(path.stem)
    headings, blocks, sections = output_blocks(draft)

    matched, missing = _in_order_matches(expected["blocks"], blocks)
    result.blocks_matched = matched
    result.blocks_total = max(len(expected["blocks"]), len(blocks))
    result.misses += [f"block not found: {prefix!r}" for prefix in missing]
    if len(blocks) > len(expected["blocks"]):
        result.misses.append(f"{len(blocks) - len(expected['blocks'])} extra block(s)")

    wanted_headings = [norm_heading(h) for h in expected["headings"]]
    produced_headings = [norm_heading(h) for h in headings]
    result.headings_expected = len(wanted_headings)
    result.headings_produced = len(produced_headings)
    result.headings_found = sum(1 for h in produced_headings if h in wanted_headings)
    result.misses += [f"heading missed: {h!r}" for h in expected["headings"] if norm_heading(h) not in produced_headings]
    result.misses += [f"not a heading: {h!r}" for h in headings if norm_heading(h) not in wanted_headings]

    everything = [norm(draft.title)] + [norm(h) for h in headings] + [norm(b) for b in blocks]
    for junk in expected["junk"]:
        key = norm(junk)
        if len(key) >= 12:
            kept = any(key in piece for piece in everything)
        else:
            kept = any(key == piece or key == norm_heading(piece) for piece in everything)
        result.junk_total += 1
        if kept:
            result.misses.append(f"junk kept: {junk!r}")
        else:
            result.junk_dropped += 1

    spoilers = [norm(prefix) for prefix in expected["spoilers"]]
    for prefix in expected["blocks"]:
        key = norm(prefix)
        home = next((folded for body, folded in sections if key in body), None)
        if key in spoilers:
            result.spoilers_total += 1
            if home:
                result.spoilers_folded += 1
            else:
                result.misses.append(f"spoiler shown: {prefix!r}")
        elif home is not None:
            result.safe_total += 1
            if home:
                result.safe_folded += 1
                result.misses.append(f"safe block folded: {prefix!r}")

    summary = draft_excerpt(draft)
    summary_shingles = _shingles(summary)
    source_lines = text.splitlines()
    for prefix in expected["spoilers"]:
        for number, line in enumerate(source_lines):
            if norm(prefix) in norm(line):
                # The spoiler paragraph as written: this line and the ones joined to it.
                paragraph = " ".join(source_lines[number : number + 6])
                if summary_shingles & _shingles(paragraph):
                    result.excerpt_leak = True
                    result.misses.append(f"excerpt leaks spoiler: {prefix!r}")
                break
    for junk in expected["junk"]:
        if len(norm(junk)) >= 12 and norm(junk) in norm(summary):
            result.excerpt_leak = True
            result.misses.append(f"excerpt holds junk: {junk!r}")
    has_safe_prose = any(norm(prefix) not in spoilers for prefix in expected["blocks"])
    result.excerpt_empty = has_safe_prose and not summary.strip()
    if result.excerpt_empty:
        result.misses.append("no excerpt although safe prose exists")

    rating = [draft.rating_value, draft.rating_scale] if draft.rating_value is not None else None
    published = draft.published.isoformat() if isinstance(draft.published, date) else None
    for name, got, want in (
        ("title", draft.title, expected["title"]),
        ("author", draft.author, expected["author"]),
        ("rating", rating, expected["rating"]),
        ("published", published, expected["published"]),
    ):
        if name == "rating" and got is not None and want is not None:
            same = float(got[0]) == float(want[0]) and int(got[1]) == int(want[1])
        else:
            same = got == want
        if same:
            result.fields_right += 1
        else:
            result.misses.append(f"{name}: got {got!r}, expected {want!r}")
    return result


@dataclass
class Totals:
    articles: int
    boundaries: float
    heading_precision: float
    heading_recall: float
    junk_dropped: float
    spoiler_recall: float
    over_folding: float
    excerpt_leaks: int
    empty_excerpts: int
    fields: float

    def lines(self) -> list[str]:
        return [
            f"articles            {self.articles}",
            f"boundaries          {self.boundaries:.0%}",
            f"heading precision   {self.heading_precision:.0%}",
            f"heading recall      {self.heading_recall:.0%}",
            f"junk dropped        {self.junk_dropped:.0%}",
            f"spoiler recall      {self.spoiler_recall:.0%}",
            f"over-folding        {self.over_folding:.0%}",
            f"excerpt leaks       {self.excerpt_leaks}",
            f"empty excerpts      {self.empty_excerpts}",
            f"fields right        {self.fields:.0%}  (title, author, rating, date)",
        ]


def _ratio(part: int, whole: int, empty: float = 1.0) -> float:
    return part / whole if whole else empty


def score_corpus(corpus: Path = CORPUS) -> tuple[Totals, list[ArticleScore]]:
    scores = [score_article(path) for path in sorted(corpus.glob("*.txt"))]
    totals = Totals(
        articles=len(scores),
        boundaries=_ratio(sum(s.blocks_matched for s in scores), sum(s.blocks_total for s in scores)),
        heading_precision=_ratio(sum(s.headings_found for s in scores), sum(s.headings_produced for s in scores)),
        heading_recall=_ratio(sum(s.headings_found for s in scores), sum(s.headings_expected for s in scores)),
        junk_dropped=_ratio(sum(s.junk_dropped for s in scores), sum(s.junk_total for s in scores)),
        spoiler_recall=_ratio(sum(s.spoilers_folded for s in scores), sum(s.spoilers_total for s in scores)),
        over_folding=_ratio(sum(s.safe_folded for s in scores), sum(s.safe_total for s in scores), 0.0),
        excerpt_leaks=sum(s.excerpt_leak for s in scores),
        empty_excerpts=sum(s.excerpt_empty for s in scores),
        fields=_ratio(sum(s.fields_right for s in scores), sum(s.fields_total for s in scores)),
    )
    return totals, scores


def main(argv: list[str]) -> int:
    totals, scores = score_corpus()
    verbose = "-v" in argv
    for score in scores:
        if verbose or score.misses:
            print(f"{score.name}:")
            for miss in score.misses:
                print(f"  - {miss}")
    print("\n".join(totals.lines()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
