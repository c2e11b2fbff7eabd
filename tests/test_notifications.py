"""Party email: invitations, changes, cancellations, reminders, opting out, and
the outbox that keeps mail when the mail server is down.

The SMTP path runs against a real SMTP server on loopback (aiosmtpd); the
rest reads the development outbox folder.
"""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.factories import log_in, make_claim, make_film, make_items, make_party, make_reply, make_user
from tests.mailbox import first_link, text_body
from tests.smtp import free_port, smtp_config
from tests.test_rsvp_concurrency import run_together
from watchparty import mail_worker
from watchparty.extensions import db
from watchparty.models import Invitation, OutboundEmail, Party, Rsvp
from watchparty.notifications import service as notifications

# ---------------------------------------------------------------- a real SMTP server


@pytest.fixture
def smtp_app(app_factory, smtp_server):
    app = app_factory(**smtp_config(smtp_server.port))
    with app.app_context():
        yield app


# ---------------------------------------------------------------- data


@pytest.fixture
def party(host):
    """Unlike conftest's party: its own film with a synopsis (the invitation quotes it), at
    most 10 guests, starting on a whole minute as the form gives it."""
    film = make_film(runtime_minutes=139, synopsis="A young sex worker from Brooklyn marries a Russian oligarch's son.")
    party = make_party(host, film, title="Anora night", capacity=10)
    party.starts_at = party.starts_at.replace(second=0, microsecond=0)  # as the form gives it
    db.session.commit()
    return party


def pending_mail():
    return list(db.session.scalars(sa.select(OutboundEmail).order_by(OutboundEmail.id)))


# ---------------------------------------------------------------- invitations


def test_invitations_go_to_each_new_address_with_party_film_and_link(host_client, party, outbox):
    response = host_client.post(
        f"/parties/{party.id}/invitations",
        data={"emails": "ana@example.com, Ben@Example.com\ncara@example.com  ana@example.com;ben@example.com"},
    )
    assert response.status_code == 302
    messages = outbox.messages()
    assert sorted(m["To"] for m in messages) == ["ana@example.com", "ben@example.com", "cara@example.com"]
    body = text_body(messages[0])
    assert messages[0]["Subject"] == "You're invited: Anora night"
    assert "Hana Host invites you to Anora night" in body
    assert "Anora (2024), 2 h 19 min" in body
    assert f"/p/{party.share_token}" in body
    assert "(Europe/London)" in body
    assert "12 Secret Street" not in body, "an invitee has not replied: no exact address"
    assert messages[0].get_body(("html",)) is not None
    assert "/stop" in messages[0]["List-Unsubscribe"]
    flashed = host_client.get(f"/parties/{party.id}").get_data(as_text=True)
    assert "Invited 3." in flashed


def test_already_invited_and_already_replied_addresses_are_skipped(host_client, party, outbox):
    make_reply(party, name="Dee", email="dee@example.com")
    host_client.post(f"/parties/{party.id}/invitations", data={"emails": "ana@example.com"})
    before = len(outbox)
    response = host_client.post(
        f"/parties/{party.id}/invitations", data={"emails": "ana@example.com dee@example.com eve@example.com"}
    )
    assert response.status_code == 302
    assert [m["To"] for m in outbox.messages()[before:]] == ["eve@example.com"]
    page = host_client.get(f"/parties/{party.id}").get_data(as_text=True)
    assert "Skipped 2 already invited or replied: ana@example.com, dee@example.com." in page


def test_an_invalid_address_is_named_and_nothing_is_sent(host_client, party, outbox):
    response = host_client.post(
        f"/parties/{party.id}/invitations", data={"emails": "ana@example.com, not-an-address, bob@"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "These are not an email address: not-an-address, bob@" in page
    assert "ana@example.com, not-an-address, bob@" in page, "the paste is kept in the form"
    assert len(outbox) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


@pytest.mark.parametrize("text", ["", "   ", ",,,", "a\x00b@example.com"])
def test_an_empty_or_hostile_paste_is_refused(host_client, party, outbox, text):
    response = host_client.post(f"/parties/{party.id}/invitations", data={"emails": text})
    assert response.status_code == 422
    assert len(outbox) == 0


def test_at_most_200_invitations_per_party_per_day(app, host_client, party, outbox):
    first = " ".join(f"guest{i}@example.com" for i in range(150))
    assert host_client.post(f"/parties/{party.id}/invitations", data={"emails": first}).status_code == 302
    second = " ".join(f"more{i}@example.com" for i in range(51))
    response = host_client.post(f"/parties/{party.id}/invitations", data={"emails": second})
    assert response.status_code == 429
    assert "200 invitations a day: 50 left today." in response.get_data(as_text=True)
    assert len(outbox) == 150
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 150
    # A day later the allowance is back.
    later = datetime.now(UTC) + timedelta(days=1, minutes=1)
    with app.test_request_context():
        result = notifications.invite(db.session.get(Party, party.id), second, now=later)
    assert len(result.invited) == 51


def test_only_the_host_invites(client, party):
    make_user(email="other@example.com")
    assert client.post(f"/parties/{party.id}/invitations", data={"emails": "a@example.com"}).status_code == 302
    log_in(client, "other@example.com")
    assert client.post(f"/parties/{party.id}/invitations", data={"emails": "a@example.com"}).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


def test_an_invitee_can_stop_emails_and_then_hears_nothing_of_the_cancellation(host_client, party, outbox, client):
    host_client.post(f"/parties/{party.id}/invitations", data={"emails": "ana@example.com bob@example.com"})
    ana = next(m for m in outbox.messages() if m["To"] == "ana@example.com")
    stop_path = ana["List-Unsubscribe"].strip("<>").split("localhost", 1)[1]
    assert "Stop emails about this party" in client.get(stop_path).get_data(as_text=True)
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.email == "ana@example.com"))
    assert not invitation.emails_stopped, "GET only asks: mail scanners follow links"
    assert "gets no more emails" in client.post(stop_path).get_data(as_text=True)
    before = len(outbox)
    host_client.post(f"/parties/{party.id}/cancel", data={"message": "Flu, sorry"})
    assert [m["To"] for m in outbox.messages()[before:]] == ["bob@example.com"]


# ---------------------------------------------------------------- changes and cancellation


def test_a_changed_time_reaches_guests_with_what_changed_and_an_updated_event(host_client, party, outbox):
    going = make_reply(party, name="Ana", email="ana@example.com")
    make_reply(party, name="Dee", email="dee@example.com", response="declined")
    make_reply(party, name="Noemail")
    before = len(outbox)
    form = host_client.get(f"/parties/{party.id}/edit").get_data(as_text=True)
    assert "Anora night" in form
    local = (party.starts_at + timedelta(days=1)).astimezone(__import__("zoneinfo").ZoneInfo("Europe/London"))
    response = host_client.post(
        f"/parties/{party.id}/edit",
        data={
            "title": "Anora night", "film": party.film.slug, "starts_at": local.strftime("%Y-%m-%dT%H:%M"),
            "timezone": "Europe/London", "area": "Hackney, London", "address": "12 Secret Street, London E8",
            "max_plus_ones": "2", "capacity": "10", "show_address_to_guests": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    new = outbox.messages()[before:]
    assert [m["To"] for m in new] == [going.email], "declined and email-less guests hear nothing"
    message = new[0]
    assert message["Subject"] == "Changed: Anora night"
    assert "- Time: now" in text_body(message)
    (attachment,) = list(message.iter_attachments())
    ics = attachment.get_content()
    ics = ics.decode() if isinstance(ics, bytes) else ics
    assert f"UID:party-{party.id}@localhost" in ics
    assert "SEQUENCE:1" in ics


def test_an_edit_that_changes_nothing_guests_rely_on_sends_nothing(host_client, party, outbox):
    make_reply(party, name="Ana", email="ana@example.com")
    before = len(outbox)
    party = db.session.get(Party, party.id)
    from watchparty.parties.service import to_local

    response = host_client.post(
        f"/parties/{party.id}/edit",
        data={
            "title": "A new title", "film": party.film.slug,
            "starts_at": to_local(party.starts_at, party.timezone).strftime("%Y-%m-%dT%H:%M"),
            "timezone": "Europe/London", "area": "Hackney, London", "address": "12 Secret Street, London E8",
            "max_plus_ones": "2", "capacity": "10", "show_address_to_guests": "y",
        },
    )
    assert response.status_code == 302
    assert len(outbox) == before


def test_cancellation_reaches_everyone_who_replied_with_the_hosts_message(host_client, party, outbox):
    make_reply(party, name="Ana", email="ana@example.com")
    make_reply(party, name="Dee", email="dee@example.com", response="declined")
    before = len(outbox)
    response = host_client.post(f"/parties/{party.id}/cancel", data={"message": "The projector died."})
    assert response.status_code == 302
    new = outbox.messages()[before:]
    assert sorted(m["To"] for m in new) == ["ana@example.com", "dee@example.com"]
    assert all("The host says: The projector died." in text_body(m) for m in new)
    ics = next(new[0].iter_attachments()).get_content()
    ics = ics.decode() if isinstance(ics, bytes) else ics
    assert "STATUS:CANCELLED" in ics


# ---------------------------------------------------------------- the SMTP path


def test_smtp_delivers_both_parts_and_the_calendar_to_the_right_recipient(smtp_app, smtp_server):
    client = smtp_app.test_client()
    host = make_user(email="host@example.com")
    party = make_party(host, make_film(runtime_minutes=139), title="Anora night")
    response = client.post(
        f"/p/{party.share_token}/rsvp", data={"name": "Ana", "email": "ana@example.com", "response": "going"}
    )
    assert response.status_code == 302
    assert smtp_server.connections() == 0, "the request only queues"
    mail_worker.work(once=True)
    ((recipients, message),) = smtp_server.messages()
    assert recipients == ["ana@example.com"]
    assert message["Subject"] == "You're going to Anora night"
    assert message.get_body(("plain",)) is not None and message.get_body(("html",)) is not None
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    row = db.session.scalar(sa.select(OutboundEmail))
    assert row.status == "sent" and row.attempts == 1


def test_smtp_down_the_request_still_succeeds_and_the_worker_retries_on_its_schedule(app_factory, smtp_server):
    dead_port = free_port()
    down = app_factory(**smtp_config(dead_port, timeout=2))
    with down.app_context():
        host = make_user(email="host@example.com")
        party = make_party(host, make_film(), title="Anora night")
        token = party.share_token
    response = down.test_client().post(
        f"/p/{token}/rsvp", data={"name": "Ana", "email": "ana@example.com", "response": "going"}
    )
    assert response.status_code == 302, "the reply is saved although the mail server is down"
    with down.app_context():
        (row,) = pending_mail()
        assert (row.status, row.attempts) == ("pending", 0), "no request tries the mail server"
        assert db.session.scalar(sa.select(Rsvp.name)) == "Ana"
        first_try = datetime.now(UTC)
        delivery = mail_worker.send_due(now=first_try)
        assert delivery.retrying and not delivery.sent
        (row,) = pending_mail()
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.last_error
        assert row.next_attempt_at == first_try + mail_worker.RETRY_DELAYS[0]

    up = app_factory(**smtp_config(smtp_server.port))
    with up.app_context():
        assert len(mail_worker.send_due(now=first_try + timedelta(seconds=59))) == 0, "not before the schedule"
        assert smtp_server.messages() == []
        assert [row.subject for row in mail_worker.send_due(now=first_try + timedelta(minutes=1)).sent] == [
            "You're going to Anora night"
        ]
    assert [recipients for recipients, _ in smtp_server.messages()] == [["ana@example.com"]]
    with up.app_context():
        (row,) = pending_mail()
        assert (row.status, row.attempts) == ("sent", 2)


# ---------------------------------------------------------------- reminders


def _due_party(host, starts_at, **fields):
    fields.setdefault("title", "Anora night")
    party = make_party(host, make_film(runtime_minutes=139), **fields)
    party.starts_at = starts_at
    db.session.commit()
    return party


def test_a_reminder_goes_once_to_each_guest_about_24_hours_before(app, outbox, host):
    now = datetime.now(UTC)
    party = _due_party(host, now + timedelta(hours=20))
    make_reply(party, name="Ana", email="ana@example.com", now=now - timedelta(days=3))
    make_reply(party, name="May", email="may@example.com", response="maybe", now=now - timedelta(days=3))
    make_reply(party, name="Dee", email="dee@example.com", response="declined", now=now - timedelta(days=3))
    make_reply(party, name="Noemail", now=now - timedelta(days=3))
    later = _due_party(host, now + timedelta(hours=30))
    make_reply(later, name="Late", email="late@example.com", now=now - timedelta(days=3))
    before = len(outbox)

    queued = notifications.remind(now=now)
    assert sorted(rsvp.email for _, rsvp in queued) == ["ana@example.com", "may@example.com"]
    again = notifications.remind(now=now + timedelta(minutes=5))
    assert again == [], "each guest gets each reminder once"
    messages = outbox.messages()[before:]
    assert sorted(m["To"] for m in messages) == ["ana@example.com", "may@example.com"]
    body = text_body(messages[0])
    assert "12 Secret Street" in body, "going and maybe guests may see the address"
    assert f"/films/{party.film.slug}" in body
    assert "/emails" in body, "every email carries the stop link"


def test_reminder_lists_what_the_guest_said_they_would_bring(app, outbox, host):
    now = datetime.now(UTC)
    party = _due_party(host, now + timedelta(hours=20))
    ana = make_reply(party, name="Ana", email="ana@example.com", now=now - timedelta(days=3))
    (popcorn, _) = make_items(party, ("Popcorn", 4), ("Ice", 2))
    make_claim(party, popcorn, 2, rsvp=ana, note="salted")
    notifications.remind(now=now)
    assert "- 2 × Popcorn (salted)" in text_body(outbox.last())


def test_two_overlapping_reminder_runs_send_each_reminder_once(app_factory, smtp_server):
    app = app_factory(**smtp_config(smtp_server.port))
    now = datetime.now(UTC)
    with app.app_context():
        host = make_user(email="host@example.com")
        party = _due_party(host, now + timedelta(hours=20), capacity=None)
        for i in range(12):
            make_reply(party, name=f"Guest {i}", email=f"guest{i}@example.com", now=now - timedelta(days=2))
        db.session.remove()


    def run(_):
        with app.app_context():
            notifications.remind(now=now)

    run_together(2, run)
    with app.app_context():
        mail_worker.work(once=True)
    reminded = sorted(r for rs, message in smtp_server.messages() if message["Subject"].startswith("Tomorrow:") for r in rs)
    assert reminded == sorted(f"guest{i}@example.com" for i in range(12))
    with app.app_context():
        assert {row.status for row in pending_mail()} == {"sent"}


def test_a_guest_who_stopped_emails_gets_no_reminder_and_no_change(client, app, outbox, host):
    now = datetime.now(UTC)
    party = _due_party(host, now + timedelta(hours=20))
    ana = make_reply(party, name="Ana", email="ana@example.com", now=now - timedelta(days=3))
    stop_path = f"/p/{party.share_token}/rsvp/{ana.manage_token}/emails"
    assert client.post(stop_path).status_code == 200
    before = len(outbox)
    queued = notifications.remind(now=now)
    assert queued == []
    party = db.session.get(Party, party.id)
    snapshot = notifications.PartySnapshot.of(party)
    party.area = "Somewhere else"
    assert notifications.notify_party_changed(party, snapshot) == 0
    db.session.commit()
    assert len(outbox) == before


def test_a_bad_stop_link_is_404(client, party):
    assert client.get(f"/p/{party.share_token}/rsvp/{'x' * 32}/emails").status_code == 404
    assert client.post(f"/p/{party.share_token}/invitations/{'x' * 32}/stop").status_code == 404
    assert client.get(f"/p/{'y' * 32}/invitations/{'x' * 32}/stop").status_code == 404


def test_reminder_times_are_in_the_partys_zone_across_a_daylight_saving_change(app, outbox, host):
    # Europe/London leaves summer time at 01:00 UTC on Sunday 25 October 2026.
    starts_at = datetime(2026, 10, 25, 19, 30, tzinfo=UTC)  # 19:30 GMT
    party = _due_party(host, starts_at)
    make_reply(party, name="Ana", email="ana@example.com", now=starts_at - timedelta(days=5))
    reminder_run = datetime(2026, 10, 24, 20, 0, tzinfo=UTC)  # still BST: 21:00 local
    queued = notifications.remind(now=reminder_run)
    assert len(queued) == 1
    body = text_body(outbox.last())
    assert "Sun 25 Oct 2026, 19:30 GMT (Europe/London)" in body

    summer = _due_party(host, datetime(2026, 10, 24, 18, 30, tzinfo=UTC), title="Summer-time party")
    make_reply(summer, name="Bo", email="bo@example.com", now=starts_at - timedelta(days=5))
    notifications.remind(now=reminder_run - timedelta(hours=12))
    assert "Sat 24 Oct 2026, 19:30 BST (Europe/London)" in text_body(outbox.last())


def test_a_host_deleting_their_account_tells_the_guests_of_upcoming_parties(host_client, party, outbox, host):
    from tests.factories import DEFAULT_PASSWORD

    make_reply(party, name="Ana", email="ana@example.com")
    past = make_party(host, make_film(title="Old film"), title="Last month")
    past.starts_at = datetime.now(UTC) - timedelta(days=30)
    db.session.commit()
    make_reply(past, name="Old", email="old@example.com", now=past.starts_at - timedelta(days=2))
    before = len(outbox)
    response = host_client.post("/accounts/delete", data={"password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    new = outbox.messages()[before:]
    assert [m["To"] for m in new] == ["ana@example.com"], "only the party still to come"
    assert "The host closed their Watchparty account." in text_body(new[0])
    assert db.session.get(Party, party.id).is_cancelled


# ---------------------------------------------------------------- as mail clients read it


def test_the_unsubscribe_headers_are_plain_urls_with_one_click(host_client, party, outbox):
    from email import message_from_bytes
    from email import policy as email_policy

    host_client.post(f"/parties/{party.id}/invitations", data={"emails": "ana@example.com"})
    outbox.deliver()
    (path,) = sorted(outbox.folder.glob("*.eml"))
    raw = path.read_bytes()
    assert b"=?utf-8?" not in raw.split(b"\n\n", 1)[0], "no encoded words in the headers"
    message = message_from_bytes(raw, policy=email_policy.strict)
    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://localhost/p/") and unsubscribe.endswith("/stop>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"].endswith("@localhost>"), "on the public address's domain"


def test_a_one_click_unsubscribe_needs_no_csrf_token(app_factory, outbox_of):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        party = make_party(make_user(email="host@example.com"), make_film())
        make_reply(party, name="Ana", email="ana@example.com")
        rsvp_id = db.session.scalar(sa.select(Rsvp.id))
    (message,) = outbox_of(app).messages()
    stop_path = message["List-Unsubscribe"].strip("<>").split("localhost", 1)[1]
    response = app.test_client().post(stop_path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(Rsvp, rsvp_id).emails_stopped


def test_the_plain_text_part_keeps_the_runtime_and_the_synopsis_on_their_own_lines(host_client, party, outbox):
    host_client.post(f"/parties/{party.id}/invitations", data={"emails": "ana@example.com"})
    body = text_body(outbox.last())
    assert "Anora (2024), 2 h 19 min\n" in body
    assert "\nA young sex worker from Brooklyn" in body


def test_the_event_in_an_email_is_an_invitation_that_later_emails_update(host_client, party, outbox):
    from icalendar import Calendar

    make_reply(party, name="Ana", email="ana@example.com")
    (attachment,) = list(outbox.last().iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST"
    calendar = Calendar.from_ical(attachment.get_content())
    assert str(calendar["method"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["uid"]) == f"party-{party.id}@localhost", "unique to this installation's address"
    assert str(event["organizer"]) == "mailto:noreply@watchparty.local"
    assert str(event["attendee"]) == "mailto:ana@example.com"

    host_client.post(f"/parties/{party.id}/cancel", data={"message": "Flu, sorry"})
    (attachment,) = list(outbox.last().iter_attachments())
    assert attachment.get_param("method") == "CANCEL"
    (event,) = Calendar.from_ical(attachment.get_content()).walk("VEVENT")
    assert str(event["uid"]) == f"party-{party.id}@localhost" and str(event["status"]) == "CANCELLED"


def test_the_date_header_names_its_offset(client, party, outbox):
    make_reply(party, name="Ana", email="ana@example.com")
    assert outbox.last()["Date"].endswith("+0000")


# ---------------------------------------------------------------- never email me again (site-wide)


def test_never_email_me_stops_every_sender_but_not_a_reset_the_owner_asks_for(app, host_client, party, outbox, client):
    make_user(email="ana@example.com", display_name="Ana")
    host_client.post(f"/parties/{party.id}/invitations", data={"emails": "ana@example.com bob@example.com"})
    invitation = next(m for m in outbox.messages() if m["To"] == "ana@example.com")
    never_path = first_link(invitation, "/emails/never/")
    assert "Never email me again" in client.get(never_path).get_data(as_text=True)
    assert not notifications.is_never_emailed("ana@example.com"), "GET only asks: mail scanners follow links"
    # One-Click (RFC 8058) posts from outside the site: no CSRF token, the signed token is the authority.
    answer = client.post(never_path)
    assert answer.status_code == 200 and "sends nothing more to ana@example.com" in answer.get_data(as_text=True)
    assert client.post(never_path).status_code == 200, "twice is fine"

    before = len(outbox)
    other = make_party(make_user(email="other-host@example.com"), title="Another host's night")
    log_in(other_client := app.test_client(), "other-host@example.com")
    other_client.post(f"/parties/{other.id}/invitations", data={"emails": "ANA@example.com carl@example.com"})
    host_client.post(f"/parties/{party.id}/cancel", data={"message": "Flu, sorry"})
    delivered = [m["To"] for m in outbox.messages()[before:]]
    assert "ana@example.com" not in [to.lower() for to in delivered], "no sender reaches a suppressed address"
    assert "carl@example.com" in delivered and "bob@example.com" in delivered
    assert {row.status for row in pending_mail() if row.recipient.lower() == "ana@example.com"} >= {"dropped"}

    client.post("/accounts/reset", data={"email": "ana@example.com"})
    assert outbox.last()["To"] == "ana@example.com", "a reset its owner asks for still arrives"


def test_a_forged_never_email_link_is_a_404(client):
    assert client.get("/emails/never/not-a-signed-token").status_code == 404
    assert client.post("/emails/never/ImFuYUBleGFtcGxlLmNvbSI.forged").status_code == 404


def test_invitations_are_capped_per_account_across_its_parties(app, host, host_client, party, outbox):
    app.config["INVITATIONS_PER_ACCOUNT_PER_DAY"] = 250
    second = make_party(host, title="Second night")
    first_batch = " ".join(f"guest{i}@example.com" for i in range(150))
    assert host_client.post(f"/parties/{party.id}/invitations", data={"emails": first_batch}).status_code == 302
    too_many = " ".join(f"more{i}@example.com" for i in range(101))
    response = host_client.post(f"/parties/{second.id}/invitations", data={"emails": too_many})
    assert response.status_code == 429
    assert "250 invitations a day across all your parties: 100 left today." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 150, "nothing half-sent"
    assert len(outbox) == 150


def test_an_invitation_subject_is_fixed_text_around_a_shortened_title(host_client, party, outbox):
    party.title = "Free crypto!!! " * 8
    db.session.commit()
    host_client.post(f"/parties/{party.id}/invitations", data={"emails": "ana@example.com"})
    subject = outbox.last()["Subject"]
    assert subject.startswith("You're invited: Free crypto!!!")
    assert len(subject) <= len("You're invited: ") + notifications.SUBJECT_TITLE_MAX
