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
from watchparty.models import Party, Poll, PollDateAnswer, PollFilmAnswer, PollVote
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
        data = {"name": f"Voter {i:02d}", f"date-{dates[0]}": "yes", f"date-{dates[1]}": "no",
                "approve": [str(films[i % 3])], "seen": [str(films[0])]}
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
