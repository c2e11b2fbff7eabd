"""Which parts of an article give a film away, using what the film record knows.

A film can carry spoiler notes: how it ends and its key turns (``Film.spoiler_ending``,
``Film.spoiler_turns``), besides its characters and its spoiler trivia.
``FilmKnowledge`` turns those into evidence: the distinctive words of the ending
and the turns (without the words of the spoiler-free synopsis and title, which
any review may use), and the names of the people in them. A block of text is a
spoiler when it describes those events: several of those words, or a few with
a character who is in them, or an explicit pointer at the ending ("the final
shot", "the film closes with") with any of them. Without notes, only the
explicit pointers count, as before.

Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

_APOSTROPHES = "'\u2019"

# Headings that name the ending outright.
SPOILER_IN_HEADING = re.compile(
    r"""(?<![\w-])(?:
        endings? | finale | twists? | spoilers? | climax | epilogue | d[e\u00e9]nouement
        | the\s+end(?!\s+of\s+(?:an?\s+)?(?:era|year|decade|the\s+(?:year|decade|day|road|line|world)))
        | how\s+it\s+(?:all\s+)?ends | ends?\s+explained
        | (?:final|last|closing)\s+(?:scenes?|shots?|moments?|minutes|act|frames?|images?
            |sequences?|reel|showdown|reveal|goodbye|chapter|line|twist)
        | (?:the\s+)?goodbye | farewell
    )(?![\w-])""",
    re.IGNORECASE | re.VERBOSE,
)
# Phrases in a text that point at the ending. "In the end" and "by the end" are
# left out: they are also how people sum up ("in the end, it's the acting").
SPOILER_IN_BODY = re.compile(
    rf"""(?<![\w-])(?:
        the\s+ending | twist\s+ending | plot\s+twist | (?:the|a|big|final|last)\s+twist
        | (?:film|movie|story|book)(?:[{_APOSTROPHES}]s)?\s+
            (?:ending|finale|final\s+(?:scene|shot|act))
        | (?:final|last|closing)\s+
            (?:scenes?|shots?|moments?|minutes|frames?|images?|sequences?|reel|chapter|line|act)
        | how\s+it\s+(?:all\s+)?ends
        | (?:it|film|movie|story)\s+(?:all\s+)?(?:ends|closes)\s+(?:in|with|on)
        | at\s+the\s+(?:very\s+)?end\s+of\s+the\s+(?:film|movie|story)
        | by\s+the\s+end\s+of\s+the\s+(?:film|movie|story)
        | (?:his|her|their|a|the|final|last)\s+goodbye | says?\s+goodbye | said\s+goodbye | farewell
    )(?![\w-])""",
    re.IGNORECASE | re.VERBOSE,
)
# Titles that announce an article about the ending: everything after its opening folds.
TITLE_CUE = re.compile(
    r"""(?<![\w-])(?:
        endings?,?\s+(?:explained|explainer|meaning|breakdown|analysis)
        | (?:explaining|breaking\s+down|decoding|unpacking)\s+(?:the\s+|that\s+|its\s+)?(?:ending|finale|final\s+scene)
        | (?:final|last|closing)\s+(?:scenes?|shots?|moments?|act|sequence|minutes)
        | the\s+last\s+\d{1,2}\s+minutes | how\s+it\s+(?:all\s+)?ends | twist\s+explained
        | what\s+happens\s+at\s+the\s+end | the\s+ending
    )(?![\w-])""",
    re.IGNORECASE | re.VERBOSE,
)
# "Spoilers ahead", "Warning: spoilers below", "This review contains spoilers".
SPOILER_MARKER = re.compile(
    r"""(?<![\w-])(?:
        spoilers?\s+(?:ahead|below|follow|warning|alert|galore)
        | spoiler\s+(?:warning|alert)
        | contains?\s+(?:major\s+|some\s+|heavy\s+|full\s+|plot\s+)?spoilers
        | (?:major|heavy|full|plot|massive)\s+spoilers
        | discuss(?:es|ing)?\s+the\s+(?:whole\s+)?(?:film|ending|plot)\s+in\s+(?:full|detail)
    )(?![\w-])""",
    re.IGNORECASE | re.VERBOSE,
)
MARKER_LINE_MAX = 240
# "The ending" alone is how critics talk about any film ("a cold, perfect ending"):
# with spoiler notes it folds a paragraph only together with what the notes describe.
_SOFT_CUE = re.compile(r"ending|finale", re.I)
# How critics say how things turn out: with a word of the ending, the outcome is out.
_OUTCOME = re.compile(
    r"(?<![\w-])(?:ends?\s+up|ended\s+up|winds?\s+up|wound\s+up|eventually|finally|ultimately|in\s+the\s+end"
    r"|by\s+the\s+end|after\s+all|at\s+last|in\s+the\s+final\s+reckoning)(?![\w-])",
    re.I,
)
# A short paragraph that only quotes dialogue, with words of the ending, is likely from it.
QUOTE_MAX = 300
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_OPENING_QUOTES = "\"\u201c\u2018\u201e\u00ab'"


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text``: word lists stay readable in the source."""
    return frozenset(text.split())

# Words that say nothing about what happens (besides ordinary stop words).
_STOP_WORDS = word_set(
    """a an the and or but if then so as at by for from in into of on onto to with without over under up
    down out off about after before while when where who whom whose which what that this these those
    there here his her hers him he she it its they them their theirs we us our you your i me my is are
    was were be been being has have had do does did not no nor only own same too very can will just than
    also again once ever even still yet all any both each few more most other some such one two three
    first last next new old now film movie story scene scenes character characters time way back own get
    gets got make makes made take takes took go goes went come comes came see sees saw tell tells told
    give gives gave say says said let lets put puts keep keeps him himself herself themselves itself man
    men woman women people thing things something nothing who's it's he's she's they're that's
    want wants look looks looking find finds day days turn turns between second until through none real
    seeing saying around away ends set sets start starts against"""
)
# Words that point at an ending without saying what happens: not enough to fold a
# paragraph on their own, but a paragraph after a folded one that uses them goes too.
_CUE_WORDS = ("end", "final", "last", "closing", "twist", "goodbye", "farewell")
_WEAK_WORDS = ("end", "finale", "climax", "conclusion")
_WEAK_CUE = re.compile(r"(?<![\w-])(?:ending|endings|finale|climax|ends|ended|conclusion)(?![\w-])", re.I)
_WORD = re.compile(rf"[^\W\d_][\w{_APOSTROPHES}-]*")


def stem(word: str) -> str:
    """A crude stem so that "stabs", "stabbed" and "stabbing", or "annulled" and
    "annulment", meet. Doubled end letters are halved everywhere ("kill" -> "kil")."""
    word = word.casefold().replace("\u2019", "'")
    if word.endswith("'s"):
        word = word[:-2]
    for suffix in ("ments", "ment", "ings", "ing", "ers", "er", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    if len(word) >= 4 and word[-1] == word[-2] and word[-1].isalpha():
        word = word[:-1]
    return word


def _terms(text: str) -> set[str]:
    return {stem(word) for word in _WORD.findall(text) if word.casefold() not in _STOP_WORDS and len(word) > 2}


def _names(text: str) -> set[str]:
    """Capitalised words that are not at a sentence start: the people in a note."""
    names: set[str] = set()
    for match in _WORD.finditer(text):
        word = match.group()
        before = text[: match.start()].rstrip()
        if word[0].isupper() and before and before[-1] not in ".!?:;\"\u201c" and word.casefold() not in _STOP_WORDS:
            names.add(stem(word))
    return names


@dataclass
class FilmKnowledge:
    """What a film record says about its own story, for the spoiler detector.

    ``ending`` and ``turns`` are the film's spoiler notes; ``characters`` the
    cast's characters; ``spoiler_trivia`` the trivia marked as spoilers;
    ``synopsis`` and ``title`` are public, so their words are not evidence.
    """

    title: str = ""
    synopsis: str = ""
    ending: str = ""
    turns: Sequence[str] = ()
    characters: Sequence[str] = ()
    spoiler_trivia: Sequence[str] = ()
    ending_terms: set[str] = field(default_factory=set, init=False)
    turn_terms: set[str] = field(default_factory=set, init=False)
    ending_names: set[str] = field(default_factory=set, init=False)

    def __post_init__(self) -> None:
        ending = " ".join([self.ending, *self.spoiler_trivia])
        notes = " ".join([ending, *self.turns])
        public = _terms(self.synopsis) | _terms(self.title)
        character_words: set[str] = set()
        for character in self.characters:
            character_words |= {stem(word) for word in _WORD.findall(character) if len(word) > 2}
        note_words = {stem(word) for word in _WORD.findall(notes)}
        # Names count with other evidence even when the synopsis uses them too.
        self.ending_names = {name for name in _names(notes) if len(name) > 2} | (character_words & note_words)
        not_events = public | self.ending_names | character_words
        self.ending_terms = _terms(ending) - not_events
        self.turn_terms = _terms(" ".join(self.turns)) - not_events - self.ending_terms

    @property
    def has_notes(self) -> bool:
        return bool(self.ending_terms or self.turn_terms)

    @classmethod
    def from_demo(cls, film: dict) -> FilmKnowledge:
        """From an entry of the demo catalogue (watchparty/data/demo_films.json)."""
        ending, turns = film.get("spoiler_ending", ""), film.get("spoiler_turns", [])
        return cls(
            title=film.get("title", ""),
            synopsis=film.get("synopsis", ""),
            ending=ending or "",
            turns=list(turns or []),
            characters=[member.get("character", "") for member in film.get("cast", [])],
            spoiler_trivia=[item["text"] for item in film.get("trivia", []) if item.get("spoiler")],
        )


@dataclass(frozen=True)
class Evidence:
    terms: frozenset[str]  # words of the ending note
    turns: frozenset[str]  # words of the key turns only
    names: frozenset[str]
    cue: str | None
    weak_cue: bool = False

    @property
    def any(self) -> bool:
        return bool(self.terms or self.turns or self.names or self.cue or self.weak_cue)

    @property
    def weight(self) -> float:
        """The ending's own words count fully; key turns, earlier in the film, half; so does
        each character of the notes after the first (a paragraph naming five of them at once)."""
        return len(self.terms) + 0.5 * len(self.turns) + 0.5 * max(0, len(self.names) - 1)


# A paragraph is read this far for evidence: real ones are far shorter, and it keeps
# a megabyte pasted as one line from costing seconds of pattern matching.
EVIDENCE_MAX_CHARS = 20_000


def evidence(text: str, knowledge: FilmKnowledge | None) -> Evidence:
    """What in ``text`` points at the film's ending: note words, note names, an ending phrase."""
    text = text[:EVIDENCE_MAX_CHARS]
    folded = text.casefold()
    # The patterns try every position; most paragraphs hold none of their words at all.
    cue_match = SPOILER_IN_BODY.search(text) if any(word in folded for word in _CUE_WORDS) else None
    cue = " ".join(cue_match.group().split()) if cue_match else None
    weak = any(word in folded for word in _WEAK_WORDS) and _WEAK_CUE.search(text) is not None
    if knowledge is None or not knowledge.has_notes:
        return Evidence(frozenset(), frozenset(), frozenset(), cue, weak)
    words = _terms(text)
    return Evidence(
        frozenset(words & knowledge.ending_terms),
        frozenset(words & knowledge.turn_terms),
        frozenset(words & knowledge.ending_names),
        cue,
        weak,
    )


def block_reason(text: str, knowledge: FilmKnowledge | None) -> str | None:
    """Why one paragraph gives the ending away, or None."""
    text = text[:EVIDENCE_MAX_CHARS]
    found = evidence(text, knowledge)
    if knowledge is None or not knowledge.has_notes:
        return f'the text mentions "{found.cue}"' if found.cue else None
    terms, names = sorted(found.terms | found.turns), sorted(found.names)
    weight = found.weight
    described = ", ".join(terms[:5] + names[:3])
    if found.cue and not _SOFT_CUE.search(found.cue):
        return f'the text mentions "{found.cue}"'
    if weight >= 4 or (weight >= 3 and names) or (found.cue and (weight >= 1 or names)):
        lead = f'it mentions "{found.cue}" and ' if found.cue else "it "
        return f"{lead}describes the film's ending or key turns ({described})"
    if found.terms and (names or weight >= 2) and _OUTCOME.search(text):
        # The outcome word and a word of the ending in one sentence: "the marriage is annulled after all".
        for sentence in _SENTENCE_END.split(text):
            outcome = _OUTCOME.search(sentence)
            if outcome and _terms(sentence) & knowledge.ending_terms:
                return f'it says how things turn out ("{" ".join(outcome.group().split())}": {described})'
    if found.terms and len(text) <= QUOTE_MAX and text.lstrip()[:1] in _OPENING_QUOTES:
        return f"it quotes the film with words from its ending ({described})"
    return None


def heading_reason(heading: str | None, knowledge: FilmKnowledge | None) -> str | None:
    """Why a heading announces a spoiler section, or None."""
    if not heading:
        return None
    match = SPOILER_IN_HEADING.search(heading)
    if match:
        return f'the heading mentions "{match.group()}"'
    if knowledge is not None and knowledge.has_notes:
        words = _terms(heading)
        terms = words & (knowledge.ending_terms | knowledge.turn_terms)
        names = words & knowledge.ending_names
        if len(terms) >= 2 or (terms and names):
            return f"the heading names events from the film's ending ({', '.join(sorted(terms | names))})"
    return None


def title_reason(title: str) -> str | None:
    """Why an article's title says it is about the ending, or None."""
    match = TITLE_CUE.search(title or "")
    return f'the title says "{match.group()}", so everything after the opening is folded' if match else None


def is_spoiler_marker(text: str) -> bool:
    """A short line warning that spoilers follow ("Spoilers ahead")."""
    return len(text) <= MARKER_LINE_MAX and SPOILER_MARKER.search(text) is not None


def knowledge_words(knowledge: FilmKnowledge | None) -> Iterable[str]:
    return sorted(knowledge.ending_terms) if knowledge else []
