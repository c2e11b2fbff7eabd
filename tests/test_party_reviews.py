"""Review content alongside a party: the "Before you watch" panel, the host's choice of reviews,
the spoiler guard on the party page and on review pages opened from it, and link previews."""

import re
from datetime import date, timedelta
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine

from tests.factories import log_in, make_film, make_party, make_reply, make_review, make_user
from watchparty.extensions import db
from watchparty.models import PartyReview, utcnow
from watchparty.reviews.rendering import excerpt

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
DANCE_SCENE = SEEDS / "004_bd74a17a0caa1327.txt"
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"the seed articles are not at {SEEDS}")

RUNTIME = 120
ENDING = "In the final scene the car stops and everything turns."


@pytest.fixture
def film(app):
    """Unlike conftest's film: RUNTIME minutes long, with a spoiler-free and a spoiler trivia line."""
    return make_film(
        "Anora", 2024, runtime_minutes=RUNTIME,
        trivia=[("Shot partly in Las Vegas.", False), ("The last scene was shot in one take.", True)],
    )


@pytest.fixture
def reviews(film):
    """Three editorial reviews, made oldest-published last so that order is not creation order."""
    june = make_review(film, "June review", author="Jo Critic", source_name="The Paper", rating=(4, 5),
                       published_on=date(2024, 6, 1),
                       sections=[("Opening", "A spoiler-free **opening**.", False), ("THE ENDING", ENDING, True)])
    undated = make_review(film, "Undated review", author="Ann Other", source_name="A Blog", rating=None)
    january = make_review(film, "January review", author="Sam Writer", source_name="Weekly", rating=(9, 10),
                          published_on=date(2024, 1, 15))
    return {"june": june, "undated": undated, "january": january}


def at(party, minutes: float):
    """Travel to `minutes` after the party's start (negative: before it)."""
    return time_machine.travel(party.starts_at + timedelta(minutes=minutes), tick=False)


def companion_of(html: str) -> str:
    start = html.index('<section class="panel companion" id="before-you-watch"')
    end = html.index('<section class="panel verdict"', start) if '<section class="panel verdict"' in html else None
    return html[start:end] if end else html[start:html.index("</aside>", start)]


def spoiler_blocks(html: str) -> list[tuple[bool, str]]:
    """Every <details class="spoiler">: (is it open, its inner HTML)."""
    return [(bool(opened), inner) for opened, inner in re.findall(
        r'<details class="spoiler"( open)?>(.*?)</details>', html, re.S
    )]


def outside_spoilers(html: str) -> str:
    """The page's text with every spoiler block taken out."""
    return unescape(re.sub(r'<details class="spoiler"( open)?>.*?</details>', "", html, flags=re.S))


def titles_in(html: str) -> list[str]:
    return re.findall(r'<h3[^>]*>\s*<a href="/films/[^"]+/reviews/\d+\?party=[^"]+">(.*?)</a>', html)


def host_client(app):
    client = app.test_client()
    log_in(client, email="host@example.com")
    return client


def choose(client, party, shown, pinned=""):
    return client.post(f"/parties/{party.id}/reviews", data={"shown": [str(i) for i in shown], "pinned": str(pinned)})


# ---------------------------------------------------------------- the "Before you watch" panel


def test_the_party_page_shows_every_editorial_review_newest_first_with_spoiler_free_excerpts(client, party, reviews):
    html = client.get(f"/p/{party.share_token}").text
    panel = companion_of(html)
    assert titles_in(panel) == ["June review", "January review", "Undated review"]
    assert "The host's pick" not in panel
    assert "By Jo Critic · The Paper" in panel and "By Sam Writer · Weekly" in panel
    assert '<span aria-hidden="true">4/5</span><span class="visually-hidden">Rated 4 out of 5</span>' in panel
    assert ">9/10</span>" in panel
    assert "A spoiler-free opening." in panel
    assert "final scene" not in html  # not the spoiler section, not in any excerpt
    june = reviews["june"]
    assert f'href="/films/{party.film.slug}/reviews/{june.id}?party={party.share_token}"' in panel
    # The film card and the film's spoiler-free trivia sit alongside.
    assert 'class="party-film"' in html and "Shot partly in Las Vegas." in outside_spoilers(panel)


def test_a_film_without_reviews_or_trivia_says_so(client, host):
    party = make_party(host, make_film("Quiet", 2020))
    panel = companion_of(client.get(f"/p/{party.share_token}").text)
    assert "No reviews of Quiet yet." in panel and "Trivia" not in panel


def test_the_host_hides_and_pins_reviews_from_the_dashboard(app, party, reviews):
    june, undated, january = reviews["june"], reviews["undated"], reviews["january"]
    client = host_client(app)
    dashboard = client.get(f"/parties/{party.id}").text
    assert "Guests see every review of Anora, newest first." in dashboard
    assert dashboard.count('type="checkbox" name="shown"') == 3 and dashboard.count(" checked>") == 4  # 3 + "no pin"

    response = choose(client, party, shown=[undated.id], pinned=january.id)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/parties/{party.id}#reviews"
    rows = db.session.scalars(sa.select(PartyReview).order_by(PartyReview.review_id)).all()
    assert [(r.review_id, r.hidden, r.pinned) for r in rows] == [(june.id, True, False), (january.id, False, True)]

    panel = companion_of(app.test_client().get(f"/p/{party.share_token}").text)
    assert titles_in(panel) == ["January review", "Undated review"]  # pinned first; June hidden
    assert "The host's pick" in panel and "June review" not in panel

    dashboard = client.get(f"/parties/{party.id}").text
    assert f'name="shown" value="{june.id}">' in dashboard  # unticked
    assert f'name="pinned" value="{january.id}" checked>' in dashboard

    # Everything shown, no pin: back to the default.
    assert choose(client, party, shown=[june.id, undated.id, january.id]).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PartyReview)) == 0
    assert titles_in(companion_of(client.get(f"/p/{party.share_token}").text)) == [
        "June review", "January review", "Undated review"
    ]


def test_a_pinned_review_is_shown_even_if_unticked(app, party, reviews):
    client = host_client(app)
    assert choose(client, party, shown=[], pinned=reviews["undated"].id).status_code == 302
    assert titles_in(companion_of(client.get(f"/p/{party.share_token}").text)) == ["Undated review"]


def test_choosing_reviews_is_the_hosts_alone(app, party, reviews):
    anonymous = app.test_client().post(f"/parties/{party.id}/reviews", data={"shown": [], "pinned": ""})
    assert anonymous.status_code == 302 and "/accounts/login" in anonymous.headers["Location"]
    make_user(email="other@example.com")
    other = app.test_client()
    log_in(other, email="other@example.com")
    assert choose(other, party, shown=[]).status_code == 404
    assert choose(other, party, shown=[], pinned=reviews["june"].id).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PartyReview)) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"shown": ["abc"]}, "could not be coerced"),
        ({"shown": ["99999999999"]}, "Choose among this film's reviews."),
        ({"shown": ["OTHER"]}, "Choose among this film's reviews."),
        ({"pinned": "abc"}, "Not a valid integer value."),
        ({"pinned": "99999999999"}, "Pin one of this film's reviews, or none."),
        ({"pinned": "OTHER"}, "Pin one of this film's reviews, or none."),
        ({"pinned": "-1"}, "Pin one of this film's reviews, or none."),
    ],
)
def test_choosing_junk_or_another_films_reviews_is_refused(app, party, reviews, data, message):
    foreign = make_review(make_film("Moonlight", 2016), "Foreign review")
    data = {key: [str(foreign.id) if v == "OTHER" else v for v in value] if isinstance(value, list)
            else (str(foreign.id) if value == "OTHER" else value) for key, value in data.items()}
    response = host_client(app).post(f"/parties/{party.id}/reviews", data=data)
    assert response.status_code == 422
    assert message in unescape(response.text)
    assert 'id="review-choice-heading"' in response.text  # the dashboard, re-rendered
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PartyReview)) == 0


# ---------------------------------------------------------------- the spoiler guard on the party page


def test_spoiler_trivia_is_folded_until_the_credits_roll(client, party):
    def trivia_blocks(minutes):
        with at(party, minutes):
            panel = companion_of(client.get(f"/p/{party.share_token}").text)
        blocks = spoiler_blocks(panel)
        assert len(blocks) == 1 and "The last scene was shot in one take." in blocks[0][1]
        assert "Shot partly in Las Vegas." in outside_spoilers(panel)
        assert "last scene" not in outside_spoilers(panel)
        return blocks[0][0]

    assert [trivia_blocks(m) for m in (-60 * 24, 0, RUNTIME - 1)] == [False, False, False]
    assert [trivia_blocks(m) for m in (RUNTIME, RUNTIME + 60 * 24)] == [True, True]


def test_without_a_runtime_spoilers_open_three_hours_after_the_start(client, host):
    party = make_party(host, make_film("Untimed", 2020, trivia=[("Twist ending fact.", True)]))
    for minutes, opened in ((179, False), (180, True)):
        with at(party, minutes):
            panel = companion_of(client.get(f"/p/{party.share_token}").text)
        assert [o for o, _ in spoiler_blocks(panel)] == [opened]


def test_a_guest_who_has_seen_it_gets_spoilers_open_at_any_time(app, party, reviews):
    seen = app.test_client()
    response = seen.post(f"/p/{party.share_token}/rsvp",
                         data={"name": "Seen", "response": "maybe", "plus_ones": "0", "seen_it": "y"})
    assert response.status_code == 302
    not_seen = app.test_client()
    not_seen.post(f"/p/{party.share_token}/rsvp", data={"name": "Fresh", "response": "going", "plus_ones": "0"})
    host_client(app).post(f"/parties/{party.id}/reviews",
                          data={"shown": [str(r.id) for r in reviews.values()], "pinned": str(reviews["june"].id)})

    seen_panel = companion_of(seen.get(f"/p/{party.share_token}").text)
    assert "You've seen the film, so spoilers are open for you." in seen_panel
    assert [opened for opened, _ in spoiler_blocks(seen_panel)] == [True, True]  # the ending section, the trivia
    for visitor in (not_seen, app.test_client()):
        panel = companion_of(visitor.get(f"/p/{party.share_token}").text)
        assert "Spoilers stay folded until the credits roll" in panel
        assert [opened for opened, _ in spoiler_blocks(panel)] == [False, False]


def test_the_pinned_review_is_shown_whole_with_its_spoiler_sections_folded_until_the_reveal(app, party, reviews):
    choose(host_client(app), party, shown=[], pinned=reviews["june"].id)
    visitor = app.test_client()
    for minutes, opened in ((-60, False), (RUNTIME - 1, False), (RUNTIME, True)):
        with at(party, minutes):
            html = visitor.get(f"/p/{party.share_token}").text
        pick = companion_of(html)
        pick = pick[pick.index('class="review-pick"'):pick.index("</article>")]
        assert "A spoiler-free <strong>opening</strong>." in pick
        (block,) = spoiler_blocks(pick)
        assert block[0] is opened and "<h4>THE ENDING</h4>" in block[1] and ENDING in block[1]
        assert ENDING not in outside_spoilers(html)


# ---------------------------------------------------------------- the full review, opened from a party


def review_page_spoilers(client, party, review, minutes, query=True) -> list[bool]:
    path = f"/films/{party.film.slug}/reviews/{review.id}"
    with at(party, minutes):
        response = client.get(path, query_string={"party": party.share_token} if query else None)
    assert response.status_code == 200
    return [opened for opened, _ in spoiler_blocks(response.text)]


def test_a_review_opened_from_a_party_follows_the_partys_rule(app, party, reviews):
    june = reviews["june"]
    visitor = app.test_client()
    assert review_page_spoilers(visitor, party, june, 30) == [False]
    assert review_page_spoilers(visitor, party, june, RUNTIME) == [True]
    assert review_page_spoilers(visitor, party, june, RUNTIME, query=False) == [False]  # the film's own rule

    # A guest who has seen it, remembered by the cookie of their reply.
    seen = app.test_client()
    seen.post(f"/p/{party.share_token}/rsvp", data={"name": "Seen", "response": "going", "seen_it": "y"})
    assert review_page_spoilers(seen, party, june, -60) == [True]
    assert review_page_spoilers(seen, party, june, -60, query=False) == [False]

    # ...or by their account, in any browser. (Replies first: a session signed
    # while travelling ahead would not be valid back in the present.)
    make_user(email="viewer@example.com", display_name="Vi")
    make_user(email="unseen@example.com", display_name="Una")
    for email, seen_it in (("viewer@example.com", "y"), ("unseen@example.com", "")):
        account = app.test_client()
        log_in(account, email=email)
        account.post(f"/p/{party.share_token}/rsvp", data={"name": email, "response": "going", "seen_it": seen_it})
    for email, opened in (("viewer@example.com", True), ("unseen@example.com", False)):
        fresh_browser = app.test_client()
        log_in(fresh_browser, email=email)
        assert review_page_spoilers(fresh_browser, party, june, -60) == [opened]

    page = visitor.get(f"/films/{party.film.slug}/reviews/{june.id}?party={party.share_token}").text
    assert f'href="/p/{party.share_token}">← Anora night</a>' in unescape(page)
    assert '<meta name="robots" content="noindex, nofollow">' in page


@pytest.mark.parametrize(
    "token",
    ["", "short", "x" * 65, "x" * 5000, "<script>alert(1)</script>", "%00" * 30, "A" * 32, "FOREIGN", "REVOKED"],
)
def test_a_bad_party_link_is_ignored_and_the_review_shown_as_on_the_film_page(app, party, reviews, host, token):
    if token == "FOREIGN":  # a real party, of another film
        token = make_party(host, make_film("Moonlight", 2016)).share_token
    elif token == "REVOKED":
        token = party.share_token
        assert host_client(app).post(f"/parties/{party.id}/share-link").status_code == 302
    june = reviews["june"]
    with at(party, RUNTIME + 60):
        response = app.test_client().get(f"/films/{party.film.slug}/reviews/{june.id}", query_string={"party": token})
    assert response.status_code == 200
    assert [opened for opened, _ in spoiler_blocks(response.text)] == [False]
    assert "/p/" not in response.text and "noindex" not in response.text


def test_link_previews_never_carry_spoiler_text(app, party, reviews):
    choose(host_client(app), party, shown=[], pinned=reviews["june"].id)
    with at(party, RUNTIME + 60):  # even after the reveal, when the page shows spoilers open
        party_page = app.test_client().get(f"/p/{party.share_token}").text
        review_page = app.test_client().get(
            f"/films/{party.film.slug}/reviews/{reviews['june'].id}?party={party.share_token}"
        ).text
    for html in (party_page, review_page):
        head = unescape(html[: html.index("</head>")])
        previews = re.findall(r'<meta (?:property|name)="(?:og:description|description|twitter:description)" '
                              r'content="([^"]*)"', head)
        assert previews and all("final scene" not in p and "last scene" not in p for p in previews)
    assert "A spoiler-free opening." in unescape(review_page[: review_page.index("</head>")])


@needs_seeds
def test_the_seed_articles_ending_stays_folded_on_the_party_page_until_the_reveal(app, party):
    from watchparty.reviews.service import import_article

    review, _ = import_article(party.film, DANCE_SCENE.read_text(encoding="utf-8"))
    db.session.commit()
    (ending,) = [s for s in review.sections if s.is_spoiler]
    assert ending.heading == "The Contrast with the Ending"
    # Sentence openings of the spoiler section, as a reader would see them.
    fragments = [s.strip()[:40] for s in excerpt(ending.body, 100_000).split(". ") if len(s.strip()) > 20]
    assert fragments
    assert not any(fragment in review.excerpt for fragment in fragments)

    visitor = app.test_client()
    # Listed (default): only the spoiler-free excerpt is on the page, before and after the reveal.
    for minutes in (-60, RUNTIME + 1):
        with at(party, minutes):
            html = visitor.get(f"/p/{party.share_token}").text
        assert review.title in unescape(html)
        assert not any(fragment in unescape(html) for fragment in fragments)

    # Pinned: shown whole, and "The Contrast with the Ending" stays closed until the credits roll.
    choose(host_client(app), party, shown=[], pinned=review.id)
    for minutes, opened in ((-60, False), (RUNTIME - 1, False), (RUNTIME, True)):
        with at(party, minutes):
            html = visitor.get(f"/p/{party.share_token}").text
            full = visitor.get(f"/films/{party.film.slug}/reviews/{review.id}?party={party.share_token}").text
        for page in (html, full):
            blocks = [(o, inner) for o, inner in spoiler_blocks(page) if "The Contrast with the Ending" in inner]
            assert len(blocks) == 1 and blocks[0][0] is opened
            assert not any(fragment in outside_spoilers(page) for fragment in fragments)


# ---------------------------------------------------------------- speed and the clock


def test_the_party_page_runs_as_many_queries_with_0_or_15_reviews(app, party, film, count_queries):
    token = party.share_token
    guest = make_reply(party, "Guest")
    client = app.test_client()
    client.get(f"/p/{token}/rsvp/{guest.manage_token}")

    def statements() -> int:
        with count_queries() as executed:
            assert client.get(f"/p/{token}").status_code == 200
        return len([s for s in executed if not s.lstrip().upper().startswith(("BEGIN", "PRAGMA"))])

    counts = [statements()]
    made = [make_review(film, f"Review {n}", sections=[(f"Part {p}", f"Text {p}.", p == 2) for p in range(4)])
            for n in range(15)]
    host_client(app).post(f"/parties/{party.id}/reviews",
                          data={"shown": [str(r.id) for r in made[1:]], "pinned": str(made[3].id)})
    counts.append(statements())
    assert titles_in(companion_of(client.get(f"/p/{token}").text))[0] == "Review 3"
    assert counts[0] == counts[1] <= 10, counts


def test_the_clock_offset_moves_the_servers_time_past_the_reveal(app_factory):
    app = app_factory(CLOCK_OFFSET_SECONDS=(7 * 24 * 60 + RUNTIME + 1) * 60)
    with app.app_context():
        from watchparty import clock

        party = make_party(make_user(email="host@example.com"),
                           make_film(runtime_minutes=RUNTIME, trivia=[("A spoiler", True)]))
        assert clock.now() - utcnow() >= timedelta(days=7)
        token = party.share_token
    panel = companion_of(app.test_client().get(f"/p/{token}").text)
    assert "The film is over, so spoilers are open." in panel
    assert [opened for opened, _ in spoiler_blocks(panel)] == [True]
