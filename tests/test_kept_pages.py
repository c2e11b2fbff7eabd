"""The party page and the film page kept whole per viewer (watchparty.cache.cached_page):
a second view by the same reader renders nothing, yet carries this session's
CSRF token and the server's clock; any change to what the page shows — a
write, the clock passing a deadline, another viewer, a flash message — gives
a fresh page."""

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine
from flask import template_rendered

from tests.conftest import csrf_token_from
from tests.factories import log_in, make_film, make_items, make_party, make_reply, make_user
from watchparty import clock
from watchparty.cache import fragments
from watchparty.extensions import db


@contextmanager
def rendered_templates(app):
    names = []

    def record(sender, template, context, **extra):
        names.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield names
    finally:
        template_rendered.disconnect(record, app)


@pytest.fixture
def csrf_app(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app


@pytest.fixture
def party(csrf_app):
    host = make_user(email="host@example.com", display_name="Hana Host")
    party = make_party(host, make_film(created_by=host), title="Anora night", guest_list_visible=True,
                       starts_in=timedelta(days=3, hours=5), rsvp_deadline=clock.now() + timedelta(days=1))
    make_items(party, ("Popcorn", 4), ("Lemonade", 2))
    return party


def guest_browser(app, party, name):
    """A guest who replied, in a browser the manage link made theirs."""
    rsvp = make_reply(party, name, "going")
    browser = app.test_client()
    assert browser.get(f"/p/{party.share_token}/rsvp/{rsvp.manage_token}").status_code == 200
    return rsvp, browser


def data_now(html: str) -> str:
    return re.search(r'data-now="([^"]+)"', html).group(1)


def test_a_second_view_renders_nothing_and_carries_this_sessions_token(csrf_app, party):
    _, ann = guest_browser(csrf_app, party, "Ann")
    path = f"/p/{party.share_token}"
    with time_machine.travel(clock.now(), tick=False):  # the same second: the same data-now
        first = ann.get(path).text
        csrf_app.config["VERIFY_PAGE_CACHE"] = False  # as in production: a kept page is not rendered again
        with rendered_templates(csrf_app) as templates:
            second = ann.get(path).text
    assert templates == []
    assert "Ann" in second and "csrf-slot" not in second and "now-slot" not in second
    assert first.replace(csrf_token_from(first), "T") == second.replace(csrf_token_from(second), "T")

    # Ann on her phone too: another session, the same kept page, the phone's own token, which works.
    phone = csrf_app.test_client()
    rsvp_link = re.search(r'href="(/p/[^"]+/rsvp/[^"]+)"', second).group(1)
    phone.get(rsvp_link)
    with rendered_templates(csrf_app) as templates:
        on_phone = phone.get(path).text
    assert templates == []
    assert csrf_token_from(on_phone) != csrf_token_from(second)
    item_id = re.search(r'action="/p/[^"]+/items/(\d+)/claim"', on_phone).group(1)
    response = phone.post(f"{path}/items/{item_id}/claim",
                          data={"quantity": "1", "note": "", "csrf_token": csrf_token_from(on_phone)})
    assert response.status_code == 302


def test_each_guest_gets_their_own_page(csrf_app, party):
    _, ann = guest_browser(csrf_app, party, "Ann Smith")
    _, ben = guest_browser(csrf_app, party, "Ben Jones")
    path = f"/p/{party.share_token}"
    for browser in (ann, ben, ann, ben):
        browser.get(path)
    ann_page, ben_page = ann.get(path).text, ben.get(path).text
    ann_link = re.search(r'href="(/p/[^"]+/rsvp/[^"]+)"', ann_page).group(1)
    ben_link = re.search(r'href="(/p/[^"]+/rsvp/[^"]+)"', ben_page).group(1)
    assert ann_link != ben_link  # each page holds its own guest's manage link, and only theirs
    assert ben_link not in ann_page and ann_link not in ben_page
    visitor_page = csrf_app.test_client().get(path).text
    assert "Are you coming?" in visitor_page and ann_link not in visitor_page


def test_the_countdown_carries_the_time_of_each_view(csrf_app, party):
    _, ann = guest_browser(csrf_app, party, "Ann")
    path = f"/p/{party.share_token}"
    start = clock.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        ann.get(path)
        assert data_now(ann.get(path).text) == start.strftime("%Y-%m-%dT%H:%M:%SZ")
    with time_machine.travel(start + timedelta(seconds=20), tick=False):
        csrf_app.config["VERIFY_PAGE_CACHE"] = False
        with rendered_templates(csrf_app) as templates:
            later = ann.get(path).text
        assert templates == []  # the countdown still says the same: the same kept page
        assert data_now(later) == (start + timedelta(seconds=20)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_kept_page_is_not_shown_once_its_deadline_has_passed(csrf_app, party):
    _, ann = guest_browser(csrf_app, party, "Ann")
    visitor = csrf_app.test_client()
    path = f"/p/{party.share_token}"
    deadline = party.rsvp_deadline
    with time_machine.travel(deadline - timedelta(seconds=5), tick=False):
        for browser in (ann, visitor, ann, visitor):
            page = browser.get(path).text
        assert "Send my reply" in page
    with time_machine.travel(deadline + timedelta(seconds=5), tick=False):
        assert "Replies closed at the RSVP deadline" in visitor.get(path).text
        assert "Sign-ups closed with replies at the RSVP deadline" in ann.get(path).text


def test_a_message_shown_once_is_shown_once(csrf_app, party):
    _, ann = guest_browser(csrf_app, party, "Ann")
    path = f"/p/{party.share_token}"
    ann.get(path), ann.get(path)
    page = ann.get(path).text
    item_id = re.search(r'action="/p/[^"]+/items/(\d+)/claim"', page).group(1)
    response = ann.post(f"{path}/items/{item_id}/claim",
                        data={"quantity": "1", "note": "", "csrf_token": csrf_token_from(page)})
    assert response.status_code == 302
    flash_text = re.compile(r'<p class="flash flash--\w+">')
    assert flash_text.search(ann.get(path).text)
    assert not flash_text.search(ann.get(path).text)
    assert not flash_text.search(ann.get(path).text)


def test_a_logged_in_visitor_sees_their_own_name_after_changing_it(csrf_app, party):
    make_user(email="vic@example.com", display_name="Vic")
    browser = csrf_app.test_client()
    log_in(browser, "vic@example.com", csrf_token=csrf_token_from(browser.get("/accounts/login").text))
    path = f"/p/{party.share_token}"
    browser.get(path), browser.get(path)
    db.session.execute(sa.text("UPDATE \"user\" SET display_name = 'Victoria' WHERE email = 'vic@example.com'"))
    db.session.commit()
    page = browser.get(path).text
    assert "Victoria" in page and ">Vic<" not in page


def test_guests_kept_pages_share_their_text(csrf_app, party):
    """Ten guests' pages differ in a few lines each: kept, they cost little more than one."""
    pages = []
    for number in range(10):
        _, browser = guest_browser(csrf_app, party, f"Guest {number}")
        pages.append(browser.get(f"/p/{party.share_token}").data)
    kept = [(value, weight) for key, (value, weight) in fragments()._entries.items() if key[0] == "page"]
    assert len(kept) == 10
    assert len({page for page in pages}) == 10  # each guest's own page (their name, their reply)
    # Every kept page has its text, yet the ten together take less memory than three pages'
    # bytes (the weight counts each new run's and each reference's own size).
    assert sum(weight for _, weight in kept) < 3 * len(pages[-1])
    shared = {id(run) for page, _ in kept for run in page}
    assert len(shared) < 2 * len(kept[-1][0])


# ---------------------------------------------------------------- the film page


def test_the_film_page_is_kept_per_reader_with_edit_links_for_its_editors_only(csrf_app, party):
    film = party.film
    path = f"/films/{film.slug}"
    edit_link = f'href="/films/{film.slug}/edit"'
    make_user(email="vic@example.com", display_name="Vic")
    visitor, vic, host = csrf_app.test_client(), csrf_app.test_client(), csrf_app.test_client()
    for browser, email in ((vic, "vic@example.com"), (host, "host@example.com")):
        log_in(browser, email, csrf_token=csrf_token_from(browser.get("/accounts/login").text))
    for _ in range(2):
        pages = {name: browser.get(path).text for name, browser in (("visitor", visitor), ("vic", vic), ("host", host))}
        assert edit_link in pages["host"]  # the film's creator
        assert edit_link not in pages["visitor"] and edit_link not in pages["vic"]
        assert ">Vic<" in pages["vic"] and ">Vic<" not in pages["visitor"]
    csrf_app.config["VERIFY_PAGE_CACHE"] = False
    with rendered_templates(csrf_app) as templates:
        again = visitor.get(path).text
    assert templates == [] and again == pages["visitor"]


def test_a_review_page_is_kept_under_its_films_stamp_and_an_edit_shows_at_once(app, client):
    from tests.factories import make_review
    from watchparty.models import ReviewSection

    film = make_film()
    review = make_review(film, title="A fine film", sections=(("Opening", "The first take.", False),))
    path = f"/films/{film.slug}/reviews/{review.id}"
    first = client.get(path).text
    app.config["VERIFY_PAGE_CACHE"] = False  # as in production: a kept page is not rendered again
    with rendered_templates(app) as templates:
        assert client.get(path).text == first
    assert templates == []
    section = db.session.scalar(sa.select(ReviewSection).where(ReviewSection.review_id == review.id))
    section.body_html = "<p>The second take.</p>"
    db.session.commit()  # the trigger gives the film a new stamp
    assert "The second take." in client.get(path).text
    assert client.get(f"/films/{film.slug}/reviews/{review.id + 1000}").status_code == 404
