"""The sign-up list: the host's items, guests' claims, the counter rules, the starter list,
who sees which names, bad input, and a fixed number of queries on the party page."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.exc import IntegrityError

from tests.factories import log_in, make_claim, make_film, make_items, make_party, make_reply, make_user
from tests.mailbox import text_body
from watchparty.extensions import db
from watchparty.models import Claim, Party, Rsvp, SignupItem
from watchparty.party_clock import party_phase
from watchparty.rsvp.service import Viewer
from watchparty.signups import board, service
from watchparty.signups.starter import STARTER_LIST, expected_headcount, quantity_hint, starter_item

X = "\N{MULTIPLICATION SIGN}"  # as in "2 x popcorn"


@pytest.fixture
def party(host, film):
    """Unlike conftest's party: at most 10 guests."""
    return make_party(host, film, title="Anora night", capacity=10, max_plus_ones=2)


def guest(app, party, name="Bob", response="going", **fields):
    """A guest's reply and a browser that remembers it (as after replying)."""
    rsvp = make_reply(party, name, response, **fields)
    client = app.test_client()
    assert client.get(f"/p/{party.share_token}/rsvp/{rsvp.manage_token}").status_code == 200
    return rsvp, client


def claim(client, party, item, quantity="1", note="", **extra):
    return client.post(
        f"/p/{party.share_token}/items/{item.id}/claim", data={"quantity": quantity, "note": note, **extra}
    )


def add(client, party, **fields):
    data = {"name": "Cheesecake", "category": "snack", "quantity": "1", "note": ""}
    data.update(fields)
    return client.post(f"/p/{party.share_token}/items", data=data)


def items(party=None) -> list[SignupItem]:
    db.session.expire_all()
    query = sa.select(SignupItem).order_by(SignupItem.position, SignupItem.id)
    if party is not None:
        query = query.where(SignupItem.party_id == party.id)
    return list(db.session.scalars(query))


def claims() -> list[Claim]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Claim).order_by(Claim.id)))


def state() -> list[tuple[str, int, int]]:
    """(name, claimed, needed) per item; also checks each counter equals the sum of its claims."""
    rows = items()
    for item in rows:
        total = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Claim.quantity), 0)).where(Claim.item_id == item.id)
        )
        assert item.claimed == total, (item.name, item.claimed, total)
    return [(item.name, item.claimed, item.quantity_needed) for item in rows]


def text_of(response) -> str:
    return unescape(response.text)


def visible(html: str) -> str:
    """Text as a reader sees it: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def field_errors(response, field_id: str) -> str:
    match = re.search(rf'<ul class="errors" id="{re.escape(field_id)}">(.*?)</ul>', response.text, re.S)
    return visible(match.group(1)) if match else ""


def top_error(response) -> str:
    section = response.text[response.text.index('id="signups"'):]
    match = re.search(r'<div class="form-errors" role="alert">(.*?)</div>', section, re.S)
    return visible(match.group(1)) if match else ""


# ---------------------------------------------------------------- the starter list and hints


def test_starter_list_has_the_movie_night_basics():
    assert [item.name for item in STARTER_LIST] == [
        "Popcorn", "Sweets", "Crisps", "Soft drinks", "Sparkling water", "Something to toast with", "Ice", "Cups",
    ]
    assert {item.category for item in STARTER_LIST} == {"snack", "drink", "supplies"}


def test_suggested_quantities_scale_with_the_headcount():
    popcorn = starter_item("popcorn")
    assert [popcorn.quantity_for(people) for people in (1, 4, 5, 12, 40)] == [1, 1, 2, 3, 10]
    assert popcorn.hint(12) == "about 3 bags for 12 people"
    assert popcorn.hint(1) == "about 1 bag for 1 person"
    assert starter_item("  CUPS ").hint(12) == "about 3 packs of 10 for 12 people"
    assert starter_item("Cheesecake") is None
    assert starter_item("Popcorn").quantity_for(100_000) == 999  # never past what an item may need
    assert quantity_hint("Ice", 16) == "about 2 bags for 16 people"
    assert quantity_hint("Cheesecake", 16) is None


def test_expected_headcount_is_going_plus_ones_then_capacity_then_eight(party):
    assert expected_headcount(None) == 8
    assert expected_headcount(None, capacity=30) == 30
    assert expected_headcount(party) == 10  # nobody going yet: the capacity
    make_reply(party, "Ann", plus_ones=2)
    make_reply(party, "Ben", "maybe")
    db.session.refresh(party)
    assert expected_headcount(party) == 3
    party.capacity = None
    party.seats_taken = 0
    db.session.commit()
    assert expected_headcount(party) == 8


# ---------------------------------------------------------------- the host's list while creating the party


PARTY_FORM = {
    "title": "Anora night", "film": "anora-2024", "timezone": "Europe/London",
    "starts_at": (datetime.now(UTC) + timedelta(days=20)).strftime("%Y-%m-%dT20:00"),
    "area": "Hackney", "capacity": "12", "max_plus_ones": "1",
}


def rows(*entries) -> dict:
    data = {}
    for index, (name, category, quantity, note) in enumerate(entries):
        data.update({
            f"items-{index}-name": name, f"items-{index}-category": category,
            f"items-{index}-quantity": quantity, f"items-{index}-note": note,
        })
    return data


def test_creating_a_party_saves_its_items_and_skips_blank_rows(host_client, film):
    data = {**PARTY_FORM, **rows(
        ("Popcorn", "snack", "3", "salted please"), ("", "drink", "7", "ignored"), ("Ice", "supplies", "", ""),
    )}
    response = host_client.post("/parties/new", data=data)
    assert response.status_code == 302
    party = db.session.scalars(sa.select(Party)).one()
    assert [(i.name, i.category, i.quantity_needed, i.note, i.claimed, i.added_by_rsvp_id) for i in items()] == [
        ("Popcorn", "snack", 3, "salted please", 0, None),
        ("Ice", "supplies", 1, "", 0, None),  # an empty quantity means one
    ]
    assert f"3 {X} Popcorn" in text_of(host_client.get(f"/p/{party.share_token}"))


def test_a_refused_party_form_saves_no_items_and_keeps_the_rows(host_client, film):
    bad_film = host_client.post("/parties/new", data={**PARTY_FORM, "film": "Nope", **rows(("Popcorn", "snack", "3", ""))})
    assert bad_film.status_code == 422 and 'value="Popcorn"' in bad_film.text
    bad_row = host_client.post("/parties/new", data={**PARTY_FORM, **rows(("Popcorn", "snack", "0", ""))})
    assert bad_row.status_code == 422
    assert "Enter a number from 1 to 999." in field_errors(bad_row, "items-0-quantity-error")
    control = host_client.post("/parties/new", data={**PARTY_FORM, **rows(("Pop\x00corn", "snack", "1", ""))})
    assert control.status_code == 422 and "Remove control characters" in field_errors(control, "items-0-name-error")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Party)) == 0 and items() == []


def test_the_starter_button_fills_editable_rows_for_the_capacity_and_saves_nothing(host_client, film):
    data = {**PARTY_FORM, "capacity": "12", "add_starter": "Add the movie-night starter list",
            **rows(("Cheesecake", "snack", "1", ""), ("popcorn", "snack", "9", ""))}
    page = host_client.post("/parties/new", data=data)
    assert page.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Party)) == 0
    names = re.findall(r'name="items-\d+-name"[^>]*value="([^"]*)"', page.text)
    assert names[:8] == ["Cheesecake", "popcorn", "Sweets", "Crisps", "Soft drinks", "Sparkling water",
                         "Something to toast with", "Ice"]  # popcorn is already there: not twice
    assert "Cups" in names and names[-1] == ""  # blank rows to add more
    quantities = dict(zip(names, re.findall(r'name="items-\d+-quantity"[^>]*value="([^"]*)"', page.text), strict=False))
    assert quantities["Sweets"] == "3" and quantities["Cups"] == "3" and quantities["popcorn"] == "9"
    assert "Suggested: about 3 bags for 12 people." in page.text  # the hint, beside popcorn's 9
    assert 'value="Anora night"' in page.text  # the rest of the form stays filled

    no_capacity = host_client.post("/parties/new", data={**PARTY_FORM, "capacity": "", "add_starter": "y"})
    assert "Suggested: about 2 bags for 8 people." in no_capacity.text

    # The host edits the rows (drops one by emptying its name) and creates the party.
    filled = {key: value for key, value in re.findall(r'name="(items-\d+-(?:name|quantity|category|note))"[^>]*?value="([^"]*)"', page.text)}
    filled.update({"items-2-name": "", "items-4-quantity": "5"})
    categories = re.findall(r'<select[^>]*name="(items-\d+-category)"[^>]*>.*?<option selected value="(\w+)"', page.text, re.S)
    filled.update(dict(categories))
    assert host_client.post("/parties/new", data={**PARTY_FORM, **filled}).status_code == 302
    saved = [(i.name, i.category, i.quantity_needed) for i in items()]
    assert saved[:4] == [("Cheesecake", "snack", 1), ("popcorn", "snack", 9), ("Crisps", "snack", 3),
                         ("Soft drinks", "drink", 5)]
    assert ("Sweets", "snack", 3) not in saved and len(saved) == 8


def test_more_rows_button_adds_blank_rows_without_saving(host_client, film):
    page = host_client.post("/parties/new", data={**PARTY_FORM, "add_rows": "More rows", **rows(("Popcorn", "snack", "2", ""))})
    assert page.status_code == 200
    assert len(re.findall(r'name="items-\d+-name"', page.text)) == 4
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Party)) == 0


def test_editing_the_party_adds_rows_to_the_existing_list(host_client, party):
    make_items(party, ("Popcorn", 2))
    page = host_client.get(f"/parties/{party.id}/edit")
    assert "Already on the list: Popcorn." in page.text
    starter = host_client.post(f"/parties/{party.id}/edit", data={
        "title": "Anora night", "film": "anora-2024", "timezone": "Europe/London", "area": "Hackney",
        "starts_at": party.starts_at.strftime("%Y-%m-%dT%H:%M"), "add_starter": "y",
    })
    names = re.findall(r'name="items-\d+-name"[^>]*value="([^"]*)"', starter.text)
    assert "Popcorn" not in names and "Sweets" in names
    data = {
        "title": "Anora night", "film": "anora-2024", "timezone": "Europe/London", "area": "Hackney",
        "starts_at": party.starts_at.strftime("%Y-%m-%dT%H:%M"), **rows(("Ice", "supplies", "2", "")),
    }
    assert host_client.post(f"/parties/{party.id}/edit", data=data).status_code == 302
    assert [(i.name, i.quantity_needed) for i in items()] == [("Popcorn", 2), ("Ice", 2)]


# ---------------------------------------------------------------- the host's list on the dashboard


def test_host_adds_edits_reorders_and_removes_items_on_the_dashboard(host_client, party):
    base = f"/parties/{party.id}/items"
    for name, category in [("Popcorn", "snack"), ("Crisps", "snack"), ("Cola", "drink")]:
        response = host_client.post(base, data={"item-name": name, "item-category": category, "item-quantity": "2"})
        assert response.status_code == 302 and response.headers["Location"].startswith(f"/parties/{party.id}#item-")
    popcorn, crisps, cola = items()
    page = host_client.get(f"/parties/{party.id}").text
    assert "Who's bringing what" in page and "0 of 2 claimed" in page

    edit = host_client.get(f"{base}/{cola.id}/edit")
    assert edit.status_code == 200 and 'value="Cola"' in edit.text
    response = host_client.post(f"{base}/{cola.id}/edit", data={
        "name": "Sparkling water", "category": "drink", "quantity": "4", "note": "fizzy",
    })
    assert response.status_code == 302
    assert [(i.name, i.quantity_needed, i.note) for i in items()][2] == ("Sparkling water", 4, "fizzy")

    assert host_client.post(f"{base}/{crisps.id}/move", data={"direction": "up"}).status_code == 302
    assert [i.name for i in items()] == ["Crisps", "Popcorn", "Sparkling water"]
    host_client.post(f"{base}/{crisps.id}/move", data={"direction": "down"})
    host_client.post(f"{base}/{popcorn.id}/move", data={"direction": "up"})  # already first: nothing moves
    assert [i.name for i in items()] == ["Popcorn", "Crisps", "Sparkling water"]
    assert host_client.post(f"{base}/{crisps.id}/move", data={"direction": "sideways"}).status_code == 422

    assert host_client.post(f"{base}/{crisps.id}/remove").status_code == 302  # unclaimed: no question asked
    assert [i.name for i in items()] == ["Popcorn", "Sparkling water"]


def test_dashboard_add_form_refuses_bad_input_beside_the_field(host_client, party):
    base = f"/parties/{party.id}/items"
    cases = [
        ({"item-name": ""}, "item-name", "Say what it is"),
        ({"item-name": "x" * 10_000}, "item-name", "Field cannot be longer than 80 characters."),
        ({"item-name": "Pop\x07corn"}, "item-name", "Remove control characters"),
        ({"item-category": "wine"}, "item-category", "Not a valid choice"),
        ({"item-quantity": "0"}, "item-quantity", "Enter a number from 1 to 999."),
        ({"item-quantity": "-2"}, "item-quantity", "Enter a number from 1 to 999."),
        ({"item-quantity": "1000000000000"}, "item-quantity", "Enter a number from 1 to 999."),
        ({"item-quantity": "lots"}, "item-quantity", "Enter a whole number"),
        ({"item-note": "n" * 201}, "item-note", "Keep it under 200 characters."),
    ]
    for fields, field, message in cases:
        data = {"item-name": "Popcorn", "item-category": "snack", "item-quantity": "2", **fields}
        response = host_client.post(base, data=data)
        assert response.status_code == 422, fields
        assert message in field_errors(response, f"{field}-error"), (fields, field_errors(response, f"{field}-error"))
        assert "Headcount" in response.text  # the dashboard, filled in again
    assert items() == []


def test_dashboard_shows_every_claim_with_names_and_what_is_missing(app, host_client, party):
    popcorn, _ice = make_items(party, ("Popcorn", 4), ("Ice", 2, "supplies"))
    bob, _ = guest(app, party, "Bob", email="bob@example.com")
    make_claim(party, popcorn, 3, rsvp=bob, note="salted")
    make_claim(party, popcorn, 1)  # the host
    page = visible(host_client.get(f"/parties/{party.id}").text)
    signups = page[page.index("Who's bringing what"):]
    assert f"Bob {X} 3 — salted" in signups and f"You {X} 1" in signups  # the host's own claim
    assert f"Still missing 2 {X} Ice" in signups and "4 of 4 claimed" in signups
    assert "4 of 6 claimed across 2 items" in signups


def test_dashboard_hints_follow_the_headcount(app, host_client, party):
    make_items(party, ("Popcorn", 1))
    party.capacity = 20
    db.session.commit()
    page = host_client.get(f"/parties/{party.id}").text
    assert "Suggested now: about 5 bags for 20 people." in page  # nobody going yet: the capacity
    for i in range(4):
        make_reply(party, f"Guest {i}", plus_ones=2)  # 12 going
    page = host_client.get(f"/parties/{party.id}").text
    assert "Suggested now: about 3 bags for 12 people." in page
    starter = host_client.get(f"/parties/{party.id}/items/starter")
    assert starter.status_code == 200 and "suggestions for 12 people" in starter.text
    names = re.findall(r'name="items-\d+-name"[^>]*value="([^"]*)"', starter.text)
    assert "Popcorn" not in names and names[0] == "Sweets"  # already listed: left out


def test_dashboard_starter_list_saves_the_edited_rows(host_client, party):
    page = host_client.get(f"/parties/{party.id}/items/starter").text
    data = dict(re.findall(r'name="(items-\d+-(?:name|quantity|note))"[^>]*?value="([^"]*)"', page))
    data.update(dict(re.findall(r'<select[^>]*name="(items-\d+-category)"[^>]*>.*?<option selected value="(\w+)"', page, re.S)))
    data["items-0-quantity"] = "6"
    data["items-1-name"] = ""
    response = host_client.post(f"/parties/{party.id}/items/starter", data=data)
    assert response.status_code == 302
    saved = [(i.name, i.quantity_needed) for i in items()]
    assert saved[0] == ("Popcorn", 6) and "Sweets" not in dict(saved) and len(saved) == 7
    empty = host_client.post(f"/parties/{party.id}/items/starter", data={"items-0-name": ""})
    assert empty.status_code == 422 and "Every row is empty" in empty.text


def test_reducing_quantity_below_what_is_claimed_is_refused(app, host_client, party):
    (popcorn,) = make_items(party, ("Popcorn", 4))
    bob, _ = guest(app, party)
    make_claim(party, popcorn, 3, rsvp=bob)
    data = {"name": "Popcorn", "category": "snack", "quantity": "2", "note": ""}
    response = host_client.post(f"/parties/{party.id}/items/{popcorn.id}/edit", data=data)
    assert response.status_code == 409
    assert "Guests have already claimed 3, so the list needs at least 3." in field_errors(response, "quantity-error")
    assert state() == [("Popcorn", 3, 4)]
    assert host_client.post(f"/parties/{party.id}/items/{popcorn.id}/edit", data={**data, "quantity": "3"}).status_code == 302
    assert state() == [("Popcorn", 3, 3)]


def test_removing_a_claimed_item_asks_to_confirm_and_tells_the_claimers(app, host_client, party, outbox):
    popcorn, _ice = make_items(party, ("Popcorn", 4), ("Ice", 1))
    bob, _ = guest(app, party, "Bob", email="bob@example.com")
    ann, _ = guest(app, party, "Ann")  # no email: nobody to tell
    make_claim(party, popcorn, 2, rsvp=bob)
    make_claim(party, popcorn, 1, rsvp=ann)
    sent_before = len(outbox)
    dashboard = host_client.get(f"/parties/{party.id}").text
    assert f'href="/parties/{party.id}/items/{popcorn.id}/remove"' in dashboard  # a question first
    question = host_client.get(f"/parties/{party.id}/items/{popcorn.id}/remove")
    assert question.status_code == 200 and "Remove “Popcorn”?" in text_of(question)
    assert "Bob" in question.text and "Ann" in question.text
    unconfirmed = host_client.post(f"/parties/{party.id}/items/{popcorn.id}/remove")
    assert unconfirmed.status_code == 409 and "Bob and Ann signed up to bring Popcorn" in text_of(unconfirmed)
    assert len(items()) == 2 and len(claims()) == 2

    response = host_client.post(f"/parties/{party.id}/items/{popcorn.id}/remove", data={"confirm": "yes"})
    assert response.status_code == 302
    assert [i.name for i in items()] == ["Ice"] and claims() == []
    mails = outbox.messages()[sent_before:]
    assert [m["To"] for m in mails] == ["bob@example.com"]
    assert mails[0]["Subject"] == "Popcorn is off the list for Anora night"
    body = text_body(mails[0])
    assert "no need to bring the 2 you signed up for" in body
    assert f"/p/{party.share_token}/rsvp/{bob.manage_token}" in body
    assert "emailed the 1 guest" in text_of(host_client.get(f"/parties/{party.id}"))


def test_a_mail_failure_never_fails_the_removal(app_factory, tmp_path):
    app = app_factory(MAIL_SERVER="127.0.0.1", MAIL_PORT=9, MAIL_TIMEOUT=1)  # nothing listens there
    with app.app_context():
        host = make_user(email="host@example.com")
        party = make_party(host, make_film())
        (popcorn,) = make_items(party, ("Popcorn", 2))
        bob = make_reply(party, "Bob", email="bob@example.com")
        make_claim(party, popcorn, 1, rsvp=bob)
        client = app.test_client()
        log_in(client, email="host@example.com")
        response = client.post(f"/parties/{party.id}/items/{popcorn.id}/remove", data={"confirm": "yes"})
        assert response.status_code == 302
        assert items() == [] and claims() == []


def test_host_item_routes_are_the_hosts_alone(app, host, party, film):
    (popcorn,) = make_items(party, "Popcorn")
    other_party = make_party(host, film, title="Other night")
    (theirs,) = make_items(other_party, "Crisps")
    make_user(email="other@example.com", display_name="Other")
    stranger = app.test_client()
    log_in(stranger, email="other@example.com")
    anonymous = app.test_client()
    _, cookie_guest = guest(app, party)
    base = f"/parties/{party.id}/items"
    routes = [
        ("POST", base, {"item-name": "Hacked", "item-quantity": "1"}),
        ("GET", f"{base}/{popcorn.id}/edit", {}),
        ("POST", f"{base}/{popcorn.id}/edit", {"name": "Hacked", "category": "snack", "quantity": "1"}),
        ("POST", f"{base}/{popcorn.id}/move", {"direction": "down"}),
        ("GET", f"{base}/{popcorn.id}/remove", {}),
        ("POST", f"{base}/{popcorn.id}/remove", {"confirm": "yes"}),
        ("GET", f"{base}/starter", {}),
        ("POST", f"{base}/starter", {"items-0-name": "Hacked"}),
    ]
    for method, path, data in routes:
        assert stranger.open(path, method=method, data=data).status_code == 404, path
        for client in (anonymous, cookie_guest):
            response = client.open(path, method=method, data=data)
            assert response.status_code == 302 and "/accounts/login" in response.headers["Location"], path
    owner = app.test_client()
    log_in(owner, email="host@example.com")
    # An item of the host's other party, through this party's URL: 404.
    for path in [f"{base}/{theirs.id}/edit", f"{base}/{theirs.id}/remove"]:
        assert owner.get(path).status_code == 404
        assert owner.post(path, data={"name": "x", "quantity": "1", "confirm": "yes"}).status_code == 404
    assert owner.post(f"{base}/{theirs.id}/move", data={"direction": "up"}).status_code == 404
    assert [(i.name, i.party_id) for i in items()] == [("Popcorn", party.id), ("Crisps", other_party.id)]


# ---------------------------------------------------------------- claiming


def test_a_guest_claims_changes_and_releases_a_claim(app, party):
    (popcorn,) = make_items(party, ("Popcorn", 4))
    _bob, client = guest(app, party)
    response = claim(client, party, popcorn, "2", "salted")
    assert response.status_code == 302 and response.headers["Location"] == f"/p/{party.share_token}#item-{popcorn.id}"
    assert state() == [("Popcorn", 2, 4)]
    page = text_of(client.get(f"/p/{party.share_token}"))
    assert f"You're bringing 2 {X} Popcorn" in page and "2 of 4 claimed" in page
    assert '<progress max="4" value="2"' in page
    assert re.search(rf"You</strong> {X} 2\s*<span class=\"muted\">— salted", page)

    assert claim(client, party, popcorn, "4").status_code == 302
    assert state() == [("Popcorn", 4, 4)] and len(claims()) == 1  # changed, not a second claim
    assert claim(client, party, popcorn, "1").status_code == 302
    assert state() == [("Popcorn", 1, 4)]

    (mine,) = claims()
    response = client.post(f"/p/{party.share_token}/claims/{mine.id}/delete")
    assert response.status_code == 302
    assert state() == [("Popcorn", 0, 4)] and claims() == []
    assert "Popcorn is back on the list" in text_of(client.get(f"/p/{party.share_token}"))


def test_claims_beyond_what_is_needed_are_refused_with_the_numbers(app, party):
    (popcorn,) = make_items(party, ("Popcorn", 5))
    _ann, ann_client = guest(app, party, "Ann")
    _bob, bob_client = guest(app, party, "Bob")
    assert claim(ann_client, party, popcorn, "3").status_code == 302
    response = claim(bob_client, party, popcorn, "3")
    assert response.status_code == 409
    assert field_errors(response, f"claim-{popcorn.id}-quantity-error") == "Only 2 left."
    assert 'value="3"' in response.text  # the form stays filled
    assert claim(bob_client, party, popcorn, "2").status_code == 302
    response = claim(bob_client, party, popcorn, "3")  # Bob has 2 and wants 3: nothing is free
    assert response.status_code == 409
    assert field_errors(response, f"claim-{popcorn.id}-quantity-error") == "All 5 are taken — you're down for 2."
    _carl, carl_client = guest(app, party, "Carl")
    response = claim(carl_client, party, popcorn, "1")
    assert response.status_code == 409 and field_errors(response, f"claim-{popcorn.id}-quantity-error") == "All 5 are taken."
    # Ann gives one back; Bob may now have up to 3.
    ann_client.post(f"/p/{party.share_token}/items/{popcorn.id}/claim", data={"quantity": "2"})
    response = claim(bob_client, party, popcorn, "4")
    assert response.status_code == 409
    assert field_errors(response, f"claim-{popcorn.id}-quantity-error") == "Only 1 more left — you can bring up to 3."
    assert state() == [("Popcorn", 4, 5)]


def test_maybe_guests_and_the_host_may_claim(app, host_client, party):
    (popcorn,) = make_items(party, ("Popcorn", 4))
    _, maybe_client = guest(app, party, "Mia", "maybe")
    assert claim(maybe_client, party, popcorn, "1").status_code == 302
    assert claim(host_client, party, popcorn, "2", "from the corner shop").status_code == 302
    assert claim(host_client, party, popcorn, "1").status_code == 302  # the host changes theirs
    host_claim = next(c for c in claims() if c.rsvp_id is None)
    assert (host_claim.user_id, host_claim.quantity) == (party.host_id, 1)
    assert state() == [("Popcorn", 2, 4)]
    page = text_of(host_client.get(f"/p/{party.share_token}"))
    assert "Mia" in page  # the host always sees who brings what
    assert host_client.post(f"/p/{party.share_token}/claims/{host_claim.id}/delete").status_code == 302
    assert state() == [("Popcorn", 1, 4)]


def test_who_may_not_claim_is_refused_and_nothing_is_written(app, host, film, party):
    (popcorn,) = make_items(party, ("Popcorn", 4))
    visitor = app.test_client()
    _, declined = guest(app, party, "Dee", "declined")
    full = make_party(host, film, title="Full night", capacity=1)
    make_reply(full, "Seated")
    (their_item,) = make_items(full, "Crisps")
    _, waitlisted = guest(app, full, "Wendy")
    # A guest of another party: their cookie is for that party only.
    other = make_party(host, film, title="Another night")
    _, outsider = guest(app, other, "Olga")
    make_user(email="user@example.com", display_name="Logged In")
    logged_in = app.test_client()
    log_in(logged_in, email="user@example.com")

    cases = [
        (visitor, party, popcorn, "Reply going or maybe first"),
        (declined, party, popcorn, "You said you can't make it"),
        (waitlisted, full, their_item, "You're on the waitlist"),
        (outsider, party, popcorn, "Reply going or maybe first"),
        (logged_in, party, popcorn, "Reply going or maybe first"),
    ]
    for client, which, item, message in cases:
        response = claim(client, which, item, "1")
        assert response.status_code == 403, message
        assert message in top_error(response), (message, top_error(response))
        response = add(client, which, name="Cheesecake")
        assert response.status_code == 403 and message in top_error(response)
    assert claims() == [] and [i.name for i in items()] == ["Popcorn", "Crisps"]


def test_an_item_of_another_party_is_404(app, host, film, party):
    (popcorn,) = make_items(party, "Popcorn")
    other = make_party(host, film, title="Other night")
    (crisps,) = make_items(other, "Crisps")
    _, client = guest(app, party)
    assert claim(client, party, crisps, "1").status_code == 404
    assert client.post(f"/p/{party.share_token}/items/999999/claim", data={"quantity": "1"}).status_code == 404
    assert client.post(f"/p/{party.share_token}/items/99999999999/claim", data={"quantity": "1"}).status_code == 404
    assert client.post(f"/p/{other.share_token}/items/{popcorn.id}/claim", data={"quantity": "1"}).status_code == 404
    assert claims() == []


def test_releasing_someone_elses_claim_is_404(app, host_client, host, film, party):
    (popcorn,) = make_items(party, ("Popcorn", 4))
    ann, _ann_client = guest(app, party, "Ann")
    _, bob_client = guest(app, party, "Bob")
    anns = make_claim(party, popcorn, 1, rsvp=ann)
    hosts = make_claim(party, popcorn, 1)
    for claim_id in (anns.id, hosts.id, 999999):
        assert bob_client.post(f"/p/{party.share_token}/claims/{claim_id}/delete").status_code == 404
        assert app.test_client().post(f"/p/{party.share_token}/claims/{claim_id}/delete").status_code == 404
    other = make_party(host, film, title="Other night")
    # The right claim through another party's link: 404 too.
    assert host_client.post(f"/p/{other.share_token}/claims/{anns.id}/delete").status_code == 404
    assert state() == [("Popcorn", 2, 4)]
    # The host may release anyone's claim, and goes back where they came from.
    response = host_client.post(f"/p/{party.share_token}/claims/{anns.id}/delete", data={"next": f"/parties/{party.id}"})
    assert response.status_code == 302 and response.headers["Location"] == f"/parties/{party.id}#signups"
    unsafe = host_client.post(f"/p/{party.share_token}/claims/{hosts.id}/delete", data={"next": "https://evil.example/"})
    assert unsafe.headers["Location"] == f"/p/{party.share_token}#signups"
    assert state() == [("Popcorn", 0, 4)]


BAD_CLAIMS = [
    ({"quantity": "0"}, "quantity", "Enter a number from 1 to 999."),
    ({"quantity": "-1"}, "quantity", "Enter a number from 1 to 999."),
    ({"quantity": "1000000000000"}, "quantity", "Enter a number from 1 to 999."),
    ({"quantity": "two"}, "quantity", "Enter a whole number, like 2."),
    ({"quantity": "9" * 5000}, "quantity", "Enter a whole number, like 2."),
    ({"quantity": ""}, "quantity", "How many will you bring?"),
    ({"quantity": "1", "note": "x" * 10_000}, "note", "Keep it under 200 characters."),
    ({"quantity": "1", "note": "hi\x00"}, "note", "Remove control characters"),
    ({"quantity": "1", "note": "hi\nthere"}, "note", "Remove control characters"),
]


def test_bad_claims_are_refused_beside_the_field_and_change_nothing(app, party):
    (popcorn,) = make_items(party, ("Popcorn", 4))
    _, client = guest(app, party)
    for data, field, message in BAD_CLAIMS:
        response = client.post(f"/p/{party.share_token}/items/{popcorn.id}/claim", data=data)
        assert response.status_code == 422, data
        assert message in field_errors(response, f"claim-{popcorn.id}-{field}-error"), data
    assert claims() == [] and state() == [("Popcorn", 0, 4)]


BAD_ITEMS = [
    ({"name": ""}, "name", "Say what it is"),
    ({"name": "x" * 10_000}, "name", "Field cannot be longer than 80 characters."),
    ({"name": "Cake\x1b[31m"}, "name", "Remove control characters"),
    ({"category": "wine"}, "category", "Not a valid choice"),
    ({"quantity": "0"}, "quantity", "Enter a number from 1 to 999."),
    ({"quantity": "-3"}, "quantity", "Enter a number from 1 to 999."),
    ({"quantity": "1000000000000"}, "quantity", "Enter a number from 1 to 999."),
    ({"quantity": "1e3"}, "quantity", "Enter a whole number"),
    ({"note": "y" * 10_000}, "note", "Keep it under 200 characters."),
]


def test_bad_items_from_the_party_page_are_refused_and_change_nothing(app, party):
    _, client = guest(app, party)
    for fields, field, message in BAD_ITEMS:
        response = add(client, party, **fields)
        assert response.status_code == 422, fields
        assert message in field_errors(response, f"add-item-{field}-error"), (fields, field_errors(response, f"add-item-{field}-error"))
    assert items() == [] and claims() == []


def test_a_guest_adds_their_own_item_which_is_theirs_to_bring(app, host_client, party):
    party.guest_list_visible = False  # the host hides the guest list (shown by default)
    db.session.commit()
    make_items(party, ("Popcorn", 2))
    bob, client = guest(app, party, "Bob")
    response = add(client, party, name="Cheesecake", category="snack", quantity="1", note="contains nuts")
    assert response.status_code == 302
    _popcorn, cake = items()
    assert (cake.name, cake.note, cake.added_by_rsvp_id, cake.claimed, cake.quantity_needed) == (
        "Cheesecake", "contains nuts", bob.id, 1, 1,
    )
    assert [(c.item_id, c.rsvp_id, c.quantity) for c in claims()] == [(cake.id, bob.id, 1)]
    assert "added by you" in text_of(client.get(f"/p/{party.share_token}"))
    _, ann = guest(app, party, "Ann")
    assert "added by a guest" in text_of(ann.get(f"/p/{party.share_token}"))  # names hidden with the list
    assert "added by Bob" in text_of(host_client.get(f"/p/{party.share_token}"))
    # The host adds from the party page too: a need on the list, claimed by nobody.
    assert add(host_client, party, name="Ice", category="supplies", quantity="2").status_code == 302
    assert state() == [("Popcorn", 0, 2), ("Cheesecake", 1, 1), ("Ice", 0, 2)]
    # Bob changes his mind: his own item goes with his claim.
    (mine,) = claims()
    client.post(f"/p/{party.share_token}/claims/{mine.id}/delete")
    assert state() == [("Popcorn", 0, 2), ("Ice", 0, 2)]


def test_declining_withdrawing_or_being_removed_releases_claims(app, host_client, party):
    popcorn, ice = make_items(party, ("Popcorn", 6), ("Ice", 2))
    ann, ann_client = guest(app, party, "Ann")
    bob, bob_client = guest(app, party, "Bob")
    cat, cat_client = guest(app, party, "Cat", "maybe")
    for _rsvp, client in ((ann, ann_client), (bob, bob_client), (cat, cat_client)):
        assert claim(client, party, popcorn, "2").status_code == 302
    assert add(bob_client, party, name="Cheesecake").status_code == 302
    assert claim(ann_client, party, ice, "1").status_code == 302
    assert [row[1] for row in state()] == [6, 1, 1]

    # Ann changes her reply to "can't make it".
    data = {"name": "Ann", "response": "declined"}
    assert ann_client.post(f"/p/{party.share_token}/rsvp/{ann.manage_token}", data=data).status_code == 302
    assert state() == [("Popcorn", 4, 6), ("Ice", 0, 2), ("Cheesecake", 1, 1)]
    # Bob withdraws: his claim goes, and so does the cheesecake only he was bringing.
    assert bob_client.post(f"/p/{party.share_token}/rsvp/{bob.manage_token}/withdraw").status_code == 302
    assert state() == [("Popcorn", 2, 6), ("Ice", 0, 2)]
    # The host removes Cat.
    assert host_client.post(f"/parties/{party.id}/guests/{cat.id}/remove").status_code == 302
    assert state() == [("Popcorn", 0, 6), ("Ice", 0, 2)] and claims() == []


def test_a_removed_guests_item_that_others_bring_stays_on_the_hosts_list(app, host_client, party):
    bob, bob_client = guest(app, party, "Bob")
    assert add(bob_client, party, name="Pizza", quantity="3").status_code == 302
    (pizza,) = items()
    (_bobs,) = claims()
    bob_client.post(f"/p/{party.share_token}/items/{pizza.id}/claim", data={"quantity": "1"})
    _, ann_client = guest(app, party, "Ann")
    assert claim(ann_client, party, pizza, "2").status_code == 302
    assert host_client.post(f"/parties/{party.id}/guests/{bob.id}/remove").status_code == 302
    (pizza,) = items()
    assert (pizza.claimed, pizza.added_by_rsvp_id) == (2, None)
    assert state() == [("Pizza", 2, 3)]


def test_a_maybe_who_joins_the_waitlist_gives_their_claims_back(app, party):
    party.capacity = 1
    db.session.commit()
    (popcorn,) = make_items(party, ("Popcorn", 2))
    make_reply(party, "Seated")
    mia, client = guest(app, party, "Mia", "maybe")
    assert claim(client, party, popcorn, "2").status_code == 302
    response = client.post(f"/p/{party.share_token}/rsvp/{mia.manage_token}", data={"name": "Mia", "response": "going"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Rsvp, mia.id).state == "waitlisted"
    assert state() == [("Popcorn", 0, 2)]


def test_sign_ups_close_with_replies(app, host_client, host, film):
    # Cancelled first, on a party of its own: the clock only moves forward in this test
    # (a session cookie signed in the future is no good in the past).
    cancelled = make_party(host, film, title="Called off")
    (crisps,) = make_items(cancelled, "Crisps")
    _, ann_client = guest(app, cancelled, "Ann")
    cancelled.status = "cancelled"
    db.session.commit()
    response = claim(ann_client, cancelled, crisps, "1")
    assert response.status_code == 409 and "The party is cancelled" in top_error(response)
    assert claim(host_client, cancelled, crisps, "1").status_code == 409

    party = make_party(host, film, starts_in=timedelta(days=3))
    party.rsvp_deadline = party.starts_at - timedelta(days=1)
    db.session.commit()
    (popcorn,) = make_items(party, ("Popcorn", 5))
    bob, client = guest(app, party)
    early = make_claim(party, popcorn, 1, rsvp=bob)
    with time_machine.travel(party.rsvp_deadline + timedelta(minutes=1), tick=False):
        response = claim(client, party, popcorn, "2")
        assert response.status_code == 409 and "Sign-ups closed with replies at the RSVP deadline" in top_error(response)
        assert add(client, party, name="Cake").status_code == 409
        assert client.post(f"/p/{party.share_token}/claims/{early.id}/delete").status_code == 409
        page = client.get(f"/p/{party.share_token}").text
        assert "claim-form" not in page and "add-item-form" not in page
        # The host keeps the list in shape until the party starts.
        assert claim(host_client, party, popcorn, "1").status_code == 302
    with time_machine.travel(party.starts_at, tick=False):
        response = claim(host_client, party, popcorn, "2")
        assert response.status_code == 409 and "The party has started" in top_error(response)
        assert host_client.post(f"/parties/{party.id}/items/{popcorn.id}/remove", data={"confirm": "yes"}).status_code == 409
    assert state() == [("Crisps", 0, 1), ("Popcorn", 2, 5)]


# ---------------------------------------------------------------- what the party page shows


def test_party_page_shows_still_needed_then_items_by_category(app, party):
    popcorn, cola, _cups = make_items(party, ("Popcorn", 4), ("Cola", 2, "drink"), ("Cups", 3, "supplies"))
    bob, _client = guest(app, party)
    make_claim(party, popcorn, 2, rsvp=bob)
    make_claim(party, cola, 2, rsvp=bob)
    page = text_of(app.test_client().get(f"/p/{party.share_token}"))
    board = " ".join(page[page.index("Who's bringing what"):].split())
    assert board.index("Still needed") < board.index("Snacks") < board.index("Drinks") < board.index("Supplies")
    needed = board[board.index("Still needed"):board.index("Snacks")]
    assert f"2 {X} Popcorn" in needed and f"3 {X} Cups" in needed and "Cola" not in needed
    assert "2 of 4 claimed" in board and "2 of 2 claimed" in board and "0 of 3 claimed" in board
    assert "Reply going or maybe first" in board and "claim-form" not in page  # a visitor sees, cannot claim


def test_names_follow_the_guest_list_setting_and_the_host_sees_all(app, host_client, party):
    party.guest_list_visible = False  # the host hides the guest list (shown by default)
    db.session.commit()
    (popcorn,) = make_items(party, ("Popcorn", 4))
    ann, _ann_client = guest(app, party, "Annabel")
    bob, bob_client = guest(app, party, "Bartholomew")
    make_claim(party, popcorn, 1, rsvp=ann, note="caramel")
    make_claim(party, popcorn, 2, rsvp=bob)
    visitor = app.test_client()
    page = text_of(bob_client.get(f"/p/{party.share_token}"))
    assert "Annabel" not in page and "caramel" not in page and "1 more guest" in page
    assert "Annabel" not in text_of(visitor.get(f"/p/{party.share_token}"))
    assert "Annabel" in text_of(host_client.get(f"/p/{party.share_token}"))
    assert "Annabel" in text_of(host_client.get(f"/parties/{party.id}"))
    party.guest_list_visible = True
    db.session.commit()
    page = text_of(bob_client.get(f"/p/{party.share_token}"))
    assert "Annabel" in page and "caramel" in page
    assert "Annabel" not in text_of(visitor.get(f"/p/{party.share_token}"))  # not replied: no names


def test_hostile_item_names_and_notes_are_escaped(app, host_client, party):
    assert add(host_client, party, name="<script>alert(1)</script>", note='"><img src=x>').status_code == 302
    page = host_client.get(f"/p/{party.share_token}").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x>" not in page
    dashboard = host_client.get(f"/parties/{party.id}").text
    assert "<script>alert(1)</script>" not in dashboard


def test_the_manage_page_shows_the_list_and_sends_the_guest_back_there(app, party):
    (popcorn,) = make_items(party, ("Popcorn", 4))
    bob, client = guest(app, party)
    manage = f"/p/{party.share_token}/rsvp/{bob.manage_token}"
    page = client.get(manage).text
    assert "Who's bringing what" in page and f'name="next" value="{manage}"' in page
    assert "Add it on the party page" in text_of(client.get(manage))
    response = claim(client, party, popcorn, "1", next=manage)
    assert response.headers["Location"] == f"{manage}#item-{popcorn.id}"


# ---------------------------------------------------------------- the database's rules


def test_the_database_refuses_more_claimed_than_needed_and_bad_quantities(party):
    (popcorn,) = make_items(party, ("Popcorn", 2))
    table = SignupItem.__table__
    for values in ({"claimed": 3}, {"claimed": -1}, {"quantity_needed": 0}, {"category": "wine"}):
        with pytest.raises(IntegrityError):
            db.session.execute(sa.update(table).where(table.c.id == popcorn.id).values(**values))
            db.session.flush()
        db.session.rollback()
    bob = make_reply(party, "Bob")
    for values in ({"quantity": 0}, {"quantity": 1, "user_id": party.host_id}):  # a guest's or the host's, not both
        with pytest.raises(IntegrityError):
            db.session.execute(sa.insert(Claim).values(item_id=popcorn.id, rsvp_id=bob.id, note="", **values))
            db.session.flush()
        db.session.rollback()


def test_one_claim_per_guest_and_item_is_unique_in_the_database(party):
    (popcorn,) = make_items(party, ("Popcorn", 5))
    bob = make_reply(party, "Bob")
    make_claim(party, popcorn, 1, rsvp=bob)
    make_claim(party, popcorn, 1)
    for values in ({"rsvp_id": bob.id}, {"user_id": party.host_id}):
        with pytest.raises(IntegrityError):
            db.session.execute(sa.insert(Claim).values(item_id=popcorn.id, quantity=1, note="", **values))
            db.session.flush()
        db.session.rollback()


def test_deleting_a_party_deletes_its_items_and_claims(party):
    (popcorn,) = make_items(party, ("Popcorn", 5))
    make_claim(party, popcorn, 2, rsvp=make_reply(party, "Bob"))
    make_claim(party, popcorn, 1)
    db.session.execute(sa.delete(Party).where(Party.id == party.id))
    db.session.commit()
    assert items() == [] and claims() == []


def test_a_deleted_host_account_leaves_its_claims_and_the_counter_right(client, host, party):
    (popcorn,) = make_items(party, ("Popcorn", 5))
    make_claim(party, popcorn, 2)
    log_in(client, email="host@example.com")
    assert client.post("/accounts/delete", data={"password": "correct horse battery"}).status_code == 302
    (kept,) = claims()
    assert (kept.rsvp_id, kept.user_id, kept.quantity) == (None, None, 2)
    assert state() == [("Popcorn", 2, 5)]
    assert f"The host {X} 2" in visible(client.get(f"/p/{party.share_token}").text)


def test_services_take_an_injected_clock(party):
    (popcorn,) = make_items(party, ("Popcorn", 5))
    bob = make_reply(party, "Bob")
    with pytest.raises(service.SignupsClosed):
        service.claim_item(party, Viewer(party, rsvp=bob), popcorn.id, 1, now=party.starts_at)
    db.session.rollback()
    assert party_phase(party, party.starts_at - timedelta(minutes=1)).closed_reason("signups") is None


# ---------------------------------------------------------------- limits and speed


def test_rate_limit_on_sign_ups(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_RSVP="3 per minute")
    with app.app_context():
        host = make_user(email="host@example.com")
        party = make_party(host, make_film())
        (popcorn,) = make_items(party, ("Popcorn", 99))
        bob = make_reply(party, "Bob")
        token, item_id, manage = party.share_token, popcorn.id, bob.manage_token
    client = app.test_client()
    client.get(f"/p/{token}/rsvp/{manage}")
    statuses = [client.post(f"/p/{token}/items/{item_id}/claim", data={"quantity": str(i + 1)}).status_code
                for i in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert client.get(f"/p/{token}").status_code == 200


def test_every_sign_up_form_carries_a_csrf_token_and_claiming_works_with_it(app_factory):
    from tests.conftest import csrf_token_from

    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        host = make_user(email="host@example.com")
        party = make_party(host, make_film())
        popcorn, ice = make_items(party, ("Popcorn", 3), ("Ice", 1))
        bob = make_reply(party, "Bob")
        make_claim(party, ice, 1, rsvp=bob)
        token, item_id, manage = party.share_token, popcorn.id, bob.manage_token
    client = app.test_client()
    client.get(f"/p/{token}/rsvp/{manage}")
    page = client.get(f"/p/{token}").text
    forms = [form for form in re.findall(r"<form\b.*?</form>", page, re.S) if 'method="post"' in form]
    assert any("/claim" in form for form in forms) and any("/delete" in form for form in forms)
    assert any(f'action="/p/{token}/items"' in form for form in forms)
    assert all('name="csrf_token"' in form for form in forms)
    assert client.post(f"/p/{token}/items/{item_id}/claim", data={"quantity": "1"}).status_code == 400
    response = client.post(f"/p/{token}/items/{item_id}/claim", data={"quantity": "1", "csrf_token": csrf_token_from(page)})
    assert response.status_code == 302


def count_page_queries(client, path, count_queries) -> int:
    with count_queries() as statements:
        assert client.get(path).status_code == 200
    return len([s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "PRAGMA"))])


def test_party_page_and_dashboard_queries_do_not_grow_with_items_and_claims(app, host, film, count_queries):
    party = make_party(host, film, capacity=None, guest_list_visible=True)
    token, party_id = party.share_token, party.id
    (first,) = make_items(party, ("Popcorn", 50))
    viewer = make_reply(party, "Viewer")
    guest_client = app.test_client()
    guest_client.get(f"/p/{token}/rsvp/{viewer.manage_token}")
    host_client = app.test_client()
    log_in(host_client, email="host@example.com")
    small = (count_page_queries(guest_client, f"/p/{token}", count_queries),
             count_page_queries(host_client, f"/p/{token}", count_queries),
             count_page_queries(host_client, f"/parties/{party_id}", count_queries))

    more = make_items(party, *[(f"Thing {i}", 9, ("snack", "drink", "supplies", "other")[i % 4]) for i in range(14)])
    guests = [make_reply(party, f"Guest {i}", "going" if i % 3 else "maybe") for i in range(13)]
    make_claim(party, first, 1, rsvp=viewer)
    make_claim(party, first, 1)  # the host
    for i, item in enumerate(more):
        for rsvp in guests[i % 5: i % 5 + 3]:  # 3 claims per item → 42, plus the two above
            make_claim(party, item, 1, rsvp=rsvp, note=f"note {i}")
        if i == 0:
            make_claim(party, item, 1)
    assert len(items()) == 15 and len(claims()) >= 40
    large = (count_page_queries(guest_client, f"/p/{token}", count_queries),
             count_page_queries(host_client, f"/p/{token}", count_queries),
             count_page_queries(host_client, f"/parties/{party_id}", count_queries))
    assert small == large, (small, large)
    assert "Thing 13" in guest_client.get(f"/p/{token}").text


def test_demo_party_has_a_sign_up_list(runner, app):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    if "skipped the demo party" in result.output:
        pytest.skip("no demo film")
    listed = {name: (claimed, needed) for name, claimed, needed in state()}
    assert len(listed) == 9 and listed["Homemade brownies"] == (1, 1)
    assert listed["Popcorn"][0] == 2 and listed["Soft drinks"][0] == 2 and listed["Cups"][0] == 1
    assert len(claims()) == 4


def test_sign_up_pages_have_no_inline_script_or_style(app, host_client, party):
    popcorn, _ice = make_items(party, ("Popcorn", 4), ("Ice", 1))
    bob, client = guest(app, party)
    make_claim(party, popcorn, 1, rsvp=bob)
    pages = [
        (client, f"/p/{party.share_token}"),
        (client, f"/p/{party.share_token}/rsvp/{bob.manage_token}"),
        (host_client, f"/p/{party.share_token}"),
        (host_client, f"/parties/{party.id}"),
        (host_client, f"/parties/{party.id}/items/{popcorn.id}/edit"),
        (host_client, f"/parties/{party.id}/items/{popcorn.id}/remove"),
        (host_client, f"/parties/{party.id}/items/starter"),
    ]
    for viewer, path in pages:
        html = viewer.get(path).text
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag, (path, tag)
        assert not re.search(r"\son[a-z]+=", html), path
        assert "style=" not in html, path


def test_what_each_guest_brings_is_listed_for_their_reminder(party):
    popcorn, ice = make_items(party, ("Popcorn", 4), ("Ice", 2))
    ann, bob = make_reply(party, "Ann"), make_reply(party, "Bob")
    make_claim(party, ice, 1, rsvp=ann)
    make_claim(party, popcorn, 2, rsvp=ann, note="salted")
    make_claim(party, popcorn, 1, rsvp=bob)
    make_claim(party, ice, 1)  # the host's: no reminder
    bringing = board.claims_by_rsvp(party)
    assert set(bringing) == {ann.id, bob.id}
    assert [(b.item_name, b.quantity, b.note) for b in bringing[ann.id]] == [("Popcorn", 2, "salted"), ("Ice", 1, "")]
