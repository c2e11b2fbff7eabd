"""Hosting in few fields (#19): the short party form, its defaults, its error summary, the
dashboard's confirmation steps and share links, and the pages that lead to hosting."""

import re
from datetime import UTC, datetime
from html import unescape
from urllib.parse import quote

import pytest
import sqlalchemy as sa
import time_machine

from tests.factories import log_in, make_film, make_party, make_reply, make_user
from watchparty.extensions import db
from watchparty.models import Party
from watchparty.models.party import DEFAULT_GUEST_LIST_VISIBLE, DEFAULT_PLUS_ONES
from watchparty.parties import service
from watchparty.parties.forms import PartyForm

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def host(app):
    """In London time, which the form's times are read in."""
    return make_user(email="host@example.com", display_name="Hana Host", timezone="Europe/London")


# The three fields a host types (film, date and time; the zone comes preselected), with the
# boxes ticked as the form serves them.
SHORT = {
    "film": "anora-2024", "starts_at": "2027-03-20T20:00", "timezone": "Europe/London",
    "show_address_to_guests": "y", "guest_list_visible": "y",
}


def only_party() -> Party:
    return db.session.scalars(sa.select(Party)).one()


def details(html: str, section: str) -> str:
    """The opening tag of one of the form's optional sections."""
    match = re.search(rf'<details class="form-section[^"]*" id="{section}"[^>]*>', html)
    assert match, f"no section {section}"
    return match.group(0)


def is_open(html: str, section: str) -> bool:
    return " open" in details(html, section)


def form_values(html: str) -> dict[str, str]:
    """What a browser would send for the form as served (text inputs, checked boxes, selected options)."""
    values = {}
    for tag in re.findall(r"<input [^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="submit"' in tag:
            continue
        if 'type="checkbox"' in tag:
            if " checked" in tag:
                values[name.group(1)] = "y"
            continue
        value = re.search(r'value="([^"]*)"', tag)
        values[name.group(1)] = unescape(value.group(1)) if value else ""
    for name, body in re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        selected = re.search(r'<option selected value="([^"]*)"', body) or re.search(r'<option value="([^"]*)"', body)
        values[name] = selected.group(1)
    for name, body in re.findall(r'<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        values[name] = unescape(body).lstrip("\n")
    return values


# ---------------------------------------------------------------- defaults


def test_the_form_starts_with_one_plus_one_and_a_visible_guest_list(host_client, film):
    page = host_client.get("/parties/new").text
    assert re.search(r'<input [^>]*id="max_plus_ones"[^>]*value="1"', page)
    assert re.search(r'<input checked [^>]*id="guest_list_visible"', page) or re.search(
        r'<input [^>]*id="guest_list_visible"[^>]*checked', page
    )
    # Sent as served, with only the three typed fields filled, the defaults are what the party gets.
    response = host_client.post("/parties/new", data={**form_values(page), **SHORT})
    assert response.status_code == 302, response.text
    party = only_party()
    assert (party.max_plus_ones, party.guest_list_visible) == (DEFAULT_PLUS_ONES, DEFAULT_GUEST_LIST_VISIBLE) == (1, True)


def test_the_defaults_have_one_home_for_model_service_and_form(host, film):
    party = Party(host=host, film=film, title="x", starts_at=NOW, timezone="UTC")
    db.session.add(party)
    db.session.flush()
    fields = service.PartyFields(title="", film="anora-2024", starts_at=NOW, timezone="UTC")
    form = PartyForm(formdata=None, meta={"csrf": False})
    assert party.max_plus_ones == fields.max_plus_ones == form.max_plus_ones.data == DEFAULT_PLUS_ONES
    assert party.guest_list_visible is fields.guest_list_visible is form.guest_list_visible.data is True


def test_a_guest_of_a_default_party_may_bring_one_and_sees_who_replied(client, host, film):
    party = make_party(host, film, max_plus_ones=DEFAULT_PLUS_ONES)  # guest_list_visible left to the model
    make_reply(party, name="Gia Guest")
    reply = client.post(f"/p/{party.share_token}/rsvp", data={"name": "Noor", "response": "going", "plus_ones": "1"})
    assert reply.status_code == 302
    page = client.get(f"/p/{party.share_token}").text
    assert "Gia Guest" in page


# ---------------------------------------------------------------- the short form


def test_three_typed_fields_make_a_party_named_after_the_film(host_client, film):
    response = host_client.post("/parties/new", data=SHORT)
    assert response.status_code == 302
    party = only_party()
    assert party.title == "Anora night"
    assert (party.area, party.address, party.online_url) == ("", "", "")
    # Without a place yet, the party page says so rather than showing nothing.
    page = host_client.get(f"/p/{party.share_token}").text
    assert "To be announced" in page


def test_a_title_given_is_kept_and_an_emptied_one_goes_back_to_the_default(host_client, film):
    host_client.post("/parties/new", data={**SHORT, "title": "  Friday at Hana's  "})
    party = only_party()
    assert party.title == "Friday at Hana's"
    response = host_client.post(f"/parties/{party.id}/edit", data={**SHORT, "title": ""})
    assert response.status_code == 302
    db.session.refresh(party)
    assert party.title == "Anora night"


def test_the_default_title_fits_the_title_column(app, host):
    long = make_film("L" + "o" * 190 + "ng", 2001)
    title = service.default_title(long)
    assert len(title) <= 120 and title.endswith("… night")


def test_only_the_required_fields_are_marked(host_client, film):
    page = host_client.get("/parties/new").text
    for field, label in [("film", "Film"), ("starts_at", "Starts at")]:
        assert re.search(
            rf'<label class="label" for="{field}">{label} <span class="label__required">required</span></label>', page
        ), field
        assert re.search(rf'<input [^>]*id="{field}"[^>]*required', page), field
    assert re.search(r'<label class="label" for="title">Title</label>', page)
    assert "label__required" not in page.split('id="place"')[1]  # nothing in the optional sections


def test_the_optional_sections_start_closed_on_a_new_party(host_client, film):
    page = host_client.get("/parties/new").text
    for section in ("place", "guests", "about", "items"):
        assert not is_open(page, section), section
    # The three fields a host must give come before every optional section.
    assert page.index('id="film"') < page.index('id="starts_at"') < page.index('id="place"')


def test_a_section_opens_when_one_of_its_fields_has_an_error(host_client, film):
    response = host_client.post("/parties/new", data={**SHORT, "capacity": "0"})
    assert response.status_code == 422
    assert is_open(response.text, "guests")
    assert not is_open(response.text, "place") and not is_open(response.text, "about")
    assert 'id="capacity-error"' in response.text


def test_a_section_opens_when_it_holds_a_value(host_client, host, film):
    party = make_party(host, film, area="Hackney", description="", capacity=None, max_plus_ones=1)
    page = host_client.get(f"/parties/{party.id}/edit").text
    assert is_open(page, "place")  # it has an area
    assert not is_open(page, "about")  # no description
    assert not is_open(page, "guests")  # every value is the default


def test_every_error_is_listed_at_the_top_with_a_link_to_its_field(host_client, film):
    response = host_client.post(
        "/parties/new",
        data={**SHORT, "film": "", "starts_at": "", "capacity": "lots", "title": "Kept <b>title</b>",
              "description": "Kept description"},
    )
    assert response.status_code == 422
    page = response.text
    summary = re.search(r'<div class="form-errors" role="alert" tabindex="-1" data-error-summary>(.*?)</div>', page, re.S)
    assert summary, "no error summary"
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary.group(1))
    assert [target for target, _ in links] == ["film", "starts_at", "capacity"]
    assert "3 things to fix" in summary.group(1)
    assert "Film: Choose the film from the catalogue." in unescape(summary.group(1))
    # Each also beside its field, the field marked invalid and tied to its message.
    for field in ("film", "starts_at", "capacity"):
        assert f'<ul class="errors" id="{field}-error">' in page
        assert re.search(rf'<input [^>]*aria-describedby="[^"]*{field}-error"[^>]*aria-invalid="true"', page) or re.search(
            rf'<input [^>]*aria-invalid="true"[^>]*id="{field}"', page
        ), field
    # The form comes back filled, hostile text escaped.
    assert 'value="Kept &lt;b&gt;title&lt;/b&gt;"' in page
    assert "Kept description" in page
    assert is_open(page, "about")  # it holds the description
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Party)) == 0


def test_a_rule_broken_in_the_service_is_also_in_the_summary(host_client, film):
    response = host_client.post("/parties/new", data={**SHORT, "starts_at": "2027-02-01T20:00"})
    assert response.status_code == 422
    assert '<a href="#starts_at">Starts at: Pick a start time in the future.</a>' in response.text


def test_an_item_row_error_links_to_its_row(host_client, film):
    response = host_client.post(
        "/parties/new", data={**SHORT, "items-0-name": "Popcorn", "items-0-category": "snack", "items-0-quantity": "0"}
    )
    assert response.status_code == 422
    assert re.search(r'<a href="#items-0-quantity">Items, row 1: How many: [^<]+</a>', response.text)
    assert is_open(response.text, "items")


def test_the_starter_list_comes_back_at_the_list(host_client, film):
    page = host_client.get("/parties/new").text
    # Both buttons send the form to the list's own anchor: the page shown again scrolls there.
    for name in ("add_starter", "add_rows"):
        assert re.search(rf'<input [^>]*formaction="/parties/new#items"[^>]*name="{name}"', page) or re.search(
            rf'<input [^>]*name="{name}"[^>]*formaction="/parties/new#items"', page
        ), name
    response = host_client.post("/parties/new", data={**SHORT, "title": "Kept", "add_starter": "y"})
    assert response.status_code == 200
    assert is_open(response.text, "items")
    assert 'value="Popcorn"' in response.text and 'value="Kept"' in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Party)) == 0


def test_the_time_zone_is_the_hosts_and_left_for_the_browser_to_guess_otherwise(client, film):
    make_user(email="tokyo@example.com", timezone="Asia/Tokyo")
    log_in(client, email="tokyo@example.com")
    page = client.get("/parties/new").text
    select = re.search(r'<select [^>]*name="timezone"[^>]*>', page).group(0)
    assert "data-guess-timezone" in select
    assert '<option selected value="Asia/Tokyo">' in page  # chosen here: the script leaves it
    # A form that comes back keeps the zone that was sent.
    refused = client.post("/parties/new", data={**SHORT, "timezone": "America/Chicago", "film": ""}).text
    assert '<option selected value="America/Chicago">' in refused


def test_a_blank_form_chooses_no_zone_so_the_browser_can(app):
    with app.test_request_context():
        form = PartyForm(formdata=None, meta={"csrf": False})
        assert "selected" not in form.timezone()


# ---------------------------------------------------------------- the dashboard's confirmation steps


def test_a_new_link_is_made_only_after_a_page_that_says_what_happens(host_client, host, film):
    party = make_party(host, film)
    make_reply(party, name="Gia", email="gia@example.com")
    token = party.share_token
    dashboard = host_client.get(f"/parties/{party.id}").text
    # The dashboard links to the step; it no longer holds a form that makes the link at once.
    assert f'href="/parties/{party.id}/share-link"' in dashboard
    assert f'action="/parties/{party.id}/share-link"' not in dashboard
    page = host_client.get(f"/parties/{party.id}/share-link")
    assert page.status_code == 200
    text = unescape(page.text)
    assert "everyone with the old link will get a “link not found” page" in text
    assert "1 guest who gave an email gets their new personal link" in text
    assert f'<form method="post" action="/parties/{party.id}/share-link">' in page.text
    db.session.refresh(party)
    assert party.share_token == token  # looking changes nothing
    done = host_client.post(f"/parties/{party.id}/share-link")
    assert done.status_code == 302 and done.headers["Location"] == f"/parties/{party.id}#share"
    db.session.refresh(party)
    assert party.share_token != token
    assert host_client.get(f"/p/{token}").status_code == 404


def test_cancelling_asks_first_and_takes_the_message_there(host_client, host, film):
    party = make_party(host, film)
    dashboard = host_client.get(f"/parties/{party.id}").text
    assert f'href="/parties/{party.id}/cancel"' in dashboard
    assert f'action="/parties/{party.id}/cancel"' not in dashboard
    page = host_client.get(f"/parties/{party.id}/cancel")
    assert page.status_code == 200
    assert "replies close" in page.text and 'name="message"' in page.text
    assert ">Cancel the party</button>" in page.text and ">Keep the party</a>" in page.text
    db.session.refresh(party)
    assert party.status == "scheduled"
    refused = host_client.post(f"/parties/{party.id}/cancel", data={"message": "x" * 5000})
    assert refused.status_code == 422
    assert 'id="message-error"' in refused.text and '<a href="#message">' in refused.text
    assert "x" * 5000 in refused.text  # the form comes back filled
    done = host_client.post(f"/parties/{party.id}/cancel", data={"message": "Ill, sorry"})
    assert done.status_code == 302
    db.session.refresh(party)
    assert party.status == "cancelled"
    again = host_client.get(f"/parties/{party.id}/cancel")
    assert again.status_code == 200 and "is cancelled" in again.text and "<form" not in again.text.split("<main")[1]


def test_the_confirmation_pages_are_the_hosts_alone(client, host, film):
    party = make_party(host, film)
    make_user(email="other@example.com")
    log_in(client, email="other@example.com")
    assert client.get(f"/parties/{party.id}/share-link").status_code == 404
    assert client.get(f"/parties/{party.id}/cancel").status_code == 404


# ---------------------------------------------------------------- sharing


def test_the_dashboard_offers_the_link_to_share_copy_and_send(host_client, host, film, app):
    party = make_party(host, film, title="Anora <night>")
    page = host_client.get(f"/parties/{party.id}").text
    link = f"{app.config['PUBLIC_URL']}/p/{party.share_token}"
    encoded = quote(link, safe="")
    assert f'value="{link}"' in page
    assert 'data-share="share-link"' in page and 'data-copy="share-link"' in page
    assert re.search(r'href="https://wa\.me/\?text=[^"]*' + re.escape(encoded) + '"', page)
    assert re.search(r'href="sms:\?&amp;body=[^"]*' + re.escape(encoded) + '"', page)
    assert re.search(r'href="mailto:\?subject=Film%20night%3A%20Anora%20%3Cnight%3E&amp;body=[^"]*' + re.escape(encoded), page)
    assert "<night>" not in page
    # The headcount and the share link come before the guest list, the bring list and the settings.
    order = [page.index(marker) for marker in ('id="headcount-heading"', 'id="share"', 'id="guests"', 'id="settings"')]
    assert order == sorted(order)


# ---------------------------------------------------------------- pages that lead to hosting


def test_the_landing_shows_a_sample_party_and_one_way_to_host(client):
    page = client.get("/").text
    assert "What your guests see" in page and "Casablanca night" in page
    assert re.findall(r'<a [^>]*href="/parties/new"[^>]*>([^<]+)</a>', page.split("<main")[1]) == ["Host a watch party"]


def test_the_film_page_leads_to_a_party_for_that_film(client, host_client, film):
    page = client.get("/films/anora-2024").text
    assert '<a class="button" href="/parties/new?film=anora-2024">Host a watch party for this film</a>' in page
    form = host_client.get("/parties/new?film=anora-2024").text
    # The film field shows the film by its title (the film picker's label), chosen already.
    assert re.search(r'<input [^>]*id="film"[^>]*value="Anora \(2024\)"', form)
