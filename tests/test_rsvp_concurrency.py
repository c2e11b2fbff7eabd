"""Simultaneous replies: the database decides who gets the seats, on SQLite and PostgreSQL.

Each thread has its own test client, so each request runs in its own app
context with its own database session and connection, as under a real server.
"""

import threading

import sqlalchemy as sa

from tests.factories import make_film, make_party, make_reply, make_user
from watchparty.extensions import db
from watchparty.models import Party, Rsvp
from watchparty.rsvp import service


def run_together(count, work):
    """Run work(i) for i in range(count) in threads released at the same moment."""
    barrier = threading.Barrier(count)
    results = [None] * count
    errors = []

    def worker(i):
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as error:  # a thread's failure must fail the test, not vanish
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def seats_held(rsvps) -> int:
    return sum(1 + r.plus_ones for r in rsvps if r.response == "going" and r.state == "confirmed")


def test_100_simultaneous_going_replies_to_a_party_of_20(app_factory):
    app = app_factory(RATELIMIT_ENABLED=False)
    with app.app_context():
        host = make_user(email="host@example.com")
        party = make_party(host, make_film(), capacity=20, max_plus_ones=0)
        token, party_id = party.share_token, party.id
        db.session.remove()

    def reply(i):
        response = app.test_client().post(f"/p/{token}/rsvp", data={"name": f"Guest {i:03d}", "response": "going"})
        return response.status_code, response.headers.get("Location", "")

    results = run_together(100, reply)
    statuses = [status for status, _ in results]
    assert statuses == [302] * 100, sorted(set(statuses))

    with app.app_context():
        party = db.session.get(Party, party_id)
        rsvps = list(db.session.scalars(sa.select(Rsvp).where(Rsvp.party_id == party_id)))
        confirmed = [r for r in rsvps if r.state == "confirmed"]
        waitlisted = sorted((r for r in rsvps if r.state == "waitlisted"), key=lambda r: (r.queued_at, r.id))
        assert (len(confirmed), len(waitlisted)) == (20, 80)
        assert party.seats_taken == 20 == seats_held(rsvps)
        # Nobody who replied later got a seat ahead of someone still waiting.
        last_seated = max(r.created_at for r in confirmed)
        assert all(r.queued_at >= last_seated for r in waitlisted)
        # Places 1..80 follow the order the replies were recorded in.
        assert [service.waitlist_place(r) for r in waitlisted] == list(range(1, 81))
        places = {f"/p/{token}/rsvp/{r.manage_token}": place for place, r in enumerate(waitlisted, start=1)}
        db.session.remove()

    # Each guest's own page tells them their place.
    client = app.test_client()
    for location, place in list(places.items())[:: 9]:
        assert f"#{place} on the waitlist" in client.get(location).text


def test_seats_freed_while_others_reply_all_go_to_the_waitlist(app_factory):
    app = app_factory(RATELIMIT_ENABLED=False)
    with app.app_context():
        host = make_user(email="host@example.com")
        party = make_party(host, make_film(), capacity=10, max_plus_ones=1)
        seated = [make_reply(party, f"Seated {i}") for i in range(10)]
        token, party_id = party.share_token, party.id
        manage = [r.manage_token for r in seated]
        db.session.remove()

    def act(i):
        client = app.test_client()
        if i < 10:  # ten seated guests withdraw...
            response = client.post(f"/p/{token}/rsvp/{manage[i]}/withdraw")
        else:  # ...while twenty newcomers (some with a plus-one) reply going
            data = {"name": f"New {i}", "response": "going", "plus_ones": str(i % 2)}
            response = client.post(f"/p/{token}/rsvp", data=data)
        return response.status_code

    assert run_together(30, act) == [302] * 30

    with app.app_context():
        party = db.session.get(Party, party_id)
        rsvps = list(db.session.scalars(sa.select(Rsvp).where(Rsvp.party_id == party_id)))
        assert party.seats_taken == seats_held(rsvps)
        assert party.seats_taken <= party.capacity
        free = party.capacity - party.seats_taken
        # Whoever still waits would not fit in what is left: no seat stays empty past the queue.
        assert all(1 + r.plus_ones > free for r in rsvps if r.state == "waitlisted")
        assert sum(r.response == "declined" for r in rsvps) == 10
        db.session.remove()


def test_one_reply_changed_many_times_at_once_keeps_the_count_exact(app_factory):
    app = app_factory(RATELIMIT_ENABLED=False)
    with app.app_context():
        host = make_user(email="host@example.com")
        party = make_party(host, make_film(), capacity=6, max_plus_ones=2)
        guest = make_reply(party, "Double clicker", plus_ones=2)
        for i in range(3):
            make_reply(party, f"Seated {i}")
        for i in range(3):
            make_reply(party, f"Waiting {i}")
        token, party_id, manage = party.share_token, party.id, guest.manage_token
        db.session.remove()

    def act(i):
        client = app.test_client()
        if i % 3 == 0:
            response = client.post(f"/p/{token}/rsvp/{manage}/withdraw")
        else:
            data = {"name": "Double clicker", "response": "going", "plus_ones": str(i % 3)}
            response = client.post(f"/p/{token}/rsvp/{manage}", data=data)
        return response.status_code

    statuses = run_together(24, act)
    assert set(statuses) <= {302, 409}, statuses  # 409: no room for more plus-ones right now

    with app.app_context():
        party = db.session.get(Party, party_id)
        rsvps = list(db.session.scalars(sa.select(Rsvp).where(Rsvp.party_id == party_id)))
        assert party.seats_taken == seats_held(rsvps) <= party.capacity
        free = party.capacity - party.seats_taken
        assert all(1 + r.plus_ones > free for r in rsvps if r.state == "waitlisted")
        db.session.remove()
