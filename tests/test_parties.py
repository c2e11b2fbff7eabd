"""Hosting a party over HTTP: the form, time zones, the dashboard, edits, cancelling, export."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import sqlalchemy as sa
import time_machine

from tests.factories import DEFAULT_PASSWORD, log_in, make_film, make_party, make_reply, make_user
from watchparty.extensions import db
from watchparty.models import Film, Party, Rsvp

# The suite's clock for hosting: before the UK clocks go forward on 28 March 2027.
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock():
    # Autouse, so that logging in happens on the same clock as the requests.
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def host(app):
    """Unlike conftest's host: in London time, which the party form's times are read in."""
    return make_user(email="host@example.com", display_name="Hana Host", timezone="Europe/London")


@pytest.fixture
def film(app):
    """Unlike conftest's film: with cast and director, which search and the party page show."""
    return make_film(
        "Anora", 2024, runtime_minutes=139,
        cast=[("Mikey Madison", "Ani"), ("Mark Eydelshteyn", "Vanya"), ("Yura Borisov", "Igor")],
        crew=[("director", "Sean Baker")],
    )


def party_form(**overrides):
    data = {
        "title": "Anora night",
        "film": "anora-2024",
        "starts_at": "2027-03-20T20:00",
        "timezone": "Europe/London",
        "area": "Hackney, London",
        "address": "Flat 2, 14 Example Road",
        "online_url": "",
        "screening_notes": "Subtitles on",
        "capacity": "12",
        "rsvp_deadline": "",
        "max_plus_ones": "2",
        "description": "Bring snacks",
        "show_address_to_guests": "y",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def party_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Party))


def only_party() -> Party:
    return db.session.scalars(sa.select(Party)).one()


def film_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Film))


# ---------------------------------------------------------------- creating


def test_creating_a_party_lands_on_its_dashboard(host_client, film):
    response = host_client.post("/parties/new", data=party_form())
    party = only_party()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/parties/{party.id}"
    assert party.starts_at == datetime(2027, 3, 20, 20, 0, tzinfo=UTC)  # GMT = UTC in March
    assert (party.capacity, party.max_plus_ones, party.film.slug) == (12, 2, "anora-2024")
    assert len(party.share_token) >= 22 and party.seats_taken == 0 and party.sequence == 0
    page = host_client.get(response.headers["Location"])
    assert page.status_code == 200
    assert f"/p/{party.share_token}" in page.text
    assert f'src="/p/{party.share_token}/qr.svg"' in page.text


def test_the_new_party_form_defaults_to_the_hosts_time_zone(client, film):
    make_user(email="tokyo@example.com", timezone="Asia/Tokyo")
    log_in(client, email="tokyo@example.com")
    page = client.get("/parties/new")
    assert page.status_code == 200
    assert '<option selected value="Asia/Tokyo">' in page.text
    assert 'data-search-url="/films/search"' in page.text  # the film picker


def test_local_time_is_stored_as_utc_in_the_partys_zone(host_client, film):
    host_client.post("/parties/new", data=party_form(timezone="America/New_York", starts_at="2027-03-20T20:00"))
    # New York is on EDT (UTC-4) from 14 March 2027.
    assert only_party().starts_at == datetime(2027, 3, 21, 0, 0, tzinfo=UTC)


def test_a_party_created_before_the_clocks_change_is_stored_after_it_correctly(host_client, film):
    # Created on 1 March (GMT, UTC+0) for 3 April (BST, UTC+1): 20:00 local is 19:00 UTC.
    host_client.post("/parties/new", data=party_form(starts_at="2027-04-03T20:00"))
    party = only_party()
    assert party.starts_at == datetime(2027, 4, 3, 19, 0, tzinfo=UTC)
    page = host_client.get(f"/p/{party.share_token}")
    assert "Sat 3 Apr 2027, 20:00 BST" in page.text
    assert 'datetime="2027-04-03T19:00:00Z"' in page.text
    assert "The film ends around 22:19." in page.text  # 139 minutes later, local time


def test_a_time_skipped_by_the_clocks_going_forward_is_refused(host_client, film):
    response = host_client.post("/parties/new", data=party_form(starts_at="2027-03-28T01:30"))
    assert response.status_code == 422
    assert "does not exist" in response.text and "clocks go forward" in response.text
    assert party_count() == 0


def test_a_time_that_happens_twice_means_the_first(host_client, film):
    # 01:30 on 31 October 2027 happens in BST and again in GMT: the first is 00:30 UTC.
    host_client.post("/parties/new", data=party_form(starts_at="2027-10-31T01:30"))
    assert only_party().starts_at == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_the_film_can_be_given_by_exact_title_in_any_case(host_client, film):
    assert host_client.post("/parties/new", data=party_form(film="ANORA")).status_code == 302
    assert host_client.post("/parties/new", data=party_form(film="anora (2024)")).status_code == 302
    assert party_count() == 2


def test_an_unknown_film_links_to_the_film_form(host_client, film):
    response = host_client.post("/parties/new", data=party_form(film="Paddington 2"))
    assert response.status_code == 422
    assert "No film called “Paddington 2” in the catalogue yet: give the year it came out to add it" in response.text
    assert re.search(r'<input[^>]*name="new_film_year"', response.text)
    assert 'href="/films/new?title=Paddington+2&amp;next=/parties/new"' in response.text
    assert 'value="Anora night"' in response.text  # the rest of the form stays filled
    assert party_count() == 0


def test_a_missing_film_is_added_with_its_year_when_the_party_is_saved(host_client, host, film):
    response = host_client.post("/parties/new", data=party_form(film="Paddington 2", new_film_year="2017"))
    assert response.status_code == 302
    party = only_party()
    assert (party.film.title, party.film.year, party.film.slug) == ("Paddington 2", 2017, "paddington-2-2017")
    assert party.film.created_by_id == host.id and party.title == "Anora night"
    # "Title (Year)" typed in the film field: the title is the part before the year. (Paddington 2
    # is close: the host first says it is a new film.)
    host_client.post("/parties/new", data=party_form(film="Paddington (2014)", new_film_year="2014", film_choice="new"))
    assert db.session.scalar(sa.select(sa.func.count()).where(Film.title == "Paddington", Film.year == 2014)) == 1


def test_a_year_the_catalogue_refuses_adds_nothing_and_keeps_the_form(host_client, film):
    response = host_client.post("/parties/new", data=party_form(film="Paddington 2", new_film_year="1066"))
    assert response.status_code == 422
    assert re.search(r'<input[^>]*name="new_film_year"[^>]*value="1066"', response.text)
    assert "The year must be between 1888" in response.text
    assert 'value="Anora night"' in response.text and 'value="Paddington 2"' in response.text
    assert party_count() == 0 and film_count() == 1


def test_a_party_refused_for_another_reason_does_not_add_the_film(host_client, film):
    response = host_client.post(
        "/parties/new", data=party_form(film="Paddington 2", new_film_year="2017", starts_at="2020-01-01T20:00")
    )
    assert response.status_code == 422 and "Pick a start time in the future." in response.text
    assert re.search(r'<input[^>]*name="new_film_year"[^>]*value="2017"', response.text)  # kept for the next try
    assert party_count() == 0 and film_count() == 1


def test_a_year_given_for_a_film_already_in_the_catalogue_adds_nothing(host_client, film):
    assert host_client.post("/parties/new", data=party_form(film="Anora", new_film_year="1999")).status_code == 302
    assert only_party().film.year == 2024 and film_count() == 1


def test_changing_a_party_to_a_new_film_adds_it_too(host_client, host, film):
    party_id = make_party(host, film).id
    response = host_client.post(f"/parties/{party_id}/edit", data=party_form(film="Flow", new_film_year="2024"))
    assert response.status_code == 302
    assert db.session.get(Party, party_id).film.slug == "flow-2024"


def test_adding_the_missing_film_comes_back_to_the_party_form_with_it_chosen(host_client, film):
    missing = host_client.post("/parties/new", data=party_form(film="Paddington 2")).text
    link = unescape(re.search(r'href="(/films/new\?[^"]+)"', missing).group(1))
    film_form = host_client.get(link).text
    assert 'value="Paddington 2"' in film_form  # the title the host typed
    assert 'action="/films/new?next=/parties/new"' in film_form

    # A refused film form keeps the way back.
    refused = host_client.post("/films/new?next=/parties/new", data={"title": "Paddington 2", "year": "1066"})
    assert refused.status_code == 422 and 'action="/films/new?next=/parties/new"' in refused.text

    added = host_client.post("/films/new?next=/parties/new", data={"title": "Paddington 2", "year": "2017"})
    assert added.status_code == 302 and added.headers["Location"] == "/parties/new?film=paddington-2-2017"
    party_form_page = host_client.get(added.headers["Location"]).text
    assert re.search(r'<input[^>]*name="film"[^>]*value="Paddington 2 \(2017\)"', party_form_page)  # its title
    assert host_client.post("/parties/new", data=party_form(film="paddington-2-2017")).status_code == 302
    assert only_party().film.title == "Paddington 2"


def test_changing_a_party_to_a_missing_film_comes_back_to_its_edit_form(host_client, host, film):
    party_id = make_party(host, film).id
    missing = host_client.post(f"/parties/{party_id}/edit", data=party_form(film="Paddington 2")).text
    assert f"next=/parties/{party_id}/edit" in unescape(missing)
    added = host_client.post(f"/films/new?next=/parties/{party_id}/edit", data={"title": "Paddington 2", "year": "2017"})
    assert added.headers["Location"] == f"/parties/{party_id}/edit?film=paddington-2-2017"
    edit_form = host_client.get(added.headers["Location"]).text
    assert re.search(r'<input[^>]*name="film"[^>]*value="Paddington 2 \(2017\)"', edit_form)


def test_adding_a_film_goes_nowhere_but_this_site(host_client):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = host_client.post(f"/films/new?next={target}", data={"title": f"Film {len(target)}", "year": "2017", "different_film": "y"})
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/films/film-")


def test_two_films_with_one_title_must_be_told_apart(host_client, film):
    make_film("Anora", 1999)
    response = host_client.post("/parties/new", data=party_form(film="Anora"))
    assert response.status_code == 422
    assert "Several films are called that" in response.text
    assert host_client.post("/parties/new", data=party_form(film="Anora (1999)")).status_code == 302


BAD_INPUT = [
    ({"title": "x" * 10_000}, "title", "Field cannot be longer than 120 characters."),
    ({"title": "Night\x00"}, "title", "Remove control characters"),
    ({"area": "Hackney\x1b[31m"}, "area", "Remove control characters"),
    ({"description": "a\x00b"}, "description", "Remove control characters"),
    ({"description": "x" * 10_000}, "description", "Keep it under 5000 characters."),
    ({"film": ""}, "film", "Type the title of the film, or pick it from the list."),
    ({"starts_at": ""}, "starts_at", "Enter the date and time the film starts."),
    ({"starts_at": "next friday"}, "starts_at", "Enter a date and time like 2026-03-14T20:00."),
    ({"starts_at": "2027-02-30T20:00"}, "starts_at", "Enter a date and time like"),
    ({"starts_at": "2027-02-01T20:00"}, "starts_at", "Pick a start time in the future."),
    ({"starts_at": "0001-01-01T00:00"}, "starts_at", "Pick a start time in the future."),
    ({"starts_at": "9999-12-31T23:59"}, "starts_at", "within the next three years"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Not a valid choice."),
    ({"timezone": ""}, "timezone", "Not a valid choice."),
    ({"online_url": "javascript:alert(1)"}, "online_url", "Use a web link starting with https://"),
    ({"online_url": "data:text/html,hi"}, "online_url", "Use a web link starting with https://"),
    ({"online_url": "https://"}, "online_url", "Use a web link starting with https://"),
    ({"capacity": "0"}, "capacity", "Enter a number from 1 to 10,000"),
    ({"capacity": "-5"}, "capacity", "Enter a number from 1 to 10,000"),
    ({"capacity": "1000000000000"}, "capacity", "Enter a number from 1 to 10,000"),
    ({"capacity": "twelve"}, "capacity", "Not a valid integer value."),
    ({"capacity": "9" * 5000}, "capacity", "Not a valid integer value."),
    ({"max_plus_ones": "11"}, "max_plus_ones", "Enter a number from 0 to 10."),
    ({"max_plus_ones": "-1"}, "max_plus_ones", "Enter a number from 0 to 10."),
    ({"rsvp_deadline": "2027-03-21T20:00"}, "rsvp_deadline", "must be before the party starts"),
    ({"rsvp_deadline": "2027-03-20T20:00"}, "rsvp_deadline", "must be before the party starts"),
    ({"rsvp_deadline": "2027-02-20T20:00"}, "rsvp_deadline", "already passed"),
]


def test_bad_party_input_is_refused_beside_its_field(host_client, film):
    # One test, many cases: a fresh app and host per case would cost a password hash each.
    for fields, field, message in BAD_INPUT:
        response = host_client.post("/parties/new", data=party_form(**fields))
        assert response.status_code == 422, fields
        errors = re.search(rf'<ul class="errors" id="{field}-error">(.*?)</ul>', response.text, re.S)
        assert errors and message in errors.group(1), (fields, errors and errors.group(1))
        assert 'value="Hackney, London"' in response.text or "area" in fields  # the form stays filled
    assert party_count() == 0


def test_hostile_but_harmless_text_is_accepted_and_escaped(host_client, film):
    response = host_client.post(
        "/parties/new",
        data=party_form(
            title="<script>alert(1)</script>",
            description="See https://example.com/x?a=1&b=2 <b>now</b>\nline two javascript:alert(2)",
        ),
    )
    assert response.status_code == 302
    party = only_party()
    page = host_client.get(f"/p/{party.share_token}").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert (
        '<a href="https://example.com/x?a=1&amp;b=2" rel="nofollow noopener noreferrer">'
        "https://example.com/x?a=1&amp;b=2</a> &lt;b&gt;now&lt;/b&gt;<br>\nline two javascript:alert(2)"
    ) in page
    assert 'href="javascript' not in page


def test_capacity_and_deadline_are_optional(host_client, film):
    response = host_client.post("/parties/new", data=party_form(capacity="", max_plus_ones=""))
    assert response.status_code == 302
    party = only_party()
    assert (party.capacity, party.rsvp_deadline, party.max_plus_ones) == (None, None, 1)  # DEFAULT_PLUS_ONES


def test_a_deadline_is_stored_in_utc_too(host_client, film):
    host_client.post("/parties/new", data=party_form(starts_at="2027-04-03T20:00", rsvp_deadline="2027-04-01T18:00"))
    assert only_party().rsvp_deadline == datetime(2027, 4, 1, 17, 0, tzinfo=UTC)


# ---------------------------------------------------------------- who may do what


def host_routes(party, rsvp):
    """Every host route as (method, path)."""
    base = f"/parties/{party.id}"
    return [
        ("GET", base),
        ("GET", f"{base}/edit"),
        ("POST", f"{base}/edit"),
        ("POST", f"{base}/cancel"),
        ("POST", f"{base}/share-link"),
        ("POST", f"{base}/guests/{rsvp.id}/remove"),
        ("GET", f"{base}/guests.csv"),
    ]


def test_host_routes_authorisation_table(app, host, film):
    party = make_party(host, film, capacity=10)
    make_user(email="other@example.com", display_name="Other")
    guest_user = make_user(email="guest@example.com", display_name="Guest User")
    rsvp = make_reply(party, "Guest User", user=guest_user, email="guest@example.com")
    token_before = party.share_token

    anonymous = app.test_client()
    stranger = app.test_client()
    log_in(stranger, email="other@example.com")
    guest = app.test_client()
    log_in(guest, email="guest@example.com")
    # An anonymous guest remembered by the cookie of their reply.
    cookie_guest = app.test_client()
    cookie_guest.get(f"/p/{party.share_token}/rsvp/{rsvp.manage_token}")

    for method, path in host_routes(party, rsvp):
        response = anonymous.open(path, method=method)
        assert response.status_code == 302, (method, path)
        assert response.headers["Location"].startswith("/accounts/login?next="), (method, path)
        assert cookie_guest.open(path, method=method).status_code == 302, (method, path)
        for client in (stranger, guest):
            assert client.open(path, method=method).status_code == 404, (method, path)

    db.session.expire_all()
    party = db.session.get(Party, party.id)
    assert party.share_token == token_before and party.status == "scheduled"
    assert db.session.get(Rsvp, rsvp.id) is not None

    # A party that does not exist answers exactly like somebody else's party.
    assert stranger.get("/parties/999999").status_code == 404
    assert stranger.get(f"/parties/{2**31}").status_code == 404
    assert stranger.get("/parties/99999999999999999999").status_code == 404

    owner = app.test_client()
    log_in(owner, email="host@example.com")
    assert owner.get(f"/parties/{party.id}").status_code == 200
    assert owner.get(f"/parties/{party.id}/edit").status_code == 200
    assert owner.get(f"/parties/{party.id}/guests.csv").status_code == 200


# ---------------------------------------------------------------- the dashboard


def test_dashboard_shows_headcount_lists_and_dietary_summary(host_client, host, film):
    party = make_party(host, film, capacity=4, max_plus_ones=2)
    make_reply(party, "Ann", plus_ones=1, dietary="Vegetarian", email="ann@example.com")
    make_reply(party, "Ben", plus_ones=1, dietary="vegetarian ")
    make_reply(party, "Cat", "maybe", dietary="no nuts", note="if I can")
    make_reply(party, "Dan", "declined")
    make_reply(party, "Eve", plus_ones=2)
    page = host_client.get(f"/parties/{party.id}").text
    assert '<meter class="headcount-meter" min="0" max="4" value="4"' in page
    assert "<strong>4 of 4</strong> seats taken" in page
    assert "1 waitlisted (3 seats)" in page
    assert "ann@example.com" in page  # the host sees emails
    assert "<strong>Vegetarian</strong> \u00d7 2" in page and "(Ann, Ben)" in page
    assert "<strong>no nuts</strong>" in page
    guests = page[page.index('id="guests"'):]
    sections = [part for part in re.split(r"<h3>", guests) if not part.startswith("Dietary needs")]
    assert "Going" in sections[1] and "Ann" in sections[1] and "Ben" in sections[1]
    assert "Waitlist" in sections[2] and "Eve" in sections[2] and "+2" in sections[2]
    assert "Maybe" in sections[3] and "Cat" in sections[3] and "if I can" in sections[3]
    assert "Can&#39;t make it" in sections[4] and "Dan" in sections[4]


def test_dashboard_without_capacity_has_no_bar(host_client, host, film):
    party = make_party(host, film, capacity=None)
    make_reply(party, "Ann", plus_ones=2)
    page = host_client.get(f"/parties/{party.id}").text
    assert "<meter" not in page
    assert "<strong>3</strong> going (guests + plus-ones), no limit" in page


def test_removing_a_guest_frees_seats_for_the_waitlist(host_client, host, film, outbox):
    party = make_party(host, film, capacity=2)
    ann = make_reply(party, "Ann", plus_ones=1)
    ben = make_reply(party, "Ben", email="ben@example.com")
    assert ben.state == "waitlisted"
    ann_id, ben_id, party_id = ann.id, ben.id, party.id
    response = host_client.post(f"/parties/{party_id}/guests/{ann_id}/remove")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Rsvp, ann_id) is None
    assert db.session.get(Rsvp, ben_id).state == "confirmed"
    assert db.session.get(Party, party_id).seats_taken == 1
    assert "a seat opened up" in outbox.last()["Subject"]
    # A guest of another party cannot be removed through this one.
    other_party = make_party(host, film)
    stranger = make_reply(other_party, "Stranger")
    assert host_client.post(f"/parties/{party.id}/guests/{stranger.id}/remove").status_code == 404
    assert db.session.get(Rsvp, stranger.id) is not None


def test_regenerating_the_link_kills_the_old_one(host_client, host, film, client, outbox):
    party = make_party(host, film)
    reply = make_reply(party, "Ann", email="ann@example.com")
    old_token, old_manage = party.share_token, f"/p/{party.share_token}/rsvp/{reply.manage_token}"
    response = host_client.post(f"/parties/{party.id}/share-link")
    assert response.status_code == 302
    db.session.expire_all()
    new_token = db.session.get(Party, party.id).share_token
    assert new_token != old_token and len(new_token) >= 22
    visitor = client.application.test_client()
    assert visitor.get(f"/p/{old_token}").status_code == 404
    assert visitor.get(f"/p/{old_token}/qr.svg").status_code == 404
    assert visitor.get(f"/p/{old_token}/calendar.ics").status_code == 404
    assert visitor.get(old_manage).status_code == 404
    assert visitor.get(f"/p/{new_token}").status_code == 200
    message = outbox.last()
    assert message["To"] == "ann@example.com"
    assert f"/p/{new_token}/rsvp/{reply.manage_token}" in message.get_body(("plain",)).get_content()


def test_qr_code_is_an_svg_of_the_share_link(client, host, film):
    party = make_party(host, film)
    response = client.get(f"/p/{party.share_token}/qr.svg")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/svg+xml"
    assert response.text.startswith("<svg") and "<script" not in response.text


# ---------------------------------------------------------------- editing and cancelling


def test_editing_bumps_the_sequence_and_keeps_the_link(host_client, host, film):
    host_client.post("/parties/new", data=party_form())
    party = only_party()
    token = party.share_token
    form = host_client.get(f"/parties/{party.id}/edit").text
    assert 'value="2027-03-20T20:00"' in form and 'value="Anora (2024)"' in form
    response = host_client.post(f"/parties/{party.id}/edit", data=party_form(title="Anora, again", starts_at="2027-03-21T19:00"))
    assert response.status_code == 302
    db.session.expire_all()
    party = only_party()
    assert (party.title, party.sequence, party.share_token) == ("Anora, again", 1, token)
    assert party.starts_at == datetime(2027, 3, 21, 19, 0, tzinfo=UTC)


def test_editing_keeps_a_past_start_only_when_it_is_unchanged(host_client, host, film):
    party = make_party(host, film, starts_in=timedelta(days=2), capacity=5)
    starts = party.starts_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/London"))
    data = party_form(starts_at=starts.strftime("%Y-%m-%dT%H:%M:%S"), film=film.slug)
    with time_machine.travel(party.starts_at + timedelta(hours=1), tick=False):
        # After the start: fixing the description is fine, moving into the past is not.
        assert host_client.post(f"/parties/{party.id}/edit", data={**data, "description": "Thanks all!"}).status_code == 302
        moved = host_client.post(f"/parties/{party.id}/edit", data={**data, "starts_at": "2020-01-01T20:00"})
        assert moved.status_code == 422 and "Pick a start time in the future." in moved.text


def test_raising_capacity_seats_the_waitlist_in_order(host_client, host, film):
    host_client.post("/parties/new", data=party_form(capacity="1"))
    party = only_party()
    first = make_reply(party, "First")
    big = make_reply(party, "Big", plus_ones=2)
    small = make_reply(party, "Small")
    later = make_reply(party, "Later")
    assert [r.state for r in (first, big, small, later)] == ["confirmed", "waitlisted", "waitlisted", "waitlisted"]
    # Room for 2 more: Big (3 seats) still does not fit and keeps its place; Small and Later fit.
    host_client.post(f"/parties/{party.id}/edit", data=party_form(capacity="3"))
    db.session.expire_all()
    states = dict(db.session.execute(sa.select(Rsvp.name, Rsvp.state)).all())
    assert states == {"First": "confirmed", "Big": "waitlisted", "Small": "confirmed", "Later": "confirmed"}
    assert db.session.get(Party, party.id).seats_taken == 3


def test_lowering_capacity_moves_nobody_out(host_client, host, film):
    host_client.post("/parties/new", data=party_form(capacity="5"))
    party = only_party()
    make_reply(party, "Ann", plus_ones=2)
    make_reply(party, "Ben", plus_ones=1)
    response = host_client.post(f"/parties/{party.id}/edit", data=party_form(capacity="2"))
    assert response.status_code == 302
    db.session.expire_all()
    assert set(db.session.scalars(sa.select(Rsvp.state))) == {"confirmed"}
    assert db.session.get(Party, party.id).seats_taken == 5
    page = host_client.get(f"/parties/{party.id}").text
    assert "more than the capacity" in page
    assert "moves nobody out" in host_client.get(f"/parties/{party.id}/edit").text
    newcomer = make_reply(party, "Cat")
    assert newcomer.state == "waitlisted"


def test_cancelling_shows_on_the_party_page_and_closes_replies(host_client, host, film, client):
    party = make_party(host, film)
    response = host_client.post(f"/parties/{party.id}/cancel", data={"message": "Sorry — I'm ill. <b>Rain check?</b>"})
    assert response.status_code == 302
    db.session.expire_all()
    party = db.session.get(Party, party.id)
    assert party.status == "cancelled" and party.sequence == 1
    guest = client.application.test_client()
    page = guest.get(f"/p/{party.share_token}").text
    assert "Cancelled" in page and "Sorry — I&#39;m ill. &lt;b&gt;Rain check?&lt;/b&gt;" in page
    assert "The host cancelled this party, so replies are closed." in page
    reply = guest.post(f"/p/{party.share_token}/rsvp", data={"name": "Late", "response": "going"})
    assert reply.status_code == 409
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Rsvp)) == 0
    # A cancelled party cannot be edited.
    assert host_client.post(f"/parties/{party.id}/edit", data=party_form()).status_code == 409


def test_cancel_message_is_limited(host_client, host, film):
    party = make_party(host, film)
    response = host_client.post(f"/parties/{party.id}/cancel", data={"message": "x" * 10_000})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Party, party.id).status == "scheduled"


# ---------------------------------------------------------------- CSV export


def test_csv_export_is_utf8_with_bom_and_neutralises_formulas(host_client, host, film):
    party = make_party(host, film, capacity=10)
    make_reply(party, "=SUM(1+1)", email="eq@example.com", note="+1 555", dietary="-lactose")
    handle = make_reply(party, "@handle", "maybe")
    zoe = make_reply(party, "Zoë <b>", "declined", dietary="plain")
    # The reply form strips leading whitespace; rows written another way are neutralised all the same.
    handle.note, zoe.note = "\tindent", "\rcarriage"
    db.session.commit()
    response = host_client.get(f"/parties/{party.id}/guests.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Name", "Email", "Response"]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["'=SUM(1+1)"][1] == "eq@example.com"
    assert by_name["'=SUM(1+1)"][6:8] == ["'-lactose", "'+1 555"]
    assert by_name["'@handle"][7] == "'\tindent"
    assert by_name["Zoë <b>"][7] == "'\rcarriage"
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row


# Each payload, and the cell a spreadsheet gets: a piece after `,` `;` or tab that starts
# like a formula makes the whole cell text (OWASP); everything else is left as typed.
CSV_PAYLOADS = [
    (";=1+1", "';=1+1"),
    ("a,=1", "'a,=1"),
    ("a;=1", "'a;=1"),
    ("a\t=1", "'a\t=1"),
    ("\t=1", "'\t=1"),
    ("=SUM(1)", "'=SUM(1)"),
    ("+1", "'+1"),
    ("-1", "'-1"),
    ("@x", "'@x"),
    ("\r=1", "'\r=1"),
    ("Bob; -lactose", "'Bob; -lactose"),
    ("Ann Smith", "Ann Smith"),
    ("Zoë O'Neil", "Zoë O'Neil"),
    ("Jean-Luc", "Jean-Luc"),
    ("Smith, Ann", "Smith, Ann"),
    ("a=b", "a=b"),
    ("me+1@example.com", "me+1@example.com"),
]


@pytest.mark.parametrize(("typed", "cell"), CSV_PAYLOADS)
def test_a_csv_cell_is_text_whatever_separator_the_spreadsheet_splits_on(typed, cell):
    from watchparty.spreadsheet import csv_document, safe_cell

    assert safe_cell(typed) == cell
    line = csv_document([[typed, 3]]).decode("utf-8-sig")
    # Quoted whole: a `;` or tab inside cannot start a new cell in any locale.
    assert line.startswith('"') and line.rstrip("\r\n").endswith('"3"')
    assert next(csv.reader(io.StringIO(line))) == [cell, "3"]


def test_the_guest_export_gives_every_payload_as_text(host_client, host, film):
    from watchparty.spreadsheet import safe_cell

    party = make_party(host, film, capacity=None)
    stored = {}
    for number, (typed, _) in enumerate(CSV_PAYLOADS):
        reply = make_reply(party, f"Guest {number}", email=f"g{number}@example.com", note=typed, dietary=typed)
        stored[number] = reply.note  # as the reply service keeps it (it trims outer whitespace)
    response = host_client.get(f"/parties/{party.id}/guests.csv")
    assert response.status_code == 200
    body = response.data.decode("utf-8-sig")
    rows = {row[0]: row for row in csv.reader(io.StringIO(body))}
    for number, (typed, cell) in enumerate(CSV_PAYLOADS):
        expected = cell if stored[number] == typed else safe_cell(stored[number])
        assert rows[f"Guest {number}"][6:8] == [expected, expected], typed
    assert all(line.startswith('"') for line in body.splitlines() if line), "every cell quoted"


# ---------------------------------------------------------------- the home page, accounts, demo


def test_home_page_lists_hosted_attended_and_past_parties(client, host, film):
    party = make_party(host, film, title="Hosting soon")
    make_party(host, film, title="Long ago", starts_in=timedelta(days=-30))
    friend = make_user(email="friend@example.com", display_name="Friend")
    theirs = make_party(friend, film, title="Friend's night")
    make_reply(theirs, "Hana Host", user=host)
    declined = make_party(friend, film, title="Not going")
    make_reply(declined, "Hana Host", "declined", user=host)
    log_in(client, email="host@example.com")
    page = client.get("/").text
    hosting = page.index("Hosting</h2>")
    attending = page.index("Going to</h2>")
    past = page.index("Past parties</h2>")
    assert hosting < page.index("Hosting soon") < attending < page.index("Friend&#39;s night") < past < page.index("Long ago")
    assert "Not going" not in page
    assert f'href="/parties/{party.id}"' in page and f'href="/p/{theirs.share_token}"' in page


def test_deleting_an_account_anonymises_replies_and_cancels_hosted_parties(client, host, film):
    guest = make_user(email="leaving@example.com", display_name="Leaving Guest")
    party = make_party(host, film, capacity=5)
    reply = make_reply(party, "Leaving Guest", email="leaving@example.com", user=guest, plus_ones=1)
    hosted = make_party(guest, film, title="Guest's own party")
    log_in(client, email="leaving@example.com")
    assert client.post("/accounts/delete", data={"password": DEFAULT_PASSWORD}).status_code == 302
    db.session.expire_all()
    reply = db.session.get(Rsvp, reply.id)
    assert (reply.user_id, reply.name, reply.email) == (None, "Former guest", None)
    assert (reply.response, reply.state, reply.plus_ones) == ("going", "confirmed", 1)
    assert db.session.get(Party, party.id).seats_taken == 2
    hosted = db.session.get(Party, hosted.id)
    assert hosted is not None and hosted.host_id is None and hosted.status == "cancelled"
    page = client.get(f"/p/{hosted.share_token}").text
    assert "Cancelled" in page and "A former Watchparty host" in page


def test_demo_party_is_created_once(runner, app):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    film_exists = db.session.scalar(sa.text("SELECT count(*) FROM film WHERE slug = 'anora-2024'"))
    if not film_exists:
        assert "No demo film yet; skipped the demo party." in first.output
        return
    assert "Share link: /p/" in first.output or "share link: /p/" in first.output
    party = only_party()
    assert (party.title, party.capacity) == ("Anora movie night", 12)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Rsvp)) >= 3
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert f"/p/{party.share_token}" in second.output
    assert party_count() == 1


def test_demo_party_is_skipped_without_the_demo_film(app):
    from watchparty.parties.demo import create_demo_party

    host = make_user(email="demo@example.com")
    assert create_demo_party(host) == ["No demo film yet; skipped the demo party."]
    assert party_count() == 0


def test_description_filter_escapes_everything_and_links_only_http(app):
    from watchparty.templating import text_with_links

    html = str(text_with_links('a "quote" & <i>\nhttps://ex.com/?q="x"&y=1 http://a.b/c). javascript:alert(1)'))
    assert html == (
        "a &#34;quote&#34; &amp; &lt;i&gt;<br>\n"
        '<a href="https://ex.com/?q=" rel="nofollow noopener noreferrer">https://ex.com/?q=</a>'
        "&#34;x&#34;&amp;y=1 "
        '<a href="http://a.b/c" rel="nofollow noopener noreferrer">http://a.b/c</a>). javascript:alert(1)'
    )
    assert str(text_with_links("")) == "" and str(text_with_links(None)) == ""
    assert "<a" not in str(text_with_links("ftp://x.y data:text/html,<b> JAVASCRIPT://x%0Aalert(1)"))
