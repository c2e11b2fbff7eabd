"""Replying through the share link: the party page, seats and waitlist, the manage link,
remembering a guest, privacy of the address, the calendar file and hostile input."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import sqlalchemy as sa
import time_machine
from icalendar import Calendar

from tests.factories import log_in, make_film, make_party, make_reply, make_user
from tests.mailbox import first_link, text_body
from watchparty.extensions import db
from watchparty.models import Party, Rsvp
from watchparty.party_clock import party_phase
from watchparty.rsvp import service

ADDRESS = "12 Secret Street, London E8"


@pytest.fixture
def film(app):
    """Unlike conftest's film: with cast and director, which the party page shows."""
    return make_film(
        "Anora", 2024, runtime_minutes=139,
        cast=[("Mikey Madison", "Ani"), ("Mark Eydelshteyn", "Vanya")],
        crew=[("director", "Sean Baker")],
    )


@pytest.fixture
def party(host, film):
    """Unlike conftest's party: at most 4 guests, and an address that only guests going see."""
    return make_party(host, film, title="Anora night", capacity=4, max_plus_ones=2, address=ADDRESS)


def reply(client, party, **fields):
    data = {"name": "Bob", "email": "", "response": "going", "plus_ones": "0", "dietary": "", "note": ""}
    data.update(fields)
    return client.post(f"/p/{party.share_token}/rsvp", data=data)


def text_of(response) -> str:
    """The page with entities decoded, for checking what a reader sees."""
    return unescape(response.text)


def rsvps() -> list[Rsvp]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Rsvp).order_by(Rsvp.id)))


def fresh(party: Party) -> Party:
    db.session.expire_all()
    return db.session.get(Party, party.id)


def new_client(app):
    return app.test_client()


# ---------------------------------------------------------------- the party page


def test_party_page_shows_the_party_to_anyone_with_the_link(client, party):
    page = client.get(f"/p/{party.share_token}")
    assert page.status_code == 200
    text = page.text
    assert "Anora night" in text and "Hana Host invites you to" in text
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ" data-local-time data-zone="Europe/London">', text)
    assert 'data-countdown="' in text and "in 6 days" in text
    assert "The film ends around" in text
    assert "Hackney, London" in text and ADDRESS not in text
    assert "Directed by Sean Baker" in text and "Mikey Madison (Ani)" in text
    assert 'href="/films/anora-2024"' in text and 'src="/films/anora-2024/poster.svg"' in text
    assert f'href="/p/{party.share_token}/calendar.ics"' in text
    assert 'name="response"' in text
    assert '<meta name="robots" content="noindex, nofollow">' in text
    assert '<meta property="og:title" content="Anora night">' in text
    assert "Anora (2024)" in re.search(r'<meta property="og:description" content="([^"]*)"', text).group(1)


def test_party_pages_have_no_inline_script(client, host, party):
    manage = make_reply(party, "Ann")
    log_in(client, email="host@example.com")
    for path in [
        f"/p/{party.share_token}",
        f"/p/{party.share_token}/rsvp/{manage.manage_token}",
        f"/parties/{party.id}",
        f"/parties/{party.id}/edit",
        "/parties/new",
        "/",
    ]:
        html = client.get(path).text
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag, (path, tag)
        assert not re.search(r"\son[a-z]+=", html), path
        assert "style=" not in html, path


@pytest.mark.parametrize(
    "token",
    ["x", "a" * 32, "a" * 500, "%00", "..%2F..%2Fetc", "ÅÄÖÅÄÖÅÄÖÅÄÖÅÄÖÅÄÖÅÄÖÅÄÖ", "a-b_c" * 8],
)
def test_wrong_or_malformed_tokens_are_404(client, party, token):
    for suffix in ["", "/calendar.ics", "/qr.svg"]:
        response = client.get(f"/p/{token}{suffix}")
        assert response.status_code == 404
        assert "Anora" not in response.text
    assert client.post(f"/p/{token}/rsvp", data={"name": "x", "response": "going"}).status_code == 404
    assert client.get(f"/p/{party.share_token}/rsvp/{token}").status_code == 404
    assert rsvps() == []


def test_a_manage_token_of_another_party_is_404(client, host, film, party):
    other = make_party(host, film, title="Other night")
    theirs = make_reply(other, "Ann")
    assert client.get(f"/p/{party.share_token}/rsvp/{theirs.manage_token}").status_code == 404
    response = client.post(
        f"/p/{party.share_token}/rsvp/{theirs.manage_token}", data={"name": "Hijack", "response": "declined"}
    )
    assert response.status_code == 404
    assert client.post(f"/p/{party.share_token}/rsvp/{theirs.manage_token}/withdraw").status_code == 404
    assert rsvps()[0].name == "Ann" and rsvps()[0].response == "going"


# ---------------------------------------------------------------- replying


def test_reply_redirects_to_the_manage_page_and_remembers_the_guest(client, party, outbox):
    response = reply(client, party, name="Bob", email="Bob@Example.com", plus_ones="1", dietary="vegan", seen_it="y")
    assert response.status_code == 302
    bob = rsvps()[0]
    assert (bob.name, bob.email, bob.response, bob.state, bob.plus_ones, bob.seen_it) == (
        "Bob", "bob@example.com", "going", "confirmed", 1, True,
    )
    assert len(bob.manage_token) >= 22 and bob.user_id is None
    manage_path = f"/p/{party.share_token}/rsvp/{bob.manage_token}"
    assert response.headers["Location"] == manage_path
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"wp_guest_{party.id}="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/p/" in cookie
    assert cookie.split(";")[0] != f"wp_guest_{party.id}={bob.manage_token}"  # signed, not the bare token

    page = client.get(manage_path)
    assert page.status_code == 200
    assert f'value="http://localhost{manage_path}"' in page.text
    assert "You're going!" in text_of(page)
    assert page.headers["Cache-Control"] == "private, no-store"

    again = client.get(f"/p/{party.share_token}").text
    assert "You're going with +1" in unescape(again)
    assert f'href="{manage_path}">change</a>' in again
    assert 'name="response"' not in again
    assert ADDRESS in again
    assert fresh(party).seats_taken == 2

    message = outbox.last()
    assert message["To"] == "bob@example.com"
    assert message["Subject"] == "You're going to Anora night"
    assert first_link(message, "/p/") == manage_path
    assert ADDRESS in text_body(message)
    attachment = next(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"


def test_a_forged_or_foreign_cookie_is_ignored(app, party):
    bob = make_reply(party, "Bob")
    visitor = new_client(app)
    visitor.set_cookie(f"wp_guest_{party.id}", f'"{bob.manage_token}"', path="/p/")
    page = visitor.get(f"/p/{party.share_token}").text
    assert 'name="response"' in page and ADDRESS not in page


def test_a_browser_that_replied_to_two_parties_is_known_on_each_as_its_own_guest(client, host, film, party):
    # The page's head finds the viewer's reply among every token the browser keeps.
    other = make_party(host, film, title="Second night", capacity=None)
    reply(client, party, name="Bob", response="going")
    reply(client, other, name="Robert", response="maybe")
    first, second = client.get(f"/p/{party.share_token}").text, client.get(f"/p/{other.share_token}").text
    assert "You're going" in unescape(first) and "Bob" in first and "Robert" not in first
    assert "maybe" in unescape(second).lower() and "Robert" in second and 'name="response"' not in second


def test_not_you_forgets_the_guest_on_this_browser(client, party):
    reply(client, party)
    assert 'name="response"' not in client.get(f"/p/{party.share_token}").text
    client.post(f"/p/{party.share_token}/forget")
    page = client.get(f"/p/{party.share_token}").text
    assert 'name="response"' in page and ADDRESS not in page
    assert len(rsvps()) == 1


def test_reply_without_email_sends_nothing_and_still_gives_the_link(client, party, outbox):
    response = reply(client, party, email="")
    assert response.status_code == 302
    assert rsvps()[0].email is None
    assert len(outbox) == 0
    page = client.get(response.headers["Location"]).text
    assert "bookmark it now" in page


def test_maybe_and_declined_take_no_seats(client, app, party):
    reply(client, party, name="May", response="maybe", plus_ones="2")
    reply(new_client(app), party, name="Dec", response="declined", plus_ones="2")
    may, dec = rsvps()
    assert (may.response, may.state, may.plus_ones) == ("maybe", "confirmed", 2)
    assert (dec.response, dec.state, dec.plus_ones) == ("declined", "confirmed", 0)
    assert fresh(party).seats_taken == 0


def test_logged_in_users_are_prefilled_and_linked(client, app, party):
    user = make_user(email="guest@example.com", display_name="Gus Guest")
    log_in(client, email="guest@example.com")
    form = client.get(f"/p/{party.share_token}").text
    assert 'value="Gus Guest"' in form and 'value="guest@example.com"' in form
    reply(client, party, name="Gus Guest", email="guest@example.com")
    gus = rsvps()[0]
    assert gus.user_id == user.id
    # The account is remembered on any browser it logs in on.
    laptop = new_client(app)
    log_in(laptop, email="guest@example.com")
    assert "You're going" in text_of(laptop.get(f"/p/{party.share_token}"))
    # A second reply from the same account is refused, nothing is taken over.
    again = reply(client, party, name="Gus again", email="other@example.com")
    assert again.status_code == 409
    assert "You already replied to this party" in again.text
    assert [r.name for r in rsvps()] == ["Gus Guest"]
    assert fresh(party).seats_taken == 1


def test_the_same_email_cannot_reply_twice_and_the_owner_gets_their_link(client, app, party, outbox):
    reply(client, party, name="Bob", email="bob@example.com", plus_ones="1")
    original = rsvps()[0]
    intruder = new_client(app)
    response = reply(intruder, party, name="Mallory", email="BOB@example.com", response="declined")
    assert response.status_code == 409
    assert "You already replied — we've emailed your personal link to that address." in text_of(response)
    assert 'value="Mallory"' in response.text
    assert [(r.name, r.response, r.plus_ones) for r in rsvps()] == [("Bob", "going", 1)]
    assert fresh(party).seats_taken == 2
    message = outbox.last()
    assert message["To"] == "bob@example.com" and message["Subject"] == "Your reply to Anora night"
    assert first_link(message, "/p/") == f"/p/{party.share_token}/rsvp/{original.manage_token}"
    assert f"wp_guest_{party.id}" not in response.headers.get("Set-Cookie", "")


def test_empty_emails_never_collide(client, app, party):
    for name in ["One", "Two", "Three"]:
        assert reply(new_client(app), party, name=name, email="", response="maybe").status_code == 302
    assert len(rsvps()) == 3


BAD_REPLIES = [
    ({"name": ""}, "name", "Tell the host who you are."),
    ({"name": "x" * 10_000}, "name", "Field cannot be longer than 80 characters."),
    ({"name": "Bob\x00"}, "name", "Remove control characters"),
    ({"name": "Bob\x1b[2J"}, "name", "Remove control characters"),
    ({"email": "not-an-email"}, "email", "Enter a valid email address"),
    ({"email": "a" * 10_000 + "@example.com"}, "email", "Field cannot be longer than 254 characters."),
    ({"response": ""}, "response", "Choose going, maybe or can"),
    ({"response": "yes please"}, "response", "Not a valid choice"),
    ({"plus_ones": "3"}, "plus_ones", "Bring at most 2 plus-ones."),
    ({"plus_ones": "-1"}, "plus_ones", "Enter how many people you bring along."),
    ({"plus_ones": "1000000000000"}, "plus_ones", "Enter how many people you bring along."),
    ({"plus_ones": "two"}, "plus_ones", "Not a valid integer value."),
    ({"dietary": "x" * 10_000}, "dietary", "Field cannot be longer than 200 characters."),
    ({"note": "x" * 10_000}, "note", "Field cannot be longer than 1000 characters."),
    ({"note": "hello\x00"}, "note", "Remove control characters"),
]


def test_bad_replies_are_refused_beside_the_field(client, party):
    for fields, field, message in BAD_REPLIES:
        response = reply(client, party, **{"name": "Bob", **fields})
        assert response.status_code == 422, fields
        errors = re.search(rf'<ul class="errors" id="{field}-error">(.*?)</ul>', response.text, re.S)
        assert errors and message in errors.group(1), (fields, errors and errors.group(1))
    assert rsvps() == []
    assert fresh(party).seats_taken == 0


def test_a_party_without_plus_ones_refuses_them(client, host, film):
    party = make_party(host, film, max_plus_ones=0)
    response = reply(client, party, plus_ones="1")
    assert response.status_code == 422 and "This party has no plus-ones, sorry." in response.text
    assert 'name="plus_ones"' not in client.get(f"/p/{party.share_token}").text
    assert rsvps() == []


def test_hostile_names_are_escaped_and_never_show_emails_to_guests(client, app, host, film):
    party = make_party(host, film, guest_list_visible=True)
    reply(client, party, name="<b>Bob</b>", email="bob@example.com")
    reply(new_client(app), party, name="=SUM(1)", email="sum@example.com", response="maybe")
    page = client.get(f"/p/{party.share_token}").text
    assert "&lt;b&gt;Bob&lt;/b&gt;" in page and "<b>Bob</b>" not in page
    assert "=SUM(1)" in page
    assert "bob@example.com" not in page and "sum@example.com" not in page


# ---------------------------------------------------------------- seats and the waitlist


def test_a_reply_that_does_not_fit_whole_is_waitlisted_whole(client, app, party, outbox):
    reply(new_client(app), party, name="Ann", plus_ones="2")  # 3 of 4 seats
    response = reply(client, party, name="Ben", email="ben@example.com", plus_ones="1")  # needs 2: only 1 left
    assert response.status_code == 302  # a waitlist is not a refusal
    ann, ben = rsvps()
    assert (ann.state, ben.state, ben.plus_ones) == ("confirmed", "waitlisted", 1)
    assert fresh(party).seats_taken == 3
    page = text_of(client.get(response.headers["Location"]))
    assert "You're #1 on the waitlist" in page
    assert ADDRESS not in page  # no seat yet, no address
    assert "You'll see the exact place once you have a seat." in page
    assert outbox.last()["Subject"] == "You're on the waitlist for Anora night"
    assert ADDRESS not in text_body(outbox.last())
    # A smaller reply behind still fits and is seated.
    reply(new_client(app), party, name="Cy")
    assert [r.state for r in rsvps()] == ["confirmed", "waitlisted", "confirmed"]


def test_waitlist_places_follow_reply_order(app, party):
    make_reply(party, "Full", plus_ones=2)
    make_reply(party, "Last seat")
    later = [make_reply(party, f"W{i}") for i in range(3)]
    assert [service.waitlist_place(r) for r in later] == [1, 2, 3]
    page = text_of(new_client(app).get(f"/p/{party.share_token}/rsvp/{later[2].manage_token}"))
    assert "You're #3 on the waitlist" in page


def test_freed_seats_go_to_the_waitlist_in_order_and_big_replies_keep_their_place(client, app, party, outbox):
    ann = make_reply(party, "Ann", plus_ones=2)  # 3
    make_reply(party, "Bea")  # 4 of 4
    big = make_reply(party, "Big", plus_ones=2, email="big@example.com")  # waits, needs 3
    small = make_reply(party, "Small", email="small@example.com")  # waits, needs 1
    tiny = make_reply(party, "Tiny")  # waits, needs 1
    # Ann withdraws: 3 seats free. Big (3) is first in line and fits.
    response = client.post(f"/p/{party.share_token}/rsvp/{ann.manage_token}/withdraw")
    assert response.status_code == 302
    states = {r.name: (r.response, r.state) for r in rsvps()}
    assert states["Ann"] == ("declined", "confirmed")
    assert states["Big"] == ("going", "confirmed")
    assert states["Small"][1] == states["Tiny"][1] == "waitlisted"
    assert fresh(party).seats_taken == 4
    assert outbox.last()["To"] == "big@example.com" and "a seat opened up" in outbox.last()["Subject"]
    assert ADDRESS in text_body(outbox.last())
    # Big drops two plus-ones: 2 seats free, Small then Tiny are seated in order.
    data = {"name": "Big", "email": "big@example.com", "response": "going", "plus_ones": "0"}
    client.post(f"/p/{party.share_token}/rsvp/{big.manage_token}", data=data)
    states = {r.name: r.state for r in rsvps()}
    assert states["Small"] == states["Tiny"] == "confirmed"
    assert fresh(party).seats_taken == 4
    assert [service.waitlist_place(r) for r in (small, tiny)] == [None, None]


def test_a_big_reply_that_still_does_not_fit_keeps_its_place(client, app, party):
    seat = make_reply(party, "Seat")
    make_reply(party, "Rest", plus_ones=2)  # 4 of 4
    big = make_reply(party, "Big", plus_ones=2)  # needs 3
    small = make_reply(party, "Small")  # needs 1
    client.post(f"/p/{party.share_token}/rsvp/{seat.manage_token}/withdraw")  # 1 seat free
    states = {r.name: r.state for r in rsvps()}
    assert states["Big"] == "waitlisted" and states["Small"] == "confirmed"
    db.session.expire_all()
    assert service.waitlist_place(db.session.get(Rsvp, big.id)) == 1
    assert service.waitlist_place(db.session.get(Rsvp, small.id)) is None


def test_more_plus_ones_than_seats_left_keeps_the_seat_you_have(client, party):
    bob = make_reply(party, "Bob")
    make_reply(party, "Ann", plus_ones=1)  # 3 of 4
    data = {"name": "Bob", "response": "going", "plus_ones": "2"}  # needs 2 more: 1 left
    response = client.post(f"/p/{party.share_token}/rsvp/{bob.manage_token}", data=data)
    assert response.status_code == 409
    assert "Only 1 more seat free" in response.text
    db.session.expire_all()
    bob = db.session.get(Rsvp, bob.id)
    assert (bob.state, bob.plus_ones) == ("confirmed", 0)
    assert fresh(party).seats_taken == 3
    data["plus_ones"] = "1"
    assert client.post(f"/p/{party.share_token}/rsvp/{bob.manage_token}", data=data).status_code == 302
    assert fresh(party).seats_taken == 4


def test_switching_to_going_when_full_joins_the_end_of_the_waitlist(client, party):
    maybe = make_reply(party, "Maybe first", "maybe")
    make_reply(party, "Full", plus_ones=2)
    make_reply(party, "Last")
    waiting = make_reply(party, "Waiting")
    data = {"name": "Maybe first", "response": "going", "plus_ones": "0"}
    assert client.post(f"/p/{party.share_token}/rsvp/{maybe.manage_token}", data=data).status_code == 302
    db.session.expire_all()
    assert service.waitlist_place(db.session.get(Rsvp, waiting.id)) == 1
    assert service.waitlist_place(db.session.get(Rsvp, maybe.id)) == 2
    # A waitlisted guest who edits their note keeps their place.
    data = {"name": "Waiting", "response": "going", "plus_ones": "0", "note": "so excited"}
    client.post(f"/p/{party.share_token}/rsvp/{waiting.manage_token}", data=data)
    db.session.expire_all()
    assert service.waitlist_place(db.session.get(Rsvp, waiting.id)) == 1


def test_changing_email_to_one_already_used_is_refused(client, party):
    make_reply(party, "Ann", email="ann@example.com")
    bob = make_reply(party, "Bob", email="bob@example.com")
    data = {"name": "Bob", "email": "ann@example.com", "response": "going", "plus_ones": "0"}
    response = client.post(f"/p/{party.share_token}/rsvp/{bob.manage_token}", data=data)
    assert response.status_code == 409
    assert [r.email for r in rsvps()] == ["ann@example.com", "bob@example.com"]
    assert fresh(party).seats_taken == 2


def test_the_manage_link_is_a_bearer_link_that_any_browser_can_use(app, party):
    bob = make_reply(party, "Bob", plus_ones=1)
    phone = new_client(app)
    page = phone.get(f"/p/{party.share_token}/rsvp/{bob.manage_token}")
    assert page.status_code == 200 and 'value="Bob"' in page.text
    # The browser that opened the link is now remembered too.
    assert "You're going with +1" in text_of(phone.get(f"/p/{party.share_token}"))
    data = {"name": "Bob", "response": "maybe", "plus_ones": "1", "dietary": "gluten-free"}
    response = phone.post(f"/p/{party.share_token}/rsvp/{bob.manage_token}", data=data)
    assert response.status_code == 302
    bob = rsvps()[0]
    assert (bob.response, bob.dietary, bob.state) == ("maybe", "gluten-free", "confirmed")
    assert fresh(party).seats_taken == 0


def test_manage_form_refuses_bad_input_and_changes_nothing(client, party):
    bob = make_reply(party, "Bob")
    for data in [
        {"name": "", "response": "going"},
        {"name": "Bob", "response": "going", "plus_ones": "99"},
        {"name": "Bob\x00", "response": "going"},
        {"name": "Bob", "response": "sometimes"},
    ]:
        response = client.post(f"/p/{party.share_token}/rsvp/{bob.manage_token}", data=data)
        assert response.status_code == 422, data
    assert [(r.name, r.response) for r in rsvps()] == [("Bob", "going")]


# ---------------------------------------------------------------- when replies close


def test_replies_close_at_the_deadline_and_at_the_start(client, app, host, film):
    starts = datetime(2027, 5, 1, 19, 0, tzinfo=UTC)
    with time_machine.travel(datetime(2027, 4, 1, tzinfo=UTC), tick=False):
        party = make_party(host, film, starts_in=starts - datetime(2027, 4, 1, tzinfo=UTC),
                           rsvp_deadline=starts - timedelta(days=1))
        early = make_reply(party, "Early")
    deadline_reason = "Replies closed at the RSVP deadline (Fri 30 Apr, 20:00 BST)."
    with time_machine.travel(starts - timedelta(days=1, seconds=1), tick=False):
        assert reply(new_client(app), party, name="Just in time").status_code == 302
    with time_machine.travel(starts - timedelta(days=1), tick=False):
        late = new_client(app)
        page = late.get(f"/p/{party.share_token}")
        assert deadline_reason in text_of(page) and 'name="response"' not in page.text
        response = reply(late, party, name="Too late")
        assert response.status_code == 409 and deadline_reason in text_of(response)
        change = client.post(
            f"/p/{party.share_token}/rsvp/{early.manage_token}", data={"name": "Early", "response": "declined"}
        )
        assert change.status_code == 409
        assert client.post(f"/p/{party.share_token}/rsvp/{early.manage_token}/withdraw").status_code == 409
    with time_machine.travel(starts, tick=False):
        assert "The party has started, so replies are closed." in new_client(app).get(f"/p/{party.share_token}").text
    assert [(r.name, r.response) for r in rsvps()] == [("Early", "going"), ("Just in time", "going")]


def test_services_take_an_injected_clock(app, party):
    after_start = party.starts_at + timedelta(minutes=1)
    with pytest.raises(service.RepliesClosed):
        service.reply_to_party(party, service.ReplyFields(name="Late", response="going"), now=after_start)
    db.session.rollback()
    assert party_phase(party, party.starts_at - timedelta(minutes=1)).closed_reason("replies") is None


def test_rate_limit_on_replies(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_RSVP="3 per minute")
    with app.app_context():
        host = make_user(email="host@example.com")
        party = make_party(host, make_film(), capacity=None)
        token = party.share_token
    client = app.test_client()
    statuses = [
        client.post(f"/p/{token}/rsvp", data={"name": f"G{i}", "response": "maybe"}).status_code for i in range(4)
    ]
    assert statuses == [302, 302, 302, 429]
    assert client.get(f"/p/{token}").status_code == 200  # reading is never limited


# ---------------------------------------------------------------- privacy of the exact place


def privacy_viewers(app, party):
    """A client per kind of viewer, as (label, client)."""
    clients = {}
    host_client = new_client(app)
    log_in(host_client, email="host@example.com")
    clients["host"] = host_client
    make_reply(party, "Filler", plus_ones=2)  # 3 of 4 seats
    for label, response, plus_ones in [
        ("going", "going", 0),  # takes the last seat
        ("waitlisted", "going", 0),
        ("maybe", "maybe", 0),
        ("declined", "declined", 0),
    ]:
        guest = make_reply(party, label, response, plus_ones=plus_ones)
        client = new_client(app)
        client.get(f"/p/{party.share_token}/rsvp/{guest.manage_token}")  # sets the remember cookie
        clients[label] = client
    assert [r.state for r in rsvps()][2] == "waitlisted"
    clients["visitor"] = new_client(app)
    make_user(email="someone@example.com", display_name="Someone Else")
    someone = new_client(app)
    log_in(someone, email="someone@example.com")
    clients["another user"] = someone
    return clients


ENTITLED = {"host", "going", "maybe"}


def ics_location(client, party) -> str | None:
    response = client.get(f"/p/{party.share_token}/calendar.ics")
    assert response.status_code == 200
    event = Calendar.from_ical(response.data).walk("VEVENT")[0]
    return str(event.get("location")) if event.get("location") is not None else None


def test_exact_address_is_shown_only_to_host_seated_and_maybe_guests(app, party):
    party.online_url = "https://meet.example.com/secret-room"
    db.session.commit()
    for label, client in privacy_viewers(app, party).items():
        page = client.get(f"/p/{party.share_token}").text
        sees = label in ENTITLED
        assert (ADDRESS in page) is sees, label
        assert ("meet.example.com/secret-room" in page) is sees, label
        assert "Hackney, London" in page, label
        head = page[: page.index("</head>")]
        assert ADDRESS not in head and "secret-room" not in head, label  # link previews never
        location = ics_location(client, party)
        assert location == (ADDRESS if sees else "Hackney, London"), label
        calendar = Calendar.from_ical(client.get(f"/p/{party.share_token}/calendar.ics").data)
        assert ("secret-room" in str(calendar.walk("VEVENT")[0]["description"])) is sees, label


def test_host_can_hide_the_address_from_everyone_but_themselves(app, party):
    party.show_address_to_guests = False
    db.session.commit()
    for label, client in privacy_viewers(app, party).items():
        page = client.get(f"/p/{party.share_token}").text
        assert (ADDRESS in page) is (label == "host"), label
        assert ics_location(client, party) == (ADDRESS if label == "host" else "Hackney, London"), label


def test_guest_list_is_for_the_host_and_for_guests_who_replied_when_allowed(app, party):
    party.guest_list_visible = False  # the host hides the guest list (shown by default)
    db.session.commit()
    clients = privacy_viewers(app, party)
    for label, client in clients.items():
        assert ("Who's coming" in text_of(client.get(f"/p/{party.share_token}"))) is (label == "host"), label
    party.guest_list_visible = True
    db.session.commit()
    for label, client in clients.items():
        page = text_of(client.get(f"/p/{party.share_token}"))
        replied = label in {"host", "going", "waitlisted", "maybe", "declined"}
        assert ("Who's coming" in page) is replied, label
        if replied:
            guests = page[page.index("Who's coming"):]
            assert "Filler" in guests and "maybe" in guests
            assert "waitlisted</li>" not in guests and "declined</li>" not in guests


# ---------------------------------------------------------------- the calendar file


def test_calendar_event_parses_back_with_a_stable_uid_and_a_sequence_that_bumps(app, host, film):
    with time_machine.travel(datetime(2027, 3, 1, 12, 0, tzinfo=UTC), tick=False):
        host_client = new_client(app)
        log_in(host_client, email="host@example.com")
        form = {
            "title": "Anora night", "film": "anora-2024", "starts_at": "2027-04-03T20:00",
            "timezone": "Europe/London", "area": "Hackney", "address": ADDRESS, "capacity": "10",
            "max_plus_ones": "1", "show_address_to_guests": "y",
        }
        host_client.post("/parties/new", data=form)
        party = db.session.scalars(sa.select(Party)).one()
        visitor = new_client(app)
        response = visitor.get(f"/p/{party.share_token}/calendar.ics")
        assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
        event = Calendar.from_ical(response.data).walk("VEVENT")[0]
        assert str(event["uid"]) == f"party-{party.id}@localhost"
        assert event["dtstart"].dt == datetime(2027, 4, 3, 19, 0, tzinfo=UTC)
        assert event["dtend"].dt == datetime(2027, 4, 3, 21, 19, tzinfo=UTC)  # + 139 minutes
        assert str(event["summary"]) == "Anora night"
        assert int(event["sequence"]) == 0
        assert str(event["url"]) == f"http://localhost/p/{party.share_token}"
        assert f"http://localhost/p/{party.share_token}" in str(event["description"])
        assert str(event["location"]) == "Hackney"

        host_client.post(f"/parties/{party.id}/edit", data={**form, "starts_at": "2027-04-03T21:00"})
        event = Calendar.from_ical(visitor.get(f"/p/{party.share_token}/calendar.ics").data).walk("VEVENT")[0]
        assert str(event["uid"]) == f"party-{party.id}@localhost"
        assert int(event["sequence"]) == 1
        assert event["dtstart"].dt == datetime(2027, 4, 3, 20, 0, tzinfo=UTC)

        host_client.post(f"/parties/{party.id}/share-link")
        db.session.expire_all()
        party = db.session.get(Party, party.id)
        event = Calendar.from_ical(visitor.get(f"/p/{party.share_token}/calendar.ics").data).walk("VEVENT")[0]
        assert str(event["uid"]) == f"party-{party.id}@localhost"  # a new link is the same event

        host_client.post(f"/parties/{party.id}/cancel", data={"message": "Ill"})
        event = Calendar.from_ical(visitor.get(f"/p/{party.share_token}/calendar.ics").data).walk("VEVENT")[0]
        assert str(event["status"]) == "CANCELLED" and int(event["sequence"]) == 2


def test_calendar_without_runtime_lasts_three_hours(client, host):
    party = make_party(host, make_film("Untimed", 2020))
    event = Calendar.from_ical(client.get(f"/p/{party.share_token}/calendar.ics").data).walk("VEVENT")[0]
    assert event["dtend"].dt - event["dtstart"].dt == timedelta(hours=3)


# ---------------------------------------------------------------- performance


def test_party_page_runs_a_fixed_number_of_queries(app, host, film):
    from sqlalchemy import event

    party = make_party(host, film, capacity=None, guest_list_visible=True, max_plus_ones=2)
    guest = make_reply(party, "Guest")
    counts = []
    for extra in (0, 30):
        for i in range(extra):
            make_reply(party, f"Extra {i}", "maybe" if i % 2 else "going", plus_ones=i % 3)
        client = new_client(app)
        client.get(f"/p/{party.share_token}/rsvp/{guest.manage_token}")
        statements: list[str] = []

        def count(conn, cursor, statement, *args, statements=statements):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(f"/p/{party.share_token}").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        counts.append(len([s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "PRAGMA"))]))
    assert counts[0] == counts[1] <= 10, counts


def test_every_form_carries_a_csrf_token_and_replying_works_with_it(app_factory):
    from tests.conftest import csrf_token_from

    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        host = make_user(email="host@example.com")
        party = make_party(host, make_film(), capacity=5)
        make_reply(party, "Ann")
        token, party_id = party.share_token, party.id
    guest = app.test_client()
    page = guest.get(f"/p/{token}").text
    csrf = csrf_token_from(page)
    data = {"name": "Bob", "response": "going", "plus_ones": "0"}
    assert guest.post(f"/p/{token}/rsvp", data=data).status_code == 400
    response = guest.post(f"/p/{token}/rsvp", data={**data, "csrf_token": csrf})
    assert response.status_code == 302
    manage = guest.get(response.headers["Location"]).text
    assert manage.count('name="csrf_token"') == 1  # change; "can't make it" asks on a page of its own
    assert guest.get(response.headers["Location"] + "/withdraw").text.count('name="csrf_token"') == 1
    assert guest.get(f"/p/{token}").text.count('name="csrf_token"') >= 1  # "not you?"

    host_client = app.test_client()
    login = host_client.get("/accounts/login").text
    host_client.post(
        "/accounts/login",
        data={"email": "host@example.com", "password": "correct horse battery", "csrf_token": csrf_token_from(login)},
    )
    dashboard = host_client.get(f"/parties/{party_id}").text
    forms = re.findall(r"<form\b.*?</form>", dashboard, re.S)
    posting = [form for form in forms if 'method="post"' in form]
    assert len(posting) >= 5  # logout, new link, two removes, cancel
    assert all('name="csrf_token"' in form for form in posting)


# ---------------------------------------------------------------- a guest the host removes


def calendar_event(message):
    attachment = next(part for part in message.iter_attachments() if part.get_content_type() == "text/calendar")
    calendar = Calendar.from_ical(attachment.get_content())
    return calendar, calendar.walk("VEVENT")[0]


def test_a_removed_guest_gets_one_kind_email_with_a_calendar_cancellation_and_no_link_that_acts(
    app, party, host_client, outbox
):
    from tests.factories import make_claim, make_items

    (popcorn,) = make_items(party, ("Popcorn", 4))
    ana = make_reply(party, "Ana", email="ana@example.com", plus_ones=1)
    make_claim(party, popcorn, 2, rsvp=ana)
    invitation = next(m for m in outbox.messages() if m["To"] == "ana@example.com")
    invited_calendar, invited = calendar_event(invitation)
    assert invited_calendar["METHOD"] == "REQUEST"
    manage_token, share_token = ana.manage_token, party.share_token

    assert host_client.post(f"/parties/{party.id}/guests/{ana.id}/remove").status_code == 302
    to_ana = [m for m in outbox.messages() if m["To"] == "ana@example.com"]
    assert len(to_ana) == 2, "one email, however many things changed"
    removed = to_ana[-1]
    assert removed["Subject"] == "You're no longer on the guest list for Anora night"
    body = text_body(removed)
    html = removed.get_body(("html",)).get_content()
    assert "Hi Ana" in body and "nothing you need to do" in body
    assert "went back on the list" in body, "what happened to her claim"
    assert ADDRESS not in body + html, "the address is for guests"
    for text in (body, html, str(removed)):
        assert manage_token not in text and share_token not in text, "no manage, share or claim link"
    links = set(re.findall(r"https?://[^\s\"<>]+", body + html))
    assert links and all("/emails/never/" in link for link in links), f"only the site-wide opt-out: {links}"
    assert "List-Unsubscribe" not in removed, "its one-click link would point at a reply that is gone"

    calendar, event = calendar_event(removed)
    assert calendar["METHOD"] == "CANCEL" and event["STATUS"] == "CANCELLED"
    assert event["UID"] == invited["UID"], "the same event: the guest's calendar drops it"
    assert int(event["SEQUENCE"]) > int(invited["SEQUENCE"])
    assert "URL" not in event and share_token not in event.to_ical().decode()
    assert ADDRESS in str(invited["LOCATION"]) and ADDRESS not in str(event.get("LOCATION", ""))
    # Removing her changed no one else's calendar.
    assert fresh(party).sequence == int(invited["SEQUENCE"])


def test_a_removed_guest_who_stopped_emails_or_whose_party_started_gets_none(app, party, host_client, outbox):
    bob = make_reply(party, "Bob", email="bob@example.com")
    service.remove_guest(party, bob.id)  # (as the host's button does)
    db.session.commit()
    stopper = make_reply(party, "Sid", email="sid@example.com")
    stopper.emails_stopped = True
    db.session.commit()
    service.remove_guest(party, stopper.id)
    db.session.commit()
    late = make_reply(party, "Lee", email="lee@example.com")
    with time_machine.travel(party.starts_at + timedelta(minutes=5), tick=False):
        service.remove_guest(party, late.id)
        db.session.commit()
    removed = [m["To"] for m in outbox.messages() if m["Subject"].startswith("You're no longer")]
    assert removed == ["bob@example.com"]
