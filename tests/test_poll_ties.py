"""Polls (#23): a tie the rules cannot break goes to the host, whether the host closes the
vote or the worker does at its closing time; and a voter's stop link. Real HTTP, real
database, emails through the outbox."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tests import test_polls
from tests.mailbox import first_link, text_body
from tests.test_polls import create_poll_party, local, vote
from watchparty import mail_worker
from watchparty.extensions import db
from watchparty.models import Party, PollVote
from watchparty.polls import service as polls

films = test_polls.films  # the fixture: three catalogue films to choose between


def fresh(party) -> Party:
    db.session.expire_all()
    return db.session.get(Party, party.id)


def test_a_film_tie_closed_by_hand_asks_the_host_to_pick_among_the_tied_films(app, host_client, films, outbox):
    party = create_poll_party(host_client)
    # Anora and Parasite: 2 would watch each, neither seen; Spirited Away 1. Date 1 wins outright.
    vote(app.test_client(), party, "Gita", dates={1: "yes"}, approve=(0, 1), email="gita@example.com")
    vote(app.test_client(), party, "Kim", dates={1: "yes"}, approve=(0, 1, 2))
    guest = app.test_client()
    vote(guest, party, "Lou", dates={0: "yes"}, approve=())

    response = host_client.post(f"/p/{party.share_token}/poll/close")
    assert response.status_code == 302 and response.headers["Location"].endswith("#poll-pick")
    party = fresh(party)
    poll = polls.poll_of(party)
    assert not poll.is_open and party.undecided and party.decided_by_votes is None
    assert outbox.messages() == []  # nobody is told anything until the host picks
    dashboard = host_client.get(f"/parties/{party.id}").text
    assert "it's yours to pick" in dashboard and "are voting" not in dashboard

    page = host_client.get(f"/p/{party.share_token}").text
    assert "Pick the film" in page and "Pick the date" not in page
    pick = page[page.index('id="poll-pick"'):page.index("Decide the party")]
    assert "Anora" in pick and "Parasite" in pick and "Spirited Away" not in pick
    guest_page = guest.get(f"/p/{party.share_token}").text
    assert "the host is picking the film between Anora, Parasite" in guest_page and "Pick the film" not in guest_page
    assert "The vote has closed" in vote(guest, party, "Lou", dates={1: "yes"}, expect=409).text

    # Only the host picks, and only among the tied films; bad input changes nothing.
    anora, parasite, spirited = (candidate.id for candidate in poll.films)
    assert guest.post(f"/p/{party.share_token}/poll/pick", data={"film": str(anora)}).status_code == 403
    for bad in ("", str(spirited), "not a number", "99999999"):
        refused = host_client.post(f"/p/{party.share_token}/poll/pick", data={"film": bad})
        assert refused.status_code == 422, (bad, refused.status_code)
        assert ("Pick the film among the tied ones." in refused.text) or ("Not a valid integer" in refused.text)
        assert 'id="pick-film-error"' in refused.text
        assert fresh(party).undecided

    decided = host_client.post(f"/p/{party.share_token}/poll/pick", data={"film": str(parasite)})
    assert decided.status_code == 302
    party = fresh(party)
    assert not party.undecided and party.film.title == "Parasite"
    assert party.starts_at == poll.dates[1].starts_at and party.decided_by_votes == 3
    assert [message["To"] for message in outbox.messages()] == ["gita@example.com"]
    assert "Film: Parasite (2019)" in text_body(outbox.last())
    # A second pick (a double tap) is refused: the party is decided once.
    again = host_client.post(f"/p/{party.share_token}/poll/pick", data={"film": str(anora)})
    assert again.status_code == 409 and "already decided" in again.text
    assert fresh(party).film.title == "Parasite"


def test_a_date_tie_at_the_closing_time_waits_for_the_host_who_is_emailed_once(app, host_client, films, outbox):
    party = create_poll_party(host_client, poll_closes_at=local(2))
    # 1 yes and 1 if-need-be on the first two dates each: after yes and if-need-be, a tie.
    vote(app.test_client(), party, "Gita", dates={0: "yes", 1: "maybe"}, approve=(2,), email="gita@example.com")
    vote(app.test_client(), party, "Kim", dates={0: "maybe", 1: "yes"}, approve=(2,), email="kim@example.com")
    poll = polls.poll_of(party)
    assert mail_worker.run_timed_jobs(now=poll.closes_at + timedelta(seconds=30))["close_due_polls"] == 1
    party = fresh(party)
    assert party.undecided and not polls.poll_of(party).is_open
    messages = outbox.messages()
    assert [message["To"] for message in messages] == ["host@example.com"]
    body = text_body(messages[0])
    assert "pick the date" in messages[0]["Subject"]
    assert f"{app.config['PUBLIC_URL']}/p/{party.share_token}#poll-pick" in body
    first, second = poll.dates[0].starts_at, poll.dates[1].starts_at
    for when in (first, second):
        assert when.astimezone(ZoneInfo("Europe/London")).strftime("%a %-d %b %Y, %H:%M") in body
    # The worker's next runs send nothing more.
    assert mail_worker.run_timed_jobs(now=poll.closes_at + timedelta(minutes=5))["close_due_polls"] == 0
    assert len(outbox.messages()) == 1

    page = host_client.get(first_link(messages[0], f"/p/{party.share_token}")).text
    assert "Pick the date" in page and "Pick the film" not in page
    assert "Open until the host decides." not in page and "Closes" not in page.split('id="poll"')[1][:600]
    second_id = poll.dates[1].id
    assert host_client.post(f"/p/{party.share_token}/poll/pick", data={"date": str(second_id)}).status_code == 302
    party = fresh(party)
    assert not party.undecided and party.starts_at == second and party.film.title == "Spirited Away"
    assert sorted(message["To"] for message in outbox.messages()) == [
        "gita@example.com", "host@example.com", "kim@example.com"]


def test_a_poll_with_no_closing_time_says_it_is_open_until_the_host_decides(app, host_client, films):
    party = create_poll_party(host_client)
    assert "Open until the host decides." in app.test_client().get(f"/p/{party.share_token}").text
    timed = create_poll_party(host_client, poll_closes_at=local(2))
    page = app.test_client().get(f"/p/{timed.share_token}").text
    assert "Open until the host decides." not in page and "Closes" in page


def test_a_voter_who_stops_the_poll_emails_gets_no_deciding_email(app, host_client, films, outbox):
    party = create_poll_party(host_client)
    vote(app.test_client(), party, "Gita", dates={0: "yes"}, approve=(0, 2), email="gita@example.com")
    vote(app.test_client(), party, "Kim", dates={0: "yes"}, approve=(0,), email="kim@example.com")
    # Every poll email to a voter carries their stop link: here, an option taken out.
    spirited = polls.poll_of(party).films[2]
    host_client.post(f"/p/{party.share_token}/poll/options/film/{spirited.id}/remove")
    removed = outbox.last()
    assert removed["To"] == "gita@example.com"
    gita = db.session.scalar(sa.select(PollVote).where(PollVote.name == "Gita"))
    stop = f"/p/{party.share_token}/vote/{gita.manage_token}/emails"
    assert f"Stop emails about this vote: {app.config['PUBLIC_URL']}{stop}" in text_body(removed)
    assert f"<{app.config['PUBLIC_URL']}{stop}>" == removed["List-Unsubscribe"]

    stranger = app.test_client()
    assert stranger.get(f"/p/{party.share_token}/vote/not-a-token/emails").status_code == 404
    asking = stranger.get(stop)  # a mail scanner following the link stops nothing
    assert asking.status_code == 200 and "Stop emails about this vote</button>" in asking.text
    db.session.expire_all()
    assert not db.session.get(PollVote, gita.id).emails_stopped
    done = stranger.post(stop)  # one-click unsubscribe posts without a CSRF token
    assert done.status_code == 200 and "gets no more emails about this vote" in done.text
    db.session.expire_all()
    assert db.session.get(PollVote, gita.id).emails_stopped

    before = len(outbox.messages())
    assert host_client.post(f"/p/{party.share_token}/poll/close").status_code == 302
    assert fresh(party).film.title == "Anora"
    deciding = outbox.messages()[before:]
    assert [message["To"] for message in deciding] == ["kim@example.com"]
    kim = db.session.scalar(sa.select(PollVote).where(PollVote.name == "Kim"))
    assert f"/p/{party.share_token}/vote/{kim.manage_token}/emails" in text_body(deciding[0])
