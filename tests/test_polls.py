"""Polls (#23): a party whose film and/or date the guests vote on, through real HTTP on a
real database; emails through the mail worker's outbox."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token_from
from tests.factories import make_film, make_user
from watchparty import mail
from watchparty.extensions import db
from watchparty.models import Party, Poll, PollDate, PollFilm, PollVote, Rsvp, utcnow
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
    page = client.get("/parties/new")
    data = {"csrf_token": csrf_token_from(page.text), "title": "", "film": "", "starts_at": "",
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
    page = client.get(f"/p/{party.share_token}")
    poll = polls.poll_of(party)
    data = {"csrf_token": csrf_token_from(page.text), "name": name, "email": email}
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
