"""Two gunicorn servers, one PostgreSQL database, one Redis: the rules hold across processes."""

import re
import time
from collections import Counter

import pytest
import sqlalchemy as sa

from tests.factories import DEFAULT_PASSWORD, make_film, make_party, make_user, tiny_png
from tests.system.conftest import check_logs
from tests.system.harness import Browser, Request, fire, production_environ, start_servers, stop_servers
from watchparty.extensions import db
from watchparty.models import Party, Rsvp
from watchparty.rsvp import service

pytestmark = pytest.mark.system

MANAGE_LINK = re.compile(r"^/p/[\w-]+/rsvp/([\w-]+)$")


def test_100_simultaneous_going_replies_across_two_servers_seat_exactly_20(servers, system_database):
    with system_database.app_context():
        host = make_user(email="scale-host@example.com")
        party = make_party(host, make_film(title="Scale Out"), capacity=20, max_plus_ones=0)
        token, party_id = party.share_token, party.id

    replies = [
        Request(f"/p/{token}/rsvp", {"name": f"Guest {i:03d}", "response": "going"}, form=f"/p/{token}")
        for i in range(100)
    ]
    started = time.monotonic()
    pages = fire(replies, across=servers)
    elapsed = time.monotonic() - started

    statuses = Counter(page.status for page in pages)
    assert statuses == {302: 100}, statuses
    assert {page.server.name for page in pages} == {server.name for server in servers}
    manage_tokens = [MANAGE_LINK.match(page.location).group(1) for page in pages]
    assert len(set(manage_tokens)) == 100

    with system_database.app_context():
        party = db.session.get(Party, party_id)
        rsvps = list(db.session.scalars(sa.select(Rsvp).where(Rsvp.party_id == party_id)))
        seated = [r for r in rsvps if r.state == "confirmed"]
        waitlisted = sorted((r for r in rsvps if r.state == "waitlisted"), key=lambda r: (r.queued_at, r.id))
        assert (len(seated), len(waitlisted)) == (20, 80)
        assert party.seats_taken == 20
        assert {r.manage_token for r in rsvps} == set(manage_tokens)
        # In order: nobody who replied after the last seat went got one, and the
        # waitlist places 1..80 follow the order the database recorded the replies in.
        assert all(r.queued_at >= max(s.created_at for s in seated) for r in waitlisted)
        assert [service.waitlist_place(r) for r in waitlisted] == list(range(1, 81))
        places = {r.manage_token: place for place, r in enumerate(waitlisted, start=1)}

    # Each waitlisted guest's own page, from either server, tells them their place.
    guest_pages = fire([Request(f"/p/{token}/rsvp/{manage}") for manage in places], across=servers)
    for page, place in zip(guest_pages, places.values(), strict=True):
        assert page.status == 200
        assert f"#{place} on the waitlist" in page.text
    print(f"100 replies across {len(servers)} servers: {dict(statuses)}, {elapsed:.2f} s with the form fetches, "
          f"slowest reply {max(p.seconds for p in pages):.2f} s; 20 seated, 80 waitlisted #1..#80")


def test_200_simultaneous_claims_across_two_servers_take_exactly_5(servers, system_database):
    from tests.factories import make_items, make_reply
    from watchparty.models import Claim, SignupItem

    with system_database.app_context():
        host = make_user(email="claims-host@example.com")
        party = make_party(host, make_film(title="Claims Out"), capacity=None, max_plus_ones=0)
        (item,) = make_items(party, ("Popcorn", 5))
        guests = [make_reply(party, name=f"Guest {i:03d}").manage_token for i in range(200)]
        token, item_id = party.share_token, item.id

    # Each guest opens their manage link first (the remembered-guest cookie and a
    # CSRF token, from the other server), then all claim one bag at once.
    claims = [
        Request(f"/p/{token}/items/{item_id}/claim", {"quantity": "1"}, form=f"/p/{token}/rsvp/{manage}")
        for manage in guests
    ]
    started = time.monotonic()
    pages = fire(claims, across=servers)
    elapsed = time.monotonic() - started

    statuses = Counter(page.status for page in pages)
    assert statuses == {302: 5, 409: 195}, statuses
    assert all("All 5 are taken" in page.text for page in pages if page.status == 409)
    with system_database.app_context():
        item = db.session.get(SignupItem, item_id)
        claimed = db.session.scalar(sa.select(sa.func.sum(Claim.quantity)).where(Claim.item_id == item_id))
        assert (item.claimed, claimed) == (5, 5)
    print(f"200 claims across {len(servers)} servers: {dict(statuses)} in {elapsed:.2f} s with the form fetches")


def test_login_rate_limit_is_shared_by_both_servers(servers, system_database, rate_limits):
    import redis

    limit = int(servers[0].environ["RATELIMIT_LOGIN"].split()[0])
    with system_database.app_context():
        make_user(email="limited@example.com")
        make_user(email="limited-too@example.com")

    def attempts(source_ip, across, email):
        """limit + 4 wrong passwords from one client address, taking turns over `across`."""
        browser = Browser(across[0], source_ip=source_ip)
        statuses = []
        for i in range(limit + 4):
            server = across[i % len(across)]
            browser.get("/accounts/login", server=server)  # reading the form is never limited
            data = {"email": email, "password": "not the password"}
            statuses.append(browser.post("/accounts/login", data, server=server).status)
        return statuses

    # Two client addresses and two accounts, so each run starts with untouched counters
    # (the per-account pause on wrong passwords, #22, counts across addresses).
    on_one = attempts("127.0.0.2", servers[:1], "limited@example.com")
    across_both = attempts("127.0.0.3", servers, "limited-too@example.com")

    assert on_one == [403] * limit + [429] * 4
    assert across_both == on_one
    print(f"login limit {limit}/min: one server {on_one}, both servers {across_both}")
    # The counters are in Redis under this run's prefix (not in each process's memory).
    client = redis.Redis.from_url(rate_limits["RATELIMIT_STORAGE_URI"])
    try:
        assert list(client.scan_iter(match=f"*{rate_limits['RATELIMIT_KEY_PREFIX']}*127.0.0.3*"))
    finally:
        client.close()


def test_a_poster_uploaded_through_one_server_is_served_by_another(system_database, rate_limits, tmp_path_factory):
    """Two servers that share only the database and Redis, each with its own
    instance folder as on two machines: an upload through one is on the other."""
    with system_database.app_context():
        make_user(email="poster-host@example.com")
    logs = tmp_path_factory.mktemp("poster-logs")
    machines = []
    try:
        for name in ("machine-a", "machine-b"):
            environ = production_environ(system_database.url, tmp_path_factory.mktemp(name), **rate_limits)
            machines += start_servers(1, environ, logs, name=name)
        a, b = machines
        host = Browser(a)
        host.get("/accounts/login")
        assert host.post("/accounts/login", {"email": "poster-host@example.com", "password": DEFAULT_PASSWORD}).status == 302
        host.get("/films/new")
        added = host.upload("/films/new", {"title": "Poster Film", "year": "2024"}, {"poster": ("poster.png", tiny_png())})
        assert added.status == 302, added.text[:500]

        film_page = Browser(b).get(added.location)
        assert film_page.status == 200
        name = re.search(r'src="/films/posters/([0-9a-f]{32}\.(?:webp|jpg))"', film_page.text).group(1)
        poster = Browser(b).get(f"/films/posters/{name}")
        assert poster.status == 200
        assert poster.headers["Content-Type"] in ("image/webp", "image/jpeg")
    finally:
        stop_servers(machines)
    check_logs(machines)
