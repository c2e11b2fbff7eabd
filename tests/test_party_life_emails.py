"""Every email of a whole party's life (#20, "Done when"): invitations, replies, a claim,
an announcement, a comment, the reminder, the film and the morning after, with the
clock moved through the days and every timed job run by the mail worker (`mail_worker.work`,
as `flask mail work` runs it), counted per person and kind."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
import time_machine

from tests.factories import log_in, make_items, make_party
from tests.mailbox import Outbox
from watchparty import mail_worker
from watchparty.extensions import db
from watchparty.models import Rsvp

START = datetime(2030, 6, 14, 19, 0, tzinfo=UTC)  # 20:00 in London (BST), a Friday
PLANNED = START - timedelta(days=5)  # the Sunday before, 11:00 in London


def at(**delta: float) -> datetime:
    return PLANNED + timedelta(**delta)


def worker(app, when: datetime) -> None:
    """One pass of the mail worker at `when`: its timed jobs, then everything due."""
    db.session.commit()  # the test's own reads end, as a request's do
    with time_machine.travel(when, tick=False), app.app_context():
        mail_worker.work(once=True)


# The emails' subjects, by kind.
KINDS = {
    "You're invited: Anora night": "invitation",
    "You're going to Anora night": "reply confirmation",
    "Your reply to Anora night": "reply confirmation",
    "From the host: Anora night": "announcement",
    "Tomorrow: Anora night": "reminder",
    "How was Anora?": "morning after",
    "2 updates: Anora night": "host: update (2 lines)",
    "New reply: Anora night": "host: update (1 line)",
    "New comment: Anora night": "host: update (1 line)",
}


def test_the_emails_a_host_and_a_guest_receive_over_a_whole_party(app, host, film):
    outbox = Outbox(Path(app.config["MAIL_OUTBOX_DIR"]))  # no app: it only reads; `worker` sends
    with time_machine.travel(PLANNED, tick=False):
        party = make_party(host, film, title="Anora night", capacity=8, max_plus_ones=1)
        party.starts_at = START
        (popcorn,) = make_items(party, ("Popcorn", 4))
        db.session.commit()
        token, party_id, popcorn_id = party.share_token, party.id, popcorn.id
        hana = app.test_client()
        log_in(hana, email="host@example.com")
    gus, dee, sid = app.test_client(), app.test_client(), app.test_client()

    # Sunday: the host invites four; Gus replies going and signs up for popcorn,
    # Dee can't come, Sid is going but stops the party's emails, Ivy never answers.
    with time_machine.travel(at(minutes=1), tick=False):
        assert hana.post(f"/parties/{party_id}/invitations", data={
            "emails": "gus@example.com, dee@example.com, sid@example.com, ivy@example.com"}).status_code == 302
    with time_machine.travel(at(minutes=10), tick=False):
        assert gus.post(f"/p/{token}/rsvp", data={
            "name": "Gus", "email": "gus@example.com", "response": "going", "plus_ones": "0"}).status_code == 302
    with time_machine.travel(at(minutes=11), tick=False):
        assert gus.post(f"/p/{token}/items/{popcorn_id}/claim", data={"quantity": "2"}).status_code == 302
    worker(app, at(minutes=20))  # the reply and the claim, a minute apart: one email to the host
    with time_machine.travel(at(minutes=30), tick=False):
        assert dee.post(f"/p/{token}/rsvp", data={
            "name": "Dee", "email": "dee@example.com", "response": "declined", "plus_ones": "0"}).status_code == 302
    with time_machine.travel(at(minutes=31), tick=False):
        assert sid.post(f"/p/{token}/rsvp", data={
            "name": "Sid", "email": "sid@example.com", "response": "going", "plus_ones": "0"}).status_code == 302
        manage = db.session.scalar(sa.select(Rsvp.manage_token).where(Rsvp.email == "sid@example.com"))
        assert sid.post(f"/p/{token}/rsvp/{manage}/emails").status_code in (200, 302)
    worker(app, at(minutes=40))

    # The host writes to the going guests; Gus answers on the page.
    with time_machine.travel(at(hours=1), tick=False):
        assert hana.post(f"/parties/{party_id}/announcements",
                         data={"message": "Doors at 19:30.", "audience": ["going"], "send_at": ""}).status_code == 302
    worker(app, at(hours=1, minutes=1))
    with time_machine.travel(at(hours=2), tick=False):
        assert gus.post(f"/p/{token}/comments", data={"body": "I'll bring salted and sweet."}).status_code == 302
    worker(app, at(hours=2, minutes=10))

    # The worker keeps running through the week: a pass every few hours sends nothing new
    # until the reminder falls due (24 hours before), then the film, then the morning after.
    for hours in range(6, 24 * 4 - 5, 6):  # until 30 hours before the party
        worker(app, at(hours=hours))
    worker(app, START - timedelta(hours=20))
    worker(app, START + timedelta(hours=1))  # during the film
    worker(app, START + timedelta(hours=4))  # after it
    worker(app, datetime(2030, 6, 15, 8, 0, tzinfo=UTC))  # 09:00 in London, the morning after
    worker(app, datetime(2030, 6, 16, 8, 0, tzinfo=UTC))  # and the day after that: nothing

    received = Counter((str(m["To"]), KINDS.get(str(m["Subject"]), str(m["Subject"]))) for m in outbox.messages())
    assert received == Counter({
        # Gus is going, Gus will bring 2 Popcorn (a minute apart);
        ("host@example.com", "host: update (2 lines)"): 2,  # + Dee can't make it, Sid is going
        ("host@example.com", "host: update (1 line)"): 1,  # Gus commented
        ("gus@example.com", "invitation"): 1,
        ("gus@example.com", "reply confirmation"): 1,
        ("gus@example.com", "announcement"): 1,
        ("gus@example.com", "reminder"): 1,
        ("gus@example.com", "morning after"): 1,
        ("dee@example.com", "invitation"): 1,
        ("dee@example.com", "reply confirmation"): 1,
        ("sid@example.com", "invitation"): 1,
        ("sid@example.com", "reply confirmation"): 1,  # and nothing after "stop emails"
        ("ivy@example.com", "invitation"): 1,
    })
    per_person = Counter(to for to, _kind in received.elements())
    assert per_person == {
        "host@example.com": 3, "gus@example.com": 5, "dee@example.com": 2, "sid@example.com": 2, "ivy@example.com": 1}
