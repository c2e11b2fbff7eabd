"""Host again (issue #20, part 6): a new party form filled from an old party, and
"Invite the same guests", which emails everyone who came — and nobody else."""

from datetime import timedelta
from html import unescape
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token_from
from tests.factories import log_in, make_film, make_items, make_reply, make_user
from watchparty.extensions import db
from watchparty.models import Invitation, Party, SignupItem, utcnow


@pytest.fixture
def old(party):
    """Anora night with a place, settings, a description, a list and every kind of reply."""
    party.area, party.address = "Hackney, London", "12 Secret Street, London E8"
    party.online_url, party.screening_notes = "https://meet.example.com/anora", "English subtitles; step-free"
    party.capacity, party.max_plus_ones, party.guest_list_visible = 4, 1, True
    party.show_address_to_guests = False
    party.description = "Bring a cushion. <b>Really</b>."
    db.session.commit()
    make_items(party, ("Popcorn", 3), ("Lemonade", 2, "drink"))
    gina = make_reply(party, "Gina Guest", email="gina@example.com", plus_ones=1)
    make_reply(party, "Gus Going", email="gus@example.com")
    otto = make_reply(party, "Otto Optout", email="otto@example.com")
    otto.emails_stopped = True
    db.session.commit()
    make_reply(party, "Walt Waiting", email="walt@example.com")  # the party is full: waitlisted
    make_reply(party, "Mia Maybe", email="mia@example.com", response="maybe")
    make_reply(party, "Dan Declined", email="dan@example.com", response="declined")
    make_reply(party, "Nora No-email")
    # A guest's own addition is theirs, not the host's list.
    from watchparty.rsvp.service import Viewer
    from watchparty.signups import items as signup_items

    signup_items.add_item(party, Viewer(party, rsvp=gina), signup_items.ItemFields(name="Gina's cheesecake"))
    db.session.commit()
    return party


def form_data(page: str, **fields) -> dict:
    """What the browser would post: the new film, date and title, with the pre-filled values kept."""
    data = {
        "csrf_token": csrf_token_from(page),
        "title": "Anora night, again",
        "film": "parasite-2019",
        "starts_at": (utcnow() + timedelta(days=14)).strftime("%Y-%m-%dT20:00"),
        "timezone": "Europe/London",
        "area": "Hackney, London",
        "address": "12 Secret Street, London E8",
        "online_url": "",
        "screening_notes": "",
        "capacity": "4",
        "max_plus_ones": "1",
        "description": "",
        "items-0-name": "Popcorn", "items-0-category": "snack", "items-0-quantity": "3", "items-0-note": "",
        "items-1-name": "Lemonade", "items-1-category": "drink", "items-1-quantity": "2", "items-1-note": "",
    }
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def invitations(outbox, title="Anora night, again") -> list[str]:
    return sorted(message["To"] for message in outbox.messages() if message["Subject"] == f"You're invited: {title}")


class FormValues(HTMLParser):
    """What a browser would send from the page's form fields: {name: value}; ticked boxes only."""

    def __init__(self, html: str):
        super().__init__()
        self.values: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "hidden"):
            if attrs.get("type") != "checkbox" or "checked" in attrs:
                self.values[name] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            # As browsers do: a newline right after <textarea> is not part of the value.
            text = self.values[self._textarea]
            self.values[self._textarea] = text[2:] if text.startswith("\r\n") else text.removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def test_host_again_fills_the_form_with_the_place_settings_and_list_but_not_film_or_date(host_client, old):
    response = host_client.get(f"/parties/{old.id}/again")
    assert response.status_code == 200
    assert "Host again" in response.text and f'action="/parties/{old.id}/again"' in response.text
    values = FormValues(response.text).values
    assert {name: values.get(name) for name in (
        "area", "address", "online_url", "screening_notes", "capacity", "max_plus_ones", "description", "timezone",
        "guest_list_visible", "show_address_to_guests",
    )} == {
        "area": "Hackney, London", "address": "12 Secret Street, London E8",
        "online_url": "https://meet.example.com/anora", "screening_notes": "English subtitles; step-free",
        "capacity": "4", "max_plus_ones": "1", "description": "Bring a cushion. <b>Really</b>.",
        "timezone": "Europe/London", "guest_list_visible": "y", "show_address_to_guests": None,  # off, as before
    }
    assert [(values[f"items-{n}-name"], values[f"items-{n}-quantity"], values[f"items-{n}-category"])
            for n in (0, 1)] == [("Popcorn", "3", "snack"), ("Lemonade", "2", "drink")]
    assert values["items-2-name"] == ""  # then blank rows; the guest's cheesecake stays theirs
    assert "Gina's cheesecake" not in unescape(response.text)
    # Film, date and title are the host's to choose; the tick starts off.
    assert (values["film"], values["starts_at"], values["title"]) == ("", "", "")
    assert "invite_same_guests" not in values
    assert "the 2 guests who came to Anora night" in unescape(response.text)


def test_only_the_host_may_host_again(app, client, old):
    assert client.get(f"/parties/{old.id}/again").status_code == 302  # to the login page
    make_user(email="other@example.com")
    other = app.test_client()
    log_in(other, email="other@example.com")
    assert other.get(f"/parties/{old.id}/again").status_code == 404
    assert other.post(f"/parties/{old.id}/again", data={}).status_code == 404
    assert other.get("/parties/99999999999999/again").status_code == 404


def test_the_dashboard_offers_host_again(host_client, old):
    assert f'href="/parties/{old.id}/again"' in host_client.get(f"/parties/{old.id}").text


def test_invite_the_same_guests_emails_each_guest_who_came_once(app, host_client, old, outbox):
    make_film("Parasite", 2019, runtime_minutes=132)
    page = host_client.get(f"/parties/{old.id}/again").text
    response = host_client.post(f"/parties/{old.id}/again", data=form_data(page, invite_same_guests="y"))
    assert response.status_code == 302, response.text
    new = db.session.scalar(sa.select(Party).where(Party.id != old.id))
    assert response.location == f"/parties/{new.id}"
    assert (new.title, new.film.slug, new.capacity, new.max_plus_ones) == ("Anora night, again", "parasite-2019", 4, 1)
    items = db.session.scalars(sa.select(SignupItem).where(SignupItem.party_id == new.id).order_by(SignupItem.position))
    assert [(item.name, item.quantity_needed, item.category) for item in items] == [
        ("Popcorn", 3, "snack"), ("Lemonade", 2, "drink")]
    # Gina and Gus came. Not Otto (stopped emails), Walt (waitlisted), Mia (maybe), Dan (declined), Nora (no address).
    assert invitations(outbox) == ["gina@example.com", "gus@example.com"]
    message = outbox.messages()[-1]
    assert f"/p/{new.share_token}/invitations/" in message["List-Unsubscribe"]  # each with its stop link
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)
                             .where(Invitation.party_id == new.id)) == 2
    assert "invitation to the 2 guests who came" in unescape(host_client.get(response.location).text)


def test_without_the_tick_nobody_is_invited(app, host_client, old, outbox):
    make_film("Parasite", 2019, runtime_minutes=132)
    page = host_client.get(f"/parties/{old.id}/again").text
    assert host_client.post(f"/parties/{old.id}/again", data=form_data(page)).status_code == 302
    assert invitations(outbox) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Party)) == 2


def test_an_unverified_host_confirms_by_code_before_hosting_again(app, host, host_client, old, outbox):
    host.email_verified_at = None
    db.session.commit()
    make_film("Parasite", 2019, runtime_minutes=132)
    page = host_client.get(f"/parties/{old.id}/again").text
    response = host_client.post(f"/parties/{old.id}/again", data=form_data(page, invite_same_guests="y"))
    assert response.status_code == 302 and response.location.startswith("/accounts/code")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Party)) == 1, "nothing published yet"
    assert invitations(outbox) == []


def test_a_refused_form_comes_back_filled_with_the_tick_and_sends_nothing(app, host_client, old, outbox):
    page = host_client.get(f"/parties/{old.id}/again").text
    response = host_client.post(f"/parties/{old.id}/again", data=form_data(page, film="", invite_same_guests="y"))
    assert response.status_code == 422
    assert "Type the title of the film, or pick it from the list." in response.text
    values = FormValues(response.text).values
    assert values["invite_same_guests"] == "y" and values["title"] == "Anora night, again"
    assert invitations(outbox) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Party)) == 1


def test_more_rows_keeps_hosting_again(app, host_client, old):
    page = host_client.get(f"/parties/{old.id}/again").text
    response = host_client.post(f"/parties/{old.id}/again", data=form_data(page, add_rows="More rows"))
    assert response.status_code == 200
    assert f'action="/parties/{old.id}/again"' in response.text and "Invite the same guests" in response.text


def test_nobody_to_invite_says_so(app, host, film, host_client):
    from tests.factories import make_party

    lonely = make_party(host, film, title="Quiet night")
    make_reply(lonely, "Nora No-email")
    page = unescape(host_client.get(f"/parties/{lonely.id}/again").text)
    assert "Nobody who came to Quiet night left an email" in page and 'name="invite_same_guests"' not in page


def test_inviting_the_same_guests_is_rate_limited_as_the_dashboards_invitations(app_factory, outbox_of):
    """RATELIMIT_INVITE counts the Host again posts that invite; those that do not are not counted."""
    from tests.factories import make_film, make_party

    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_INVITE="1 per minute")
    with app.app_context():
        host = make_user(email="host@example.com", display_name="Hana Host")
        film = make_film("Anora", 2024, runtime_minutes=139)
        make_film("Parasite", 2019, runtime_minutes=132)
        old = make_party(host, film, title="Anora night")
        make_reply(old, "Gina Guest", email="gina@example.com")
        old_id = old.id
    client = app.test_client()
    log_in(client, email="host@example.com")
    page = client.get(f"/parties/{old_id}/again").text
    assert client.post(f"/parties/{old_id}/again", data=form_data(page)).status_code == 302
    assert client.post(f"/parties/{old_id}/again", data=form_data(page, invite_same_guests="y")).status_code == 302
    assert client.post(f"/parties/{old_id}/again", data=form_data(page, invite_same_guests="y")).status_code == 429
    with app.app_context():
        assert invitations(outbox_of(app)) == ["gina@example.com"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Party)) == 3
