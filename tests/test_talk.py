"""The party talks (#20): the host's announcements (who sees which, who is emailed,
scheduled sends, edits, deletes, limits) and the guests' comments (who reads, who
posts, moderation, spoilers, hostile input, rate limits, a fixed number of queries)."""

import re
from datetime import timedelta
from html import unescape

import pytest
import sqlalchemy as sa
import time_machine

from tests.factories import log_in, make_party, make_reply, make_user
from tests.mailbox import text_body
from watchparty import mail, mail_worker
from watchparty.extensions import db
from watchparty.models import Announcement, Comment, Invitation, OutboundEmail, Rsvp, utcnow
from watchparty.party_page import guest_cookie
from watchparty.talk import service


def guest(app, party, name="Bob", response="going", **fields):
    """A guest's reply and a browser that remembers it (as after replying by the manage link)."""
    fields.setdefault("email", f"{name.lower()}@example.com")
    rsvp = make_reply(party, name, response, **fields)
    client = app.test_client()
    assert client.get(f"/p/{party.share_token}/rsvp/{rsvp.manage_token}").status_code == 200
    return rsvp, client


def announce(host_client, party, message="Bring a blanket!", audience=("going",), send_at=""):
    return host_client.post(
        f"/parties/{party.id}/announcements",
        data={"message": message, "audience": list(audience), "send_at": send_at},
    )


def page(client, party) -> str:
    response = client.get(f"/p/{party.share_token}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post_comment(client, party, body="Can't wait!", **fields):
    return client.post(f"/p/{party.share_token}/comments", data={"body": body, **fields})


def comments() -> list[Comment]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Comment).order_by(Comment.id)))


def from_host(outbox) -> list:
    """The announcements' emails in the outbox (replies send their own confirmations)."""
    return [message for message in outbox.messages() if str(message["Subject"]).startswith("From the host")]


def local(party, when) -> str:
    """`when` as the form's send_at: wall-clock time in the party's zone."""
    from zoneinfo import ZoneInfo

    return when.astimezone(ZoneInfo(party.timezone)).strftime("%Y-%m-%dT%H:%M")


# ---------------------------------------------------------------- announcements: who sees, who is emailed


@pytest.fixture
def crowd(app, host, film):
    """A party of one seat: Gus is going (seated), Wes waitlisted, May maybe, Dee declined."""
    party = make_party(host, film, title="Small night", capacity=1, max_plus_ones=0)
    people = {name: guest(app, party, name, response) for name, response in
              [("Gus", "going"), ("Wes", "going"), ("May", "maybe"), ("Dee", "declined")]}
    assert people["Wes"][0].state == "waitlisted"
    return party, people


def test_each_guest_sees_the_announcements_meant_for_their_status_and_the_host_sees_all(app, crowd, host_client):
    party, people = crowd
    for message, audience in [("Seated folks: door code 1234", ("going",)), ("Waitlist: fingers crossed", ("waitlisted",)),
                              ("Maybes: decide by Friday", ("maybe",)), ("Sorry to miss you", ("declined",)),
                              ("For everyone going or maybe", ("going", "maybe"))]:
        assert announce(host_client, party, message, audience).status_code == 302
    seen = {name: page(client, party) for name, (_, client) in people.items()}
    assert "door code 1234" in seen["Gus"] and "For everyone going or maybe" in seen["Gus"]
    assert "fingers crossed" not in seen["Gus"] and "Maybes" not in seen["Gus"]
    assert "fingers crossed" in seen["Wes"] and "door code" not in seen["Wes"]
    assert "decide by Friday" in seen["May"] and "For everyone going or maybe" in seen["May"]
    assert "Sorry to miss you" in seen["Dee"] and "door code" not in seen["Dee"]
    assert "From the host" in seen["Gus"]
    # A visitor who has not replied sees none of it, not even the heading.
    stranger = page(app.test_client(), party)
    assert "From the host" not in stranger and "door code" not in stranger
    # The host sees every one, labelled with its audience, newest first.
    hosted = page(host_client, party)
    assert hosted.index("For everyone going or maybe") < hosted.index("door code 1234")
    assert "to going, maybe" in hosted and "to on the waitlist" in hosted
    # A guest whose status changes sees what their new status is sent: Gus drops out, Wes is seated.
    from watchparty.rsvp import service as rsvp_service

    rsvp_service.withdraw_reply(db.session.get(Rsvp, people["Gus"][0].id))
    db.session.commit()
    assert "door code 1234" in page(people["Wes"][1], party)


def test_announcements_are_emailed_to_their_audience_with_a_stop_link_and_opt_outs_respected(
    app, party, host_client, outbox
):
    going, _ = guest(app, party, "Gus", "going")
    guest(app, party, "May", "maybe")
    stopped, _ = guest(app, party, "Sid", "going")
    stopped.emails_stopped = True
    db.session.add_all([
        Invitation(party_id=party.id, email="ivy@example.com"),  # invited, not replied
        Invitation(party_id=party.id, email="gus@example.com"),  # invited, and replied since
        Invitation(party_id=party.id, email="quiet@example.com", emails_stopped=True),
    ])
    db.session.commit()
    assert announce(host_client, party, "Parking is round the back.", ("going", "invited")).status_code == 302
    messages = from_host(outbox)
    assert sorted(str(m["To"]) for m in messages) == ["gus@example.com", "ivy@example.com"]
    for message in messages:
        body = text_body(message)
        assert "Parking is round the back." in body
        assert "Stop emails about Anora night" in body
        assert message["List-Unsubscribe"]
    assert next(m for m in messages if m["To"] == "gus@example.com")["Subject"] == "From the host: Anora night"
    assert going.manage_token in text_body(next(m for m in messages if m["To"] == "gus@example.com"))


def test_a_scheduled_announcement_goes_out_at_its_time_and_not_before(app, party, host_client):
    _rsvp, client = guest(app, party, "Gus", "going")
    send_at = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    response = announce(host_client, party, "See you in two days", ("going",), send_at=local(party, send_at))
    assert response.status_code == 302
    [announcement] = db.session.scalars(sa.select(Announcement)).all()
    assert announcement.send_at == send_at and announcement.sent_at is None
    assert "See you in two days" not in page(client, party), "not on the page before its time"
    assert "Scheduled for" in page(host_client, party)
    # A minute early: the timed job sends nothing, and nothing is due.
    assert mail_worker.run_timed_jobs(send_at - timedelta(minutes=1))["announcements"] == 0
    early = mail_worker.send_due(now=send_at - timedelta(minutes=1))
    # (The guest's confirmation, and the host's "new reply" once the timed jobs ran.)
    assert not [row for row in early.sent if row.subject.startswith("From the host")], "no announcement yet"
    with time_machine.travel(send_at, tick=False):
        assert mail_worker.run_timed_jobs(send_at)["announcements"] == 1
        assert mail_worker.run_timed_jobs(send_at)["announcements"] == 0, "once"
        delivery = mail_worker.send_due(now=send_at)
        assert [row.recipient for row in delivery.sent if row.subject.startswith("From the host")] == ["gus@example.com"]
        assert "See you in two days" in page(client, party)


def test_an_edit_before_sending_changes_the_email_and_a_delete_drops_it(app, party, host_client, outbox):
    guest(app, party, "Gus", "going")
    send_at = utcnow() + timedelta(hours=5)
    announce(host_client, party, "First words", ("going",), send_at=local(party, send_at))
    announce(host_client, party, "To be deleted", ("going",), send_at=local(party, send_at))
    first, second = db.session.scalars(sa.select(Announcement).order_by(Announcement.id)).all()
    edit = host_client.get(f"/parties/{party.id}/announcements/{first.id}/edit")
    assert "First words" in edit.get_data(as_text=True)
    assert host_client.post(f"/parties/{party.id}/announcements/{first.id}/edit", data={
        "message": "Better words", "audience": ["going"], "send_at": local(party, send_at)}).status_code == 302
    assert host_client.post(f"/parties/{party.id}/announcements/{second.id}/delete").status_code == 302
    with time_machine.travel(send_at + timedelta(minutes=1), tick=False):
        mail_worker.run_timed_jobs()
        messages = from_host(outbox)
    assert [text_body(m).count("Better words") for m in messages] == [1]
    assert "First words" not in text_body(messages[0])


def test_a_deleted_announcement_drops_its_emails_still_waiting(app, party, host_client, outbox):
    guest(app, party, "Gus", "going")
    announce(host_client, party, "Oops, wrong party", ("going",))
    [announcement] = db.session.scalars(sa.select(Announcement)).all()
    assert host_client.post(f"/parties/{party.id}/announcements/{announcement.id}/delete").status_code == 302
    assert from_host(outbox) == []
    assert db.session.scalar(sa.select(OutboundEmail.status).where(OutboundEmail.dedupe_key.like("announcement:%"))) == "dropped"
    assert "Oops" not in page(host_client, party)


# ---------------------------------------------------------------- announcements: limits and refusals


def test_the_eleventh_announcement_of_the_day_is_refused(app, party, host_client):
    guest(app, party, "Gus", "going")
    for number in range(service.ANNOUNCEMENTS_PER_DAY):
        assert announce(host_client, party, f"Note {number}").status_code == 302
    # Deleting does not give one back.
    first = db.session.scalars(sa.select(Announcement).order_by(Announcement.id)).first()
    host_client.post(f"/parties/{party.id}/announcements/{first.id}/delete")
    response = announce(host_client, party, "One too many")
    assert response.status_code == 429
    assert "10 announcements a day" in response.get_data(as_text=True)
    assert "One too many" in response.get_data(as_text=True), "the form comes back filled"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Announcement)) == 10
    with time_machine.travel(utcnow() + timedelta(days=1, minutes=1)):
        assert announce(host_client, party, "A new day").status_code == 302


def test_an_unverified_host_cannot_announce_and_nothing_is_written(app, host, party, host_client):
    """Announcements reach guests' inboxes: only from a host whose address is verified (#22)."""
    guest(app, party, "Gus", "going")
    host.email_verified_at = None
    db.session.commit()
    emails_before = db.session.scalar(sa.select(sa.func.count()).select_from(OutboundEmail))
    response = announce(host_client, party, "Buy my pills")
    text = response.get_data(as_text=True)
    assert response.status_code == 403
    assert re.search(r'id="message-error">\s*<li>Confirm your email address before sending announcements', text)
    assert "Buy my pills" in text, "the form comes back filled"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Announcement)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboundEmail)) == emails_before


def test_a_scheduled_announcement_waits_while_its_host_is_unverified(app, host, party, host_client, outbox):
    guest(app, party, "Gus", "going")
    later = utcnow() + timedelta(hours=2)
    assert announce(host_client, party, "Doors at eight", send_at=local(party, later)).status_code == 302
    host.email_verified_at = None  # e.g. the email changed since
    db.session.commit()
    assert service.send_due_announcements(later + timedelta(minutes=1)) == 0
    assert db.session.scalar(sa.select(Announcement.sent_at)) is None


def test_an_account_announces_at_most_its_daily_cap_across_all_its_parties(app, host, film, party, host_client):
    app.config["ANNOUNCEMENTS_PER_ACCOUNT_PER_DAY"] = 3
    other = make_party(host, film, title="Second night")
    guest(app, party, "Gus", "going")
    guest(app, other, "Ola", "going")
    assert announce(host_client, party, "One").status_code == 302
    assert announce(host_client, party, "Two").status_code == 302
    assert announce(host_client, other, "Three").status_code == 302
    response = announce(host_client, other, "Four")
    text = response.get_data(as_text=True)
    assert response.status_code == 429
    assert re.search(r'id="message-error">\s*<li>Your account can send 3 announcements a day across all your parties', text)
    assert "Four" in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Announcement)) == 3
    # Another host's parties are not counted against this one.
    stranger = make_user(email="sam@example.com", display_name="Sam")
    theirs = make_party(stranger, film, title="Sam's night")
    guest(app, theirs, "Pat", "going")
    sam = app.test_client()
    log_in(sam, email="sam@example.com")
    assert announce(sam, theirs, "Hello").status_code == 302
    with time_machine.travel(utcnow() + timedelta(days=1, minutes=1)):
        assert announce(host_client, other, "A new day").status_code == 302


@pytest.mark.parametrize(
    "fields, status, words",
    [
        ({"message": ""}, 422, "Write a message first."),
        ({"message": "x" * 2001}, 422, "under 2,000 characters"),
        ({"message": "x" * 10_000}, 422, "under 2,000 characters"),
        ({"message": "bad\x00byte"}, 422, "control characters"),
        ({"audience": []}, 422, "Choose who it is for."),
        ({"audience": ["everyone"]}, 422, "is not a valid choice"),
        ({"audience": ["declined"]}, 422, "Nobody is can&#39;t make it at the moment"),
        ({"send_at": "yesterday"}, 422, "Enter a date and time"),
        ({"send_at": "past"}, 422, "That time has passed"),
        ({"send_at": "after"}, 422, "before the party ends"),
    ],
)
def test_bad_announcements_are_refused_beside_the_field_and_nothing_is_saved(
    app, party, host_client, outbox, fields, status, words
):
    guest(app, party, "Gus", "going")
    data = {"message": "Hello", "audience": ["going"], "send_at": ""}
    data.update(fields)
    if data["send_at"] == "past":
        data["send_at"] = local(party, utcnow() - timedelta(hours=2))
    elif data["send_at"] == "after":
        data["send_at"] = local(party, party.ends_at + timedelta(minutes=5))
    response = host_client.post(f"/parties/{party.id}/announcements", data=data)
    assert response.status_code == status
    assert words in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Announcement)) == 0
    assert from_host(outbox) == []


def test_announcements_are_the_hosts_alone(app, party, host_client):
    _guest_rsvp, guest_client = guest(app, party, "Gus", "going")
    make_user(email="other@example.com", display_name="Other")
    other = app.test_client()
    log_in(other, email="other@example.com")
    for client in (other, guest_client):
        assert client.get(f"/parties/{party.id}/announcements").status_code in (302, 404)
        assert announce(client, party).status_code in (302, 404)
    assert other.get(f"/parties/{party.id}/announcements").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Announcement)) == 0
    assert host_client.get(f"/parties/{party.id}/announcements").status_code == 200
    # The dashboard points to it.
    assert f"/parties/{party.id}/announcements" in host_client.get(f"/parties/{party.id}").get_data(as_text=True)


# ---------------------------------------------------------------- comments: who reads, who posts


def test_comment_visibility_by_who_is_looking(app, party, host_client):
    _, going = guest(app, party, "Gus", "going")
    _, declined = guest(app, party, "Dee", "declined")
    response = post_comment(going, party, "Popcorn is on me")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#comment-{comments()[0].id}")
    assert "Popcorn is on me" in page(going, party)
    assert "Popcorn is on me" in page(host_client, party)
    # Declined guests read along but may not post.
    seen = page(declined, party)
    assert "Popcorn is on me" in seen and "read along but not post" in seen
    assert post_comment(declined, party, "Me too").status_code == 403
    # Anonymous visitors see no comments at all, not even a count, and cannot post.
    stranger = app.test_client()
    html = page(stranger, party)
    assert "Popcorn" not in html and 'id="talk"' not in html and "comment" not in html.lower()
    assert post_comment(stranger, party, "Spam").status_code == 403
    assert [c.body for c in comments()] == ["Popcorn is on me"]


def test_the_host_hears_that_a_guest_commented_but_not_what(app, party, host_client):
    from watchparty.models import PartyActivity

    _, gus = guest(app, party, "Gus", "going")
    post_comment(gus, party, "The ending: she cries in the car")
    post_comment(host_client, party, "Welcome all")
    kinds = [(row.kind, row.actor) for row in db.session.scalars(sa.select(PartyActivity).order_by(PartyActivity.id))]
    assert kinds[-1] == ("comment", "Gus"), "the host's own comment is not news to the host"
    dashboard = host_client.get(f"/parties/{party.id}").get_data(as_text=True)
    assert "Gus commented" in dashboard and "she cries" not in dashboard


def test_the_host_posts_and_hides_and_an_author_deletes(app, party, host_client):
    _, gus = guest(app, party, "Gus", "going")
    _, may = guest(app, party, "May", "maybe")
    post_comment(gus, party, "Rude words")
    post_comment(may, party, "Nice words")
    assert post_comment(host_client, party, "Welcome all").status_code == 302
    rude, nice, welcome = comments()
    assert welcome.by_host and welcome.author_name == "Hana Host"
    # A guest cannot hide, nor delete another's comment.
    assert may.post(f"/p/{party.share_token}/comments/{rude.id}/hide").status_code == 403
    assert may.post(f"/p/{party.share_token}/comments/{rude.id}/delete").status_code == 403
    assert host_client.post(f"/p/{party.share_token}/comments/{rude.id}/hide").status_code == 302
    assert "Rude words" not in page(may, party) and "Rude words" not in page(gus, party)
    assert "Rude words" in page(host_client, party) and "hidden from guests" in page(host_client, party)
    # The author deletes their own; its text is gone.
    assert may.post(f"/p/{party.share_token}/comments/{nice.id}/delete").status_code == 302
    assert "Nice words" not in page(host_client, party)
    assert comments()[1].body == "" and comments()[1].status == "deleted"
    # The host deletes anyone's; a comment gone twice is a 404.
    assert host_client.post(f"/p/{party.share_token}/comments/{nice.id}/delete").status_code == 404
    assert host_client.post(f"/p/{party.share_token}/comments/{welcome.id}/delete").status_code == 302


def test_replies_are_one_level_deep(app, party, host_client):
    _, gus = guest(app, party, "Gus", "going")
    _, may = guest(app, party, "May", "maybe")
    post_comment(gus, party, "Who has a projector?")
    [question] = comments()
    # "Reply" leads to the thread's own page, with the form.
    html = page(may, party)
    assert f'href="/p/{party.share_token}/comments/{question.id}/reply"' in html
    reply_page = may.get(f"/p/{party.share_token}/comments/{question.id}/reply")
    assert reply_page.status_code == 200 and "Who has a projector?" in reply_page.get_data(as_text=True)
    assert app.test_client().get(f"/p/{party.share_token}/comments/{question.id}/reply").status_code == 404
    # A refused reply comes back on that page, filled, with the error beside the field.
    refused = post_comment(may, party, "x" * 1001, reply_to=str(question.id))
    assert refused.status_code == 422
    assert 'id="reply-body-error"' in refused.get_data(as_text=True) and "Who has a projector?" in refused.get_data(as_text=True)
    assert post_comment(may, party, "I do!", reply_to=str(question.id)).status_code == 302
    answer = comments()[1]
    assert answer.reply_to_id == question.id
    assert post_comment(gus, party, "Great", reply_to=str(answer.id)).status_code == 302
    assert comments()[2].reply_to_id == question.id, "a reply to a reply joins the thread"
    html = page(gus, party)
    thread = html[html.index(f'id="comment-{question.id}"'):]
    assert thread.index("Who has a projector?") < thread.index("I do!") < thread.index("Great")
    # A reply to a deleted comment, to another party's, or to nonsense is refused beside the field.
    gus.post(f"/p/{party.share_token}/comments/{question.id}/delete")
    for target in (str(question.id), "999999", "abc", "-1", "9" * 30):
        response = post_comment(may, party, "Late reply", reply_to=target)
        assert response.status_code == 422, target
        assert "no longer there to reply to" in response.get_data(as_text=True)
    assert len(comments()) == 3


def test_a_forged_or_other_partys_cookie_posts_nothing(app, party, host, film):
    rsvp, _ = guest(app, party, "Gus", "going")
    other_party = make_party(host, film, title="Other night")
    other_rsvp = make_reply(other_party, "Eve", "going")
    name, _ = guest_cookie(party, rsvp)
    forged = app.test_client()
    forged.set_cookie(name, "not-a-signed-value", path="/p/")
    assert post_comment(forged, party, "Forged").status_code == 403
    # Eve's genuine cookie, for her party, under this party's name: not a guest here.
    _, eve_value = guest_cookie(other_party, other_rsvp)
    borrowed = app.test_client()
    borrowed.set_cookie(name, eve_value, path="/p/")
    assert post_comment(borrowed, party, "Borrowed").status_code == 403
    assert comments() == []


def test_a_removed_guest_can_no_longer_post(app, party, host_client):
    rsvp, gus = guest(app, party, "Gus", "going")
    post_comment(gus, party, "Before")
    from watchparty.rsvp import service as rsvp_service

    rsvp_service.remove_guest(party, rsvp.id)
    db.session.commit()
    assert post_comment(gus, party, "After").status_code == 403
    assert [c.body for c in comments()] == ["Before"]
    assert comments()[0].rsvp_id is None and comments()[0].author_name == "Gus"


# ---------------------------------------------------------------- spoilers


def spoiler_details(html: str) -> list[str]:
    return re.findall(r'<details class="spoiler"[^>]*>', html)


def test_spoiler_comments_fold_until_the_film_is_over_and_open_for_seen_it_guests(app, party):
    _, gus = guest(app, party, "Gus", "going")
    _, seen = guest(app, party, "Sam", "going", seen_it=True)
    assert post_comment(gus, party, "The ending twist!", is_spoiler="y").status_code == 302
    html = page(gus, party)
    assert "The ending twist!" in html  # in the page, folded
    [folded] = spoiler_details(html[html.index('id="talk"'):])
    assert " open" not in folded
    [opened] = spoiler_details(page(seen, party)[page(seen, party).index('id="talk"'):])
    assert " open" in opened
    with time_machine.travel(party.ends_at + timedelta(minutes=1), tick=False):
        after = page(gus, party)
        assert all(" open" in tag for tag in spoiler_details(after[after.index('id="talk"'):]))


def test_after_the_reveal_the_comment_form_offers_no_spoiler_tick_and_one_sent_anyway_folds_nothing(app, party):
    _, gus = guest(app, party, "Gus", "going")
    before = page(gus, party)
    assert 'name="is_spoiler"' in before[before.index('id="talk"'):], "before the film: the tick is there"
    with time_machine.travel(party.ends_at + timedelta(minutes=1), tick=False):
        after = page(gus, party)
        talk = after[after.index('id="talk"'):]
        assert 'name="body"' in talk and 'name="is_spoiler"' not in talk[:talk.index("</section>")]
        assert post_comment(gus, party, "That last scene in the car!", is_spoiler="y").status_code == 302
        [made] = comments()
        assert not made.is_spoiler, "spoilers are open by then: stored unfolded"
        reply_page = gus.get(f"/p/{party.share_token}/comments/{made.id}/reply").text
        assert "Your reply" in reply_page and 'name="is_spoiler"' not in reply_page
        assert not spoiler_details(page(gus, party)[after.index('id="talk"'):])


# ---------------------------------------------------------------- hostile input


@pytest.mark.parametrize(
    "body, words",
    [
        ("", "Write something first."),
        ("x" * 10_000, "under 1,000 characters"),
        ("x" * 1001, "under 1,000 characters"),
        ("bell\x07here", "control characters"),
        ("see https://a.example and https://b.example and http://c.example", "At most 2 links"),
    ],
)
def test_hostile_comments_are_refused_beside_the_field(app, party, body, words):
    _, gus = guest(app, party, "Gus", "going")
    response = post_comment(gus, party, body)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert words in html
    assert 'id="comment-body-error"' in html, "beside the field"
    assert comments() == []


def test_markup_is_escaped_and_only_http_links_are_clickable(app, party):
    _, gus = guest(app, party, "Gus", "going")
    body = '<script>alert(1)</script> <b>bold</b> javascript:alert(2) https://example.com/trailer'
    assert post_comment(gus, party, body).status_code == 302
    html = page(gus, party)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html
    assert 'href="javascript' not in html
    assert '<a href="https://example.com/trailer" rel="nofollow noopener noreferrer">' in html


def test_link_previews_never_show_comment_or_announcement_text(app, party, host_client):
    _, gus = guest(app, party, "Gus", "going")
    post_comment(gus, party, "Secret plans for the night")
    announce(host_client, party, "Secret door code 4321")
    html = page(gus, party)
    head = html[: html.index("</head>")]
    assert "Secret" not in head
    description = re.search(r'<meta property="og:description" content="([^"]*)"', html).group(1)
    assert "Secret" not in unescape(description)


def test_the_talk_works_without_javascript_through_plain_forms(app_factory):
    """The browser journey with plain HTML forms and CSRF on (as tests/browser/test_talk.py, without JS)."""
    from tests.conftest import csrf_token_from as token_of

    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        host = make_user(email="host@example.com", display_name="Hana Host")
        party = make_party(host, title="Plain night")
        guest_client = app.test_client()
        html = page(guest_client, party)
        response = guest_client.post(f"/p/{party.share_token}/rsvp", data={
            "csrf_token": token_of(html), "name": "Gia", "email": "", "response": "going", "plus_ones": "0"})
        assert response.status_code == 302
        html = page(guest_client, party)
        assert 'id="talk"' in html
        # Without the CSRF token: refused.
        assert post_comment(guest_client, party, "No token").status_code == 400
        response = post_comment(guest_client, party, "Blanket?", csrf_token=token_of(html))
        assert response.status_code == 302
        host_client = app.test_client()
        login_page = host_client.get("/accounts/login").get_data(as_text=True)
        assert log_in(host_client, email="host@example.com", csrf_token=token_of(login_page)).status_code == 302
        compose = host_client.get(f"/parties/{party.id}/announcements").get_data(as_text=True)
        assert re.search(r'<input checked id="audience-0" name="audience" type="checkbox" value="going">', compose)
        response = host_client.post(f"/parties/{party.id}/announcements", data={
            "csrf_token": token_of(compose), "message": "Yes, bring it", "audience": ["going"], "send_at": ""})
        assert response.status_code == 302
        html = page(guest_client, party)
        assert "From the host" in html and "Yes, bring it" in html and "Blanket?" in html


# ---------------------------------------------------------------- rate limits


def test_fifty_comments_a_minute_from_one_client_are_refused_after_the_limit(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True)
    with app.app_context():
        host = make_user(email="host@example.com", display_name="Hana Host")
        party = make_party(host, title="Busy night")
        _, gus = guest(app, party, "Gus", "going")
        answers = [post_comment(gus, party, f"Comment {n}").status_code for n in range(50)]
        assert answers[:5] == [302] * 5
        assert set(answers[5:]) == {429}
        assert len(comments()) == 5


def test_one_guest_posts_at_most_five_comments_a_minute_whatever_their_address(app, party):
    _, gus = guest(app, party, "Gus", "going")
    for n in range(service.COMMENTS_PER_MINUTE):
        assert post_comment(gus, party, f"Comment {n}").status_code == 302
    response = post_comment(gus, party, "One more")
    assert response.status_code == 429 and "take a breath" in response.get_data(as_text=True)
    with time_machine.travel(utcnow() + timedelta(minutes=2)):
        assert post_comment(gus, party, "Later").status_code == 302


# ---------------------------------------------------------------- the party page stays quick


def test_the_party_page_runs_the_same_few_queries_with_200_comments(app, host, film, count_queries):
    """No talk at all, a little (2 comments, 2 announcements), a lot (200 and 10)."""
    from watchparty.cache import fragments

    app.config["VERIFY_PAGE_CACHE"] = False
    counts = {}
    for size in (0, 2, 200):
        party = make_party(host, film, title=f"Party of {size}")
        rsvp, client = guest(app, party, f"Gus{size}", "going")
        now = utcnow() - timedelta(hours=1)
        db.session.add_all([
            Comment(party_id=party.id, rsvp_id=rsvp.id, author_name="Gus", body=f"Comment {n}", created_at=now,
                    reply_to_id=None, is_spoiler=n % 3 == 0)
            for n in range(size)
        ])
        db.session.add_all([
            Announcement(party_id=party.id, message=f"Note {n}", to_going=True, sent_at=now, created_at=now,
                         updated_at=now)
            for n in range(min(size, 10))
        ])
        db.session.commit()
        page(client, party)
        fragments().clear()
        with count_queries() as statements:
            html = page(client, party)
        assert html.count('<article class="comment') == min(size, service.PAGE_THREADS)
        if size > service.PAGE_THREADS:
            assert f"{size - service.PAGE_THREADS} older conversations" in html
            every = client.get(f"/p/{party.share_token}/comments").get_data(as_text=True)
            assert every.count('<article class="comment') == size
        counts[size] = [s for s in statements if s.strip().upper() != "BEGIN"]
    assert len(counts[0]) == len(counts[2]) == len(counts[200]) <= 10, {k: len(v) for k, v in counts.items()}


def test_simultaneous_announcements_never_pass_ten_a_day(app_factory):
    """Twelve host tabs post at once: the party row's lock (SQLite: the write lock) decides, 10 go."""
    from tests.test_rsvp_concurrency import run_together

    app = app_factory(RATELIMIT_ENABLED=False)
    with app.app_context():
        host = make_user(email="host@example.com", display_name="Hana Host")
        party = make_party(host, title="Busy night")
        make_reply(party, "Gus", "going")
        party_id = party.id
        db.session.remove()
    clients = []
    for _ in range(12):
        client = app.test_client()
        log_in(client, email="host@example.com")
        clients.append(client)

    def post(i):
        return clients[i].post(
            f"/parties/{party_id}/announcements", data={"message": f"Note {i}", "audience": ["going"]}
        ).status_code

    statuses = run_together(12, post)
    assert sorted(statuses) == [302] * 10 + [429] * 2
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Announcement)) == 10


# ---------------------------------------------------------------- added by the audit of #20's lists


def test_script_and_markup_in_an_announcement_are_plain_text_on_the_page_and_in_the_email(
    app, party, host_client, outbox
):
    _, gus = guest(app, party, "Gus", "going")
    message = '<script>alert(1)</script> <b>Doors</b> <a href="javascript:alert(2)">here</a> https://example.com/map'
    assert announce(host_client, party, message).status_code == 302
    html = page(gus, party)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>Doors</b>" not in html and 'href="javascript' not in html
    [email] = from_host(outbox)
    assert message in text_body(email), "the plain-text part says exactly what the host wrote"
    rich = email.get_body(("html",)).get_content()
    assert "<script>alert(1)" not in rich and "&lt;script&gt;" in rich
    assert "<b>Doors</b>" not in rich and 'href="javascript' not in rich


def test_an_address_that_asked_never_to_be_emailed_gets_no_announcement(app, party, host_client, outbox):
    guest(app, party, "Gus", "going")
    guest(app, party, "Ann", "going")
    mail.suppress("ann@example.com")  # the footer's "never email me from Watchparty"
    db.session.add(Invitation(party_id=party.id, email="ivy@example.com"))
    mail.suppress("ivy@example.com")
    db.session.commit()
    assert announce(host_client, party, "Doors at 8", ("going", "invited")).status_code == 302
    assert [str(m["To"]) for m in from_host(outbox)] == ["gus@example.com"]


def test_a_refused_edit_keeps_the_announcement_as_it_was(app, party, host_client):
    guest(app, party, "Gus", "going")
    send_at = local(party, utcnow() + timedelta(hours=5))
    announce(host_client, party, "Original words", ("going",), send_at=send_at)
    [announcement] = db.session.scalars(sa.select(Announcement)).all()
    for fields, words in [({"message": ""}, "Write a message first."), ({"message": "x" * 10_000}, "under 2,000"),
                          ({"audience": []}, "Choose who it is for."), ({"send_at": "soon"}, "Enter a date and time")]:
        data = {"message": "Edited", "audience": ["going"], "send_at": send_at, **fields}
        response = host_client.post(f"/parties/{party.id}/announcements/{announcement.id}/edit", data=data)
        assert response.status_code == 422 and words in response.get_data(as_text=True)
        db.session.expire_all()
        assert db.session.get(Announcement, announcement.id).message == "Original words"


def test_announcement_edits_are_rate_limited_per_client(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_ANNOUNCE="10 per minute")
    with app.app_context():
        host = make_user(email="host@example.com", display_name="Hana Host")
        party = make_party(host, title="Busy night")
        make_reply(party, "Gus", "going")
        client = app.test_client()
        log_in(client, email="host@example.com")
        send_at = local(party, utcnow() + timedelta(hours=5))
        assert announce(client, party, "Draft 0", send_at=send_at).status_code == 302
        [announcement] = db.session.scalars(sa.select(Announcement)).all()
        answers = [
            client.post(f"/parties/{party.id}/announcements/{announcement.id}/edit",
                        data={"message": f"Draft {n}", "audience": ["going"], "send_at": send_at}).status_code
            for n in range(1, 13)
        ]
        assert answers == [302] * 10 + [429] * 2
        db.session.expire_all()
        assert db.session.get(Announcement, announcement.id).message == "Draft 10"


def test_two_mail_workers_send_a_scheduled_announcement_once(app_factory, smtp_server):
    from tests.smtp import smtp_config
    from tests.test_rsvp_concurrency import run_together

    app = app_factory(**smtp_config(smtp_server.port))
    with app.app_context():
        host = make_user(email="host@example.com", display_name="Hana Host")
        party = make_party(host, title="Race night", host_updates="off")
        for name in ("Gus", "Ann", "Bea"):
            make_reply(party, name, "going", email=f"{name.lower()}@example.com")
        send_at = (utcnow() + timedelta(hours=3)).replace(second=0, microsecond=0)
        client = app.test_client()
        log_in(client, email="host@example.com")
        assert announce(client, party, "Doors at 8", ("going",), send_at=local(party, send_at)).status_code == 302
        db.session.remove()

    def worker(_):
        with app.app_context():
            mail_worker.run_timed_jobs(send_at)
            while mail_worker.send_due(send_at, limit=1):
                pass

    with time_machine.travel(send_at, tick=False):
        run_together(2, worker)
    announced = sorted(recipients[0] for recipients, message in smtp_server.messages()
                       if str(message["Subject"]).startswith("From the host"))
    assert announced == ["ann@example.com", "bea@example.com", "gus@example.com"]


def test_an_announcement_is_marked_edited_only_once_the_host_edits_it(app, party, host_client):
    _, gus = guest(app, party, "Gus", "going")
    assert announce(host_client, party, "Doors at 8").status_code == 302
    send_at = local(party, utcnow() + timedelta(hours=5))
    assert announce(host_client, party, "Later news", send_at=send_at).status_code == 302
    with time_machine.travel(utcnow() + timedelta(hours=5, minutes=1)):
        mail_worker.run_timed_jobs()
    shown = page(gus, party)
    assert "Doors at 8" in shown and "Later news" in shown
    assert "edited" not in shown, "going out, at once or at its time, is not an edit"
    [first, _later] = db.session.scalars(sa.select(Announcement).order_by(Announcement.id)).all()
    with time_machine.travel(utcnow() + timedelta(minutes=2)):
        assert host_client.post(f"/parties/{party.id}/announcements/{first.id}/edit", data={
            "message": "Doors at 8.30", "audience": ["going"], "send_at": ""}).status_code == 302
    assert page(gus, party).count("· edited") == 1
