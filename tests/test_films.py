"""The film catalogue over HTTP: film page, search, pagination, the film form, permissions."""

import re
from contextlib import contextmanager
from datetime import UTC, datetime
from html import unescape

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token_from
from tests.factories import log_in, make_film, make_user
from watchparty.extensions import db
from watchparty.films import data, lines, naming
from watchparty.films.demo import load_demo_films
from watchparty.models import Credit, Film, Person

NEXT_YEAR = datetime.now(UTC).year + 1


@pytest.fixture
def demo(app):
    host = make_user(email="host@example.com", display_name="Host")
    load_demo_films(host)
    db.session.commit()
    return host


def film_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Film))


def awards_by_status(html: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {"won": set(), "nominated": set()}
    for status, body in re.findall(r'<li class="award award--(won|nominated)">(.*?)</li>', html, re.S):
        category = re.search(r'<span class="award__category">(.*?)</span>', body).group(1)
        label = re.search(r'<span class="award__status">.*?</span>\s*(\w+)</span>', body, re.S).group(1)
        assert label == ("Won" if status == "won" else "Nominated")  # told apart in words, not colour alone
        found[status].add(unescape(category))
    return found


def slug_from(response) -> str:
    assert response.status_code == 302, response.text
    return response.headers["Location"].rsplit("/", 1)[-1]


FORM = {
    "title": "Anora",
    "year": "2024",
    "runtime_minutes": "139",
    "tagline": "",
    "synopsis": "A dancer from Brighton Beach marries the son of an oligarch.",
    "genres": "Comedy, Drama, Romance",
    "formats": ["cinema", "digital"],
    "streaming_services": "Hulu",
    "cast": 'Mikey Madison — Anora "Ani" Mikheeva\nMark Eydelshteyn \u2013 Ivan "Vanya" Zakharov\nYura Borisov | Igor',
    "crew": "Director: Sean Baker\nProducers: Alex Coco, Samantha Quan",
    "awards": "97th Academy Awards | 2025 | Best Picture | | won\n97th Academy Awards | 2025 | Best Supporting Actor | Yura Borisov | nominated",
    "trivia": "Shot partly in Las Vegas.\n[spoiler] The last scene is in a car.",
}


# ------------------------------------------------------------- the film page


def test_anora_page_shows_facts_cast_and_crew(client, demo):
    response = client.get("/films/anora-2024")
    assert response.status_code == 200
    html = response.text
    assert "<h1" in html and "Anora" in html and "(2024)" in html
    assert "2 h 19 min" in html
    for genre in ("Comedy", "Drama", "Romance"):
        assert f'<li class="film-facts__genre">{genre}</li>' in html
    assert "<dt>Director</dt><dd>Sean Baker</dd>" in html
    assert "<dt>Writer</dt><dd>Sean Baker</dd>" in html
    cast = re.findall(
        r'<li class="cast-list__member" id="(cast-[a-z0-9-]+)">\s*<span class="cast-list__name">(.*?)</span>'
        r'\s*<span class="cast-list__character"><span class="cast-list__as">as</span> (.*?)</span>',
        html,
    )
    assert [(anchor, name, unescape(character)) for anchor, name, character in cast] == [
        ("cast-mikey-madison", "Mikey Madison", 'Anora "Ani" Mikheeva'),
        ("cast-mark-eydelshteyn", "Mark Eydelshteyn", 'Ivan "Vanya" Zakharov'),
        ("cast-yura-borisov", "Yura Borisov", "Igor"),
        ("cast-karren-karagulian", "Karren Karagulian", "Toros"),
        ("cast-vache-tovmasyan", "Vache Tovmasyan", "Garnik"),
        ("cast-aleksei-serebryakov", "Aleksei Serebryakov", "Nikolai Zakharov"),
        ("cast-darya-ekamasova", "Darya Ekamasova", "Galina Zakharova"),
    ]
    assert naming.cast_anchor("Mikey Madison") == "cast-mikey-madison"
    for label in ("In cinemas", "DVD", "Blu-ray", "Digital"):
        assert label in html
    assert "<h2 id=\"reviews-heading\">Reviews</h2>" in html and "<!-- crowd rating -->" in html


def test_anora_awards_tell_the_five_oscar_wins_from_the_nomination(client, demo):
    html = client.get("/films/anora-2024").text
    awards = awards_by_status(html)
    assert {"Best Picture", "Best Director", "Best Actress", "Best Original Screenplay", "Best Film Editing"} <= awards[
        "won"
    ]
    assert "Palme d'Or" in awards["won"]
    assert awards["nominated"] == {"Best Supporting Actor"}
    oscars = html.index("97th Academy Awards")
    cannes = html.index("Cannes Film Festival")
    assert html.count('class="award-group"') == 2 and oscars < cannes  # grouped by ceremony
    assert "6 wins and 1 nomination" in html


def test_spoiler_trivia_is_folded_inside_a_closed_details(client, demo):
    html = client.get("/films/anora-2024").text
    spoiler = "The film ends with a scene set in a car in the snow."
    details = re.findall(r"<details([^>]*)>\s*<summary>Contains spoilers — .*?</summary>(.*?)</details>", html, re.S)
    assert len(details) == 1
    attributes, body = details[0]
    assert "open" not in attributes
    assert spoiler in body
    assert html.count(spoiler) == 1  # not in the description, Open Graph tags or anywhere else
    assert "Karren Karagulian, who plays Toros" in html  # the other five are plain
    assert html.count('<li class="trivia">') == 5


def test_film_page_has_open_graph_and_twitter_tags(client, demo):
    html = client.get("/films/anora-2024").text
    assert '<meta property="og:title" content="Anora (2024)">' in html
    description = re.search(r'<meta property="og:description" content="([^"]*)">', html).group(1)
    assert description.startswith("Ani works as a dancer")
    assert re.search(r'<meta property="og:image" content="http://localhost/films/anora-2024/card.png\?v=[0-9a-f]+">', html)
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert '<meta name="twitter:title" content="Anora (2024)">' in html


def test_unknown_or_absurd_slug_is_404(client, demo):
    assert client.get("/films/no-such-film-1999").status_code == 404
    assert client.get("/films/" + "x" * 5000).status_code == 404
    assert client.get("/films/no-such-film-1999/edit").status_code in (302, 404)
    assert client.get("/films/no-such-film-1999/poster.svg").status_code == 404


def test_hostile_text_is_escaped_on_the_page(client, app):
    make_film(
        title="<script>alert(1)</script>",
        synopsis='"><img src=x onerror=alert(1)>',
        cast=[("<b>Bob</b>", "=SUM(1)")],
        trivia=[("<i>fact</i>", True)],
    )
    response = client.get("/films/script-alert-1-script-2024")
    assert response.status_code == 200
    assert "<script>alert" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "<img src=x" not in response.text and "<b>Bob</b>" not in response.text


def test_one_actor_in_two_parts_is_one_cast_entry_and_anchors_stay_unique(client, app):
    make_film(title="Doubles", cast=[("Peter Sellers", "Mandrake"), ("José Ferrer", "A"), ("Peter Sellers", "Muffley"),
                                     ("Jose Ferrer", "B")])  # fmt: skip
    html = client.get("/films/doubles-2024").text
    ids = re.findall(r'<li class="cast-list__member" id="([^"]+)"', html)
    assert ids == ["cast-peter-sellers", "cast-jose-ferrer", "cast-jose-ferrer-2"]
    assert "Mandrake / Muffley" in html


def test_film_page_query_count_does_not_grow_with_cast_awards_and_trivia(client, app):
    def film_with(count: int, title: str):
        return make_film(
            title=title,
            cast=[(f"Actor {title} {n}", f"Part {n}") for n in range(count)],
            crew=[("director", f"Director {title} {n}") for n in range(count)],
            awards=[("Festival", 2024, f"Prize {n}", "", n % 2 == 0) for n in range(count)],
            trivia=[(f"Fact {n}", n % 3 == 0) for n in range(count)],
        )

    small, large = film_with(4, "Small"), film_with(40, "Large")

    @contextmanager
    def counting(statements):
        def count(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            yield statements
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)

    counts = []
    for film in (small, large):
        with counting([]) as statements:
            response = client.get(f"/films/{film.slug}")
        assert response.status_code == 200
        assert response.text.count('class="cast-list__member"') == (4 if film is small else 40)
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 10, counts

    # A logged-in reader adds the user lookup, and still a fixed number.
    make_user(email="reader@example.com")
    log_in(client, email="reader@example.com")
    logged_in = []
    for film in (small, large):
        with counting([]) as statements:
            client.get(f"/films/{film.slug}")
        logged_in.append(len(statements))
    assert logged_in[0] == logged_in[1] <= 10, logged_in


# ------------------------------------------------------------ search and list


def search_slugs(client, q, page=None) -> list[str]:
    params = {"q": q} if page is None else {"q": q, "page": page}
    response = client.get("/films/", query_string=params)
    assert response.status_code == 200
    return re.findall(r'<a class="film-card__link" href="/films/([^"]+)">', response.text)


def test_search_finds_films_by_title_cast_and_character(client, demo):
    assert search_slugs(client, "madison") == ["anora-2024"]
    assert search_slugs(client, "ANORA") == ["anora-2024"]
    assert search_slugs(client, "zakharov") == ["anora-2024"]  # a character's surname
    assert search_slugs(client, "Bong Joon") == ["parasite-2019"]
    assert search_slugs(client, "  godfather ") == ["the-godfather-1972"]
    assert search_slugs(client, "no such film anywhere") == []
    assert len(search_slugs(client, "")) == 7


def test_search_ignores_case_and_accents(client, demo):
    make_film(title="Amélie", year=2001, cast=[("Audrey Tautou", "Amélie Poulain")])
    assert search_slugs(client, "Amelie") == ["amelie-2001"]
    assert search_slugs(client, "AMÉLIE") == ["amelie-2001"]
    assert search_slugs(client, "amélie") == ["amelie-2001"]
    assert search_slugs(client, "monae") == ["moonlight-2016"]  # Janelle Monáe
    assert search_slugs(client, "MONÁE") == ["moonlight-2016"]


def test_search_treats_like_wildcards_and_hostile_queries_as_text(client, demo):
    make_film(title="100% Wolf", year=2020)
    assert search_slugs(client, "%") == ["100-wolf-2020"]
    assert search_slugs(client, "_") == []
    assert search_slugs(client, "\\") == []
    assert search_slugs(client, "zq\x00zq") == []  # NUL never reaches PostgreSQL
    assert search_slugs(client, "x" * 10_000) == []
    assert client.get("/films/?q=%27%3B+DROP+TABLE+film%3B--").status_code == 200
    assert film_count() == 8


def test_search_finds_non_latin_and_emoji_titles(client, app):
    make_film(title="Брат", year=1997)
    make_film(title="🎬🍿", year=2024)
    assert search_slugs(client, "брат") == ["brat-1997"]
    assert search_slugs(client, "brat") == ["brat-1997"]
    # anyascii names emoji (Unidecode dropped them, leaving the fallback "film-2024").
    assert search_slugs(client, "🍿") == ["clapper-popcorn-2024"]


def test_catalogue_is_paginated_twelve_a_page(client, app):
    for number in range(14):
        make_film(title=f"Film number {number:02d}", year=2000)
    first = search_slugs(client, "", page=1)
    second = search_slugs(client, "", page=2)
    assert len(first) == 12 and len(second) == 2
    assert not set(first) & set(second)
    page = client.get("/films/?page=2").text
    assert "Page 2 of 2" in page and re.search(r'rel="prev"\s+href="/films/\?page=1"', page)
    assert search_slugs(client, "number", page=2) == ["film-number-12-2000", "film-number-13-2000"]
    assert 'href="/films/?q=number&amp;page=2"' in client.get("/films/?q=number").text
    for bad in ("3", "0", "-1", "99999999999999999999"):
        assert client.get(f"/films/?page={bad}").status_code == 404, bad
    assert client.get("/films/?page=abc").status_code == 200  # not a number: the first page


def test_cards_and_posters_have_alt_text_and_size(client, demo):
    for url in ("/films/", "/films/anora-2024"):
        images = re.findall(r"<img\b[^>]*>", client.get(url).text)
        assert images
        for image in images:
            assert re.search(r'\balt="[^"]*"', image) and "width=" in image and "height=" in image, image


# -------------------------------------------------------------- the film form


def test_new_film_form_creates_the_film_and_redirects_to_it(client, app):
    user = make_user()
    log_in(client)
    assert client.get("/films/new").status_code == 200
    slug = slug_from(client.post("/films/new", data=FORM))
    assert slug == "anora-2024"
    film = db.session.scalar(sa.select(Film).where(Film.slug == slug))
    assert film.created_by_id == user.id and film.runtime_minutes == 139
    html = client.get(f"/films/{slug}").text
    assert 'id="cast-mark-eydelshteyn"' in html and "Ivan &#34;Vanya&#34; Zakharov" in html
    assert "<dt>Producers</dt><dd>Alex Coco, Samantha Quan</dd>" in html
    assert awards_by_status(html) == {"won": {"Best Picture"}, "nominated": {"Best Supporting Actor"}}
    assert "Streaming on Hulu." in html and "Edit this film" in html
    assert "<summary>Contains spoilers — " in html

    # The same title and year again is that film, not a second one (#19).
    again = client.post("/films/new", data={**FORM, "different_film": "y"})
    assert again.status_code == 422 and "Anora (2024) is already in the catalogue" in again.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Film)) == 1


def test_titles_in_any_script_get_readable_ascii_slugs(client, app):
    make_user()
    log_in(client)
    for title, year, expected in [
        ("Брат", 1997, "brat-1997"),
        ("Նռան գույնը", 1969, None),
        ("🎬🍿✨", 2024, "clapper-popcorn-sparkles-2024"),  # anyascii names emoji; Unidecode dropped them
        ("Amélie", 2001, "amelie-2001"),
        ("千と千尋の神隠し", 2001, None),
    ]:
        slug = slug_from(client.post("/films/new", data={"title": title, "year": str(year)}))
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug), slug
        assert slug.endswith(f"-{year}")
        if expected:
            assert slug == expected
        page = client.get(f"/films/{slug}")
        assert page.status_code == 200 and title in page.text


def test_very_long_titles_keep_slugs_short(app):
    film = make_film(title="word " * 40)
    assert len(film.slug) <= 90 and film.slug.endswith("-2024")


def test_editing_keeps_the_slug_and_replaces_lists(client, app):
    make_user()
    log_in(client)
    slug = slug_from(client.post("/films/new", data=FORM))
    edit = client.get(f"/films/{slug}/edit")
    assert edit.status_code == 200
    assert "Mikey Madison — Anora &#34;Ani&#34; Mikheeva" in edit.text  # the lists come back in the form's format
    assert "97th Academy Awards | 2025 | Best Picture |  | won" in edit.text
    assert "[spoiler] The last scene is in a car." in edit.text
    changed = {**FORM, "title": "Anora (director's cut)", "formats": [], "cast": "Mikey Madison — Ani", "trivia": ""}
    assert slug_from(client.post(f"/films/{slug}/edit", data=changed)) == slug
    film = db.session.scalar(sa.select(Film).where(Film.slug == slug))
    assert film.title == "Anora (director's cut)" and film.watch_formats == "" and film.trivia == []
    assert [(c.person.name, c.character) for c in film.credits if c.role == "cast"] == [("Mikey Madison", "Ani")]
    html = client.get(f"/films/{slug}").text
    assert "Anora (director&#39;s cut)" in html and "Mark Eydelshteyn" not in html and "Trivia" not in html


@pytest.mark.parametrize(
    "fields, field_id, message",
    [
        ({"title": ""}, "title", "Enter the film&#39;s title."),
        ({"title": "x" * 10_000}, "title", "Field cannot be longer than 200 characters."),
        ({"title": "Anora\x00"}, "title", "Remove control characters"),
        ({"tagline": "tag\x1b[31m"}, "tagline", "Remove control characters"),
        ({"year": "1700"}, "year", f"Enter a year between 1888 and {NEXT_YEAR}."),
        ({"year": str(NEXT_YEAR + 2)}, "year", f"Enter a year between 1888 and {NEXT_YEAR}."),
        ({"year": "twenty"}, "year", "Not a valid integer value."),
        ({"year": "9" * 40}, "year", "Enter a year between"),
        ({"runtime_minutes": "-5"}, "runtime_minutes", "Enter a runtime between 1 and 1000 minutes."),
        ({"runtime_minutes": "100000"}, "runtime_minutes", "Enter a runtime between 1 and 1000 minutes."),
        ({"formats": ["cinema", "vhs"]}, "formats", "not a valid choice"),
        ({"cast": "Mikey Madison — Ani\n\n — Vanya"}, "cast", "Line 3: put the actor&#39;s name before the separator"),
        ({"cast": "A — B\nC — " + "x" * 300}, "cast", "Line 2: The character is longer than 200 characters."),
        ({"crew": "Director: Sean Baker\nGrip: Someone"}, "crew", "Line 2: start with a role and a colon"),
        ({"crew": "Director:"}, "crew", "Line 1: put a name after the colon."),
        ({"awards": "Oscars | 2025 | Best Picture"}, "awards", "Line 1: write ceremony | year | category"),
        ({"awards": "Oscars | 1700 | Best Picture | | won"}, "awards", "Line 1: the year must be between"),
        ({"awards": "Oscars | 2025 | Best Picture | | maybe"}, "awards", "Line 1: end the line with"),
        ({"trivia": "fine\n[spoiler]   "}, "trivia", "Line 2: write the fact after [spoiler]."),
        ({"synopsis": "bell\x07"}, "synopsis", "Remove control characters"),
        ({"genres": "x" * 300}, "genres", "Field cannot be longer than 200 characters."),
    ],
)
def test_bad_input_is_refused_beside_the_field_and_the_form_stays_filled(client, app, fields, field_id, message):
    make_user()
    log_in(client)
    response = client.post("/films/new", data={**FORM, **fields})
    assert response.status_code == 422
    errors = re.search(rf'<ul class="errors" id="{field_id}-error">(.*?)</ul>', response.text, re.S)
    assert errors, f"no error beside {field_id}"
    assert message in errors.group(1)
    # Every other field keeps what was typed.
    if "title" not in fields:
        assert 'value="Anora"' in response.text
    if "synopsis" not in fields:
        assert "A dancer from Brighton Beach marries the son of an oligarch." in response.text
    if "cast" not in fields:
        assert "Yura Borisov | Igor" in response.text
    if "awards" not in fields:
        assert "97th Academy Awards | 2025 | Best Supporting Actor | Yura Borisov | nominated" in response.text
    assert film_count() == 0


def test_cast_lines_accept_every_separator(app):
    entries = lines.parse_cast_lines(
        'Mikey Madison — Anora "Ani" Mikheeva\nMark Eydelshteyn \u2013 Vanya\n\nYura Borisov | Igor\n'
        "Jean-Pierre Léaud - Antoine Doinel\nJust A Name\n"
    )
    assert [(e.name, e.character) for e in entries] == [
        ("Mikey Madison", 'Anora "Ani" Mikheeva'),
        ("Mark Eydelshteyn", "Vanya"),
        ("Yura Borisov", "Igor"),
        ("Jean-Pierre Léaud", "Antoine Doinel"),
        ("Just A Name", ""),
    ]
    with pytest.raises(data.FilmDataError) as error:
        lines.parse_cast_lines("ok — fine\n| nobody")
    assert error.value.line_no == 2 and error.value.message.startswith("Line 2: ")


def test_runtime_is_shown_in_hours_and_minutes():
    assert data.format_runtime(139) == "2 h 19 min"
    assert data.format_runtime(120) == "2 h"
    assert data.format_runtime(45) == "45 min"
    assert data.format_runtime(None) == ""


# ---------------------------------------------------------------- permissions


@pytest.fixture
def people(app):
    creator = make_user(email="creator@example.com", display_name="Creator")
    make_user(email="admin@example.com", display_name="Admin", is_admin=True)
    make_user(email="other@example.com", display_name="Other")
    film = make_film(title="Anora", created_by=creator)
    return film.slug


@pytest.mark.parametrize(
    "who, expected",
    [("creator@example.com", 200), ("admin@example.com", 200), ("other@example.com", 403), (None, 302)],
)
def test_who_may_edit_a_film(client, people, who, expected):
    slug = people
    if who:
        log_in(client, email=who)
    get = client.get(f"/films/{slug}/edit")
    assert get.status_code == expected
    post = client.post(f"/films/{slug}/edit", data={**FORM, "title": f"Edited by {who}"})
    title = db.session.scalar(sa.select(Film.title).where(Film.slug == slug))
    if expected == 200:
        assert post.status_code == 302 and title == f"Edited by {who}"
    else:
        assert post.status_code == expected and title == "Anora"
    if who is None:
        assert get.headers["Location"].startswith("/accounts/login")
        assert post.headers["Location"].startswith("/accounts/login")
    page = client.get(f"/films/{slug}").text
    assert ("Edit this film" in page) == (expected == 200)


def test_adding_a_film_needs_an_account(client, app):
    assert client.get("/films/new").headers["Location"].startswith("/accounts/login")
    response = client.post("/films/new", data=FORM)
    assert response.status_code == 302 and response.headers["Location"].startswith("/accounts/login")
    assert film_count() == 0


def test_a_film_without_a_creator_is_for_admins_only(client, app):
    make_film(title="Orphan")
    make_user(email="someone@example.com")
    log_in(client, email="someone@example.com")
    assert client.get("/films/orphan-2024/edit").status_code == 403


def test_people_are_shared_between_films(app):
    make_film(title="One", cast=[("Mikey Madison", "A")])
    make_film(title="Two", cast=[("Mikey Madison", "B")], crew=[("director", "Mikey Madison")])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Credit)) == 3


def test_simultaneous_adds_of_one_film_make_one_film(app):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    make_user()
    clients = [app.test_client() for _ in range(6)]
    for each in clients:
        log_in(each)
    barrier = Barrier(len(clients))

    def add(each):
        barrier.wait()
        return each.post("/films/new", data=FORM)

    with ThreadPoolExecutor(len(clients)) as pool:
        responses = list(pool.map(add, clients))
    # One film: the database lets one request look and add at a time (#19: no duplicate films).
    assert sorted(response.status_code for response in responses) == [302] + [422] * (len(clients) - 1)
    assert db.session.scalars(sa.select(Film.slug)).all() == ["anora-2024"]
    names = db.session.scalars(sa.select(Person.name)).all()
    assert sorted(names) == sorted(set(names))  # one row per person, however many films named them


def test_film_form_needs_a_csrf_token(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        make_user()
        client = app.test_client()
        login_page = client.get("/accounts/login").text
        log_in(client, csrf_token=csrf_token_from(login_page))
        assert client.post("/films/new", data=FORM).status_code == 400
        token = csrf_token_from(client.get("/films/new").text)
        assert client.post("/films/new", data={**FORM, "csrf_token": token}).status_code == 302
        assert film_count() == 1
