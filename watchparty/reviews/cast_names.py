"""Cast names in an imported article: exact mentions link to the film page's
cast, near-miss spellings ("Mickey Madison" for "Mikey Madison") are reported
to the editor and never rewritten. Pure: no Flask, no database."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from watchparty.reviews.article_lines import APOSTROPHES, collapse

# Misspelling checks compare candidate names pairwise; cap the work on huge input.
NAME_SCAN_MAX_CHARS = 300_000
NAME_CANDIDATES_MAX = 5_000

# Existing links, images, inline code, autolinks and bare URLs: never link inside them.
_PROTECTED_SPANS = re.compile(
    r"!?\[[^\[\]\n]*\]\([^()\n]*\)|`[^`\n]*`|<[^<>\s]+>|https?://\S+", re.IGNORECASE
)
_WORD = re.compile(rf"[^\W\d_][\w{APOSTROPHES}-]*")
_POSSESSIVE = re.compile(f"[{APOSTROPHES}]s$")


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
        name.strip(): collapse(name).casefold() for name in cast_names if name and name.strip()
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
