"""The party page and the film page run a fixed number of SQL queries, at most
10, whatever the size of the party (DESIGN.md §4). The shapes are the
benchmark's (bench/seed.py): a typical party and a large one."""

import pytest

from bench.seed import LARGE, TYPICAL, seed_party
from tests.factories import log_in, make_user

MAX_QUERIES = 10


@pytest.fixture
def parties(app):
    host = make_user(email="bench-host@example.com")
    typical = seed_party(TYPICAL, host)
    large = seed_party(LARGE, host)
    return {"typical": typical, "large": large}


def guest_cookie(app, party):
    """The remembered-guest cookie of a guest seated as going."""
    from watchparty.rsvp.routes import _cookie_name, _serializer

    guest = next(r for r in party.rsvps if r.response == "going" and r.state == "confirmed")
    with app.test_request_context():
        return _cookie_name(party), _serializer().dumps(guest.manage_token)


def statements_for(client, count_queries, path, cookie=None):
    if cookie is not None:
        client.set_cookie(*cookie, path="/p/")
    client.get(path)  # warm: first-request work is not what we measure
    with count_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200
    # BEGIN is bookkeeping, not a query (and PostgreSQL's driver does not send it).
    return [s for s in statements if s.strip().upper() != "BEGIN"]


def test_the_party_page_runs_the_same_few_queries_for_a_typical_and_a_large_party(app, client, parties, count_queries):
    counts = {}
    for name, party in parties.items():
        counts[name] = len(
            statements_for(client, count_queries, f"/p/{party.share_token}", guest_cookie(app, party))
        )
    assert counts["typical"] == counts["large"], counts
    assert counts["typical"] <= MAX_QUERIES, counts


def test_the_film_page_runs_the_same_few_queries_for_a_typical_and_a_large_film(client, parties, count_queries):
    counts = {
        name: len(statements_for(client, count_queries, f"/films/{party.film.slug}"))
        for name, party in parties.items()
    }
    assert counts["typical"] == counts["large"], counts
    assert counts["typical"] <= MAX_QUERIES, counts


def test_the_host_sees_the_party_page_with_the_same_few_queries(app, client, parties, count_queries):
    log_in(client, "bench-host@example.com")
    counts = {
        name: len(statements_for(client, count_queries, f"/p/{party.share_token}"))
        for name, party in parties.items()
    }
    assert counts["typical"] == counts["large"], counts
    assert counts["typical"] <= MAX_QUERIES, counts


def test_cached_fragments_save_rendering_not_queries(app, client, parties, count_queries):
    # The fragment cache is keyed by the rows a fragment shows (watchparty.cache): a page
    # runs the same statements whether its fragments are cached or not, so the counts above
    # hold for a cold worker too.
    from watchparty.cache import fragments

    party = parties["large"]
    cookie = guest_cookie(app, party)
    for path, with_cookie in ((f"/p/{party.share_token}", True), (f"/films/{party.film.slug}", False)):
        fragments().clear()
        if with_cookie:
            client.set_cookie(*cookie, path="/p/")
        with count_queries() as cold:
            assert client.get(path).status_code == 200
        hits = fragments().hits
        with count_queries() as warm:
            assert client.get(path).status_code == 200
        assert fragments().hits > hits
        assert len(cold) == len(warm), (path, cold, warm)
