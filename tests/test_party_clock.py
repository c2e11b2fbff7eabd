"""The party's clock: one PartyPhase answers every "has it … yet?" for replies,
the sign-up list, spoilers, rating and the party page's kept copies."""

from datetime import timedelta

from tests.factories import make_film, make_party, make_user
from watchparty.party_clock import party_phase


def test_each_moment_passes_once_and_in_order(app):
    film = make_film(runtime_minutes=139)
    party = make_party(make_user(), film)
    party.rsvp_deadline = party.starts_at - timedelta(days=1)
    start, deadline = party.starts_at, party.rsvp_deadline
    assert party.ends_at == start + timedelta(minutes=139)

    before = party_phase(party, deadline - timedelta(seconds=1))
    assert before.moments == (False, False, False, False, False)
    assert before.closed_reason("replies") is None and before.closed_reason("signups") is None

    after_deadline = party_phase(party, deadline)
    assert after_deadline.moments == (False, True, False, False, False)
    assert after_deadline.closed_reason("replies").startswith("Replies closed at the RSVP deadline (")
    assert after_deadline.closed_reason("signups").startswith("Sign-ups closed with replies at the RSVP deadline")
    assert after_deadline.closed_reason("signups", is_host=True) is None, "the host tidies the list until the start"

    started = party_phase(party, start)
    assert started.moments == (False, True, True, False, False) and started.rating_open
    assert started.closed_reason("replies") == "The party has started, so replies are closed."
    assert started.closed_reason("signups", is_host=True) == "The party has started, so the sign-up list is closed."

    assert party_phase(party, party.ends_at - timedelta(seconds=1)).film_over is False
    assert party_phase(party, party.ends_at).film_over is True


def test_a_film_without_a_runtime_ends_three_hours_after_the_start(app):
    party = make_party(make_user(), make_film(runtime_minutes=None))
    assert party.ends_at == party.starts_at + timedelta(hours=3)
    assert not party_phase(party, party.starts_at + timedelta(hours=2, minutes=59)).film_over


def test_a_cancelled_party_is_closed_whatever_the_time(app):
    party = make_party(make_user())
    party.status = "cancelled"
    phase = party_phase(party, party.starts_at - timedelta(days=3))
    assert phase.closed_reason("replies") == "The host cancelled this party, so replies are closed."
    assert phase.closed_reason("signups", is_host=True) == "The party is cancelled, so the sign-up list is closed."
