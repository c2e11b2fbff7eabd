"""The host hears (#20): activity written by the services, the host's update emails
(each change / hourly digest / nothing / the default that switches after 10 replies),
changes minutes apart coalesced, once under two mail workers, the host's stop link,
the dashboard's list in the host's zone, and "can't make it after all" asking first."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from tests.factories import make_claim, make_items, make_reply
from tests.mailbox import first_link, text_body
from tests.smtp import smtp_config
from tests.test_rsvp_concurrency import run_together
from watchparty import mail_worker
from watchparty.extensions import db
from watchparty.models import Claim, OutboundEmail, Party, PartyActivity, SignupItem
from watchparty.rsvp import service as rsvp
from watchparty.signups import items as signup_items
from watchparty.signups import service as signups

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def reply_at(minutes: float, party, name: str, **fields):
    with time_machine.travel(at(minutes), tick=False):
        return make_reply(party, name=name, email=f"{name.lower()}@example.com", **fields)


def run_jobs(minutes: float) -> dict:
    with time_machine.travel(at(minutes), tick=False):
        queued = mail_worker.run_timed_jobs(at(minutes))
    return queued


def host_mail(outbox) -> list:
    return [m for m in outbox.messages() if m["To"] == "host@example.com"]


@pytest.fixture
def party(host, film):
    """Anora night, a week after T0, capacity 3; the host hears of each change."""
    from tests.factories import make_party

    with time_machine.travel(T0 - timedelta(days=1), tick=False):
        return make_party(host, film, title="Anora night", capacity=3, host_updates="each")


def test_services_write_the_activity_in_the_same_transaction(app, party):
    ana = reply_at(0, party, "Ana", plus_ones=1)
    (popcorn,) = make_items(party, ("Popcorn", 4))
    with time_machine.travel(at(1), tick=False):
        make_claim(party, popcorn, 2, rsvp=ana)
        make_claim(party, popcorn, 1)  # the host's own: not news to the host
        signup_items.add_item(party, rsvp.Viewer(party, rsvp=ana), signup_items.ItemFields(name="Cheesecake", category="snack", quantity=1))
        db.session.commit()
    ben = reply_at(2, party, "Ben", plus_ones=1)  # 2 + 2 > 3: waitlisted
    with time_machine.travel(at(3), tick=False):
        rsvp.withdraw_reply(ana)
        db.session.commit()
    kinds = db.session.execute(
        sa.select(PartyActivity.kind, PartyActivity.actor).order_by(PartyActivity.id)
    ).all()
    assert kinds == [
        ("reply", "Ana"), ("claim", "Ana"), ("item", "Ana"), ("reply", "Ben"), ("promotion", "Ben"), ("withdrawal", "Ana"),
    ]
    # A refused change leaves no line.
    before = db.session.scalar(sa.select(sa.func.count()).select_from(PartyActivity))
    with pytest.raises(signups.ItemFullyClaimed):
        signups.claim_item(party, rsvp.Viewer(party, rsvp=ben), popcorn.id, 9)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PartyActivity)) == before


def test_each_change_changes_minutes_apart_come_as_one_email(app, party, outbox):
    reply_at(0, party, "Ana")
    reply_at(2, party, "Ben")
    run_jobs(4)
    assert host_mail(outbox) == [], "still moving: Ben replied a minute or two ago"
    run_jobs(5.5)
    (message,) = host_mail(outbox)
    assert message["Subject"] == "2 updates: Anora night"
    body = text_body(message)
    assert "Ana is going" in body and "Ben is going" in body
    assert body.index("Ana is going") < body.index("Ben is going")
    assert "Now: 2 going" in body
    run_jobs(30)
    assert len(host_mail(outbox)) == 1, "nothing new, nothing sent"
    reply_at(40, party, "Cy", response="maybe")
    run_jobs(44)
    assert [m["Subject"] for m in host_mail(outbox)][1:] == ["New reply: Anora night"]
    assert "Cy might come" in text_body(host_mail(outbox)[-1])


def test_a_stream_of_changes_is_told_within_a_quarter_of_an_hour(app, party, outbox):
    for minute in range(0, 18, 2):
        reply_at(minute, party, f"Guest{minute}", response="maybe")
        run_jobs(minute + 1)
    assert len(host_mail(outbox)) == 1, "the oldest line waited 15 minutes: told, though it never went quiet"


def test_digest_at_most_one_an_hour_and_only_when_something_happened(app, party, outbox):
    party.host_updates = "digest"
    db.session.commit()
    run_jobs(120)
    assert host_mail(outbox) == [], "nothing happened: no digest"
    reply_at(0, party, "Ana")
    run_jobs(5)
    assert len(host_mail(outbox)) == 1
    reply_at(10, party, "Ben")
    reply_at(20, party, "Cy", response="maybe")
    run_jobs(30)
    run_jobs(64)
    assert len(host_mail(outbox)) == 1, "less than an hour since the last"
    run_jobs(65.5)
    digests = host_mail(outbox)
    assert len(digests) == 2
    assert "Ben is going" in text_body(digests[1]) and "Cy might come" in text_body(digests[1])
    run_jobs(200)
    assert len(host_mail(outbox)) == 2, "nothing new since: nothing sent"


def test_nothing_mode_sends_nothing_and_the_lines_are_never_sent_later(app, party, outbox, host_client):
    party.host_updates = "off"
    db.session.commit()
    reply_at(0, party, "Ana")
    run_jobs(30)
    assert host_mail(outbox) == []
    assert "Ana is going" in host_client.get(f"/parties/{party.id}").text
    assert host_client.post(f"/parties/{party.id}/updates", data={"host_updates": "each"}).status_code == 302
    run_jobs(60)
    assert host_mail(outbox) == [], "what happened while emails were off is on the dashboard, not mailed"
    reply_at(70, party, "Ben")
    run_jobs(75)
    assert len(host_mail(outbox)) == 1


def test_the_default_tells_each_change_for_ten_replies_then_hourly_digests(app, host, film, outbox):
    from tests.factories import make_party

    with time_machine.travel(T0 - timedelta(days=1), tick=False):
        party = make_party(host, film, title="Big night", capacity=None)
    assert party.host_updates == "auto"
    for n in range(12):
        reply_at(10 * n, party, f"Guest{n}", response="maybe")
        run_jobs(10 * n + 4)
    subjects = [m["Subject"] for m in host_mail(outbox)]
    assert subjects == ["New reply: Big night"] * 10, "the 11th and 12th wait for the digest"
    # The 10th went at minute 94: an hour later the digest has both.
    run_jobs(150)
    assert len(host_mail(outbox)) == 10
    run_jobs(154.5)
    digest = host_mail(outbox)[-1]
    assert digest["Subject"] == "2 updates: Big night"
    assert "Guest10 might come" in text_body(digest) and "Guest11 might come" in text_body(digest)


def test_the_host_form_chooses_and_refuses_nonsense(app, party, host_client):
    assert host_client.post(f"/parties/{party.id}/updates", data={"host_updates": "digest"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Party, party.id).host_updates == "digest"
    answer = host_client.post(f"/parties/{party.id}/updates", data={"host_updates": "loud"})
    assert answer.status_code == 422
    assert "Not a valid choice" in answer.text
    db.session.expire_all()
    assert db.session.get(Party, party.id).host_updates == "digest"


def test_two_mail_workers_at_once_send_the_hosts_email_exactly_once(app_factory, smtp_server, film):
    from tests.factories import make_party, make_user

    app = app_factory(**smtp_config(smtp_server.port))
    with app.app_context():
        host = make_user(email="host@example.com", display_name="Hana Host")
        with time_machine.travel(T0 - timedelta(days=1), tick=False):
            party = make_party(host, None, title="Race night", capacity=None)
        for n in range(5):
            reply_at(n * 0.1, party, f"Guest{n}", response="maybe")
        db.session.remove()

    def worker(_):
        with app.app_context():
            mail_worker.run_timed_jobs(at(10))
            while mail_worker.send_due(at(10), limit=2):
                pass

    with time_machine.travel(at(10), tick=False):
        run_together(2, worker)
    to_host = [message for recipients, message in smtp_server.messages() if recipients == ["host@example.com"]]
    assert len(to_host) == 1
    assert to_host[0]["Subject"] == "5 updates: Race night"
    with app.app_context():
        assert db.session.scalar(
            sa.select(sa.func.count()).select_from(PartyActivity).where(PartyActivity.told_at.is_(None))
        ) == 0


def test_the_hosts_stop_link_stops_their_update_emails_in_one_click(app, party, outbox, client):
    reply_at(0, party, "Ana")
    run_jobs(5)
    (message,) = host_mail(outbox)
    stop = first_link(message, f"/parties/{party.id}/updates/stop/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert stop in message["List-Unsubscribe"]
    page = client.get(stop)
    assert page.status_code == 200 and "Stop these emails" in page.text
    db.session.expire_all()
    assert db.session.get(Party, party.id).host_updates == "each", "a GET (a mail scanner) stops nothing"
    assert client.post(stop).status_code == 200, "no sign-in, no CSRF token: the signed link is the authority"
    db.session.expire_all()
    assert db.session.get(Party, party.id).host_updates == "off"
    reply_at(10, party, "Ben")
    run_jobs(20)
    assert len(host_mail(outbox)) == 1
    assert client.get(stop[:-3] + "xyz").status_code == 404
    assert client.post(f"/parties/{party.id + 1}/updates/stop/{stop.rsplit('/', 1)[1]}").status_code == 404


def test_the_dashboard_lists_activity_newest_first_in_the_hosts_zone(app, party, host, host_client):
    host.timezone = "Asia/Tokyo"
    db.session.commit()
    ana = reply_at(0, party, "Ana")
    (popcorn,) = make_items(party, ("Popcorn", 4))
    with time_machine.travel(at(30), tick=False):
        make_claim(party, popcorn, 2, rsvp=ana)
    page = host_client.get(f"/parties/{party.id}").text
    section = page[page.index('id="activity"'):]
    assert section.index("Ana will bring 2 × Popcorn") < section.index("Ana is going")
    assert "Tue 1 Dec, 21:30" in section and "Tue 1 Dec, 21:00" in section, "12:00 UTC is 21:00 in Tokyo"
    assert "Asia/Tokyo" in section


# ---------------------------------------------------------------- withdrawing says what it does


def test_cant_make_it_asks_first_naming_claims_and_items_then_releases_them_and_tells_the_host(
    app, party, client, outbox
):
    ana = reply_at(0, party, "Ana", plus_ones=1)
    (popcorn,) = make_items(party, ("Popcorn", 4))
    with time_machine.travel(at(1), tick=False):
        make_claim(party, popcorn, 2, rsvp=ana)
        signup_items.add_item(party, rsvp.Viewer(party, rsvp=ana), signup_items.ItemFields(name="Cheesecake", category="snack", quantity=1))
        db.session.commit()
    run_jobs(10)
    told_before = len(host_mail(outbox))
    manage = f"/p/{party.share_token}/rsvp/{ana.manage_token}"
    manage_page = client.get(manage).text
    assert f'href="{manage}/withdraw"' in manage_page, "a link: it works without JavaScript"
    confirm = client.get(f"{manage}/withdraw")
    assert confirm.status_code == 200
    text = re.sub(r"\s+", " ", confirm.text)
    assert "2 × Popcorn" in text
    assert "Cheesecake" in text and "leaves the list" in text
    assert "1 × Cheesecake" not in text, "not also said to go back on the list it leaves"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Claim)) == 2, "asking changes nothing"
    with time_machine.travel(at(20), tick=False):
        assert client.post(f"{manage}/withdraw").status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Claim)) == 0
    assert db.session.scalar(sa.select(SignupItem.name)) == "Popcorn"
    assert db.session.get(SignupItem, popcorn.id).claimed == 0
    run_jobs(25)
    told = host_mail(outbox)
    assert len(told) == told_before + 1
    assert "Ana can't make it after all; released 2 × Popcorn, 1 × Cheesecake" in text_body(told[-1])
    assert told[-1]["Subject"] == "A guest can't come: Anora night"


def test_the_withdraw_page_of_a_declined_guest_offers_nothing_to_confirm(app, party, client):
    ben = reply_at(0, party, "Ben", response="declined")
    page = client.get(f"/p/{party.share_token}/rsvp/{ben.manage_token}/withdraw")
    assert page.status_code == 200 and "already down as can't make it" in page.text
    assert client.get(f"/p/{party.share_token}/rsvp/{'x' * 32}/withdraw").status_code == 404


def test_a_hosts_email_is_rendered_when_queued_and_lists_each_line_once(app, party, outbox):
    reply_at(0, party, "Ana")
    run_jobs(5)
    run_jobs(6)
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(OutboundEmail).where(OutboundEmail.recipient == "host@example.com")
    ) == 1


def test_a_deleted_guest_account_leaves_its_activity_lines_anonymised(app, party, host_client):
    from tests.factories import DEFAULT_PASSWORD, make_user
    from watchparty.accounts import settings

    lena = make_user(email="lena@example.com", display_name="Lena Leaver")
    with time_machine.travel(at(0), tick=False):
        make_reply(party, name="Lena Leaver", user=lena)
    settings.delete_account(lena, DEFAULT_PASSWORD)
    db.session.commit()
    page = host_client.get(f"/parties/{party.id}").text
    section = page[page.index('id="activity"'):]
    assert "Lena Leaver" not in section and "Former guest is going" in section


# ---------------------------------------------------------------- a guest removed, a capacity lowered


@pytest.fixture
def host_then(app, host):
    """The host's browser, logged in on the day before T0 (a login from the real
    present would be from the future at T0, and refused)."""
    from tests.factories import log_in

    client = app.test_client()
    with time_machine.travel(T0 - timedelta(days=1), tick=False):
        log_in(client, email="host@example.com")
    return client


def test_the_host_removing_a_guest_is_on_the_dashboard_and_says_why_a_seat_changed_hands(
    app, party, host_then, outbox
):
    """The host's own act is no email on its own; it comes with the news it causes
    (the waitlisted guest seated), so that news carries its reason."""
    ana = reply_at(0, party, "Ana", plus_ones=2)  # 3 of 3 seats
    reply_at(1, party, "Ben")  # waitlisted
    (popcorn,) = make_items(party, ("Popcorn", 4))
    with time_machine.travel(at(2), tick=False):
        make_claim(party, popcorn, 2, rsvp=ana)
    run_jobs(10)
    told_before = len(host_mail(outbox))
    with time_machine.travel(at(20), tick=False):
        assert host_then.post(f"/parties/{party.id}/guests/{ana.id}/remove").status_code == 302
    db.session.commit()
    kinds = db.session.execute(
        sa.select(PartyActivity.kind, PartyActivity.actor, PartyActivity.rsvp_id).order_by(PartyActivity.id)
    ).all()[-2:]
    assert [(kind, actor) for kind, actor, _ in kinds] == [("removed", "Ana"), ("promotion", "Ben")]
    page = host_then.get(f"/parties/{party.id}").text
    section = re.sub(r"\s+", " ", page[page.index('id="activity"'):])
    assert "You removed Ana from the guest list; released 2 × Popcorn" in section
    assert section.index("Ben got a seat from the waitlist") < section.index("You removed Ana")
    run_jobs(25)
    told = host_mail(outbox)[told_before:]
    assert len(told) == 1 and told[0]["Subject"] == "2 updates: Anora night"
    body = text_body(told[0])
    assert body.index("You removed Ana from the guest list") < body.index("Ben got a seat from the waitlist")


def test_a_removal_alone_sends_the_host_no_email_until_there_is_news(app, party, host_then, outbox):
    ana = reply_at(0, party, "Ana")
    run_jobs(10)
    told_before = len(host_mail(outbox))
    with time_machine.travel(at(20), tick=False):
        assert host_then.post(f"/parties/{party.id}/guests/{ana.id}/remove").status_code == 302
    run_jobs(30)
    run_jobs(120)
    assert len(host_mail(outbox)) == told_before, "the host did it: nothing to tell them yet"
    assert "You removed Ana" in host_then.get(f"/parties/{party.id}").text
    reply_at(130, party, "Cy", response="maybe")
    run_jobs(140)
    (message,) = host_mail(outbox)[told_before:]
    body = text_body(message)
    assert "You removed Ana from the guest list" in body and "Cy might come" in body


def test_lowering_the_capacity_moves_nobody_out_and_only_new_replies_wait(app, party, host_then, outbox):
    """Least surprise for guests: a seat once confirmed is never taken back by a settings
    edit. The dashboard says the party is over capacity; new going replies join the
    waitlist until seats free up; no guest is emailed, and no line says anyone lost a seat."""
    from tests.test_parties import party_form
    from watchparty.parties.service import to_local

    ana = reply_at(0, party, "Ana", plus_ones=1)
    ben = reply_at(1, party, "Ben")
    run_jobs(10)
    mail_before = len(outbox.messages())
    lines_before = db.session.scalar(sa.select(sa.func.count()).select_from(PartyActivity))
    starts = to_local(party.starts_at, party.timezone).strftime("%Y-%m-%dT%H:%M")
    with time_machine.travel(at(20), tick=False):
        response = host_then.post(f"/parties/{party.id}/edit", data=party_form(
            title="Anora night", film=party.film.slug, starts_at=starts, timezone=party.timezone,
            area=party.area, address=party.address, screening_notes="", description="", capacity="1"))
    assert response.status_code == 302, response.text[:2000]
    db.session.expire_all()
    assert db.session.get(Party, party.id).capacity == 1
    assert {db.session.get(type(ana), r.id).state for r in (ana, ben)} == {"confirmed"}
    assert db.session.get(Party, party.id).seats_taken == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PartyActivity)) == lines_before
    assert len(outbox.messages()) == mail_before, "nobody moved, nobody told"
    dashboard = host_then.get(f"/parties/{party.id}").text
    assert "Nobody was moved out" in dashboard
    cy = reply_at(30, party, "Cy")
    assert cy.state == "waitlisted"
