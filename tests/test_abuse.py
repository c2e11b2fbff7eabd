"""Abuse: every rate limit not proven elsewhere, and request bodies that are too large.

Already proven elsewhere, one test each: login, register and the reset request
(test_security), replying (test_rsvp), claiming (test_signups), the verdict
(test_verdict). Flask-Limiter counts each route apart, so every other limited
route is proven here: the 4th request in a minute gets 429 and writes nothing.
"""

import re
from io import BytesIO

import pytest
from werkzeug.test import encode_multipart

from tests.factories import World, make_claim, make_items
from tests.test_authorisation import client_as, reset_token, snapshot


def limited_app(app_factory, setting):
    return app_factory(RATELIMIT_ENABLED=True, **{setting: "3 per minute"})


def four_times(client, requests):
    """Send four requests; the database just before and after the 4th, and the 4th answer."""
    for method, path, data in requests[:3]:
        assert client.open(path, method=method, data=data).status_code != 429, path
    method, path, data = requests[3]
    before = snapshot()
    answer = client.open(path, method=method, data=data)
    return answer, before, snapshot()


def assert_limited(answer, before, after):
    assert answer.status_code == 429
    assert "Slow down" in answer.text
    assert after == before, "the refused request wrote something"


def test_rate_limit_on_invitations(app_factory):
    app = limited_app(app_factory, "RATELIMIT_INVITE")
    with app.app_context():
        world = World()
        host = client_as(app, world, "host")
        path = f"/parties/{world.party.id}/invitations"
        answer, before, after = four_times(
            host, [("POST", path, {"emails": f"friend{i}@example.com"}) for i in range(4)]
        )
        assert_limited(answer, before, after)
        assert host.get(f"/parties/{world.party.id}").status_code == 200  # the dashboard is never limited


def test_rate_limit_on_review_import(app_factory):
    app = limited_app(app_factory, "RATELIMIT_REVIEW_IMPORT")
    with app.app_context():
        world = World()
        host = client_as(app, world, "host")
        path = f"/films/{world.film.slug}/reviews/import"
        answer, before, after = four_times(
            host, [("POST", path, {"text": f"Review {i}\n\nA fine film, number {i}."}) for i in range(4)]
        )
        assert_limited(answer, before, after)
        assert host.get(path).status_code == 200  # the form itself is never limited


def test_rate_limit_on_setting_a_new_password_through_the_reset_link(app_factory):
    app = limited_app(app_factory, "RATELIMIT_RESET")
    with app.app_context():
        world = World()
        path = f"/accounts/reset/{reset_token(world)}"
        # Wrong confirmations: nothing is changed by the first three either, the limit still counts them.
        attempts = [("POST", path, {"password": "a new long password", "confirm": f"guess {i}"}) for i in range(3)]
        right = ("POST", path, {"password": "a new long password", "confirm": "a new long password"})
        answer, before, after = four_times(app.test_client(), [*attempts, right])
        assert_limited(answer, before, after)


@pytest.mark.parametrize("route", ["manage", "withdraw", "add_item", "release"])
def test_rate_limit_on_the_guests_other_forms(app_factory, route):
    """The RSVP limit (RATELIMIT_RSVP) guards every form a guest sends through the share link."""
    app = limited_app(app_factory, "RATELIMIT_RSVP")
    with app.app_context():
        world = World()
        extra = make_items(world.party, ("Dip", 2), ("Cups", 9), ("Napkins", 9))
        claims = [world.claim] + [make_claim(world.party, item, 1, rsvp=world.guest) for item in extra]
        guest = client_as(app, world, "guest")
        token, manage = world.token, world.manage_path
        requests = {
            "manage": [("POST", manage, {"name": "Gina", "response": "going", "plus_ones": "1", "dietary": f"v{i}"})
                       for i in range(4)],
            "withdraw": [("POST", f"{manage}/withdraw", {})] * 4,
            "add_item": [("POST", f"/p/{token}/items", {"name": f"Cake {i}", "category": "snack", "quantity": "1"})
                         for i in range(4)],
            "release": [("POST", f"/p/{token}/claims/{claim.id}/delete", {}) for claim in claims],
        }[route]
        answer, before, after = four_times(guest, requests)
        assert_limited(answer, before, after)
        assert guest.get(f"/p/{token}").status_code == 200  # reading is never limited


def test_limits_count_per_route_and_per_client_address(app_factory):
    """Using up one form's allowance leaves other forms, and other addresses, alone."""
    app = limited_app(app_factory, "RATELIMIT_RSVP")
    with app.app_context():
        world = World()
        guest = client_as(app, world, "guest")
        for i in range(3):
            guest.post(f"/p/{world.token}/items", data={"name": f"Cake {i}", "category": "snack", "quantity": "1"})
        assert guest.post(f"/p/{world.token}/items", data={"name": "More", "quantity": "1"}).status_code == 429
        claim = f"/p/{world.token}/items/{world.crisps.id}/claim"
        assert guest.post(claim, data={"quantity": "1"}).status_code == 302
        neighbour = app.test_client()
        neighbour.environ_base["REMOTE_ADDR"] = "127.0.0.2"
        reply = neighbour.post(f"/p/{world.token}/rsvp", data={"name": "Neighbour", "response": "maybe"})
        assert reply.status_code == 302


# ---------------------------------------------------------------- request bodies


class CountingStream(BytesIO):
    """A request body that remembers how much of it the app read."""

    def __init__(self, size: int):
        super().__init__(b"x" * size)
        self.bytes_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def test_a_body_over_the_limit_is_refused_with_413_before_a_byte_is_read(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)  # as in production: the CSRF check reads every form
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit == 8 * 1024 * 1024
    with app.app_context():
        world = World()
        before = snapshot()
        for path, content_type in [(f"/p/{world.token}/rsvp", "application/x-www-form-urlencoded"),
                                   ("/films/new", "multipart/form-data; boundary=x"),
                                   ("/accounts/login", "application/x-www-form-urlencoded")]:
            body = CountingStream(limit + 1)
            answer = app.test_client().post(path, input_stream=body, content_length=limit + 1,
                                            content_type=content_type)
            assert answer.status_code == 413, path
            assert "Too large" in answer.text and "Watchparty" in answer.text  # the site's error page, not a 500
            assert body.bytes_read == 0, f"{path} read {body.bytes_read} bytes of a body it refuses"
        assert snapshot() == before


def test_every_post_route_refuses_a_body_over_the_limit(app_factory):
    """With CSRF on, as in production, even a route that reads no form refuses an oversized body."""
    app = app_factory(WTF_CSRF_ENABLED=True, MAX_CONTENT_LENGTH=64 * 1024)
    from tests.test_security import post_rules

    with app.test_request_context():
        from flask import url_for

        urls = [url_for(endpoint, **values) for endpoint, values in post_rules(app)]
    client = app.test_client()
    statuses = {url: client.post(url, data={"text": "x" * (65 * 1024)}).status_code for url in urls}
    assert set(statuses.values()) == {413}, {url: status for url, status in statuses.items() if status != 413}


A_MEGABYTE_EMAIL = "a" * 1024 * 1024 + "@example.com"


@pytest.mark.parametrize("form", ["register", "reply"])
def test_a_megabyte_email_gets_the_length_message_and_no_more_checks(app, form):
    """An over-long value ends its field's checks (watchparty.forms.Length): the email
    check, which took ~0.3 s of CPU on a megabyte, never reads it. Only the length
    message stands beside the field; the form comes back filled, nothing is written."""
    world = World()
    if form == "register":
        path, data = "/accounts/register", {"display_name": "Mallory", "password": "lantern oyster violin",
                                            "confirm": "lantern oyster violin", "timezone": "UTC"}
    else:
        path, data = f"/p/{world.token}/rsvp", {"name": "Mallory", "response": "going", "plus_ones": "0"}
    before = snapshot()
    answer = app.test_client().post(path, data={**data, "email": A_MEGABYTE_EMAIL})
    assert answer.status_code == 422
    errors = re.search(r'<ul class="errors" id="email-error">(.*?)</ul>', answer.text, re.S)
    assert errors is not None
    assert re.findall(r"<li>(.*?)</li>", errors.group(1)) == ["Field cannot be longer than 254 characters."]
    assert 'value="Mallory"' in answer.text
    assert snapshot() == before


def paste_article(client, film_slug: str, text: str):
    """The import form as a browser sends it: multipart (it has a file field)."""
    boundary, body = encode_multipart({"text": text})
    return client.post(f"/films/{film_slug}/reviews/import", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def test_a_long_article_pasted_into_the_import_form_gets_the_form_not_a_bare_413(app_factory):
    """Flask's default limit on one multipart text field (500 kB) answered a long paste with a bare 413;
    the form allows 200,000 characters (of up to 4 bytes each) and refuses more with its message."""
    app = app_factory()
    with app.app_context():
        world = World()
        host = client_as(app, world, "host")
        paragraph = "Le film est un délice, du premier plan au dernier — chaque minute compte. 🎬 " * 30
        article = "A long review\n\n" + "\n\n".join(f"Part {i}\n\n{paragraph}" for i in range(80))
        assert 150_000 < len(article) <= 200_000 and len(article.encode()) > 170_000
        answer = paste_article(host, world.film.slug, article)
        assert answer.status_code == 200 and "A long review" in answer.text
        answer = paste_article(host, world.film.slug, "x" * 1_000_001)
        assert answer.status_code == 422 and "An article can be at most 200,000 characters" in answer.text


def test_an_article_with_more_sections_than_a_review_holds_is_refused_with_a_message(app_factory):
    """More than 200 sections overflowed the preview form: a 500 before this was fixed."""
    app = app_factory()
    with app.app_context():
        world = World()
        host = client_as(app, world, "host")
        before = snapshot()
        article = "Many parts\n\n" + "\n\n".join(f"Part {i}\n\nA few words about part {i}." for i in range(250))
        answer = paste_article(host, world.film.slug, article)
        assert answer.status_code == 422
        assert "a review holds at most 200" in answer.text
        assert snapshot() == before
