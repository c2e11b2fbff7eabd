"""The party page and the film page run a fixed number of SQL queries, at most
10, whatever the size of the party (DESIGN.md §4), on a worker that has kept
nothing ("cold") and on the next view ("warm", fewer for the party page: it
keeps rows under its stamps). The shapes are the benchmark's (bench/seed.py):
a typical party and a large one."""

import pytest

from bench.seed import BENCH_HOST_EMAIL, BENCH_HOST_PASSWORD, LARGE, TYPICAL, seed_host, seed_party
from tests.factories import log_in

MAX_QUERIES = 10


@pytest.fixture
def parties(app):
    host = seed_host()  # as `make bench` seeds it
    typical = seed_party(TYPICAL, host)
    large = seed_party(LARGE, host)
    return {"typical": typical, "large": large}


def guest_cookie(app, party):
    """The remembered-guest cookie of a guest seated as going."""
    from watchparty.party_page import guest_cookie as cookie_of

    guest = next(r for r in party.rsvps if r.response == "going" and r.state == "confirmed")
    with app.app_context():
        return cookie_of(party, guest)


def statements_for(client, count_queries, path, cookie=None) -> dict[str, list[str]]:
    """The statements of a view with nothing kept ("cold"), and of the next one ("warm")."""
    from flask import current_app

    from watchparty.cache import fragments

    current_app.config["VERIFY_PAGE_CACHE"] = False  # as in production: a hit is not read again
    if cookie is not None:
        client.set_cookie(*cookie, path="/p/")
    client.get(path)  # first-request work is not what we measure
    fragments().clear()
    counted = {}
    for name in ("cold", "warm"):
        with count_queries() as statements:
            response = client.get(path)
        assert response.status_code == 200
        # BEGIN is bookkeeping, not a query (and PostgreSQL's driver does not send it).
        counted[name] = [s for s in statements if s.strip().upper() != "BEGIN"]
    return counted


def assert_few_and_the_same(counts: dict[str, dict[str, list[str]]]) -> None:
    """As many statements for the typical party as for the large one, cold or warm, and at most 10."""
    lengths = {party: {name: len(statements) for name, statements in runs.items()} for party, runs in counts.items()}
    assert lengths["typical"] == lengths["large"], lengths
    assert lengths["typical"]["cold"] <= MAX_QUERIES, lengths
    assert lengths["typical"]["warm"] <= lengths["typical"]["cold"], lengths


def test_the_party_page_runs_the_same_few_queries_for_a_typical_and_a_large_party(app, client, parties, count_queries):
    counts = {
        name: statements_for(client, count_queries, f"/p/{party.share_token}", guest_cookie(app, party))
        for name, party in parties.items()
    }
    assert_few_and_the_same(counts)
    # Warm, the page is kept under the party's stamps: one statement reads the party,
    # its stamps and the guest's reply id (found by the token in the guest's cookie).
    assert len(counts["typical"]["warm"]) == 1, counts["typical"]["warm"]


def test_the_film_page_runs_the_same_few_queries_for_a_typical_and_a_large_film(client, parties, count_queries):
    counts = {
        name: statements_for(client, count_queries, f"/films/{party.film.slug}") for name, party in parties.items()
    }
    assert_few_and_the_same(counts)
    assert len(counts["typical"]["warm"]) == 1, counts["typical"]["warm"]  # the film with its stamp


def test_the_host_sees_the_party_page_with_the_same_few_queries(app, client, parties, count_queries):
    log_in(client, BENCH_HOST_EMAIL, BENCH_HOST_PASSWORD)
    counts = {name: statements_for(client, count_queries, f"/p/{party.share_token}") for name, party in parties.items()}
    assert_few_and_the_same(counts)
