"""A close racing with 50 votes: each vote is counted exactly once or refused with a
message, on SQLite and PostgreSQL (threads, each with its own client, session and
connection, as under a real server)."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tests.factories import log_in, make_film, make_user
from tests.test_rsvp_concurrency import run_together
from watchparty.extensions import db
from watchparty.models import Party, Poll, PollDateAnswer, PollFilm, PollFilmAnswer, PollVote
from watchparty.polls import service as polls

VOTERS = 50


def _local(days: int) -> str:
    return f"{datetime.now(ZoneInfo('Europe/London')) + timedelta(days=days):%Y-%m-%d}T20:00"


def test_a_close_racing_with_50_votes_counts_each_vote_exactly_once_or_refuses_it(app_factory):
    app = app_factory(RATELIMIT_ENABLED=False)
    with app.app_context():
        make_user(email="host@example.com", display_name="Hana Host")
        for title, year in (("Anora", 2024), ("Parasite", 2019), ("Spirited Away", 2001)):
            make_film(title, year)
        host = app.test_client()
        log_in(host, email="host@example.com")
        response = host.post("/parties/new", data={
            "title": "", "film": "", "starts_at": "", "timezone": "Europe/London", "max_plus_ones": "0",
            "poll_films": "Anora\nParasite\nSpirited Away",
            "poll_dates-0": _local(3), "poll_dates-1": _local(4),
        })
        assert response.status_code == 302, response.text
        party = db.session.scalar(sa.select(Party))
        poll = polls.poll_of(party)
        token, party_id = party.share_token, party.id
        dates = [date.id for date in poll.dates]
        films = [film.id for film in poll.films]
        db.session.remove()
    closer = VOTERS // 2  # the close is released with the votes, in the middle of the pack
    done = threading.Event()

    def act(i):
        if i == closer:
            response = host.post(f"/p/{token}/poll/close")
            done.set()
            return "close", response.status_code, ""
        # Everyone would watch the first film, and some the second, which all have seen: the
        # rules decide whatever votes are counted (a tie would leave the pick to the host).
        data = {"name": f"Voter {i:02d}", f"date-{dates[0]}": "yes", f"date-{dates[1]}": "no",
                "approve": [str(films[0])] + ([str(films[1])] if i % 3 == 1 else []), "seen": [str(films[1])]}
        response = app.test_client().post(f"/p/{token}/vote", data=data)
        return "vote", response.status_code, response.text if response.status_code != 302 else ""

    results = run_together(VOTERS + 1, act)
    closes = [status for kind, status, _ in results if kind == "close"]
    counted = [status for kind, status, _ in results if kind == "vote" and status == 302]
    refused = [text for kind, status, text in results if kind == "vote" and status == 409]
    assert closes == [302]
    assert len(counted) + len(refused) == VOTERS, sorted({status for _, status, _ in results})
    assert all("The vote has closed, so your answers were not counted." in text for text in refused)

    with app.app_context():
        poll = db.session.scalar(sa.select(Poll).where(Poll.party_id == party_id))
        stored = db.session.scalar(sa.select(sa.func.count()).select_from(PollVote))
        # Every vote that was told "counted" is stored and was counted by the close; none was
        # stored after it, and none half: two date answers and three film answers each.
        assert poll.closed_at is not None
        party = db.session.get(Party, party_id)
        assert stored == len(counted) == party.decided_by_votes
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PollDateAnswer)) == 2 * stored
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PollFilmAnswer)) == 3 * stored
        assert poll.votes_version == stored
        party = db.session.get(Party, party_id)
        assert not party.undecided
        results_now = polls.poll_results(poll)
        assert party.film_id == polls.winning_film(results_now).film.id
        print(f"\n{db.engine.dialect.name}: {len(counted)} votes counted, {len(refused)} refused, "
              f"decided by {party.decided_by_votes}")
        db.session.remove()


NOMINATORS = 12


def test_guests_racing_to_nominate_fill_the_free_places_and_no_more(app_factory):
    """3 films, so 5 free places of 8: of 12 guests nominating at the same moment, exactly 5
    get in and 7 are told the vote is full; one guest nominating twice at once gets one."""
    app = app_factory(RATELIMIT_ENABLED=False)
    with app.app_context():
        make_user(email="host@example.com", display_name="Hana Host")
        for title, year in (("Anora", 2024), ("Parasite", 2019), ("Spirited Away", 2001)):
            make_film(title, year)
        for number in range(NOMINATORS + 2):
            make_film(f"Nominee {number:02d}", 1990 + number)
        host = app.test_client()
        log_in(host, email="host@example.com")
        response = host.post("/parties/new", data={
            "title": "", "film": "", "starts_at": _local(5), "timezone": "Europe/London", "max_plus_ones": "0",
            "poll_films": "Anora\nParasite\nSpirited Away", "poll_nominate": "y",
        })
        assert response.status_code == 302, response.text
        party = db.session.scalar(sa.select(Party))
        token, party_id = party.share_token, party.id
        db.session.remove()

    def act(i):
        response = app.test_client().post(f"/p/{token}/poll/nominate",
                                          data={"film": f"Nominee {i:02d}", "name": f"Guest {i:02d}"})
        return response.status_code, response.text if response.status_code != 302 else ""

    results = run_together(NOMINATORS, act)
    added = [status for status, _ in results if status == 302]
    full = [text for status, text in results if status == 409]
    assert len(added) == 5 and len(full) == NOMINATORS - 5, sorted(status for status, _ in results)
    assert all("The vote already has 8 films" in text for text in full)
    with app.app_context():
        poll = db.session.scalar(sa.select(Poll).where(Poll.party_id == party_id))
        assert len(poll.films) == 8
        # Each refused guest left nothing behind: no ballot, no tick.
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PollVote)) == 5
        db.session.remove()

    # One guest (their ballot in two browsers) nominating two films at once: one gets in.
    with app.app_context():
        poll = db.session.scalar(sa.select(Poll).where(Poll.party_id == party_id))
        removed = [candidate.id for candidate in poll.films if candidate.nominated_by_id is not None][:2]
        db.session.remove()
    for candidate_id in removed:  # two places free again
        assert host.post(f"/p/{token}/poll/options/film/{candidate_id}/remove").status_code == 302
    voter = app.test_client()
    voter.post(f"/p/{token}/vote", data={"name": "Twice"})
    with app.app_context():
        manage_token = db.session.scalar(sa.select(PollVote.manage_token).where(PollVote.name == "Twice"))
        db.session.remove()
    browsers = [app.test_client(), app.test_client()]
    for browser in browsers:
        browser.get(f"/p/{token}/vote/{manage_token}")

    def twice(i):
        return browsers[i].post(f"/p/{token}/poll/nominate", data={"film": f"Nominee {NOMINATORS + i:02d}"}).status_code

    statuses = sorted(run_together(2, twice))
    assert statuses == [302, 422], statuses
    with app.app_context():
        voter_id = db.session.scalar(sa.select(PollVote.id).where(PollVote.name == "Twice"))
        nominated = db.session.scalar(
            sa.select(sa.func.count()).select_from(PollFilm).where(PollFilm.nominated_by_id == voter_id))
        assert nominated == 1
        db.session.remove()
