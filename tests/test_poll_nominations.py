"""Guest nominations (#23): when the host ticked "guests may nominate one film each", a
guest adds one film from the catalogue, within the vote's 8 films. Real HTTP, real database;
the race for the last free place is in tests/test_poll_concurrency.py."""

import sqlalchemy as sa

from tests import test_polls
from tests.factories import make_film
from tests.test_polls import create_poll_party, vote
from watchparty.extensions import db
from watchparty.models import PollFilm, PollFilmAnswer, PollVote
from watchparty.polls import service as polls

films = test_polls.films  # the fixture: three catalogue films to choose between


def nominate(client, party, film, name="", email="", expect=302):
    response = client.post(f"/p/{party.share_token}/poll/nominate", data={"film": film, "name": name, "email": email})
    assert response.status_code == expect, response.text
    return response


def candidates(party) -> list[str]:
    db.session.expire_all()
    return [candidate.film.title for candidate in polls.poll_of(party).films]


def test_the_host_opens_a_film_vote_to_nominations_and_a_guest_adds_one_film(app, host_client, films):
    make_film("Paddington 2", 2017)
    party = create_poll_party(host_client, poll_nominate="y")
    assert polls.poll_of(party).guests_nominate
    page = app.test_client().get(f"/p/{party.share_token}").text
    assert "Nominate a film" in page

    guest = app.test_client()
    nominate(guest, party, "Paddington 2", name="Gita", email="gita@example.com")
    assert candidates(party) == ["Anora", "Parasite", "Spirited Away", "Paddington 2"]
    # The nomination made the guest a voter (remembered by this browser), with a tick for it.
    voter = db.session.scalar(sa.select(PollVote))
    assert (voter.name, voter.email) == ("Gita", "gita@example.com")
    paddington = polls.poll_of(party).films[-1]
    assert paddington.nominated_by_id == voter.id
    answer = db.session.get(PollFilmAnswer, (voter.id, paddington.id))
    assert answer.approves and not answer.seen_it
    page = guest.get(f"/p/{party.share_token}").text
    assert "You voted as <strong>Gita</strong>" in page and "Nominate a film" not in page

    # One each: a second nomination from the same guest is refused beside the field, nothing added.
    make_film("Amélie", 2001)
    refused = nominate(guest, party, "Amélie", expect=422)
    assert "You already nominated Paddington 2: one film each." in refused.text
    assert len(candidates(party)) == 4
    # The guest's ballot is theirs to finish: the full vote keeps the tick on their nomination.
    vote(guest, party, "Gita", dates={0: "yes"}, approve=(3,), email="gita@example.com")
    results = polls.poll_results(polls.poll_of(party))
    assert [tally.approvals for tally in results.films] == [0, 0, 0, 1]


def test_a_voter_nominates_through_the_browser_that_voted_or_their_personal_link(app, host_client, films):
    make_film("Paddington 2", 2017)
    party = create_poll_party(host_client, poll_nominate="y")
    voter_browser = app.test_client()
    vote(voter_browser, party, "Kim", dates={0: "yes"}, approve=(0,))
    ballot = db.session.scalar(sa.select(PollVote))
    other_device = app.test_client()
    other_device.get(f"/p/{party.share_token}/vote/{ballot.manage_token}")  # the personal link
    nominate(other_device, party, "Paddington 2")  # no name needed: the ballot says who
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PollVote)) == 1
    assert db.session.scalar(sa.select(PollFilm.nominated_by_id).where(PollFilm.nominated_by_id.is_not(None))) == ballot.id


def test_bad_nominations_get_a_message_beside_the_field_and_change_nothing(app, host_client, films):
    make_film("Paddington 2", 2017)
    party = create_poll_party(host_client, poll_nominate="y")
    stranger = app.test_client()
    cases = [
        ({"film": "", "name": "Gita"}, "Type the title of a film from the catalogue."),
        ({"film": "Paddington 2", "name": ""}, "Tell the host who you are."),
        ({"film": "Paddington 2", "name": "x" * 10_000}, "Field cannot be longer than 80 characters."),
        ({"film": "No Such Film Ever", "name": "Gita"}, "No film called “No Such Film Ever” in the catalogue"),
        ({"film": "Anora", "name": "Gita"}, "Anora is already in the vote: tick it below."),
        ({"film": "Paddington 2", "name": "Gita", "email": "not an email"}, "Enter a valid email address"),
    ]
    for data, message in cases:
        response = stranger.post(f"/p/{party.share_token}/poll/nominate", data=data)
        assert response.status_code == 422, (data, response.status_code)
        assert message in response.text, (data, response.text[:2000])
        # The refused form comes back filled.
        if data["film"] and len(data.get("name", "")) < 100:
            assert f'value="{data["film"]}"' in response.text
    assert candidates(party) == ["Anora", "Parasite", "Spirited Away"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PollVote)) == 0


def test_no_nominations_unless_the_host_allowed_them_and_none_past_eight_films(app, host_client, films):
    for number in range(6):
        make_film(f"Film {number}", 2000 + number)
    closed_to_nominations = create_poll_party(host_client)
    assert "Nominate a film" not in app.test_client().get(f"/p/{closed_to_nominations.share_token}").text
    refused = nominate(app.test_client(), closed_to_nominations, "Film 0", name="Gita", expect=422)
    assert "The host did not open this vote to nominations." in refused.text

    party = create_poll_party(host_client, poll_nominate="y")
    for number in range(5):
        nominate(app.test_client(), party, f"Film {number}", name=f"Guest {number}")
    assert len(candidates(party)) == 8
    assert "Nominate a film" not in app.test_client().get(f"/p/{party.share_token}").text
    full = nominate(app.test_client(), party, "Film 5", name="Late", expect=409)
    assert "The vote already has 8 films" in full.text
    assert len(candidates(party)) == 8

    # After the close, nothing more.
    host_client.post(f"/p/{party.share_token}/poll/close")
    other = create_poll_party(host_client, poll_nominate="y")
    host_client.post(f"/p/{other.share_token}/poll/close")
    late = nominate(app.test_client(), other, "Film 5", name="Late", expect=409)
    assert "The vote has closed" in late.text
