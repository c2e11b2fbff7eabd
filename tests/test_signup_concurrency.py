"""Simultaneous sign-ups: the database decides who gets the last units, on SQLite and PostgreSQL.

Each thread has its own test client (a guest's browser, remembered by the
cookie set when they opened their manage link), so each request runs in its
own app context with its own database session and connection, as under a
real server.
"""

import sqlalchemy as sa

from tests.factories import log_in, make_film, make_items, make_party, make_reply, make_user
from tests.test_rsvp_concurrency import run_together
from watchparty.extensions import db
from watchparty.models import Claim, Rsvp, SignupItem


def guests(app, count, **party_fields):
    """A host, a party with one item, `count` guests going, and a remembered browser for each."""
    with app.app_context():
        host = make_user(email="host@example.com")
        party = make_party(host, make_film(), capacity=None, **party_fields)
        (item,) = make_items(party, ("Popcorn", 5))
        replies = [make_reply(party, f"Guest {i:03d}") for i in range(count)]
        token, party_id, item_id = party.share_token, party.id, item.id
        links = [f"/p/{token}/rsvp/{rsvp.manage_token}" for rsvp in replies]
        rsvp_ids = [rsvp.id for rsvp in replies]
        db.session.remove()
    clients = []
    for link in links:
        client = app.test_client()
        assert client.get(link).status_code == 200
        clients.append(client)
    return token, party_id, item_id, rsvp_ids, clients


def counted(app, item_id):
    """(claimed counter, sum of claims, number of claims) of an item, read fresh."""
    with app.app_context():
        claimed, needed = db.session.execute(
            sa.select(SignupItem.claimed, SignupItem.quantity_needed).where(SignupItem.id == item_id)
        ).one()
        quantities = list(db.session.scalars(sa.select(Claim.quantity).where(Claim.item_id == item_id)))
        db.session.remove()
    assert claimed <= needed
    return claimed, sum(quantities), len(quantities)


def test_200_simultaneous_claims_on_an_item_that_needs_5(app_factory):
    app = app_factory(RATELIMIT_ENABLED=False)
    token, _party_id, item_id, rsvp_ids, clients = guests(app, 200)

    def claim(i):
        response = clients[i].post(f"/p/{token}/items/{item_id}/claim", data={"quantity": "1"})
        return response.status_code, "All 5 are taken." in response.text

    results = run_together(200, claim)
    statuses = [status for status, _ in results]
    assert sorted(set(statuses)) == [302, 409], sorted(set(statuses))
    assert statuses.count(302) == 5 and statuses.count(409) == 195
    assert all(said_so for status, said_so in results if status == 409)  # a clear refusal, every time
    assert counted(app, item_id) == (5, 5, 5)
    with app.app_context():
        claimers = list(db.session.scalars(sa.select(Claim.rsvp_id).where(Claim.item_id == item_id)))
        assert len(set(claimers)) == 5 and set(claimers) <= set(rsvp_ids)
        db.session.remove()


def test_claims_changes_and_releases_at_once_keep_the_counter_equal_to_the_claims(app_factory):
    app = app_factory(RATELIMIT_ENABLED=False)
    token, _party_id, item_id, rsvp_ids, clients = guests(app, 40)
    # Four guests hold one each before the rush.
    for client in clients[:4]:
        assert client.post(f"/p/{token}/items/{item_id}/claim", data={"quantity": "1"}).status_code == 302
    with app.app_context():
        held = dict(db.session.execute(sa.select(Claim.rsvp_id, Claim.id).where(Claim.item_id == item_id)).all())
        db.session.remove()
    assert len(held) == 4

    def act(i):
        client = clients[i]
        if i < 4 and i % 2:
            response = client.post(f"/p/{token}/claims/{held[rsvp_ids[i]]}/delete")
        else:
            response = client.post(f"/p/{token}/items/{item_id}/claim", data={"quantity": str(1 + i % 3)})
        return response.status_code

    statuses = run_together(40, act)
    assert set(statuses) <= {302, 409}, sorted(set(statuses))
    claimed, total, _ = counted(app, item_id)
    assert claimed == total <= 5


def test_one_guest_changing_a_claim_many_times_at_once_counts_once(app_factory):
    app = app_factory(RATELIMIT_ENABLED=False)
    token, _party_id, item_id, _rsvp_ids, clients = guests(app, 1)
    # The same browser's double (and triple…) submits: clients sharing its cookie.
    with app.app_context():
        cookie_name = f"wp_guest_{_party_id}"
    remembered = clients[0].get_cookie(cookie_name, path="/p/")
    browsers = []
    for _ in range(24):
        browser = app.test_client()
        browser.set_cookie(cookie_name, remembered.value, path="/p/")
        browsers.append(browser)

    def act(i):
        return browsers[i].post(f"/p/{token}/items/{item_id}/claim", data={"quantity": str(1 + i % 5)}).status_code

    statuses = run_together(24, act)
    assert set(statuses) <= {302, 409}, sorted(set(statuses))
    claimed, total, claims = counted(app, item_id)
    assert claimed == total and claims == 1


def test_replies_changed_to_declined_while_claiming_leave_no_claim_behind(app_factory):
    app = app_factory(RATELIMIT_ENABLED=False)
    token, _party_id, item_id, _rsvp_ids, clients = guests(app, 10)
    with app.app_context():
        tokens = list(db.session.scalars(sa.select(Rsvp.manage_token).order_by(Rsvp.id)))
        db.session.remove()

    def act(i):
        client, guest = clients[i // 2], i // 2
        if i % 2:
            return client.post(f"/p/{token}/rsvp/{tokens[guest]}/withdraw").status_code
        return client.post(f"/p/{token}/items/{item_id}/claim", data={"quantity": "1"}).status_code

    statuses = run_together(20, act)
    assert set(statuses) <= {302, 403, 409}, sorted(set(statuses))
    with app.app_context():
        declined_with_claims = db.session.scalar(
            sa.select(sa.func.count()).select_from(Claim).join(Rsvp, Claim.rsvp_id == Rsvp.id)
            .where(Rsvp.response == "declined")
        )
        db.session.remove()
    assert declined_with_claims == 0
    claimed, total, _ = counted(app, item_id)
    assert claimed == total == 0


def test_the_host_removing_an_item_while_guests_claim_it(app_factory):
    app = app_factory(RATELIMIT_ENABLED=False)
    token, party_id, item_id, _rsvp_ids, clients = guests(app, 20)
    host = app.test_client()
    log_in(host, email="host@example.com")

    def act(i):
        if i == 0:
            return host.post(f"/parties/{party_id}/items/{item_id}/remove", data={"confirm": "yes"}).status_code
        return clients[i].post(f"/p/{token}/items/{item_id}/claim", data={"quantity": "1"}).status_code

    statuses = run_together(20, act)
    assert statuses[0] == 302
    assert set(statuses[1:]) <= {302, 404, 409}, sorted(set(statuses))
    with app.app_context():
        assert db.session.get(SignupItem, item_id) is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Claim)) == 0
        db.session.remove()
