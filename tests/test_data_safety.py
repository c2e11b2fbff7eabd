"""Data safety: deleting an account keeps everyone else's party whole, and every change
made of several steps is all-or-nothing.

All-or-nothing is proven by fault injection: the LAST step a view (or the CLI)
takes before its commit is made to fail — by wrapping our own service
function so that it does its work and then raises, or raises part-way — and
the database must be exactly as before: no partial review, no half-promoted
waitlist, the party still scheduled, no queued mail, no mail sent.
"""

import sqlalchemy as sa

from tests.factories import DEFAULT_PASSWORD, World, log_in, make_claim, make_reply, make_user
from tests.test_authorisation import client_as, party_form, snapshot
from watchparty.extensions import db
from watchparty.models import Claim, Film, OutboundEmail, Party, Review, Rsvp, SignupItem, User


class InjectedFault(RuntimeError):
    """The failure we inject; anything unexpected would be a different exception."""


def then_fail(original, after_calls: int = 1):
    """`original`, which fails (after doing its work) on its `after_calls`-th call."""
    calls = []

    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        calls.append(1)
        if len(calls) >= after_calls:
            raise InjectedFault(f"{original.__name__} failed after doing its work")
        return result

    return wrapper


def assert_consistent():
    """Every counter equals the sum it stands for."""
    db.session.expire_all()
    for item in db.session.scalars(sa.select(SignupItem)):
        claimed = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Claim.quantity), 0)).where(Claim.item_id == item.id)
        )
        assert item.claimed == claimed, f"{item.name}: counter {item.claimed}, claims {claimed}"
        assert 0 <= item.claimed <= item.quantity_needed
    for party in db.session.scalars(sa.select(Party)):
        seated = sum(r.seats for r in db.session.scalars(sa.select(Rsvp).where(Rsvp.party_id == party.id)))
        assert party.seats_taken == seated, f"party {party.id}: counter {party.seats_taken}, seats {seated}"
        assert party.capacity is None or seated <= party.capacity or party.seats_taken == seated
    db.session.rollback()


def outbox_files(app) -> int:
    from pathlib import Path

    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    return len(list(folder.glob("*.eml"))) if folder.exists() else 0


# ---------------------------------------------------------------- deleting an account


def test_a_deleted_guest_account_leaves_its_replies_anonymised_and_its_sign_ups_counted(app):
    world = World()
    leaver = make_user(email="leaver@example.com", display_name="Lena Leaver")
    leaver_id = leaver.id
    reply = make_reply(world.party, "Lena Leaver", email="leaver@example.com", user=leaver, response="maybe",
                       dietary="vegan", note="Can't wait")
    make_claim(world.party, world.crisps, 2, rsvp=reply)
    host = client_as(app, world, "host")
    guest_browser = app.test_client()
    log_in(guest_browser, email="leaver@example.com")
    added = guest_browser.post(f"/p/{world.token}/items", data={"name": "Lena's cake", "quantity": "1"})
    assert added.status_code == 302

    assert guest_browser.post("/accounts/delete", data={"password": DEFAULT_PASSWORD}).status_code == 302

    db.session.expire_all()
    kept = db.session.get(Rsvp, reply.id)
    assert (kept.user_id, kept.name, kept.email) == (None, "Former guest", None)
    assert (kept.response, kept.dietary, kept.note) == ("maybe", "vegan", "Can't wait")  # the host still plans with it
    assert db.session.get(User, leaver_id) is None
    names = {item.name: item.claimed for item in db.session.scalars(sa.select(SignupItem))}
    assert names["Crisps"] == 2 and names["Lena's cake"] == 1
    assert_consistent()
    dashboard = host.get(f"/parties/{world.party.id}").text
    assert "Former guest" in dashboard and "Lena Leaver" not in dashboard and "leaver@example.com" not in dashboard
    csv = host.get(f"/parties/{world.party.id}/guests.csv").text
    assert "Former guest" in csv and "leaver@example.com" not in csv
    # A new account with the old address is a stranger to the old reply.
    newcomer = app.test_client()
    newcomer.post("/accounts/register", data={"email": "leaver@example.com", "display_name": "New Lena",
                                              "password": "a brand new password", "confirm": "a brand new password"})
    from watchparty.accounts import codes  # the sign-up finishes with its emailed code (#22)

    newcomer.post("/accounts/code/verify", data={"email": "leaver@example.com",
                                                 "code": codes.code_of(codes.row_for("leaver@example.com"))})
    assert "Hi, New Lena!" in newcomer.get("/").text
    page = newcomer.get(f"/p/{world.token}").text
    assert "Are you coming?" in page and "Your reply" not in page


def test_a_deleted_hosts_parties_stay_cancelled_and_whole_for_their_guests(app):
    world = World()
    host = client_as(app, world, "host")
    guest = client_as(app, world, "guest")
    party_id, token = world.party.id, world.token
    counts = {model: db.session.scalar(sa.select(sa.func.count()).select_from(model))
              for model in (Rsvp, SignupItem, Claim, Review, Film)}

    assert host.post("/accounts/delete", data={"password": DEFAULT_PASSWORD}).status_code == 302

    db.session.expire_all()
    party = db.session.get(Party, party_id)
    assert (party.status, party.host_id) == ("cancelled", None)
    assert party.cancel_message == "The host closed their Watchparty account."
    other = db.session.get(Party, world.other_party.id)
    assert other.status == "scheduled"  # another host's party is untouched
    for model, count in counts.items():  # replies, the list, claims (the host's too), reviews and films all stay
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == count, model.__name__
    host_claim = db.session.get(Claim, world.host_claim.id)
    assert (host_claim.rsvp_id, host_claim.user_id, host_claim.quantity) == (None, None, 1)
    assert db.session.get(Film, world.film.id).created_by_id is None
    assert_consistent()
    # Guests still see the party (cancelled) and their own reply; nothing more can be changed.
    page = guest.get(f"/p/{token}")
    assert page.status_code == 200
    assert "Cancelled" in page.text and "A former Watchparty host" in page.text
    assert guest.get(world.manage_path).status_code == 200
    assert guest.post(f"/p/{token}/items/{world.crisps.id}/claim", data={"quantity": "1"}).status_code == 409
    assert app.test_client().post(f"/p/{token}/rsvp", data={"name": "Late", "response": "going"}).status_code == 409
    assert guest.get(f"/p/{token}/calendar.ics").status_code == 200
    assert_consistent()


# ---------------------------------------------------------------- all-or-nothing, by fault injection


def test_a_review_saved_from_the_import_preview_is_all_or_nothing(app, monkeypatch):
    from watchparty.reviews import service as reviews

    world = World()
    host = client_as(app, world, "host")
    before = snapshot()
    monkeypatch.setattr(reviews, "save_review", then_fail(reviews.save_review))
    answer = host.post(f"/films/{world.film.slug}/reviews", data={
        "title": "Half a review", "sections-0-heading": "One", "sections-0-body": "First part.",
        "sections-1-heading": "Two", "sections-1-body": "Second part.",
    })
    assert answer.status_code == 500 and "Something went wrong" in answer.text
    assert snapshot() == before, "no review and no section may be left behind"


def test_a_review_imported_from_the_command_line_is_all_or_nothing(app, monkeypatch, tmp_path):
    from watchparty.reviews import service as reviews

    world = World()
    article = tmp_path / "article.md"
    article.write_text("A review in parts\n\nOPENING\n\nA first part.\n\nTHE END\n\nA second part.\n", encoding="utf-8")
    before = snapshot()
    monkeypatch.setattr(reviews, "save_review", then_fail(reviews.save_review))
    result = app.test_cli_runner().invoke(args=["reviews", "import", world.film.slug, str(article)])
    assert isinstance(result.exception, InjectedFault)
    db.session.remove()
    assert snapshot() == before


def waitlist_world(app):
    """A party of 2 seats: Gina and her plus-one seated; Walt (+1), Wendy and Will waiting, each with an email."""
    world = World()
    world.party.capacity = 2
    db.session.commit()
    first = make_reply(world.party, "Wendy Waiting", email=f"w{world.n}-wendy@example.com")
    second = make_reply(world.party, "Will Waiting", email=f"w{world.n}-will@example.com")
    assert (first.state, second.state) == ("waitlisted", "waitlisted")
    return world


def test_promotion_from_the_waitlist_is_all_or_nothing_when_a_guest_withdraws(app, monkeypatch):
    from watchparty.rsvp import changes as rsvp  # where the change tells the seated guest

    world = waitlist_world(app)
    guest = client_as(app, world, "guest")
    before, sent = snapshot(), outbox_files(app)
    # The view's last step before its commit: telling the guest who got the seat (Walt). It queues
    # the email, then fails.
    monkeypatch.setattr(rsvp, "send_seated", then_fail(rsvp.send_seated))
    answer = guest.post(f"{world.manage_path}/withdraw")
    assert answer.status_code == 500
    assert snapshot() == before, "the withdrawal, the seats and the queued emails all roll back"
    assert outbox_files(app) == sent
    assert_consistent()
    monkeypatch.undo()  # and the same request, when nothing fails, does all of it
    assert guest.post(f"{world.manage_path}/withdraw").status_code == 302
    db.session.expire_all()
    states = dict(db.session.execute(sa.select(Rsvp.name, Rsvp.state).where(Rsvp.party_id == world.party.id)).all())
    assert states == {"Gina Guest": "confirmed", "Walt Waiting": "confirmed", "Wendy Waiting": "waitlisted",
                      "Will Waiting": "waitlisted"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboundEmail)) >= 1
    assert_consistent()


def test_promotion_from_the_waitlist_is_all_or_nothing_when_the_host_removes_a_guest(app, monkeypatch):
    from watchparty.rsvp import changes as rsvp  # where the change tells the seated guest

    world = waitlist_world(app)
    host = client_as(app, world, "host")
    before = snapshot()
    monkeypatch.setattr(rsvp, "send_seated", then_fail(rsvp.send_seated))
    answer = host.post(f"/parties/{world.party.id}/guests/{world.guest_id}/remove")
    assert answer.status_code == 500
    assert snapshot() == before, "the guest, their claim and the waitlist are as they were"
    assert_consistent()


def test_promotion_from_the_waitlist_is_all_or_nothing_when_the_host_adds_seats(app, monkeypatch):
    from watchparty.notifications import service as notifications

    world = waitlist_world(app)
    host = client_as(app, world, "host")
    before = snapshot()
    # Raising the capacity seats all three who wait; then telling guests what changed fails.
    monkeypatch.setattr(notifications, "notify_party_changed", then_fail(notifications.notify_party_changed))
    answer = host.post(f"/parties/{world.party.id}/edit", data=party_form(world, capacity="10"))
    assert answer.status_code == 500
    assert snapshot() == before
    assert_consistent()


def test_cancelling_a_party_is_all_or_nothing_with_its_emails(app, monkeypatch):
    from watchparty.notifications import service as notifications

    world = World()
    host = client_as(app, world, "host")
    before, sent = snapshot(), outbox_files(app)
    # Cancelling, then queuing the guests' emails: the queue is filled, then the last step fails.
    monkeypatch.setattr(notifications, "notify_party_cancelled", then_fail(notifications.notify_party_cancelled))
    answer = host.post(f"/parties/{world.party.id}/cancel", data={"message": "Sorry, I'm ill"})
    assert answer.status_code == 500
    assert snapshot() == before, "the party is still scheduled and no email is queued"
    assert outbox_files(app) == sent, "no email went out for a cancellation that did not happen"
    assert db.session.get(Party, world.party.id).status == "scheduled"


def test_inviting_a_list_of_addresses_is_all_or_nothing(app, monkeypatch):
    from watchparty import mail

    world = World()
    host = client_as(app, world, "host")
    before, sent = snapshot(), outbox_files(app)
    monkeypatch.setattr(mail, "queue_template", then_fail(mail.queue_template, after_calls=3))
    answer = host.post(f"/parties/{world.party.id}/invitations",
                       data={"emails": "a@example.com b@example.com c@example.com d@example.com"})
    assert answer.status_code == 500
    assert snapshot() == before, "no invitation of the paste is kept"
    assert outbox_files(app) == sent


def test_a_new_party_and_its_snack_list_are_all_or_nothing(app, monkeypatch):
    from watchparty.signups import items as signup_items

    world = World()
    host = client_as(app, world, "host")
    before = snapshot()
    monkeypatch.setattr(signup_items, "add_host_items", then_fail(signup_items.add_host_items))
    answer = host.post("/parties/new", data={
        **party_form(world),
        "items-0-name": "Popcorn", "items-0-quantity": "3", "items-1-name": "Cola", "items-1-quantity": "6",
    })
    assert answer.status_code == 500
    assert snapshot() == before, "neither the party nor any of its items is kept"


def test_deleting_an_account_is_all_or_nothing(app, monkeypatch):
    from watchparty.rsvp import service as rsvp

    world = World()
    reply = make_reply(world.other_party, "Hana as a guest", email="hana-guest@example.com", user=world.host)
    assert reply.user_id == world.host.id
    host = client_as(app, world, "host")
    before = snapshot()
    # Her parties are cancelled first, then her replies anonymised: the second step fails.
    monkeypatch.setattr(rsvp, "anonymise_replies_of", then_fail(rsvp.anonymise_replies_of))
    answer = host.post("/accounts/delete", data={"password": DEFAULT_PASSWORD})
    assert answer.status_code == 500
    assert snapshot() == before, "the account, her parties and her replies are as they were"
    assert host.get(f"/parties/{world.party.id}").status_code == 200  # still logged in, still the host
