"""The dashboard's nudges (#20): at most once a day each, only to the right people,
opted-out guests get nothing, and each email carries a one-tap way to answer."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from tests.factories import make_claim, make_items, make_reply
from tests.mailbox import first_link
from watchparty import mail
from watchparty.extensions import db
from watchparty.models import Invitation, OutboundEmail, Party
from watchparty.notifications import service as notifications

# Ahead of the real clock: the host's sign-in session began at the real time.
T0 = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=1)


@pytest.fixture
def party(host, film):
    """Anora night, a week after T0, capacity 4."""
    from tests.factories import make_party

    with time_machine.travel(T0 - timedelta(days=1), tick=False):
        return make_party(host, film, title="Anora night", capacity=4)


def nudge(host_client, party, which, when=T0):
    with time_machine.travel(when, tick=False):
        return host_client.post(f"/parties/{party.id}/nudges/{which}")


def delivered(outbox):
    """What the worker has sent by a time after every nudge of these tests."""
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        return outbox.messages()


def subjects_to(outbox, prefix):
    return sorted(m["To"] for m in delivered(outbox) if m["Subject"].startswith(prefix))


def test_remind_the_invited_who_have_not_replied_once_a_day(app, party, host_client, outbox, client):
    with time_machine.travel(T0 - timedelta(hours=5), tick=False):
        notifications.invite(party, "ann@example.com, bob@example.com, cat@example.com, dan@example.com")
        db.session.commit()
        make_reply(party, name="Ann", email="ann@example.com")  # replied: no nudge
    cat = db.session.scalar(sa.select(Invitation).where(Invitation.email == "cat@example.com"))
    notifications.stop_emails_for_invitation(cat)  # asked for no emails
    mail.suppress("dan@example.com")  # never email me from Watchparty
    db.session.commit()
    outbox.messages()
    answer = nudge(host_client, party, "unreplied")
    assert answer.status_code == 302
    assert subjects_to(outbox, "Still coming?") == ["bob@example.com"], "dan's is dropped by the worker"
    message = next(m for m in delivered(outbox) if m["Subject"].startswith("Still coming?"))
    assert first_link(message, "/p/") == f"/p/{party.share_token}", "one tap to the reply form"
    assert "Anora" in message.get_body(("plain",)).get_content(), "the party card"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Twice the same day: refused, nothing sent.
    again = nudge(host_client, party, "unreplied", T0 + timedelta(hours=23))
    assert again.status_code == 409 and "less than a day ago" in again.text
    assert subjects_to(outbox, "Still coming?") == ["bob@example.com"]
    # A day later it may go again.
    assert nudge(host_client, party, "unreplied", T0 + timedelta(days=1, minutes=1)).status_code == 302
    assert subjects_to(outbox, "Still coming?") == ["bob@example.com", "bob@example.com"]


def test_ask_going_guests_who_claimed_nothing_and_no_one_else(app, party, host_client, outbox):
    popcorn, _crisps = make_items(party, ("Popcorn", 4), ("Crisps", 2))
    with time_machine.travel(T0 - timedelta(hours=5), tick=False):
        ann = make_reply(party, name="Ann", email="ann@example.com")
        make_claim(party, popcorn, 1, rsvp=ann)  # brings something
        bob = make_reply(party, name="Bob", email="bob@example.com")
        cat = make_reply(party, name="Cat", email="cat@example.com")
        make_reply(party, name="Dee", email="dee@example.com", response="maybe")
        make_reply(party, name="Eve", email="eve@example.com", plus_ones=2)  # 3 + 3 > 4: waitlisted
        make_reply(party, name="Fay", email="fay@example.com", response="declined")
        make_reply(party, name="Gus")  # no address
    cat.emails_stopped = True
    db.session.commit()
    outbox.messages()
    assert nudge(host_client, party, "unclaimed").status_code == 302
    assert subjects_to(outbox, "Pick something to bring") == ["bob@example.com"]
    message = next(m for m in delivered(outbox) if m["Subject"].startswith("Pick something"))
    body = message.get_body(("plain",)).get_content()
    assert "3 × Popcorn" in body and "2 × Crisps" in body
    assert first_link(message, "/p/") == f"/p/{party.share_token}/rsvp/{bob.manage_token}#signups"
    assert nudge(host_client, party, "unclaimed", T0 + timedelta(hours=2)).status_code == 409
    assert subjects_to(outbox, "Pick something to bring") == ["bob@example.com"]


def test_a_nudge_nobody_would_get_is_refused_and_does_not_use_up_the_day(app, party, host_client):
    answer = nudge(host_client, party, "unreplied")
    assert answer.status_code == 409 and "has replied" in answer.text
    answer = nudge(host_client, party, "unclaimed")
    assert answer.status_code == 409 and "nothing to ask for" in answer.text
    db.session.expire_all()
    stored = db.session.get(Party, party.id)
    assert stored.nudged_unreplied_at is None and stored.nudged_unclaimed_at is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboundEmail)) == 0
    with time_machine.travel(T0, tick=False):
        assert host_client.post(f"/parties/{party.id}/nudges/everyone").status_code == 404


def test_only_the_host_nudges(app, party, client):
    from tests.factories import log_in, make_user

    assert client.post(f"/parties/{party.id}/nudges/unreplied").status_code == 302, "anonymous: to the login"
    make_user(email="other@example.com", display_name="Other")
    log_in(client, email="other@example.com")
    assert client.post(f"/parties/{party.id}/nudges/unreplied").status_code == 404


def test_the_dashboard_offers_the_nudges_and_says_when_they_may_go_again(app, party, host_client):
    with time_machine.travel(T0 - timedelta(hours=5), tick=False):
        notifications.invite(party, "bob@example.com")
        db.session.commit()
    with time_machine.travel(T0, tick=False):
        page = host_client.get(f"/parties/{party.id}").text
        assert "Remind the invited who haven't replied" in page and "1 person, once a day at most" in page
    nudge(host_client, party, "unreplied")
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        page = host_client.get(f"/parties/{party.id}").text
    again = (T0 + timedelta(days=1)).astimezone(ZoneInfo("Europe/London")).strftime("%a %H:%M")
    assert f"Sent; again after {again}" in page, "in the host's zone (Europe/London)"


def test_an_unverified_host_cannot_nudge(app, host, host_client, party):
    from watchparty.models import Invitation

    db.session.add(Invitation(party_id=party.id, email="ina@example.com"))
    host.email_verified_at = None
    db.session.commit()
    response = host_client.post(f"/parties/{party.id}/nudges/unreplied")
    assert response.status_code == 403
    assert "Confirm your email address" in response.text


def test_an_account_nudges_at_most_its_daily_cap_across_all_its_parties(app, host, film, party, host_client, outbox):
    """NUDGES_PER_ACCOUNT_PER_DAY counts every party of the host (#22): a second party is no way around it."""
    from tests.factories import make_party

    app.config["NUDGES_PER_ACCOUNT_PER_DAY"] = 1
    with time_machine.travel(T0 - timedelta(days=1), tick=False):
        second = make_party(host, film, title="Second night", capacity=4)
    with time_machine.travel(T0 - timedelta(hours=5), tick=False):
        notifications.invite(party, "ann@example.com")
        notifications.invite(second, "bob@example.com")
        db.session.commit()
    outbox.messages()
    assert nudge(host_client, party, "unreplied").status_code == 302
    refused = nudge(host_client, second, "unreplied", T0 + timedelta(minutes=5))
    assert refused.status_code == 429
    assert "Your account can send 1 nudge a day across all your parties" in refused.text
    assert subjects_to(outbox, "Still coming?") == ["ann@example.com"]
    db.session.expire_all()
    assert db.session.get(Party, second.id).nudged_unreplied_at is None, "a refused nudge does not count"
    # A day later the account may nudge again.
    assert nudge(host_client, second, "unreplied", T0 + timedelta(days=1, minutes=1)).status_code == 302


def test_a_guest_the_host_removed_is_never_nudged_or_announced_to_as_invited(app, party, host_client, outbox):
    with time_machine.travel(T0 - timedelta(hours=5), tick=False):
        notifications.invite(party, "ann@example.com, bob@example.com")
        db.session.commit()
        ann = make_reply(party, name="Ann", email="ann@example.com")
    answer = host_client.post(f"/parties/{party.id}/guests/{ann.id}/remove")  # now, before T0
    assert answer.status_code == 302 and answer.headers["Location"].endswith("#guests")
    # Her reply is gone, but she is no "invited, not replied" again.
    assert nudge(host_client, party, "unreplied").status_code == 302
    assert subjects_to(outbox, "Still coming?") == ["bob@example.com"]
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        answer = host_client.post(
            f"/parties/{party.id}/announcements", data={"message": "Doors at 7", "audience": ["invited"]}
        )
    assert answer.status_code == 302
    assert subjects_to(outbox, "From the host") == ["bob@example.com"]
    assert subjects_to(outbox, "You're no longer") == ["ann@example.com"]
