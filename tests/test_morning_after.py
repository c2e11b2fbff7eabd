"""The morning after (issue #20, part 6): every guest who came gets one "How was it?" email,
at breakfast time in the party's zone, with a one-tap way to the rating form."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.factories import make_film, make_party, make_reply
from tests.mailbox import first_link, text_body
from watchparty import mail_worker
from watchparty.extensions import db
from watchparty.models import OutboundEmail
from watchparty.party_clock import morning_after

START = datetime(2030, 6, 14, 19, 0, tzinfo=UTC)  # 20:00 in London (BST)
DUE = datetime(2030, 6, 15, 8, 0, tzinfo=UTC)  # 09:00 in London the next morning


@pytest.fixture
def party(host, film):
    """Anora night on a June evening in London; capacity 4, so the fourth reply waits."""
    party = make_party(host, film, title="Anora night", capacity=4, max_plus_ones=2)
    party.starts_at = START
    db.session.commit()
    return party


@pytest.fixture
def guests(party):
    """Who replied how: one of each kind (Otto pressed "stop emails")."""
    replies = {
        "gina": make_reply(party, "Gina Guest", email="gina@example.com", plus_ones=1, now=START - timedelta(days=3)),
        "otto": make_reply(party, "Otto Optout", email="otto@example.com", now=START - timedelta(days=3)),
        "nora": make_reply(party, "Nora No-email", now=START - timedelta(days=3)),
        "walt": make_reply(party, "Walt Waiting", email="walt@example.com", now=START - timedelta(days=3)),
        "mia": make_reply(party, "Mia Maybe", email="mia@example.com", response="maybe", now=START - timedelta(days=3)),
        "dan": make_reply(party, "Dan Declined", email="dan@example.com", response="declined",
                          now=START - timedelta(days=3)),
    }
    replies["otto"].emails_stopped = True
    db.session.commit()
    assert replies["walt"].is_waitlisted and not replies["nora"].is_waitlisted
    return replies


def how_was_it(outbox) -> list:
    return [message for message in outbox.messages() if message["Subject"] == "How was Anora?"]


def test_the_morning_after_is_nine_the_next_morning_in_the_partys_zone(party):
    assert party.ends_at == datetime(2030, 6, 14, 21, 19, tzinfo=UTC)
    assert morning_after(party) == DUE


@pytest.mark.parametrize(
    ("local_start", "zone", "due_local"),
    [
        ("2030-06-14 20:00", "Europe/London", "2030-06-15 09:00"),  # an evening film: breakfast next day
        ("2030-06-14 23:30", "Europe/London", "2030-06-15 09:00"),  # ends 01:49: the same morning, 7 h later
        ("2030-06-14 14:00", "Europe/London", "2030-06-15 09:00"),  # a matinee: not at midnight
        ("2030-06-15 04:00", "Europe/London", "2030-06-16 09:00"),  # ends 06:19: never before six hours
        ("2030-03-09 20:00", "America/New_York", "2030-03-10 09:00"),  # the clocks go forward that night
    ],
)
def test_the_morning_after_is_never_at_night_nor_too_soon(host, film, local_start, zone, due_local):
    from zoneinfo import ZoneInfo

    party = make_party(host, film, timezone=zone)
    party.starts_at = datetime.fromisoformat(local_start).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    due = morning_after(party)
    assert due.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M") == due_local
    assert due - party.ends_at >= timedelta(hours=6)


def test_each_guest_who_came_gets_one_how_was_it_email_the_morning_after(app, party, guests, outbox):
    assert mail_worker.run_timed_jobs(DUE - timedelta(minutes=1))["morning_after"] == 0
    assert how_was_it(outbox) == []

    assert mail_worker.run_timed_jobs(DUE)["morning_after"] == 1
    assert mail_worker.run_timed_jobs(DUE + timedelta(minutes=1))["morning_after"] == 0  # a second run: nothing new
    (message,) = how_was_it(outbox)
    # Only Gina: Otto stopped emails, Nora gave no address, Walt waited without a seat,
    # Mia said maybe and Dan can't make it.
    assert message["To"] == "gina@example.com"
    body = text_body(message)
    assert "Thanks for coming to Anora night" in body
    assert f"/p/{party.share_token}/rsvp/{guests['gina'].manage_token}/emails" in message["List-Unsubscribe"]
    assert f"/p/{party.share_token}/rsvp/{guests['gina'].manage_token}?rate" in body


def test_exactly_once_even_when_two_runs_queue_it(app, party, guests):
    from watchparty.notifications.after_film import queue_morning_after

    queue_morning_after(DUE)
    queue_morning_after(DUE + timedelta(minutes=1))
    db.session.commit()
    keys = db.session.scalars(sa.select(OutboundEmail.dedupe_key).where(OutboundEmail.subject == "How was Anora?"))
    assert list(keys) == [f"morning-after:{guests['gina'].id}"]


def test_one_tap_from_the_email_opens_the_rating_form(app, party, guests, outbox):
    import time_machine

    mail_worker.run_timed_jobs(DUE)
    (message,) = how_was_it(outbox)
    link = first_link(message, f"/p/{party.share_token}/rsvp/")
    browser = app.test_client()  # a phone that never saw the party
    with time_machine.travel(DUE, tick=False):
        response = browser.get(link, follow_redirects=True)
    assert response.status_code == 200
    assert 'id="how-was-it"' in response.text and "Send my verdict" in response.text


def test_a_cancelled_party_sends_no_morning_after(app, party, guests, outbox):
    party.status = "cancelled"
    db.session.commit()
    assert mail_worker.run_timed_jobs(DUE)["morning_after"] == 0
    assert how_was_it(outbox) == []


def test_a_morning_after_missed_by_a_day_is_not_sent(app, party, guests, outbox):
    # A worker down for a day, or this feature arriving after the party: no email about a night long past.
    assert mail_worker.run_timed_jobs(DUE + timedelta(hours=24))["morning_after"] == 0
    assert how_was_it(outbox) == []


def test_a_party_on_the_other_side_of_the_world_waits_for_its_own_morning(app, host):
    film = make_film("Parasite", 2019, runtime_minutes=132)
    party = make_party(host, film, timezone="Asia/Tokyo", title="Tokyo night")
    party.starts_at = datetime(2030, 6, 14, 11, 0, tzinfo=UTC)  # 20:00 in Tokyo
    db.session.commit()
    make_reply(party, "Kenji", email="kenji@example.com", now=party.starts_at - timedelta(days=1))
    assert mail_worker.run_timed_jobs(datetime(2030, 6, 14, 23, 59, tzinfo=UTC))["morning_after"] == 0
    assert mail_worker.run_timed_jobs(datetime(2030, 6, 15, 0, 0, tzinfo=UTC))["morning_after"] == 1  # 09:00 in Tokyo


def test_two_mail_workers_running_the_job_at_once_queue_each_email_once(app, party, guests):
    from tests.test_rsvp_concurrency import run_together

    party.capacity = None
    db.session.commit()
    more = [make_reply(party, f"Guest {n}", email=f"guest{n}@example.com", now=START - timedelta(days=2))
            for n in range(3)]
    assert all(not rsvp.is_waitlisted for rsvp in more)
    db.session.commit()  # no read of ours stays open while the workers write

    def worker(_):
        with app.app_context():
            return mail_worker.run_timed_jobs(DUE)["morning_after"]

    assert sum(run_together(2, worker)) == 4  # Gina and the three: each queued by one worker or the other
    db.session.rollback()
    keys = list(db.session.scalars(sa.select(OutboundEmail.dedupe_key).where(OutboundEmail.subject == "How was Anora?")))
    assert sorted(keys) == sorted(f"morning-after:{rsvp.id}" for rsvp in [guests["gina"], *more])
