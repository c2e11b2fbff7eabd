"""The film form's line-per-entry formats: "Mikey Madison — Ani" and the like,
read into FilmData entries (with a message naming the line when one is off)
and written back from a film for editing."""

import re

from watchparty.films.data import (
    AWARD_TEXT_MAX,
    CHARACTER_MAX,
    CREW_LABELS,
    FIRST_FILM_YEAR,
    MAX_AWARDS,
    MAX_CAST,
    MAX_CREW,
    MAX_TRIVIA,
    NAME_MAX,
    TRIVIA_MAX,
    AwardEntry,
    CastEntry,
    CrewEntry,
    FilmDataError,
    TriviaEntry,
    check_text,
    next_year,
    nfc,
    split_list,
)
from watchparty.models import Film

# What people type before the colon in a crew line.
_ROLE_ALIASES = {
    "director": "director", "directors": "director", "directed by": "director",
    "writer": "writer", "writers": "writer", "written by": "writer",
    "screenplay": "writer", "screenplay by": "writer",
    "producer": "producer", "producers": "producer", "produced by": "producer",
    "editor": "editor", "editors": "editor", "edited by": "editor", "film editing": "editor",
    "cinematographer": "cinematographer", "cinematographers": "cinematographer",
    "cinematography": "cinematographer", "director of photography": "cinematographer",
    "composer": "composer", "composers": "composer", "music": "composer", "music by": "composer",
}  # fmt: skip
_WON = {"won", "win", "winner", "yes"}
_NOMINATED = {"nominated", "nomination", "nominee", "no"}
# Cast separators: em dash, en dash, a pipe, or a hyphen with spaces around it.
_CAST_SEPARATOR = re.compile("\\s*[\u2014\u2013|]\\s*|\\s+-\\s+")
_SPOILER_PREFIX = re.compile(r"\A\[\s*spoiler\s*\]\s*", re.IGNORECASE)

def _lines(text: str | None):
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if line:
            yield number, line


def parse_cast_lines(text: str | None) -> list[CastEntry]:
    """`Mikey Madison — Anora "Ani" Mikheeva`, one per line, in billing order.

    The separator may be an em dash, an en dash, `|` or ` - `; a line with no
    separator is a name without a character. Raises FilmDataError(line_no, …).
    """
    entries = []
    for number, line in _lines(text):
        parts = _CAST_SEPARATOR.split(line, maxsplit=1)
        name = nfc(parts[0])
        character = nfc(parts[1]) if len(parts) > 1 else ""
        if not name:
            raise FilmDataError(
                number, "put the actor's name before the separator, like “Mikey Madison — Ani”.", "cast"
            )
        check_text(name, "The name", NAME_MAX, line_no=number, field="cast")
        check_text(character, "The character", CHARACTER_MAX, line_no=number, field="cast")
        entries.append(CastEntry(name, character))
    if len(entries) > MAX_CAST:
        raise FilmDataError(None, f"List at most {MAX_CAST} cast members.", "cast")
    return entries


def parse_crew_lines(text: str | None) -> list[CrewEntry]:
    """`Director: Sean Baker`, one role per line; several names separated by commas."""
    entries = []
    for number, line in _lines(text):
        role_text, colon, names = line.partition(":")
        role = _ROLE_ALIASES.get(" ".join(role_text.lower().split()))
        if not colon or role is None:
            known = ", ".join(label for label, _ in CREW_LABELS.values())
            raise FilmDataError(
                number, f"start with a role and a colon, like “Director: Sean Baker”. Roles: {known}.", "crew"
            )
        people = [nfc(name) for name in names.split(",") if name.strip()]
        if not people:
            raise FilmDataError(number, "put a name after the colon.", "crew")
        for name in people:
            check_text(name, "The name", NAME_MAX, line_no=number, field="crew")
            entries.append(CrewEntry(role, name))
    if len(entries) > MAX_CREW:
        raise FilmDataError(None, f"List at most {MAX_CREW} crew credits.", "crew")
    return entries


def _award_year(value: str, line_no: int | None, field_name: str = "awards") -> int:
    if not value.isdigit() or not FIRST_FILM_YEAR <= int(value) <= next_year():
        raise FilmDataError(line_no, f"the year must be between {FIRST_FILM_YEAR} and {next_year()}.", field_name)
    return int(value)


def parse_award_lines(text: str | None) -> list[AwardEntry]:
    """`97th Academy Awards | 2025 | Best Picture | | won`: ceremony | year |
    category | nominee (may be empty) | won or nominated."""
    entries = []
    for number, line in _lines(text):
        parts = [part.strip() for part in line.split("|")]
        if len(parts) == 4:  # no nominee column
            parts.insert(3, "")
        if len(parts) != 5:
            raise FilmDataError(number, "write ceremony | year | category | nominee | won or nominated.", "awards")
        ceremony, year, category, nominee, status = (nfc(part) for part in parts)
        if not ceremony or not category:
            raise FilmDataError(number, "the ceremony and the category cannot be empty.", "awards")
        for value, what in ((ceremony, "The ceremony"), (category, "The category"), (nominee, "The nominee")):
            check_text(value, what, AWARD_TEXT_MAX, line_no=number, field="awards")
        status = status.lower()
        if status not in _WON | _NOMINATED:
            raise FilmDataError(number, "end the line with “won” or “nominated”.", "awards")
        entries.append(AwardEntry(ceremony, _award_year(year, number), category, nominee, status in _WON))
    if len(entries) > MAX_AWARDS:
        raise FilmDataError(None, f"List at most {MAX_AWARDS} awards.", "awards")
    return entries


def parse_trivia_lines(text: str | None) -> list[TriviaEntry]:
    """One fact per line; a line starting with `[spoiler]` is a spoiler."""
    entries = []
    for number, line in _lines(text):
        is_spoiler = bool(_SPOILER_PREFIX.match(line))
        fact = nfc(_SPOILER_PREFIX.sub("", line))
        if not fact:
            raise FilmDataError(number, "write the fact after [spoiler].", "trivia")
        check_text(fact, "This fact", TRIVIA_MAX, line_no=number, field="trivia")
        entries.append(TriviaEntry(fact, is_spoiler))
    if len(entries) > MAX_TRIVIA:
        raise FilmDataError(None, f"List at most {MAX_TRIVIA} facts.", "trivia")
    return entries


def cast_lines(film: Film) -> str:
    """The cast in the form's line format, the inverse of parse_cast_lines."""
    return "\n".join(
        f"{credit.person.name} — {credit.character}" if credit.character else credit.person.name
        for credit in film.credits
        if credit.role == "cast"
    )


def crew_lines(film: Film) -> str:
    """The crew in the form's line format, one person per line."""
    return "\n".join(
        f"{CREW_LABELS[credit.role][0]}: {credit.person.name}" for credit in film.credits if credit.role != "cast"
    )


def award_lines(film: Film) -> str:
    """The awards in the form's line format."""
    return "\n".join(
        f"{a.ceremony} | {a.year} | {a.category} | {a.nominee} | {'won' if a.won else 'nominated'}" for a in film.awards
    )


def trivia_lines(film: Film) -> str:
    """The trivia in the form's line format, spoilers marked [spoiler]."""
    return "\n".join(("[spoiler] " if t.is_spoiler else "") + t.text for t in film.trivia)


def film_form_values(film: Film) -> dict:
    """The film form's fields for an existing film, in the form's own text formats."""
    return {
        "title": film.title,
        "year": film.year,
        "runtime_minutes": film.runtime_minutes,
        "tagline": film.tagline,
        "synopsis": film.synopsis,
        "genres": ", ".join(split_list(film.genres)),
        "formats": split_list(film.watch_formats),
        "streaming_services": ", ".join(split_list(film.streaming_services)),
        "cast": cast_lines(film),
        "crew": crew_lines(film),
        "awards": award_lines(film),
        "trivia": trivia_lines(film),
        "spoiler_ending": film.spoiler_ending,
        "spoiler_turns": film.spoiler_turns,
    }


def parse_spoiler_turn_lines(text: str | None) -> list[str]:
    """The key turns of the film form: one per line, blank lines skipped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


