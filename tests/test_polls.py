"""Polls (#23): a party whose film and/or date the guests vote on, through real HTTP on a
real database; emails through the mail worker's outbox."""

import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tests.factories import make_film, make_user
from watchparty import mail_worker
from watchparty.extensions import db
from watchparty.models import Party, Poll, PollVote, Rsvp
from watchparty.polls import service as polls


def local(days: int, hour: int = 20, zone: str = "Europe/London") -> str:
    """A wall-clock time `days` ahead in `zone`, as the form's field wants it."""
    when = datetime.now(ZoneInfo(zone)) + timedelta(days=days)
    return f"{when:%Y-%m-%d}T{hour:02d}:00"


@pytest.fixture
def films(app):
    """Three catalogue films to choose between."""
    return [make_film(title, year, runtime_minutes=100) for title, year in
            (("Anora", 2024), ("Parasite", 2019), ("Spirited Away", 2001))]


def poll_form(client, **fields) -> dict:
    data = {"title": "", "film": "", "starts_at": "",
            "timezone": "Europe/London", "max_plus_ones": "1", "guest_list_visible": "y",
            "show_address_to_guests": "y"}
    data.update(fields)
    return data


def create_poll_party(client, films_text="Anora\nParasite\nSpirited Away", dates=(3, 4, 5), **fields):
    data = {"poll_films": films_text, **{f"poll_dates-{i}": local(days) for i, days in enumerate(dates)}}
    data.update(fields)
    response = client.post("/parties/new", data=poll_form(client, **data))
    assert response.status_code == 302, response.text
    party = db.session.scalar(sa.select(Party).order_by(Party.id.desc()))
    return party


def vote(client, party, name, dates=None, approve=(), seen=(), email="", expect=302):
    poll = polls.poll_of(party)
    data = {"name": name, "email": email}
    for date in poll.dates:
        data[f"date-{date.id}"] = (dates or {}).get(date.position, "no")
    ids = {candidate.position: str(candidate.id) for candidate in poll.films}
    data["approve"] = [ids[position] for position in approve]
    data["seen"] = [ids[position] for position in seen]
    response = client.post(f"/p/{party.share_token}/vote", data=data)
    assert response.status_code == expect, response.text
    return response


def test_a_host_creates_a_party_whose_film_and_date_are_put_to_a_vote(app, host_client, films):
    party = create_poll_party(host_client)
    poll = polls.poll_of(party)
    assert party.undecided and poll.decides_film and poll.decides_date
    assert [candidate.film.title for candidate in poll.films] == ["Anora", "Parasite", "Spirited Away"]
    assert len(poll.dates) == 3
    # The page is the poll: no film is named as the party's, no date as its start.
    page = host_client.get(f"/p/{party.share_token}").text
    assert "Help decide" in page and "Up to a vote" in page
    assert party.title == "Film night"


# ---------------------------------------------------------------- bad input on the party form


def test_every_problem_with_the_candidates_is_shown_at_once_and_nothing_is_created(app, host_client, films):
    data = poll_form(
        host_client,
        poll_films="Anora",  # one film
        **{"poll_dates-0": local(3), "poll_dates-1": local(3),  # the same date twice
           "poll_dates-2": local(-2),  # gone by
           "poll_dates-3": local(1, hour=9)},  # before the vote closes
        poll_closes_at=local(2),
    )
    response = host_client.post("/parties/new", data=data)
    assert response.status_code == 422
    page = response.text
    assert "List at least 2 films" in page
    assert "This date is already on the list." in page
    assert "This date has passed." in page
    assert "This date is before the vote closes" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Party)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Poll)) == 0
    # The refused form comes back filled.
    assert 'value="Anora"' in page or ">Anora</textarea>" in page or "Anora</textarea>" in page


def test_too_many_films_a_closing_time_gone_by_and_one_date_are_refused(app, host_client, films):
    for number in range(6):
        make_film(f"Film {number}", 2000 + number)
    titles = "\n".join(["Anora", "Parasite", "Spirited Away"] + [f"Film {n}" for n in range(6)])
    response = host_client.post("/parties/new", data=poll_form(
        host_client, poll_films=titles, poll_closes_at=local(-1), **{"poll_dates-0": local(3)}))
    assert response.status_code == 422
    assert "At most 8 films" in response.text
    assert "That closing time has passed" in response.text
    assert "Give at least 2 dates" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Party)) == 0


def test_an_unknown_film_in_the_list_is_named_by_its_line(app, host_client, films):
    response = host_client.post("/parties/new", data=poll_form(
        host_client, poll_films="Anora\nNo Such Film Ever", starts_at=local(5)))
    assert response.status_code == 422
    assert "Line 2" in response.text


def test_a_film_vote_with_a_fixed_date_keeps_the_date_and_hides_the_film(app, host_client, films):
    response = host_client.post("/parties/new", data=poll_form(
        host_client, poll_films="Anora\nParasite", starts_at=local(6), poll_closes_at=local(5)))
    assert response.status_code == 302
    party = db.session.scalar(sa.select(Party))
    poll = polls.poll_of(party)
    assert poll.decides_film and not poll.decides_date and party.undecided
    page = host_client.get(f"/p/{party.share_token}").text
    assert "Film</dt>" in page and "Up to a vote: 2 options below." in page


# ---------------------------------------------------------------- voting


def test_results_are_hidden_until_you_vote_and_the_host_always_sees_them(app, host_client, client, films):
    party = create_poll_party(host_client)
    guest = app.test_client()
    vote(guest, party, "Gita", dates={0: "yes", 1: "maybe"}, approve=(0, 1), seen=(1,))
    stranger = client.get(f"/p/{party.share_token}").text
    assert "1 vote so far" in stranger and "You'll see the counts once you've voted." in stranger
    assert "would watch it" not in stranger
    mine = guest.get(f"/p/{party.share_token}").text
    assert "You voted as <strong>Gita</strong>" in mine
    assert "1 would watch it · 0 of 1 haven't seen it" in mine  # Parasite: approved, seen
    assert "1 would watch it · 1 of 1 haven't seen it" in mine  # Anora
    assert "1 yes · 0 if need be · 0 no" in mine
    host_page = host_client.get(f"/p/{party.share_token}").text
    assert "1 yes · 0 if need be · 0 no" in host_page and "Gita" in host_page
    # The host is not invited to their own poll; a guest is.
    assert "You&#39;re hosting" in host_page and "invites you to" not in host_page
    assert "Hana Host invites you to" in stranger


def test_a_vote_is_remembered_and_changed_not_doubled(app, host_client, films):
    party = create_poll_party(host_client)
    guest = app.test_client()
    vote(guest, party, "Gita", dates={0: "yes"}, approve=(0,))
    vote(guest, party, "Gita", dates={0: "no", 2: "yes"}, approve=(2,))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PollVote)) == 1
    results = polls.poll_results(polls.poll_of(party))
    assert [tally.approvals for tally in results.films] == [0, 0, 1]
    assert [tally.counts["yes"] for tally in results.dates] == [0, 0, 1]
    # The personal link brings the ballot to another browser.
    link = polls.vote_url(party, db.session.scalar(sa.select(PollVote)))
    other = app.test_client()
    assert other.get(urlsplit(link).path).status_code == 302
    assert "You voted as <strong>Gita</strong>" in other.get(f"/p/{party.share_token}").text


def test_bad_ballots_are_refused_beside_their_fields_and_change_nothing(app, host_client, films):
    party = create_poll_party(host_client)
    other = create_poll_party(host_client, films_text="Anora\nParasite", dates=(7, 8))
    foreign = polls.poll_of(other).films[0].id
    guest = app.test_client()
    poll = polls.poll_of(party)
    base = {"name": "Gita"}
    answers = {f"date-{date.id}": "yes" for date in poll.dates}
    cases = [
        ({**answers, "approve": str(foreign)}, "no longer in the vote"),
        ({**answers, "name": "x" * 10_000}, "Field cannot be longer than 80 characters"),
        ({f"date-{poll.dates[0].id}": "yes"}, "Choose yes, if need be, or no."),
        ({**answers, f"date-{poll.dates[1].id}": "perhaps"}, "Choose yes, if need be, or no."),
        ({**answers, "approve": "99999999999999999999"}, "no longer in the vote"),
    ]
    for extra, message in cases:
        response = guest.post(f"/p/{party.share_token}/vote", data={**base, **extra})
        assert response.status_code == 422, (extra, response.status_code)
        assert message in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PollVote)) == 0


def test_replies_wait_for_the_decision(app, host_client, client, films):
    party = create_poll_party(host_client)
    response = client.post(f"/p/{party.share_token}/rsvp", data={"name": "Rae", "response": "going"})
    assert response.status_code == 409
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Rsvp)) == 0
    assert client.get(f"/p/{party.share_token}/calendar.ics").status_code == 404


@pytest.mark.parametrize("voters", [1, 30])
def test_the_poll_page_reads_at_most_10_statements_whatever_the_number_of_votes(
    app, host_client, films, count_queries, voters
):
    party = create_poll_party(host_client)
    poll = polls.poll_of(party)
    for number in range(voters):
        ballot = polls.Ballot(f"Voter {number}", None, {date.id: "yes" for date in poll.dates}, {poll.films[0].id}, set())
        polls.cast_vote(poll, ballot)
    db.session.commit()
    guest = app.test_client()
    vote(guest, party, "Gita", dates={0: "yes"}, approve=(1,))
    counts = []
    for viewer in (guest, host_client, app.test_client()):
        with count_queries() as statements:
            response = viewer.get(f"/p/{party.share_token}")
        assert response.status_code == 200
        # BEGIN is bookkeeping, not a query (as tests/test_performance.py counts).
        queries = [statement for statement in statements if statement.strip().upper() != "BEGIN"]
        counts.append(len(queries))
        assert len(queries) <= 10, (voters, len(queries), [query[:90] for query in queries])
    print(f"poll page statements with {voters + 1} votes (voter, host, stranger): {counts}")


# ---------------------------------------------------------------- closing


def test_the_host_closes_the_vote_and_the_party_becomes_the_winners(app, host_client, films, outbox):
    party = create_poll_party(host_client)
    gita, kim = app.test_client(), app.test_client()
    vote(gita, party, "Gita", dates={1: "yes", 2: "maybe"}, approve=(1, 2), email="gita@example.com")
    vote(kim, party, "Kim", dates={1: "yes", 0: "yes"}, approve=(1,), seen=(2,), email="kim@example.com")
    vote(app.test_client(), party, "Lou", dates={2: "yes"}, approve=(0,))  # no email: no message
    poll = polls.poll_of(party)
    winner_date = poll.dates[1].starts_at
    response = host_client.post(f"/p/{party.share_token}/poll/close")
    assert response.status_code == 302
    db.session.expire_all()
    party = db.session.get(Party, party.id)
    assert not party.undecided
    assert party.film.title == "Parasite"  # 2 approvals
    assert party.starts_at == winner_date  # 2 yes
    page = host_client.get(f"/p/{party.share_token}").text
    assert "Film and date decided by 3 votes." in page
    assert "Parasite" in page and winner_date.astimezone(ZoneInfo("Europe/London")).strftime("%a %-d %b %Y, %H:%M") in page
    messages = outbox.messages()
    assert sorted(message["To"] for message in messages) == ["gita@example.com", "kim@example.com"]
    for message in messages:
        body = message.get_body(("plain",)).get_content()
        assert "Film: Parasite (2019)" in body and "decided by 3 votes" in body
        assert f"{app.config['PUBLIC_URL']}/p/{party.share_token}" in body
        assert "/poll/going/" in body  # both said yes to the winning date: one tap to confirm
        attachment = next(part for part in message.iter_attachments() if part.get_content_type() == "text/calendar")
        ics = attachment.get_content()
        ics = ics.decode() if isinstance(ics, bytes) else ics
        assert "DTSTART:" + winner_date.strftime("%Y%m%dT%H%M%SZ") in ics and "Parasite" in ics
    # The one tap makes a going reply, with the vote's "seen it" for the decided film.
    link = re.search(r"https?://[^/\s]+(/p/\S+/poll/going/\S+)", messages[0].get_body(("plain",)).get_content()).group(1)
    assert host_client.get(link).status_code == 200
    tapper = app.test_client()
    assert tapper.post(link).status_code == 302
    rsvp = db.session.scalar(sa.select(Rsvp))
    assert rsvp.response == "going" and rsvp.email == messages[0]["To"]
    # Closing again, or voting now, is refused with a message.
    assert vote(gita, party, "Gita", dates={1: "no"}, expect=409).status_code == 409
    assert "The vote has closed" in vote(app.test_client(), party, "Late", expect=409).text


def test_a_tie_in_approvals_goes_to_the_film_fewer_have_seen_and_a_tie_in_yes_to_if_need_be(app, host_client, films):
    party = create_poll_party(host_client)
    vote(app.test_client(), party, "A", dates={0: "yes"}, approve=(0, 1), seen=(0,))
    vote(app.test_client(), party, "B", dates={1: "yes"}, approve=(0, 1), seen=(0,))
    results = polls.poll_results(polls.poll_of(party))
    assert polls.winning_film(results).film.title == "Parasite"  # 2 and 2 approvals; Anora seen by 2
    # Dates: 1 yes each, no if-need-be: a tie the rules cannot break (the host picks, tests/test_poll_ties.py).
    assert polls.winning_date(results) is None
    assert [tally.candidate.position for tally in results.tied_dates] == [0, 1]
    vote(app.test_client(), party, "C", dates={1: "maybe"}, approve=(2,))
    results = polls.poll_results(polls.poll_of(party))
    assert polls.winning_date(results).candidate.position == 1  # a tie in yes, broken by if need be


def test_yes_voters_become_going_replies_in_vote_order_under_capacity(app, host_client, films, outbox):
    party = create_poll_party(host_client, capacity="2", poll_yes_going="y")
    for name in ("First", "Second", "Third"):
        vote(app.test_client(), party, name, dates={0: "yes"}, approve=(0,), email=f"{name.lower()}@example.com",
             seen=(0,) if name == "Second" else ())
    vote(app.test_client(), party, "Nope", dates={0: "no", 1: "yes"}, email="nope@example.com")
    assert host_client.post(f"/p/{party.share_token}/poll/close").status_code == 302
    replies = db.session.scalars(sa.select(Rsvp).order_by(Rsvp.id)).all()
    assert [(r.name, r.response, r.state) for r in replies] == [
        ("First", "going", "confirmed"), ("Second", "going", "confirmed"), ("Third", "going", "waitlisted")]
    # The vote's "I've seen it" for the decided film is the reply's (the spoiler guard reads it).
    assert [r.seen_it for r in replies] == [False, True, False]
    # Each voter with an address gets one email: the seated their reply's, the others the result.
    assert sorted(message["To"] for message in outbox.messages()) == [
        "first@example.com", "nope@example.com", "second@example.com", "third@example.com"]


def test_the_worker_closes_a_poll_at_its_closing_time(app, host_client, films, outbox):
    party = create_poll_party(host_client, poll_closes_at=local(2))
    vote(app.test_client(), party, "Gita", dates={2: "yes"}, approve=(2,), email="gita@example.com")
    poll = polls.poll_of(party)
    assert mail_worker.run_timed_jobs(now=poll.closes_at - timedelta(minutes=1)).get("close_due_polls") == 0
    assert mail_worker.run_timed_jobs(now=poll.closes_at + timedelta(seconds=30))["close_due_polls"] == 1
    db.session.expire_all()
    party = db.session.get(Party, party.id)
    assert not party.undecided and party.film.title == "Spirited Away"
    assert [message["To"] for message in outbox.messages()] == ["gita@example.com"]
    # A second run finds nothing to do.
    assert mail_worker.run_timed_jobs(now=poll.closes_at + timedelta(minutes=2))["close_due_polls"] == 0


def test_only_the_host_closes_the_vote(app, host_client, client, films):
    party = create_poll_party(host_client)
    assert client.post(f"/p/{party.share_token}/poll/close").status_code == 403
    make_user(email="other@example.com", display_name="Other")
    other = app.test_client()
    other.post("/accounts/login", data={"email": "other@example.com", "password": "correct horse battery"})
    assert other.post(f"/p/{party.share_token}/poll/close").status_code == 403
    assert polls.poll_of(party).is_open


def test_an_undecided_party_gets_no_reminder_or_morning_after(app, host_client, films):
    party = create_poll_party(host_client, dates=(1, 2))
    db.session.expire_all()
    party = db.session.get(Party, party.id)
    # The placeholder start is tomorrow evening: a decided party would be reminded now.
    queued = mail_worker.run_timed_jobs(now=party.starts_at - timedelta(hours=12))
    assert queued.get("reminders", 0) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Rsvp)) == 0


def test_no_page_card_or_email_presents_a_candidate_as_the_decided_film_or_date(app, host_client, films, outbox):
    party = create_poll_party(host_client, films_text="Parasite\nAnora", dates=(3, 4))
    placeholder_date = party.starts_at.astimezone(ZoneInfo("Europe/London")).strftime("%-d %b %Y, %H:%M")
    dashboard = host_client.get(f"/parties/{party.id}").text
    assert "Your guests are voting on the film and the date." in dashboard
    assert "Parasite" not in dashboard and placeholder_date not in dashboard
    assert host_client.get(f"/parties/{party.id}/edit").status_code == 302
    home = host_client.get("/").text
    assert "Film and date up to a vote" in home and "Parasite" not in home
    assert host_client.post(f"/parties/{party.id}/invitations", data={"emails": "ines@example.com"}).status_code == 302
    (invitation,) = outbox.messages()
    body = invitation.get_body(("plain",)).get_content()
    assert "When and film: up to a vote of the guests" in body
    assert "Parasite" not in body and placeholder_date not in body
    assert not [part for part in invitation.iter_attachments() if part.get_content_type() == "text/calendar"]


# ---------------------------------------------------------------- times across a change of the clocks


def next_clock_change(zone: str) -> datetime:
    """The first local day (at noon) after the clocks in `zone` next change, at least two days ahead."""
    tz = ZoneInfo(zone)
    day = datetime.now(tz).replace(hour=12, minute=0, second=0, microsecond=0) + timedelta(days=2)
    for _ in range(400):
        if (day + timedelta(days=1)).utcoffset() != day.utcoffset():
            return day + timedelta(days=1)
        day += timedelta(days=1)
    raise AssertionError(f"no change of the clocks in {zone} within a year")


@pytest.mark.parametrize(("party_zone", "viewer_zone"), [("America/New_York", "Europe/London"),
                                                         ("Europe/Berlin", "America/Los_Angeles")])
def test_a_date_poll_across_a_clock_change_is_shown_right_in_two_zones(app, films, party_zone, viewer_zone):
    host = make_user(email="dst@example.com", display_name="Dana", timezone=viewer_zone)
    client = app.test_client()
    client.post("/accounts/login", data={"email": host.email, "password": "correct horse battery"})
    after = next_clock_change(party_zone)
    before = after - timedelta(days=2)
    response = client.post("/parties/new", data=poll_form(
        client, timezone=party_zone, starts_at="", film="Anora",
        **{"poll_dates-0": f"{before:%Y-%m-%d}T20:00", "poll_dates-1": f"{after:%Y-%m-%d}T20:00"}))
    assert response.status_code == 302, response.text
    party = db.session.scalar(sa.select(Party).where(Party.host_id == host.id))
    poll = polls.poll_of(party)
    zone = ZoneInfo(party_zone)
    stored = sorted(date.starts_at for date in poll.dates)
    # Stored in UTC: 20:00 local on each side of the change, an hour apart in offset.
    expected = [datetime.combine(day.date(), datetime.min.time().replace(hour=20), tzinfo=zone).astimezone(ZoneInfo("UTC"))
                for day in (before, after)]
    assert stored == expected
    assert expected[0].astimezone(zone).utcoffset() != expected[1].astimezone(zone).utcoffset()
    page = client.get(f"/p/{party.share_token}").text
    for when in expected:
        assert when.astimezone(zone).strftime("%a %-d %b %Y, 20:00 %Z") in page  # the party's zone
        assert when.astimezone(ZoneInfo(viewer_zone)).strftime("%a %-d %b %Y, %H:%M %Z") + " your time" in page
        assert when.strftime("%Y-%m-%dT%H:%M:%SZ") in page  # for the browser's own zone (site.js)
    # The later date wins; the party starts at 20:00 local after the change.
    vote(app.test_client(), party, "Gita", dates={1: "yes"})
    assert client.post(f"/p/{party.share_token}/poll/close").status_code == 302
    db.session.expire_all()
    decided = db.session.get(Party, party.id)
    assert decided.starts_at.astimezone(zone).strftime("%H:%M") == "20:00"
    assert decided.starts_at == expected[1] and decided.film.title == "Anora"


# ---------------------------------------------------------------- the host's changes while open


def test_the_host_adds_and_removes_options_and_voters_who_picked_a_removed_one_are_told(
    app, host_client, films, outbox
):
    make_film("Paddington 2", 2017)
    party = create_poll_party(host_client)
    vote(app.test_client(), party, "Gita", dates={0: "yes"}, approve=(2,), email="gita@example.com")
    vote(app.test_client(), party, "Kim", dates={0: "no"}, approve=(0,), email="kim@example.com")
    token = party.share_token
    assert host_client.post(f"/p/{token}/poll/options", data={"film": "Paddington 2", "starts_at": local(9)}).status_code == 302
    poll = polls.poll_of(party)
    assert [c.film.title for c in poll.films][-1] == "Paddington 2" and len(poll.dates) == 4
    spirited = poll.films[2]
    first_date = min(poll.dates, key=lambda date: date.position)
    assert host_client.post(f"/p/{token}/poll/options/film/{spirited.id}/remove").status_code == 302
    assert host_client.post(f"/p/{token}/poll/options/date/{first_date.id}/remove").status_code == 302
    db.session.expire_all()
    results = polls.poll_results(polls.poll_of(party))
    assert [tally.film.title for tally in results.films] == ["Anora", "Parasite", "Paddington 2"]
    assert [tally.approvals for tally in results.films] == [1, 0, 0]  # Gita's tick went with the film
    assert all(tally.counts["yes"] == 0 for tally in results.dates)  # so did her yes
    # Gita picked both removed options: two emails; Kim picked neither (her "no" is no pick).
    assert [message["To"] for message in outbox.messages()] == ["gita@example.com", "gita@example.com"]
    # Refused: a duplicate, a date gone by, an unknown film, and one option too few; nothing changes.
    assert host_client.post(f"/p/{token}/poll/options", data={"film": "Anora"}).status_code == 422
    assert host_client.post(f"/p/{token}/poll/options", data={"starts_at": local(-1)}).status_code == 422
    assert host_client.post(f"/p/{token}/poll/options", data={"film": "Nothing Like It"}).status_code == 422
    dates = polls.poll_of(party).dates
    assert host_client.post(f"/p/{token}/poll/options/date/{dates[0].id}/remove").status_code == 302
    db.session.expire_all()
    dates = polls.poll_of(party).dates
    response = host_client.post(f"/p/{token}/poll/options/date/{dates[0].id}/remove", follow_redirects=True)
    assert "A vote needs at least 2 options" in response.text
    assert len(polls.poll_of(party).dates) == 2
    # A guest may do none of it.
    assert app.test_client().post(f"/p/{token}/poll/options", data={"film": "Parasite"}).status_code == 403


def test_the_host_extends_the_vote_and_a_closing_time_after_a_date_is_refused(app, host_client, films):
    party = create_poll_party(host_client, poll_closes_at=local(1))
    token = party.share_token
    assert host_client.post(f"/p/{token}/poll/closing", data={"closes_at": local(2)}).status_code == 302
    db.session.expire_all()
    closes = polls.poll_of(party).closes_at.astimezone(ZoneInfo("Europe/London"))
    assert closes.strftime("%Y-%m-%dT%H:%M") == local(2)
    response = host_client.post(f"/p/{token}/poll/closing", data={"closes_at": local(4)})
    assert response.status_code == 422 and "Close the vote before the first date." in response.text
    assert host_client.post(f"/p/{token}/poll/closing", data={"closes_at": ""}).status_code == 302
    db.session.expire_all()
    assert polls.poll_of(party).closes_at is None


def test_the_votes_are_in_the_guests_csv_with_formula_cells_neutralised(app, host_client, films):
    party = create_poll_party(host_client, dates=(3, 4))
    vote(app.test_client(), party, "=SUM(1)", dates={0: "yes", 1: "maybe"}, approve=(1,), seen=(1,), email="s@example.com")
    vote(app.test_client(), party, "Kim", dates={0: "no", 1: "yes"}, approve=(0, 2))
    text = host_client.get(f"/parties/{party.id}/guests.csv").data.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[2].startswith('"Voter","Email","') and '"Parasite (2019)"' in lines[2]
    assert lines[3] == '''"'=SUM(1)","s@example.com","Yes","If need be","","would watch · seen it",""'''
    assert lines[4] == '"Kim","","No","Yes","would watch","","would watch"'
    assert app.test_client().get(f"/parties/{party.id}/guests.csv").status_code == 302  # the host's alone
