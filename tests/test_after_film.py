"""After the film (issue #20, part 6): once the film has ended the party page leads with
"How was it?" and a recap; what belonged to the night before steps aside."""

import re
from datetime import timedelta
from html import unescape

import pytest
import time_machine

from tests.factories import log_in, make_claim, make_items, make_reply, make_review, make_verdict
from watchparty.extensions import db
from watchparty.party_page.recap import crew_against_critics
from watchparty.reviews.companion import Score

SECTION = re.compile(r'<section\b[^>]*\bid="([^"]+)"')


def sections(html: str) -> list[str]:
    """The ids of the page's sections, in the order a reader meets them."""
    return SECTION.findall(html)


def section(html: str, section_id: str) -> str:
    """One section's HTML, up to its closing tag (sections on the party page do not nest)."""
    start = html.index(f'id="{section_id}"')
    return html[start:html.index("</section>", start)]


def after(party, minutes: float = 1):
    """Travel to `minutes` after the film's end (negative: before it)."""
    return time_machine.travel(party.ends_at + timedelta(minutes=minutes), tick=False)


def guest_client(app, rsvp):
    """A browser that opened the guest's personal link, so it is remembered as that guest."""
    client = app.test_client()
    client.get(f"/p/{rsvp.party.share_token}/rsvp/{rsvp.manage_token}")
    return client


@pytest.fixture
def night(party, film):
    """The party with a seated guest who claimed popcorn, a maybe, a decliner, an item nobody took,
    and a critic's review of 8/10."""
    gina = make_reply(party, "Gina Guest", email="gina@example.com", plus_ones=1)
    make_reply(party, "Molly Maybe", response="maybe")
    make_reply(party, "Dan Declined", response="declined")
    popcorn, _ice = make_items(party, ("Popcorn", 3), ("Ice", 2))
    make_claim(party, popcorn, 2, rsvp=gina)
    make_review(film, "A critic's view", rating=(8, 10))
    return {"gina": gina}


def test_before_the_film_ends_the_page_invites_counts_down_and_asks_for_a_reply(app, client, party, night):
    with after(party, -1):
        html = client.get(f"/p/{party.share_token}").text
    ids = sections(html)
    assert ids.index("rsvp") < ids.index("signups") < ids.index("before-you-watch")
    assert "how-was-it" not in ids and "recap" not in ids
    assert "Hana Host invites you to" in html
    assert 'class="countdown"' in html and "Add to calendar (.ics)" in html and "Still needed" in html
    assert "The film ends around" in html


def test_after_the_film_how_was_it_leads_and_the_night_before_steps_aside(app, party, night):
    gina = guest_client(app, night["gina"])
    with after(party):
        html = gina.get(f"/p/{party.share_token}").text
    ids = sections(html)
    assert ids[:2] == ["how-was-it", "recap"], ids
    assert ids[-1] == "before-you-watch", ids  # moved to the end
    for gone in ("rsvp", "signups"):
        assert gone not in ids
    assert "Hana Host hosted" in html and "invites you to" not in html
    assert 'class="countdown"' not in html and "Add to calendar" not in html and "Still needed" not in html
    assert "The film ended around" in html and "More about the film" in html
    # The rating form leads: it is the first form of the page's main column, inside "How was it?".
    how = section(html, "how-was-it")
    assert f'action="/p/{party.share_token}/verdict"' in how and "Send my verdict" in how
    assert html.index("How was it?") < html.index("The night") < html.index("More about the film")


def test_the_recap_says_who_came_and_what_was_brought(app, party, night):
    party.guest_list_visible = True
    db.session.commit()
    gina = guest_client(app, night["gina"])
    with after(party):
        recap = unescape(section(gina.get(f"/p/{party.share_token}").text, "recap"))
    assert "Gina Guest" in recap and "+1" in recap
    assert "Molly Maybe" not in recap and "Dan Declined" not in recap  # only those seated as going came
    assert "2 × Popcorn" in recap and "Ice" not in recap  # what nobody took is not "brought"
    assert "Critics" in recap and "8.0" in recap


def test_the_recap_keeps_the_guest_list_private_when_the_host_hides_it(app, client, party, night):
    party.guest_list_visible = False  # (guests who replied see it by default)
    db.session.commit()
    gina = guest_client(app, night["gina"])
    with after(party):
        for viewer in (gina, client):
            recap = unescape(section(viewer.get(f"/p/{party.share_token}").text, "recap"))
            assert "2 people came." in recap
            assert "Molly Maybe" not in recap and "Dan Declined" not in recap
        assert "Gina Guest" not in unescape(section(client.get(f"/p/{party.share_token}").text, "recap"))
        assert "— You" in unescape(section(gina.get(f"/p/{party.share_token}").text, "recap"))  # her own claim


def test_once_rated_the_crews_verdict_leads_and_the_form_folds_away(app, party, night):
    make_verdict(party, 9, night["gina"], text="Loved it.")
    make_verdict(party, 6)  # the host
    gina = guest_client(app, night["gina"])
    with after(party):
        how = section(gina.get(f"/p/{party.share_token}").text, "how-was-it")
    assert "The crew's verdict: <strong>7.5</strong>/10" in unescape(how)
    assert "You gave it <strong>9/10</strong>" in how
    assert '<details class="verdict-change">' in how and "Change my verdict" in how
    assert "Loved it." in how


def test_visitors_who_may_not_rate_see_the_verdict_not_the_form(app, client, party, night):
    make_verdict(party, 9, night["gina"])
    with after(party):
        how = section(client.get(f"/p/{party.share_token}").text, "how-was-it")
    assert "verdict-form" not in how and "9.0" in how


def test_a_refused_rating_after_the_film_comes_back_under_how_was_it(app, party, night):
    gina = guest_client(app, night["gina"])
    with after(party):
        response = gina.post(f"/p/{party.share_token}/verdict", data={"score": "11"})
    assert response.status_code == 422
    how = section(response.text, "how-was-it")
    assert "verdict-form" in how and 'class="errors"' in how


def test_rating_after_the_film_lands_back_on_the_verdict(app, party, night):
    gina = guest_client(app, night["gina"])
    with after(party):
        response = gina.post(f"/p/{party.share_token}/verdict", data={"score": "7"})
        assert response.status_code == 302 and response.location.endswith("#verdict")
        html = gina.get(f"/p/{party.share_token}").text
    assert "You gave it <strong>7/10</strong>" in section(html, "how-was-it")


def test_the_host_is_a_rater_too(app, party, night):
    host = app.test_client()
    log_in(host, email="host@example.com")
    with after(party):
        how = section(host.get(f"/p/{party.share_token}").text, "how-was-it")
    assert "verdict-form" in how


def test_a_cancelled_party_does_not_look_back(app, client, party, night):
    party.status = "cancelled"
    db.session.commit()
    with after(party):
        html = client.get(f"/p/{party.share_token}").text
    assert "how-was-it" not in sections(html) and "How was it?" not in html


def test_a_page_kept_before_the_reveal_turns_at_the_reveal(app, party, night):
    gina = guest_client(app, night["gina"])
    with after(party, -1):
        for _ in range(2):
            assert "how-was-it" not in sections(gina.get(f"/p/{party.share_token}").text)
    with after(party, 0):  # the reveal time itself
        assert sections(gina.get(f"/p/{party.share_token}").text)[0] == "how-was-it"


def test_the_after_film_page_runs_at_most_ten_queries(app, party, night, count_queries):
    from watchparty.cache import fragments

    app.config["VERIFY_PAGE_CACHE"] = False
    gina = guest_client(app, night["gina"])
    path = f"/p/{party.share_token}"  # read before counting: the test's own reload of the party is not the page's
    with after(party):
        gina.get(path)
        fragments().clear()
        with count_queries() as statements:
            assert gina.get(path).status_code == 200
    counted = [s for s in statements if s.strip().upper() != "BEGIN"]
    assert len(counted) <= 10, [s[:100] for s in counted]


def test_the_manage_links_rate_button_remembers_the_guest_and_opens_how_was_it(app, party, night):
    browser = app.test_client()
    with after(party):
        response = browser.get(f"/p/{party.share_token}/rsvp/{night['gina'].manage_token}?rate")
        assert response.status_code == 302
        assert response.location == f"/p/{party.share_token}#how-was-it"
        how = section(browser.get(f"/p/{party.share_token}").text, "how-was-it")
    assert "Send my verdict" in how  # remembered as Gina, who may rate


@pytest.mark.parametrize(
    ("crew", "critics", "words"),
    [
        (8.2, 8.0, "agree"),
        (9.0, 8.0, "more than"),
        (5.0, 8.0, "much less"),
        (None, 8.0, None),
    ],
)
def test_the_crew_against_the_critics_in_words(crew, critics, words):
    said = crew_against_critics(Score(crew, 1 if crew else 0), Score(critics, 1))
    assert (said is None) if words is None else (words in said)


def test_the_manage_page_drops_the_calendar_and_the_countdown_after_the_film(app, party, night):
    path = f"/p/{party.share_token}/rsvp/{night['gina'].manage_token}"
    with after(party, -1):
        before = app.test_client().get(path).text
    with after(party):
        later = app.test_client().get(path).text
    assert "Add to calendar" in before and 'class="countdown"' in before
    assert "Add to calendar" not in later and 'class="countdown"' not in later


def test_the_rating_form_after_the_film_promises_no_fold_until_the_film_is_over(app, party, night):
    gina = guest_client(app, night["gina"])
    with after(party):
        how = unescape(section(gina.get(f"/p/{party.share_token}").text, "how-was-it"))
    assert 'name="is_spoiler"' in how, "a spoiler still folds on the film page, for those who have not seen it"
    assert "until the film is over" not in how
    assert "fold it for anyone who hasn't seen the film" in how


def test_the_host_on_their_own_party_page_is_not_invited_to_it(app, client, party, night):
    host = app.test_client()
    log_in(host, email="host@example.com")
    for _ in range(2):  # fresh, then kept
        with after(party, -30):
            html = host.get(f"/p/{party.share_token}").text
            visitor = client.get(f"/p/{party.share_token}").text
        assert "You're hosting" in html and "invites you to" not in html
        assert "Hana Host invites you to" in visitor and "You're hosting" not in visitor
    with after(party):
        assert "You hosted" in host.get(f"/p/{party.share_token}").text
        assert "Hana Host hosted" in client.get(f"/p/{party.share_token}").text
