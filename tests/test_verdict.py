"""The crew's verdict: who may rate the film and when, bad input, the average on the party page,
the crowd rating on the film page, and one verdict per rater even under simultaneous submits."""

import re
from datetime import timedelta
from html import unescape

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.exc import IntegrityError

from tests.factories import log_in, make_film, make_party, make_reply, make_review, make_user, make_verdict
from tests.test_rsvp_concurrency import run_together
from watchparty.extensions import db
from watchparty.models import Review, ReviewSection, Rsvp

RUNTIME = 120


@pytest.fixture
def film(app):
    """Unlike conftest's film: RUNTIME minutes long, the times below count from it."""
    return make_film("Anora", 2024, runtime_minutes=RUNTIME)


@pytest.fixture
def party(host, film):
    """Unlike conftest's party: no plus-ones."""
    return make_party(host, film, title="Anora night", capacity=None, max_plus_ones=0)


def at(party, minutes: float):
    """Travel to `minutes` after the party's start (negative: before it)."""
    return time_machine.travel(party.starts_at + timedelta(minutes=minutes), tick=False)


def guest_client(app, rsvp):
    """A browser that opened the guest's personal link, so it is remembered as that guest."""
    client = app.test_client()
    client.get(f"/p/{rsvp.party.share_token}/rsvp/{rsvp.manage_token}")
    return client


def host_client(app):
    client = app.test_client()
    log_in(client, email="host@example.com")
    return client


def rate(client, party, score="8", **fields):
    return client.post(f"/p/{party.share_token}/verdict", data={"score": score, **fields})


def verdicts() -> list[Review]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Review).where(Review.kind == "guest").order_by(Review.id)))


def page_text(response) -> str:
    """What a reader sees: text for screen readers only dropped, tags removed, entities
    decoded, spaces collapsed."""
    html = re.sub(r'<span class="visually-hidden">[^<]*</span>', " ", response.text)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def verdict_section(html: str) -> str:
    """The crew's verdict: its own section, or under "How was it?" once the film is over."""
    start = html.index('id="verdict"')
    return html[start:html.index("</section>", start)]


def spoiler_blocks(html: str) -> list[tuple[bool, str]]:
    """Every <details class="spoiler">: (is it open, its inner HTML)."""
    return [(bool(opened), inner) for opened, inner in re.findall(
        r'<details class="spoiler"( open)?>(.*?)</details>', html, re.S
    )]


# ---------------------------------------------------------------- rating and changing it


def test_a_going_guest_rates_the_film_once_the_party_starts_and_can_change_it(app, party):
    bob = make_reply(party, "Bob")
    client = guest_client(app, bob)

    before = client.get(f"/p/{party.share_token}")
    assert "When the party starts" in before.text and 'action="/p/' + party.share_token + '/verdict"' not in before.text

    with at(party, 30):
        page = client.get(f"/p/{party.share_token}")
        assert f'action="/p/{party.share_token}/verdict"' in page.text
        assert "Our verdict: no ratings yet" in page_text(page)

        response = rate(client, party, "8", text="Funny, then\nheartbreaking.")
        assert response.status_code == 302
        assert response.headers["Location"] == f"/p/{party.share_token}#verdict"
        (verdict,) = verdicts()
        assert (verdict.kind, verdict.party_id, verdict.rsvp_id, verdict.film_id) == ("guest", party.id, bob.id, party.film_id)
        assert (verdict.rating_value, verdict.rating_scale) == (8, 10)
        assert [s.body for s in verdict.sections] == ["Funny, then\nheartbreaking."]

        page = client.get(f"/p/{party.share_token}")
        text = page_text(page)
        assert "Our verdict: 8.0 from 1" in text and "You gave it 8/10" in text
        assert "Funny, then<br>\nheartbreaking." in page.text
        assert 'checked id="score-7" name="score" required type="radio" value="8"' in page.text  # the form is filled

        # Changing it changes the one verdict; clearing the text removes the short review.
        assert rate(client, party, "6", text="").status_code == 302
        (verdict,) = verdicts()
        assert verdict.rating_value == 6 and verdict.sections == []
        assert "Our verdict: 6.0 from 1" in page_text(client.get(f"/p/{party.share_token}"))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReviewSection)) == 0


def test_the_host_rates_too_and_guests_see_the_host_by_name(app, party):
    client = host_client(app)
    with at(party, 150):
        assert rate(client, party, "9", text="Loved hosting this one.").status_code == 302
        (verdict,) = verdicts()
        assert verdict.rsvp_id is None and verdict.created_by_id == party.host_id
        assert rate(client, party, "10", text="Loved hosting this one.").status_code == 302
        assert [v.rating_value for v in verdicts()] == [10]

        mine = page_text(client.get(f"/p/{party.share_token}"))
        # The film is over: "How was it?" leads with the crew's verdict (tests/test_after_film.py).
        assert "The crew's verdict: 10.0 /10 from 1 rating" in mine and "You gave it 10/10" in mine
        visitor = page_text(app.test_client().get(f"/p/{party.share_token}"))
        assert "Hana Host (host)" in visitor and "Loved hosting this one." in visitor


def test_rating_before_the_start_is_refused(app, party):
    bob = make_reply(party, "Bob")
    client = guest_client(app, bob)
    with at(party, -1):
        response = rate(client, party, "8", text="Can't wait")
    assert response.status_code == 409
    assert "Rating opens when the party starts" in page_text(response)
    assert verdicts() == []


def test_a_cancelled_party_takes_no_ratings(app, party):
    bob = make_reply(party, "Bob")
    client = guest_client(app, bob)
    host_client(app).post(f"/parties/{party.id}/cancel", data={"message": "Ill"})
    with at(party, 30):
        response = rate(client, party, "8")
        assert response.status_code == 409 and "The party was cancelled" in page_text(response)
        assert f'action="/p/{party.share_token}/verdict"' not in client.get(f"/p/{party.share_token}").text
    assert verdicts() == []


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("declined", "you can't make it"),
        ("maybe", "your reply says maybe"),
        ("waitlisted", "on the waitlist"),
        ("visitor", "Only the host and guests who replied going"),
        ("guest of another party", "Only the host and guests who replied going"),
    ],
)
def test_only_the_host_and_guests_seated_as_going_may_rate(app, host, film, who, message):
    party = make_party(host, film, capacity=1, max_plus_ones=0)
    make_reply(party, "Seated")
    if who in ("declined", "maybe"):
        client = guest_client(app, make_reply(party, "Dee", who))
    elif who == "waitlisted":
        client = guest_client(app, make_reply(party, "Wendy", "going"))
    elif who == "guest of another party":
        client = guest_client(app, make_reply(make_party(host, film, capacity=None), "Otto"))
    else:
        client = app.test_client()
    with at(party, 30):
        assert f'action="/p/{party.share_token}/verdict"' not in client.get(f"/p/{party.share_token}").text
        response = rate(client, party, "8", text="sneaky")
    assert response.status_code == 403
    assert message in page_text(response)
    assert verdicts() == []


@pytest.mark.parametrize("score", ["0", "11", "ten", "", "-1", "7.5", "99999999999", " 8", "\uff18", "8\x00"])
def test_absurd_scores_are_refused_beside_the_field(app, party, score):
    client = guest_client(app, make_reply(party, "Bob"))
    with at(party, 30):
        response = rate(client, party, score, text="Kept when refused")
    assert response.status_code == 422
    assert re.search(r'<ul class="errors" id="score-error"><li>Choose a score from 1 to 10.</li></ul>', response.text)
    assert "Kept when refused</textarea>" in response.text  # the page comes back filled
    assert verdicts() == []


def test_a_missing_score_field_is_refused_too(app, party):
    client = guest_client(app, make_reply(party, "Bob"))
    with at(party, 30):
        response = client.post(f"/p/{party.share_token}/verdict", data={"text": "No score"})
    assert response.status_code == 422 and "Choose a score from 1 to 10." in response.text
    assert verdicts() == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x" * 10_000, "at most 1000 characters"),
        ("Great\x00film", "Remove control characters"),
        ("Great\x1bfilm", "Remove control characters"),
    ],
)
def test_a_long_or_binary_review_is_refused(app, party, text, message):
    client = guest_client(app, make_reply(party, "Bob"))
    with at(party, 30):
        response = rate(client, party, "8", text=text)
    assert response.status_code == 422 and message in response.text
    assert verdicts() == []


def test_tabs_and_newlines_are_fine_and_script_is_shown_as_text(app, party):
    client = guest_client(app, make_reply(party, "Bob"))
    hostile = '<script>alert(1)</script>\t<img src=x onerror=alert(1)> [x](javascript:alert(1)) **bold**'
    with at(party, 30):
        assert rate(client, party, "7", text=hostile).status_code == 302
        page = client.get(f"/p/{party.share_token}").text
    verdict_html = verdict_section(page)
    assert "<script>alert" not in verdict_html and "<img" not in verdict_html
    assert not re.search(r"<a [^>]*javascript:", verdict_html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in verdict_html
    assert "**bold**" in verdict_html  # plain text: no Markdown


# ---------------------------------------------------------------- what the party page shows


def test_the_verdict_average_and_count_sit_next_to_the_critics(app, party, film):
    make_review(film, "Five-point scale", rating=(4, 5))
    make_review(film, "Ten-point scale", rating=(9, 10))
    make_review(film, "No rating", rating=None)
    for number, score in enumerate([8, 9, 8, 8, 9, 8]):
        make_verdict(party, score, make_reply(party, f"Guest {number}"))
    text = page_text(app.test_client().get(f"/p/{party.share_token}"))
    assert "Our verdict: 8.3 from 6" in text
    assert "Critics: 8.5 from 2 (scaled to /10)" in text
    assert "Critics 8.5 /10 · The crew 8.3 /10" in text  # on the film card too


def test_spoiler_short_reviews_are_folded_until_the_reveal(app, party):
    bob = make_reply(party, "Bob")
    cleo = make_reply(party, "Cleo", seen_it=True)
    make_verdict(party, 9, bob, text="The ending in the car undid me.", is_spoiler=True)
    make_verdict(party, 7, cleo, text="Great fun, no spoilers here.")

    def folded(client, minutes):
        with at(party, minutes):
            html = client.get(f"/p/{party.share_token}").text
        verdict_html = verdict_section(html)
        blocks = spoiler_blocks(verdict_html)
        assert len(blocks) == 1 and "undid me" in blocks[0][1]
        assert "Great fun, no spoilers here." in verdict_html.replace(blocks[0][1], "")
        return not blocks[0][0]

    visitor = app.test_client()
    assert folded(visitor, 30) and folded(visitor, RUNTIME - 1)
    assert not folded(visitor, RUNTIME)  # the credits roll: spoilers open
    assert not folded(guest_client(app, cleo), 30)  # Cleo has seen it: open at any time
    assert folded(guest_client(app, bob), 30)


def test_guest_names_follow_the_guest_list_setting(app, host, film):
    for visible in (False, True):
        party = make_party(host, film, capacity=None, guest_list_visible=visible)
        bob = make_reply(party, "Bob Rater")
        make_verdict(party, 8, bob, text="Nice")
        replied = guest_client(app, make_reply(party, "Other guest"))
        text = page_text(replied.get(f"/p/{party.share_token}"))
        assert ("8/10 Bob Rater Nice" in text) is visible
        assert ("8/10 A guest Nice" in text) is not visible
        assert "Bob Rater" not in text or visible
        assert "Bob Rater" not in page_text(app.test_client().get(f"/p/{party.share_token}"))
        assert "8/10 You Nice" in page_text(guest_client(app, bob).get(f"/p/{party.share_token}"))


def test_a_guest_removed_by_the_host_takes_their_verdict_along(app, party):
    bob = make_reply(party, "Bob")
    make_verdict(party, 3, bob, text="Meh")
    make_verdict(party, 9, make_reply(party, "Cleo"))
    assert host_client(app).post(f"/parties/{party.id}/guests/{bob.id}/remove").status_code == 302
    assert [v.rating_value for v in verdicts()] == [9]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReviewSection)) == 0


# ---------------------------------------------------------------- the film page's crowd rating


def test_the_film_page_shows_the_crowd_rating_across_all_parties(app, client, host, film, party):
    other_night = make_party(host, film, capacity=None, title="Second night")
    for score in (10, 8, 8, 3):
        make_verdict(party, score, make_reply(party, f"Guest {score}"))
    make_verdict(other_night, 8, None)  # the host of the second night
    other_film = make_film("Moonlight", 2016)
    make_verdict(make_party(host, other_film), 1, None)  # another film's ratings stay out

    from watchparty.films.page import film_page

    crowd = film_page(film.slug).crowd
    assert (crowd.count, crowd.average) == (5, 7.4)
    assert crowd.distribution == [0, 0, 1, 0, 0, 0, 0, 3, 0, 1]

    html = client.get(f"/films/{film.slug}").text
    text = page_text(client.get(f"/films/{film.slug}"))
    assert "Crowd rating 7.4 /10 from 5 ratings at watch parties" in text
    rows = re.findall(r'<tr><th scope="row">(\d+)</th><td>(\d+)</td></tr>', html)
    assert [(int(score), int(count)) for score, count in rows] == list(zip(range(1, 11), crowd.distribution, strict=True))
    bars = re.findall(r'<rect class="crowd-chart__bar[^"]*"\s+x="(\d+)" y="(\d+)" width="18" height="(\d+)"', html)
    assert [int(height) for _, _, height in bars] == [1, 1, 16, 1, 1, 1, 1, 48, 1, 16]
    assert "style=" not in html[html.index('class="crowd-chart"'):html.index("</svg>")]  # the CSP allows no inline style

    assert "Crowd rating" not in client.get(f"/films/{make_film('Unrated', 2020).slug}").text


def test_the_film_page_lists_short_reviews_anonymously_with_spoilers_always_folded(app, client, party, film):
    bob = make_reply(party, "Bob Secret", seen_it=True)
    make_verdict(party, 9, bob, text="That last scene in the car!", is_spoiler=True)
    make_verdict(party, 6, make_reply(party, "Cleo Secret"), text="Pleasant enough.")
    make_verdict(party, 5, make_reply(party, "Quiet"))  # no text: counted, not listed
    for who in (client, guest_client(app, bob)):
        with at(party, 24 * 60):  # long after the film
            html = who.get(f"/films/{film.slug}").text
        reviews = html[html.index('id="reviews-heading"'):]
        blocks = spoiler_blocks(reviews)
        assert [(opened, "last scene" in inner) for opened, inner in blocks] == [(False, True)]
        assert "Pleasant enough." in reviews and "Secret" not in html and "Anora night" not in html
        assert reviews.count('class="crew-review"') == 2


# ---------------------------------------------------------------- fixed query counts


def request_statements(count_queries, client, path) -> int:
    with count_queries() as statements:
        assert client.get(path).status_code == 200
    return len([s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "PRAGMA", "SAVEPOINT", "RELEASE"))])


def test_the_party_page_runs_as_many_queries_with_0_or_20_ratings(app, party, film, count_queries):
    make_review(film, "A review")
    guest = make_reply(party, "Guest zero")
    token = party.share_token
    client = guest_client(app, guest)
    counts = []
    with at(party, 30):
        counts.append(request_statements(count_queries, client, f"/p/{token}"))
    for number in range(20):
        make_verdict(party, 1 + number % 10, make_reply(party, f"Guest {number + 1}"), text=f"Review {number}",
                     is_spoiler=number % 3 == 0)
    with at(party, 30):
        counts.append(request_statements(count_queries, client, f"/p/{token}"))
        assert "Our verdict: 5.5 from 20" in page_text(client.get(f"/p/{token}"))
    assert counts[0] == counts[1] <= 10, counts


def test_the_film_page_runs_as_many_queries_with_0_or_20_ratings(app, client, party, film, count_queries):
    slug = film.slug
    counts = [request_statements(count_queries, client, f"/films/{slug}")]
    for number in range(20):
        make_verdict(party, 1 + number % 10, make_reply(party, f"Guest {number}"), text=f"Review {number}")
    counts.append(request_statements(count_queries, client, f"/films/{slug}"))
    assert "5.5" in page_text(client.get(f"/films/{slug}"))
    assert counts[0] == counts[1] <= 10, counts


# ---------------------------------------------------------------- integrity


def test_the_database_keeps_one_verdict_per_rater_and_scores_whole_from_1_to_10(app, party, film, host):
    bob = make_reply(party, "Bob")
    make_verdict(party, 8, bob)
    make_verdict(party, 8, None)

    def insert(**values):
        row = {"film_id": film.id, "kind": "guest", "title": "x", "party_id": party.id, "rating_value": 5,
               "rating_scale": 10, **values}
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.add(Review(**row))
        db.session.rollback()

    cleo = make_reply(party, "Cleo")
    insert(rsvp_id=bob.id)  # Bob's second verdict
    insert(rsvp_id=None, created_by_id=host.id)  # the host's second verdict
    for bad in ({"rating_value": 0}, {"rating_value": 11}, {"rating_value": 7.5}, {"rating_scale": 5},
                {"rating_value": None, "rating_scale": None}, {"party_id": None}):
        insert(rsvp_id=cleo.id, **bad)
    insert(kind="editorial", rsvp_id=None)  # an editorial review belongs to no party
    assert len(verdicts()) == 2


def test_simultaneous_submits_leave_one_verdict_per_rater(app_factory):
    # The server's clock is moved past the start, as a browser test against a real server would.
    app = app_factory(RATELIMIT_ENABLED=False, CLOCK_OFFSET_SECONDS=8 * 24 * 3600)
    with app.app_context():
        host = make_user(email="host@example.com")
        party = make_party(host, make_film(runtime_minutes=RUNTIME), capacity=None)
        double_clicker = make_reply(party, "Double clicker")
        crowd = [make_reply(party, f"Guest {number}") for number in range(10)]
        token, party_id = party.share_token, party.id
        clients = [guest_client(app, double_clicker) for _ in range(10)] + [guest_client(app, r) for r in crowd]
        db.session.remove()

    def submit(i):
        response = clients[i].post(f"/p/{token}/verdict", data={"score": str(1 + i % 10), "text": f"Take {i}"})
        return response.status_code

    assert run_together(len(clients), submit) == [302] * len(clients)

    with app.app_context():
        rows = list(db.session.scalars(sa.select(Review).where(Review.party_id == party_id)))
        assert len(rows) == 11  # the double clicker once, each of the ten others once
        assert len({row.rsvp_id for row in rows}) == 11
        sections = db.session.scalar(sa.select(sa.func.count()).select_from(ReviewSection))
        assert sections == 11  # no orphan short review from the submits that lost the race
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Rsvp)) == 11
        db.session.remove()


def test_the_verdict_form_is_rate_limited(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_RSVP="3 per minute", CLOCK_OFFSET_SECONDS=8 * 24 * 3600)
    with app.app_context():
        party = make_party(make_user(email="host@example.com"), make_film(runtime_minutes=RUNTIME))
        client = guest_client(app, make_reply(party, "Bob"))
        token = party.share_token
    statuses = [client.post(f"/p/{token}/verdict", data={"score": "8"}).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert client.get(f"/p/{token}").status_code == 200  # reading the page is never limited
