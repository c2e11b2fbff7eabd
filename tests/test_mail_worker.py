"""Email leaves the request: requests only queue, the mail worker sends.

Runs against a real SMTP server on loopback (tests/smtp.py) and on both
databases: no request opens an SMTP connection, a batch goes over one
connection, two workers deliver each message once, a failed delivery is
retried on its schedule and given up after a day, and a password reset
answers alike for every address whether the mail server is up or down.
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tests.factories import log_in, make_film, make_party, make_reply, make_user
from tests.mailbox import first_link
from tests.smtp import free_port, smtp_config
from tests.test_rsvp_concurrency import run_together
from watchparty import mail, mail_worker
from watchparty.extensions import db
from watchparty.models import OutboundEmail


def rows(**where) -> list[OutboundEmail]:
    query = sa.select(OutboundEmail).order_by(OutboundEmail.id)
    for name, value in where.items():
        query = query.where(getattr(OutboundEmail, name) == value)
    return list(db.session.scalars(query))


def party_of_60(host_email="host@example.com"):
    host = make_user(email=host_email, display_name="Hana Host")
    party = make_party(host, make_film(runtime_minutes=139), title="Anora night", capacity=None)
    for i in range(60):
        make_reply(party, name=f"Guest {i}", email=f"guest{i}@example.com")
    return party


def test_a_host_edit_telling_60_guests_opens_no_smtp_connection_and_the_worker_sends_them_over_one(
    app_factory, smtp_server
):
    app = app_factory(**smtp_config(smtp_server.port))
    with app.app_context():
        party = party_of_60()
        party_id, starts_at = party.id, party.starts_at
        mail_worker.work(once=True)  # the 60 confirmations
        assert len(smtp_server.messages()) == 60
        assert smtp_server.connections() == 1, "one batch, one connection"

    client = app.test_client()
    log_in(client, "host@example.com")
    moved = (starts_at + timedelta(days=1)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/parties/{party_id}/edit",
        data={"title": "Anora night", "film": "anora-2024", "starts_at": moved, "timezone": "UTC",
              "area": "Hackney, London", "address": "12 Secret Street, London E8", "max_plus_ones": "2"},
    )
    assert response.status_code == 302, response.text
    assert smtp_server.connections() == 1, "the request opened no SMTP connection"
    with app.app_context():
        assert len(rows(status="pending")) == 60
        mail_worker.work(once=True)
        assert rows(status="pending") == []
    changed = [recipients for recipients, message in smtp_server.messages() if message["Subject"].startswith("Changed:")]
    assert sorted(r for (r,) in changed) == sorted(f"guest{i}@example.com" for i in range(60))
    assert smtp_server.connections() == 2, "all 60 went over one more connection"


def test_two_workers_draining_one_outbox_deliver_every_message_exactly_once(app_factory, smtp_server):
    app = app_factory(**smtp_config(smtp_server.port))
    with app.app_context():
        party_of_60()
        db.session.remove()

    def worker(_):
        with app.app_context():
            # Small batches, so that the two workers take turns claiming.
            while mail_worker.send_due(limit=4):
                pass

    run_together(2, worker)
    recipients = sorted(r for rs, _ in smtp_server.messages() for r in rs)
    assert recipients == sorted(f"guest{i}@example.com" for i in range(60)), "each once, none lost"
    with app.app_context():
        assert {(row.status, row.attempts) for row in rows()} == {("sent", 1)}


def test_a_failed_delivery_is_retried_on_the_schedule_and_given_up_after_a_day(app_factory):
    app = app_factory(**smtp_config(free_port(), timeout=1))
    with app.app_context():
        host = make_user(email="host@example.com")
        make_reply(make_party(host), name="Ana", email="ana@example.com")
        (row,) = rows()
        queued_at = row.created_at
        now = row.next_attempt_at
        tries = []
        while True:
            delivery = mail_worker.send_due(now=now)
            if delivery.failed:
                break
            (row,) = delivery.retrying
            tries.append(row.next_attempt_at - now)
            assert len(mail_worker.send_due(now=row.next_attempt_at - timedelta(seconds=1))) == 0, "not before its time"
            now = row.next_attempt_at
        assert tries[:5] == [
            timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1), timedelta(hours=1)
        ]
        (row,) = rows()
        assert row.status == "failed" and "Connection refused" in row.last_error
        assert now - queued_at <= timedelta(days=1) < now + timedelta(hours=1) - queued_at
        assert len(mail_worker.send_due(now=now + timedelta(days=2))) == 0, "a message given up is not tried again"
    result = app.test_cli_runner().invoke(args=["mail", "status"])
    assert result.exit_code == 0, result.output
    assert "failed: 1" in result.output
    assert "to ana@example.com: You're going to Film night" in result.output


def test_a_worker_that_died_mid_send_leaves_its_claim_to_another_after_ten_minutes(app):
    host = make_user(email="host@example.com")
    make_reply(make_party(host), name="Ana", email="ana@example.com")
    now = datetime.now(UTC)
    claimed = mail_worker._claim_batch(now, limit=10)
    assert len(claimed) == 1
    assert mail_worker._claim_batch(now, limit=10) == [], "a claimed message is no one else's"
    assert len(mail_worker.send_due(now=now + timedelta(minutes=9))) == 0
    assert len(mail_worker.send_due(now=now + timedelta(minutes=11)).sent) == 1


def test_the_worker_command_sends_what_is_due_and_stops_with_once(app, outbox):
    host = make_user(email="host@example.com")
    make_reply(make_party(host), name="Ana", email="ana@example.com")
    result = app.test_cli_runner().invoke(args=["mail", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent: You're going to Film night -> ana@example.com" in result.output
    assert [m["To"] for m in outbox.messages()] == ["ana@example.com"]


# ---------------------------------------------------------------- password reset


def test_reset_answers_alike_for_known_and_unknown_addresses_with_the_mail_server_down(app_factory, smtp_server):
    down = app_factory(**smtp_config(free_port(), timeout=1))
    with down.app_context():
        make_user(email="alice@example.com")
    client = down.test_client()
    answers = []
    for address in ("alice@example.com", "nobody@example.com"):
        response = client.post("/accounts/reset", data={"email": address})
        page = client.get(response.headers["Location"]).text
        answers.append((response.status_code, response.headers["Location"], page.replace(address, "ADDRESS")))
    assert answers[0] == answers[1]
    assert answers[0][0] == 302
    with down.app_context():
        assert {row.recipient for row in rows()} == {"alice@example.com", "nobody@example.com"}
        assert all(row.message is None for row in rows()), "no reset link is stored"
        first_try = datetime.now(UTC)
        assert len(mail_worker.send_due(now=first_try).retrying) == 2

    up = app_factory(**smtp_config(smtp_server.port))
    with up.app_context():
        delivery = mail_worker.send_due(now=first_try + timedelta(minutes=1))
        assert [row.recipient for row in delivery.sent] == ["alice@example.com"]
        assert [row.recipient for row in delivery.dropped] == ["nobody@example.com"]
    ((recipients, message),) = smtp_server.messages()
    assert recipients == ["alice@example.com"]
    link = first_link(message, "/accounts/reset/")
    assert up.test_client().get(link).status_code == 200, "the link the worker minted works"


# ---------------------------------------------------------------- services own their emails, outside any request


def pending() -> list[tuple[str, str]]:
    return [(row.recipient, row.subject) for row in rows(status="pending")]


def clear_queue() -> None:
    db.session.execute(sa.delete(OutboundEmail))
    db.session.commit()


def test_reply_services_queue_their_own_emails_outside_a_request(app):
    from flask import has_request_context

    from watchparty.rsvp import service as rsvp

    assert not has_request_context()
    host = make_user(email="host@example.com")
    party = make_party(host, capacity=2, title="Anora night")
    ana = make_reply(party, name="Ana", email="ana@example.com", plus_ones=1)
    assert pending() == [("ana@example.com", "You're going to Anora night")]
    clear_queue()

    ben = make_reply(party, name="Ben", email="ben@example.com")
    assert pending() == [("ben@example.com", "You're on the waitlist for Anora night")]
    clear_queue()

    # A second reply with Ana's address changes nothing and sends Ana her own link.
    try:
        rsvp.reply_to_party(party, rsvp.ReplyFields(name="Not Ana", response="going", email="ana@example.com"))
    except rsvp.AlreadyReplied:
        db.session.commit()
    else:
        raise AssertionError("a second reply with the same address is refused")
    assert pending() == [("ana@example.com", "Your reply to Anora night")]
    clear_queue()

    rsvp.change_reply(ana, rsvp.ReplyFields(name="Ana", response="going", email="ana@example.com", plus_ones=0))
    db.session.commit()
    assert pending() == [("ben@example.com", "You're in: a seat opened up for Anora night")]
    clear_queue()

    rsvp.withdraw_reply(ben)
    db.session.commit()
    assert pending() == [("ben@example.com", "Your reply to Anora night")]
    clear_queue()

    cat = make_reply(party, name="Cat", email="cat@example.com", plus_ones=1)
    assert cat.is_waitlisted
    clear_queue()
    assert rsvp.remove_guest(party, ana.id) == [cat]
    db.session.commit()
    assert pending() == [
        ("ana@example.com", "You're no longer on the guest list for Anora night"),
        ("cat@example.com", "You're in: a seat opened up for Anora night"),
    ]


def test_party_services_queue_their_own_emails_outside_a_request(app):
    from tests.factories import make_claim, make_items
    from watchparty.accounts import service as accounts
    from watchparty.accounts import settings
    from watchparty.parties import service as parties
    from watchparty.signups import items as signup_items

    host = make_user(email="host@example.com")
    party = make_party(host, title="Anora night", capacity=1)
    ana = make_reply(party, name="Ana", email="ana@example.com")
    make_reply(party, name="Ben", email="ben@example.com")  # waitlisted
    (popcorn,) = make_items(party, ("Popcorn", 2))
    make_claim(party, popcorn, 1, rsvp=ana)
    clear_queue()

    fields = parties.PartyFields(
        title="Anora night", film=party.film.slug, starts_at=parties.to_local(party.starts_at, "Europe/London")
        + timedelta(hours=1), timezone="Europe/London", area="Hackney, London",
        address="12 Secret Street, London E8", capacity=2, max_plus_ones=2,
    )
    parties.update_party(party, fields)
    db.session.commit()
    assert sorted(pending()) == [
        ("ana@example.com", "Changed: Anora night"),
        ("ben@example.com", "Changed: Anora night"),
        ("ben@example.com", "You're in: a seat opened up for Anora night"),
    ]
    clear_queue()

    assert signup_items.remove_item(party, popcorn.id, confirmed=True).told == 1
    db.session.commit()
    assert pending() == [("ana@example.com", "Popcorn is off the list for Anora night")]
    clear_queue()

    assert parties.regenerate_share_link(party) == 2
    db.session.commit()
    assert sorted(pending()) == [("ana@example.com", "New link for Anora night"), ("ben@example.com", "New link for Anora night")]
    clear_queue()

    settings.delete_account(host, "correct horse battery")
    db.session.commit()
    assert sorted(pending()) == [("ana@example.com", "Cancelled: Anora night"), ("ben@example.com", "Cancelled: Anora night")]
    clear_queue()

    accounts.request_password_reset("Someone@Example.com")
    db.session.commit()
    assert pending() == [("someone@example.com", "Reset your Watchparty password")]


def test_a_message_that_cannot_be_made_is_retried_and_the_others_still_go(app, outbox):
    @mail.render_when_sent("test-broken")
    def broken(recipient):
        raise ValueError("this template is broken")

    mail.queue_kind("test-broken", "ana@example.com", "Broken")
    make_reply(make_party(make_user(email="host@example.com")), name="Ben", email="ben@example.com")
    delivery = mail_worker.send_due()
    assert [row.recipient for row in delivery.sent] == ["ben@example.com"]
    (retry,) = delivery.retrying
    assert retry.recipient == "ana@example.com" and "this template is broken" in retry.last_error
    assert [m["To"] for m in outbox.messages()] == ["ben@example.com"]


def test_sent_bodies_are_emptied_after_the_retention_time_and_the_metadata_stays(app):
    host = make_user(email="host@example.com")
    make_reply(make_party(host), name="Ana", email="ana@example.com")
    make_reply(make_party(host), name="Ben", email="ben@example.com")
    long_ago = datetime.now(UTC) - timedelta(days=31)
    mail_worker.send_due()
    old, recent = rows()
    old.sent_at = long_ago
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["mail", "work", "--once"])
    assert "emptied the bodies of 1 sent message(s)" in result.output
    db.session.expire_all()
    old, recent = rows()
    assert old.message == b"" and old.recipient == "ana@example.com" and old.subject and old.sent_at
    assert recent.message and b"ben@example.com" in recent.message


def test_a_guests_link_is_sent_again_at_most_once_in_ten_minutes(app):
    from watchparty.rsvp import service as rsvp

    party = make_party(make_user(email="host@example.com"), title="Anora night")
    make_reply(party, name="Ana", email="ana@example.com")
    clear_queue()
    now = datetime.now(UTC)
    start = now - timedelta(seconds=now.timestamp() % 600)  # the start of a ten-minute window
    for minutes in (0, 1, 5, 9, 10, 11):
        try:
            rsvp.reply_to_party(party, rsvp.ReplyFields(name="Not Ana", response="going", email="ana@example.com"),
                                now=start + timedelta(minutes=minutes))
        except rsvp.AlreadyReplied:
            db.session.commit()
    assert pending() == [("ana@example.com", "Your reply to Anora night")] * 2, "one in 10:00-10:09, one from 10:10"


def test_a_message_queued_for_later_waits_for_its_time(app):
    now = datetime.now(UTC)
    with app.app_context():
        mail.queue_kind("reset", "nobody@example.com", "Later", not_before=now + timedelta(hours=2))
        db.session.commit()
        assert not mail_worker.has_due(now), "queued, but not yet due"
        assert not mail_worker.has_due(now + timedelta(hours=1, minutes=59))
        assert mail_worker.has_due(now + timedelta(hours=2, seconds=1))


def test_the_worker_runs_the_timed_jobs_so_reminders_need_no_cron(app, outbox):
    now = datetime.now(UTC)
    with app.app_context():
        host = make_user(email="host@example.com")
        party = make_party(host, make_film(), starts_in=timedelta(hours=20), title="Tomorrow's film")
        make_reply(party, name="Ana", email="ana@example.com", now=now - timedelta(days=2))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["mail", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert [m["To"] for m in outbox.messages() if m["Subject"].startswith("Tomorrow:")] == ["ana@example.com"]
    app.test_cli_runner().invoke(args=["mail", "work", "--once"])
    assert len([m for m in outbox.messages() if m["Subject"].startswith("Tomorrow:")]) == 1, "once each"
