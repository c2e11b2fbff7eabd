"""Importing plain-text articles into draft reviews.

The two real articles in ../shared/seeds/ are read from disk (never copied into
the project); their tests skip when that folder is absent.
"""

import json
import re
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_review_rendering import assert_safe_html, markdownish_text
from watchparty.reviews.article_lines import EMPTY_TEXT_WARNING, heading_strength
from watchparty.reviews.cast_names import link_cast_names
from watchparty.reviews.importer import DraftReview, parse_article, spoiler_reason
from watchparty.reviews.rendering import render_markdown
from watchparty.reviews.spoilers import FilmKnowledge

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
DEMO_FILMS = Path(__file__).resolve().parents[1] / "watchparty" / "data" / "demo_films.json"
ANORA_SEED = "000_d69a6fef286d92b2.txt"
DANCE_SCENE_SEED = "004_bd74a17a0caa1327.txt"

BLACK_STAR, WHITE_STAR, BULLET = "\u2605", "\u2606", "\u2022"
APOSTROPHES = "['\u2019]"


def read_seed(name: str) -> str:
    path = SEEDS / name
    if not path.is_file():
        pytest.skip(f"seed article {name} not found in {SEEDS} (the seeds live outside the repo)")
    return path.read_text(encoding="utf-8")


def cast_anchor(name: str) -> str:
    return "/films/anora#cast-" + re.sub(r"\W+", "-", name.lower()).strip("-")


def section_with(review: DraftReview, fragment: str):
    """The one section whose body contains ``fragment`` (a word or two, not seed text)."""
    found = [section for section in review.sections if fragment in section.body]
    assert len(found) == 1, [section.heading for section in found]
    return found[0]


def section_headed(review: DraftReview, heading: str):
    found = [section for section in review.sections if section.heading == heading]
    assert len(found) == 1, [section.heading for section in review.sections]
    return found[0]


def all_bodies(review: DraftReview) -> str:
    return "\n\n".join(section.body for section in review.sections)


# --- Seed 000: one paragraph per line, credits at the end ---------------------


def anora_knowledge() -> FilmKnowledge:
    """What the demo catalogue knows about Anora's story: the app parses articles with it."""
    films = json.loads(DEMO_FILMS.read_text(encoding="utf-8"))["films"]
    return FilmKnowledge.from_demo(next(film for film in films if film["slug"] == "anora-2024"))


@pytest.fixture
def anora_review() -> DraftReview:
    text = read_seed(ANORA_SEED)
    return parse_article(text, cast_names=["Mikey Madison"], cast_anchor=cast_anchor, film=anora_knowledge())


def test_anora_author_credit_becomes_the_author(anora_review):
    assert anora_review.author == "Marco Kokkot"
    assert "Kokkot" not in all_bodies(anora_review)


def test_anora_rating_is_ten_out_of_ten(anora_review):
    assert (anora_review.rating_value, anora_review.rating_scale) == (10.0, 10)


def test_anora_headings_are_found(anora_review):
    headings = [section.heading for section in anora_review.sections]
    assert "WHAT MAKES ANORA SO SPECIAL?" in headings
    oscars = [heading for heading in headings if heading and "OSCARS" in heading]
    assert oscars, headings
    assert "Academy" in section_headed(anora_review, oscars[0]).body


def test_anora_fun_facts_stay_a_markdown_list(anora_review):
    (fun_facts,) = [s for s in anora_review.sections if s.heading and "Fun facts" in s.heading]
    lines = fun_facts.body.splitlines()
    assert len(lines) == 5
    assert all(line.startswith("- ") for line in lines)
    html = render_markdown(fun_facts.body)
    assert html.count("<li>") == 5
    assert "<ul>" in html


def test_anora_image_credits_are_taken_out_of_the_text(anora_review):
    assert len(anora_review.image_credits) == 1
    assert "A.M.P.A.S." in anora_review.image_credits[0]
    assert "All rights reserved" not in all_bodies(anora_review)
    assert "Images:" not in all_bodies(anora_review)


def test_anora_misspelt_cast_name_is_reported_not_rewritten(anora_review):
    misspelling = [w for w in anora_review.warnings if "Possible misspelling" in w]
    assert misspelling == [
        'Possible misspelling "Mickey Madison" \u2014 did you mean "Mikey Madison"? '
        "The text is left as written."
    ]
    bodies = all_bodies(anora_review)
    assert "Mickey Madison" in bodies
    assert "Mikey Madison" not in bodies  # neither rewritten nor linked
    assert "/films/anora#cast-" not in bodies


def test_anora_goodbye_and_car_scene_sections_are_spoilers(anora_review):
    assert section_with(anora_review, "goodbye").is_spoiler
    assert section_with(anora_review, "grandmother").is_spoiler


def test_anora_other_sections_are_not_spoilers(anora_review):
    flagged = [section for section in anora_review.sections if section.is_spoiler]
    assert len(flagged) == 2
    assert not section_headed(anora_review, "WHAT MAKES ANORA SO SPECIAL?").is_spoiler
    assert not section_with(anora_review, "AMPAS").is_spoiler


def test_anora_award_lines_become_a_list_under_their_heading(anora_review):
    awards = section_with(anora_review, "Best Picture")
    assert awards.heading is not None
    assert re.search(r"^- .*Best Picture$", awards.body, re.MULTILINE)


def test_anora_first_line_is_a_paragraph_not_a_title(anora_review):
    # The article opens straight into prose; nothing there is short enough for a title.
    assert anora_review.title == ""
    assert anora_review.sections[0].heading is None
    assert any("title" in warning for warning in anora_review.warnings)


# --- Seed 004: blank-line paragraphs, repeated title, promotion lines ---------

DANCE_SCENE_TITLE = "The Mikey Madison Dance Scene in Anora: What Most People Get Wrong"


@pytest.fixture
def dance_scene_text() -> str:
    return read_seed(DANCE_SCENE_SEED)


@pytest.fixture
def dance_scene_review(dance_scene_text) -> DraftReview:
    return parse_article(dance_scene_text, cast_names=["Mikey Madison"], cast_anchor=cast_anchor)


def test_dance_scene_title_appears_once(dance_scene_text, dance_scene_review):
    assert dance_scene_text.count(DANCE_SCENE_TITLE) == 2  # the seed really repeats it
    assert dance_scene_review.title == DANCE_SCENE_TITLE
    for section in dance_scene_review.sections:
        assert section.heading != DANCE_SCENE_TITLE
        assert "What Most People Get Wrong" not in section.body


def test_dance_scene_cross_promotion_lines_are_dropped(dance_scene_text, dance_scene_review):
    labels = [
        rf"Don{APOSTROPHES}?t miss:",
        "Read more:",
        "You might also like:",
    ]
    bodies = all_bodies(dance_scene_review)
    for label in labels:
        (line,) = [line for line in dance_scene_text.splitlines() if re.search(label, line)]
        promoted = line.split(":", 1)[1].strip()
        assert not re.search(label, bodies, re.IGNORECASE)
        assert promoted not in bodies


def test_dance_scene_numbered_list_is_kept(dance_scene_review):
    section = section_with(dance_scene_review, "\n1. ")
    numbered = re.findall(r"^(\d+)\. ", section.body, re.MULTILINE)
    assert numbered == ["1", "2", "3"]
    html = render_markdown(section.body)
    assert html.count("<ol>") == 1
    assert html.count("<li>") == 3


def test_dance_scene_bullets_are_normalised(dance_scene_review):
    bodies = all_bodies(dance_scene_review)
    assert BULLET not in bodies
    assert len(re.findall(r"^- The ", bodies, re.MULTILINE)) == 3


def test_dance_scene_ending_section_is_the_only_spoiler(dance_scene_review):
    assert section_headed(dance_scene_review, "The Contrast with the Ending").is_spoiler
    flagged = [s.heading for s in dance_scene_review.sections if s.is_spoiler]
    assert flagged == ["The Contrast with the Ending"]
    # Verified by reading: "final cut" (opening) and "ended ... era" are not about the ending.
    assert not dance_scene_review.sections[0].is_spoiler
    assert not section_headed(dance_scene_review, "What This Means for Future Roles").is_spoiler


def test_dance_scene_cast_mentions_are_linked(dance_scene_review):
    bodies = all_bodies(dance_scene_review)
    assert "[Mikey Madison](/films/anora#cast-mikey-madison)" in bodies
    assert not re.search(r"(?<!\[)Mikey Madison(?!\])", bodies)
    assert not [w for w in dance_scene_review.warnings if "misspelling" in w]
    assert dance_scene_review.title == DANCE_SCENE_TITLE  # titles stay plain text


# --- Rules on small, made-up articles -------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t\n", "\x00\x00\x07", "\r\n\r\n"])
def test_empty_text_gives_an_empty_draft_with_a_warning(text):
    review = parse_article(text)
    assert review.sections == []
    assert review.warnings == [EMPTY_TEXT_WARNING]


def test_one_megabyte_single_line_is_one_fast_paragraph():
    text = "word " * 200_000
    started = time.perf_counter()
    review = parse_article(text, cast_names=["Mikey Madison"], cast_anchor=cast_anchor)
    assert time.perf_counter() - started < 1.0
    assert len(review.sections) == 1
    assert review.sections[0].heading is None
    assert len(review.sections[0].body) > 900_000


def test_one_megabyte_of_capitalised_words_is_fast():
    text = "Mickey Madisen Anora " * 50_000
    started = time.perf_counter()
    cast = ["Mikey Madison", "Yura Borisov"]
    review = parse_article(text, cast_names=cast, cast_anchor=cast_anchor)
    assert time.perf_counter() - started < 1.0
    assert any("Mickey Madisen" in warning for warning in review.warnings)


def test_control_characters_and_windows_newlines_are_cleaned():
    review = parse_article("Title\r\n\r\nBody\x00 text\x07 here.\r\nMore\x1b.")
    assert review.title == "Title"
    assert review.sections[0].body == "Body text here. More."


def test_blank_lines_separate_paragraphs_and_lines_join():
    review = parse_article("Title\n\nfirst line\nsecond line.\n\nNext paragraph.")
    assert review.sections[0].body == "first line second line.\n\nNext paragraph."


@pytest.mark.parametrize(
    ("line", "strength"),
    [
        ("WHAT A NIGHT?", "strong"),
        ("\U0001f3ac Why it matters:", "strong"),
        ("**Bold heading**", "strong"),
        ("The Contrast with the Ending", "weak"),
        ("It was a good film.", None),
        ("Then, he calls her up.", None),
        ("\u201cA quote\u201d", None),
        ("lowercase start without punctuation", None),
        ("x" * 200, None),
    ],
)
def test_heading_strength(line, strength):
    assert heading_strength(line) == strength


def test_short_line_followed_by_text_is_a_heading_but_not_at_the_end():
    review = parse_article("Title\n\nIntro text.\n\nA Heading Here\n\nBody text.\n\nClosing Words")
    assert [s.heading for s in review.sections] == [None, "A Heading Here"]
    assert review.sections[1].body == "Body text.\n\nClosing Words"


def test_markdown_headings_are_headings():
    review = parse_article(
        "# The Title\n\n## First part\n\nText one.\n\n### Second part\n\nText two."
    )
    assert review.title == "The Title"
    assert [s.heading for s in review.sections] == ["First part", "Second part"]


def test_heading_with_nothing_under_it_keeps_the_next_as_a_subheading():
    review = parse_article("Title\n\n## Outer\n\n## Inner\n\nText.")
    assert [s.heading for s in review.sections] == ["Outer"]
    assert review.sections[0].body == "### Inner\n\nText."


def test_lists_are_normalised_and_kept_together():
    review = parse_article(f"Title\n\nIntro.\n\n* one\n{BULLET}two\n- three\n\n1) a\n2) b\n\n3) c")
    assert review.sections[0].body == "Intro.\n\n- one\n- two\n- three\n\n1. a\n2. b\n3. c"


def test_heading_followed_by_a_list_keeps_the_list():
    review = parse_article("Title\n\nIntro.\n\nFun facts:\n- one\n- two\n\nFun Facts\n- three")
    assert review.sections[-1].heading == "Fun Facts"
    assert review.sections[-1].body == "- three"


@pytest.mark.parametrize(
    ("line", "value", "scale", "heading"),
    [
        ("Rating: 10/10", 10.0, 10, None),
        ("Score: 8.5 / 10", 8.5, 10, None),
        (f"{BLACK_STAR * 4}{WHITE_STAR}", 4.0, 5, None),
        ("We rate it 7 out of 10", 7.0, 10, None),
        # A verdict line standing over text keeps its words as the heading.
        ("Our verdict: 4/5", 4.0, 5, "Our verdict"),
        ("\u2b50 Final Verdict? 10/10", 10.0, 10, "\u2b50 Final Verdict?"),
    ],
)
def test_rating_lines_set_the_rating_and_leave_the_body(line, value, scale, heading):
    review = parse_article(f"Title\n\nGood film.\n\n{line}\n\nMore text.")
    assert (review.rating_value, review.rating_scale) == (value, scale)
    assert "/" not in all_bodies(review)
    assert [section.heading for section in review.sections][1:] == ([heading] if heading else [])
    assert "Good film." in all_bodies(review)


def test_a_rating_line_at_the_end_is_removed():
    review = parse_article("Title\n\nGood film.\n\nOur verdict: 4/5")
    assert (review.rating_value, review.rating_scale) == (4.0, 5)
    assert all_bodies(review) == "Good film."
    assert [section.heading for section in review.sections] == [None]


@pytest.mark.parametrize(
    "line", ["We are open 24/7.", "But 3/5 of critics agree.", "On 12/10/2024 it opened."]
)
def test_things_that_look_like_ratings_are_not(line):
    review = parse_article(f"Title\n\n{line}\n\nMore text.")
    assert review.rating_value is None
    assert line in all_bodies(review)


@pytest.mark.parametrize(
    "credit", ["By Jane Doe", "Written by: Jane Doe", "Words: Jane Doe", "Text Jane Doe"]
)
def test_bylines_set_the_author(credit):
    review = parse_article(f"Title\n{credit}\n\nThe film is good.")
    assert review.author == "Jane Doe"
    assert "Jane" not in all_bodies(review)


def test_a_sentence_starting_with_by_is_not_a_byline():
    review = parse_article("Title\n\nBy the end of the film, we cried.\n\nMore.")
    assert review.author is None
    assert "By the end" in all_bodies(review)


@pytest.mark.parametrize(
    ("line", "credit"),
    [
        ("Photo: Jane Doe/NEON", "Jane Doe/NEON"),
        ("Images: NEON", "NEON"),
        ("Photo credit NEON", "NEON"),
        ("\u00a9 2024 NEON", "2024 NEON"),
        ("(c) NEON", "NEON"),
        ("Cover image: NEON", "NEON"),
    ],
)
def test_image_credits_are_collected(line, credit):
    review = parse_article(f"Title\n\nText.\n\n{line}")
    assert review.image_credits == [credit]
    assert all_bodies(review) == "Text."


@pytest.mark.parametrize(
    "line",
    [
        "Don't miss: Another article",
        "\u2728 Read more: Another article",
        "You might also like: Another article",
        "Also read: Another article",
        "Related: Another article",
        "See also: Another article",
    ],
)
def test_cross_promotion_lines_are_dropped(line):
    review = parse_article(f"Title\n\nText.\n\n{line}\n\nMore text.")
    assert all_bodies(review) == "Text.\n\nMore text."


def test_repeated_title_lines_collapse():
    review = parse_article("My Title\n\nmy  TITLE\n\n# My Title\n\nText.")
    assert review.title == "My Title"
    assert all_bodies(review) == "Text."
    assert [s.heading for s in review.sections] == [None]


@pytest.mark.parametrize(
    ("heading", "body", "flagged"),
    [
        ("The Ending", "Anything.", True),
        ("That twist", "Anything.", True),
        ("How It Ends", "Anything.", True),
        ("Cast", "In the final scene she cries.", True),
        ("Cast", "It ends in a car.", True),
        ("Cast", "His goodbye says it all.", True),
        ("Cast", "It almost didn't make the final cut.", False),
        ("Cast", "She ended an era of her career.", False),
        ("Cast", "He ends up being kind.", False),
        ("Never-ending fun", "Anything.", False),
        (None, "No spoilers in this intro.", False),
    ],
)
def test_spoiler_rules(heading, body, flagged):
    assert (spoiler_reason(heading, body) is not None) is flagged


def test_cast_names_are_linked_only_outside_links_and_code():
    body = (
        "Mikey Madison shines. [Mikey Madison](https://elsewhere.example) and "
        "`Mikey Madison` and Mikey Madisonish."
    )
    linked = link_cast_names(body, ["Mikey Madison"], cast_anchor)
    assert linked.startswith("[Mikey Madison](/films/anora#cast-mikey-madison) shines.")
    assert "[Mikey Madison](https://elsewhere.example)" in linked
    assert "`Mikey Madison`" in linked
    assert linked.count("/films/anora#cast-mikey-madison") == 1


def test_longer_cast_names_win_over_names_they_contain():
    linked = link_cast_names("Mark Eydelshteyn and Mark", ["Mark", "Mark Eydelshteyn"], cast_anchor)
    assert linked == (
        "[Mark Eydelshteyn](/films/anora#cast-mark-eydelshteyn) and [Mark](/films/anora#cast-mark)"
    )


def test_exact_cast_names_give_no_warning_and_possessives_count_as_exact():
    text = "Title\n\nMikey Madison\u2019s turn. MIKEY MADISON rules."
    review = parse_article(text, ["Mikey Madison"])
    assert review.warnings == []


def test_hostile_anchor_is_still_sanitised_when_rendered():
    def hostile_anchor(name: str) -> str:
        return "javascript:alert(1)"

    review = parse_article("Title\n\nMikey Madison.", ["Mikey Madison"], hostile_anchor)
    html = render_markdown(review.sections[0].body)
    assert_safe_html(html)
    assert "<a" not in html


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), markdownish_text))
def test_any_text_parses_and_renders_safely(text):
    cast = ["Mikey Madison", "Yura Borisov"]
    review = parse_article(text, cast_names=cast, cast_anchor=cast_anchor)
    assert isinstance(review, DraftReview)
    for section in review.sections:
        assert section.body.strip()
        assert_safe_html(render_markdown(section.body))


def test_publication_date_and_source_lines_become_fields():
    text = "Title\nPublished: March 3, 2025\nSource: Example Mag https://example.com/a\n\nText."
    review = parse_article(text)
    assert review.published == date(2025, 3, 3)
    assert (review.source_name, review.source_url) == ("Example Mag", "https://example.com/a")
    assert all_bodies(review) == "Text."


def test_seed_tests_skip_when_the_seeds_are_absent(monkeypatch, tmp_path):
    monkeypatch.setattr(sys.modules[__name__], "SEEDS", tmp_path / "missing")
    with pytest.raises(pytest.skip.Exception, match="not found"):
        read_seed(ANORA_SEED)
