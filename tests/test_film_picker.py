"""The film picker (#19): matching what a host types to a film, search as you type
(GET /films/search), "Did you mean …?" on the party form without JavaScript, and
films added for a party kept out of the public catalogue until they are listed."""

import re
import time

import pytest
import sqlalchemy as sa

from tests.factories import log_in, make_film, make_user
from watchparty.extensions import db
from watchparty.films import matching
from watchparty.films.demo import load_demo_films
from watchparty.models import Film, Party

# Beside the demo catalogue (Anora, Parasite, The Godfather, Spirited Away, Casablanca,
# Moonlight, Everything Everywhere All at Once): titles with articles in other languages,
# accents, punctuation, numbers, sequels and very short titles.
MORE_FILMS = [
    ("The Godfather Part II", 1974),
    ("Amélie", 2001),
    ("Das Boot", 1981),
    ("La La Land", 2016),
    ("El laberinto del fauno", 2006),
    ("Les Misérables", 2012),
    ("Die Hard", 1988),
    ("Blade Runner", 1982),
    ("Blade Runner 2049", 2017),
    ("2001: A Space Odyssey", 1968),
    ("Spider-Man: Into the Spider-Verse", 2018),
    ("Mad Max: Fury Road", 2015),
    ("Whiplash", 2014),
    ("Up", 2009),
    ("It", 2017),
]

# What a host types -> the film the picker puts first, or None for no match.
TYPED = [
    ("godfather", ("The Godfather", 1972)),
    ("GODFATHER", ("The Godfather", 1972)),
    ("the god father", ("The Godfather", 1972)),
    ("godfathr", ("The Godfather", 1972)),
    ("godfa", ("The Godfather", 1972)),
    ("godfather part ii", ("The Godfather Part II", 1974)),
    ("godfather 1974", ("The Godfather Part II", 1974)),
    ("parasit", ("Parasite", 2019)),
    ("spirited away 2001", ("Spirited Away", 2001)),
    ("Spirted Away (2001)", ("Spirited Away", 2001)),
    ("amelie", ("Amélie", 2001)),
    ("AMÉLIE", ("Amélie", 2001)),
    ("boot", ("Das Boot", 1981)),
    ("das boot", ("Das Boot", 1981)),
    ("lala land", ("La La Land", 2016)),
    ("laberinto del fauno", ("El laberinto del fauno", 2006)),
    ("les miserables", ("Les Misérables", 2012)),
    ("miserables", ("Les Misérables", 2012)),
    ("die hard", ("Die Hard", 1988)),
    ("blade runner 2049", ("Blade Runner 2049", 2017)),
    ("blade runner 1982", ("Blade Runner", 1982)),
    ("2001 a space odyssey", ("2001: A Space Odyssey", 1968)),
    ("space odyssey", ("2001: A Space Odyssey", 1968)),
    ("casablanka", ("Casablanca", 1942)),
    ("moonlite", ("Moonlight", 2016)),
    ("everything everywhere", ("Everything Everywhere All at Once", 2022)),
    ("spiderman", ("Spider-Man: Into the Spider-Verse", 2018)),
    ("mad max", ("Mad Max: Fury Road", 2015)),
    ("wiplash", ("Whiplash", 2014)),
    ("anora", ("Anora", 2024)),
    ("up", ("Up", 2009)),
    ("paddington", None),
    ("batman begins", None),
    ("zzzz", None),
    ("%_%", None),
]


@pytest.fixture
def catalogue(app, host):
    load_demo_films(host)
    for title, year in MORE_FILMS:
        make_film(title, year, synopsis="A film.")
    db.session.commit()


def public() -> sa.ColumnElement[bool]:
    return Film.visible_to(None)


@pytest.mark.parametrize(("typed", "expected"), TYPED, ids=[typed for typed, _ in TYPED])
def test_typed_queries_find_the_film_meant(catalogue, typed, expected):
    results = matching.search(typed, public())
    first = (results[0].film.title, results[0].film.year) if results else None
    assert first == expected, [(match.label, round(match.score)) for match in results]
    # "Did you mean …?" offers the same film first, or nothing at all.
    close = matching.close_matches(typed, public())
    if expected is None:
        assert close == []
    elif len(typed) > 2:
        assert (close[0].film.title, close[0].film.year) == expected


def test_matching_stays_fast_with_thousands_of_films(catalogue):
    """SQL keeps at most CANDIDATES films to score, whatever the catalogue's size."""
    words = ["night", "river", "house", "summer", "dark", "love", "city", "last", "road", "star"]
    rows = [
        {"slug": f"film-{n}", "title": f"{words[n % 10].title()} {words[n // 10 % 10]} {n}", "year": 1950 + n % 70}
        for n in range(3000)
    ]
    db.session.execute(
        sa.insert(Film),
        [{**row, "search_title": row["title"].lower(), "tagline": "", "synopsis": "x"} for row in rows],
    )
    db.session.commit()
    assert len(matching.candidates(matching.parse_query("night river"), public())) == matching.CANDIDATES
    started = time.perf_counter()
    for typed in ("godfather", "the god father", "parasit", "night rivr 12", "spirited away 2001"):
        matching.search(typed, public())
    per_search = (time.perf_counter() - started) / 5
    assert per_search < 0.25, f"{per_search * 1000:.0f} ms per search"
    assert matching.search("godfathr", public())[0].film.title == "The Godfather"


# ---------------------------------------------------------------- GET /films/search


def test_search_returns_title_year_slug_and_poster(client, catalogue):
    response = client.get("/films/search?q=godfa")
    assert response.status_code == 200 and response.mimetype == "application/json"
    results = response.get_json()["results"]
    assert results[0] == {
        "slug": "the-godfather-1972",
        "title": "The Godfather",
        "year": 1972,
        "label": "The Godfather (1972)",
        "poster": "/films/the-godfather-1972/poster.svg",
    }
    assert [result["title"] for result in results[:2]] == ["The Godfather", "The Godfather Part II"]


def test_search_returns_at_most_eight_results(client, catalogue):
    for number in range(1, 21):
        make_film(f"Star Wars {number}", 1977 + number)
    results = client.get("/films/search?q=star wars").get_json()["results"]
    assert len(results) == 8


@pytest.mark.parametrize("q", ["", "a", "   "])
def test_search_waits_for_two_characters(client, catalogue, q):
    assert client.get("/films/search", query_string={"q": q}).get_json() == {"results": []}


@pytest.mark.parametrize("q", ["x" * 10_000, "god\x00father", "god\nfather", "\x7f", "a" * 201])
def test_hostile_searches_are_refused_with_a_4xx(client, catalogue, q):
    response = client.get("/films/search", query_string={"q": q})
    assert response.status_code == 400
    assert response.get_json()["results"] == []


@pytest.mark.parametrize("q", ["%", "_%_", "\\", "'; DROP TABLE film; --", "<script>alert(1)</script>", "🎬🍿", "北京"])
def test_odd_but_harmless_searches_answer_normally(client, catalogue, q):
    response = client.get("/films/search", query_string={"q": q})
    assert response.status_code == 200
    assert "<script>" not in response.text  # JSON escapes it; the script inserts text, never HTML


def test_search_is_rate_limited(app_factory, host):
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_FILM_SEARCH="3 per minute")
    client = app.test_client()
    statuses = [client.get("/films/search?q=anora").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


# ---------------------------------------------------------------- the party form without JavaScript

PARTY = {
    "title": "Film night",
    "starts_at": "2027-06-20T20:00",
    "timezone": "Europe/London",
    "area": "Hackney, London",
    "max_plus_ones": "1",
    "description": "Bring a cushion.",
}


def film_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Film))


def test_a_close_title_asks_which_film_before_adding_one(host_client, catalogue):
    films_before = film_count()
    response = host_client.post("/parties/new", data={**PARTY, "film": "Godfather", "new_film_year": "1972"})
    assert response.status_code == 422
    assert "Did you mean The Godfather (1972)?" in response.text
    # Everything typed is kept.
    assert 'value="Film night"' in response.text and "Bring a cushion." in response.text
    assert re.search(r'<input[^>]*name="film"[^>]*value="Godfather"', response.text)
    # The close matches come first, adding the title as a new film last.
    choices = re.findall(r'name="film_choice" value="([^"]+)"', response.text)
    assert choices[0] == "the-godfather-1972" and choices[-1] == "new"
    assert "the-godfather-part-ii-1974" in choices
    assert choices.index("new") == len(choices) - 1
    assert "Add “Godfather” as a new film" in response.text
    assert film_count() == films_before and db.session.scalar(sa.select(sa.func.count()).select_from(Party)) == 0

    chosen = host_client.post(
        "/parties/new", data={**PARTY, "film": "Godfather", "new_film_year": "1972", "film_choice": "the-godfather-1972"}
    )
    assert chosen.status_code == 302
    party = db.session.scalar(sa.select(Party))
    assert party.film.slug == "the-godfather-1972" and film_count() == films_before


def test_no_duplicate_even_when_the_host_asks_for_a_new_film_with_the_same_title_and_year(host_client, catalogue):
    films_before = film_count()
    response = host_client.post(
        "/parties/new", data={**PARTY, "film": "godfather", "new_film_year": "1972", "film_choice": "new"}
    )
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Party)).film.slug == "the-godfather-1972"
    assert film_count() == films_before


def test_the_service_refuses_a_new_film_while_close_matches_exist(host, catalogue):
    """The rule is the service's, not only the form's."""
    from datetime import datetime

    from watchparty.parties import service

    fields = service.PartyFields(
        title="Night", film="The Godfater", starts_at=datetime(2027, 6, 20, 20), timezone="Europe/London",
        area="Here", new_film_year=1999,
    )  # fmt: skip
    with pytest.raises(service.FilmNotFound) as refused:
        service.film_for_party(fields, host)
    assert refused.value.matches[0].film.slug == "the-godfather-1972"
    db.session.rollback()
    assert film_count() == len(MORE_FILMS) + 7


def test_a_new_film_is_added_when_the_host_says_so(host_client, host, catalogue):
    response = host_client.post(
        "/parties/new", data={**PARTY, "film": "Godfather", "new_film_year": "2022", "film_choice": "new"}
    )
    assert response.status_code == 302
    film = db.session.scalar(sa.select(Party)).film
    assert (film.title, film.year, film.added_for_party, film.created_by_id) == ("Godfather", 2022, True, host.id)


def test_choosing_new_without_a_year_asks_for_the_year_and_keeps_the_choices(host_client, catalogue):
    response = host_client.post("/parties/new", data={**PARTY, "film": "Godfather", "film_choice": "new"})
    assert response.status_code == 422
    assert "Give the year it came out to add it as a new film." in response.text
    assert re.search(r'value="new" checked', response.text)
    assert 'value="the-godfather-1972"' in response.text


def test_a_chosen_film_is_kept_by_its_title_when_something_else_is_refused(host_client, catalogue):
    response = host_client.post(
        "/parties/new",
        data={**PARTY, "film": "parasit", "film_choice": "parasite-2019", "starts_at": "2020-01-01T20:00"},
    )
    assert response.status_code == 422 and "Pick a start time in the future." in response.text
    assert re.search(r'<input[^>]*name="film"[^>]*value="Parasite \(2019\)"', response.text)
    fixed = host_client.post("/parties/new", data={**PARTY, "film": "Parasite (2019)"})
    assert fixed.status_code == 302


def test_a_slug_picked_by_the_script_wins_over_the_text(host_client, catalogue):
    response = host_client.post("/parties/new", data={**PARTY, "film": "godfa", "film_slug": "the-godfather-1972"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Party)).film.slug == "the-godfather-1972"


def test_a_title_with_nothing_close_offers_only_to_add_it(host_client, catalogue):
    response = host_client.post("/parties/new", data={**PARTY, "film": "Paddington 2"})
    assert response.status_code == 422
    assert "No film called “Paddington 2” in the catalogue yet" in response.text
    assert "film_choice" not in response.text


# ---------------------------------------------------------------- films added for a party


@pytest.fixture
def added(host_client, catalogue) -> Film:
    response = host_client.post(
        "/parties/new", data={**PARTY, "film": "Paddington 2", "new_film_year": "2017"}
    )
    assert response.status_code == 302
    return db.session.scalar(sa.select(Film).where(Film.slug == "paddington-2-2017"))


def test_a_film_added_for_a_party_is_not_in_the_public_catalogue(app, added):
    other = app.test_client()
    make_user("other@example.com")
    log_in(other, "other@example.com")
    for client in (app.test_client(), other):
        assert "Paddington 2" not in client.get("/films/").text
        assert "Paddington 2" not in client.get("/films/?q=paddington").text
        assert client.get("/films/search?q=paddington").get_json() == {"results": []}
        assert client.get("/films/paddington-2-2017").status_code == 200  # the party's link still works
    # Another host typing it is not offered it, and may add their own.
    assert matching.close_matches("Paddington 2", Film.visible_to(None)) == []


def test_its_host_finds_it_at_once(host_client, added):
    assert "Paddington 2" in host_client.get("/films/?q=paddington").text
    assert host_client.get("/films/search?q=paddingt").get_json()["results"][0]["slug"] == "paddington-2-2017"
    again = host_client.post("/parties/new", data={**PARTY, "film": "Paddington 2"})
    assert again.status_code == 302


def test_a_synopsis_lists_it(app, added):
    from watchparty.films import service

    data = service.FilmData(title="Paddington 2", year=2017, synopsis="A bear, a pop-up book and a prison.")
    service.update_film(added, data)
    db.session.commit()
    assert "Paddington 2" in app.test_client().get("/films/?q=paddington").text


def test_an_admin_approves_it_from_the_command_line(app, runner, added):
    listed = runner.invoke(args=["films", "unlisted"])
    assert "paddington-2-2017\tPaddington 2 (2017)" in listed.output
    result = runner.invoke(args=["films", "approve", "paddington-2-2017"])
    assert result.exit_code == 0, result.output
    assert "Paddington 2" in app.test_client().get("/films/?q=paddington").text
    assert runner.invoke(args=["films", "approve", "no-such-film-2000"]).exit_code != 0


def test_films_from_the_film_form_and_imports_stay_listed(client, catalogue):
    assert "Whiplash" in client.get("/films/?q=whiplash").text


@pytest.mark.parametrize("field", ["film_slug", "film_choice"])
@pytest.mark.parametrize("value", ["x" * 10_000, "the-godfather-1972\x00", "no-such-film-1999", "<b>new</b>"])
def test_hostile_picks_change_nothing_and_say_so(host_client, catalogue, field, value):
    films_before = film_count()
    response = host_client.post("/parties/new", data={**PARTY, "film": "Godfather", field: value})
    assert response.status_code == 422
    assert "<b>new</b>" not in response.text
    assert film_count() == films_before and db.session.scalar(sa.select(sa.func.count()).select_from(Party)) == 0


def test_a_film_added_through_the_film_form_for_a_party_is_listed_once_it_has_a_synopsis(host_client, app):
    host_client.post("/films/new?next=/parties/new", data={"title": "Flow", "year": "2024"})
    host_client.post("/films/new?next=/parties/new", data={"title": "Aftersun", "year": "2022", "synopsis": "A holiday."})
    host_client.post("/films/new", data={"title": "Past Lives", "year": "2023"})
    catalogue = app.test_client().get("/films/").text
    assert "Flow" not in catalogue and "Aftersun" in catalogue and "Past Lives" in catalogue


def test_two_hosts_adding_the_same_new_film_share_one_row(app, added):
    other = app.test_client()
    make_user("other@example.com")
    log_in(other, "other@example.com")
    response = other.post("/parties/new", data={**PARTY, "film": "paddington 2", "new_film_year": "2017"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).where(Film.search_title.like("paddington%"))) == 1
