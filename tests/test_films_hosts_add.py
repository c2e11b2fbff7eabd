"""Films a host adds (#19): an admin approves them on the web, the film form asks "Did you
mean …?" before it adds a film close to one already there (and never adds the same title and
year twice), and the catalogue's JSON keeps whether a film waits for approval."""

import json
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from tests.factories import log_in, make_film, make_user
from watchparty.extensions import db
from watchparty.models import Film

PARTY = {
    "title": "Film night",
    "starts_at": "2027-06-20T20:00",
    "timezone": "Europe/London",
    "area": "Hackney, London",
    "max_plus_ones": "1",
}


def film_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Film)) or 0


def browser_of(app, email: str, **user_fields):
    make_user(email, display_name=email.split("@")[0].title(), **user_fields)
    client = app.test_client()
    assert log_in(client, email=email).status_code == 302
    return client


@pytest.fixture
def catalogue(app):
    make_film("The Godfather", 1972, synopsis="A family, a business.")
    make_film("Dune", 1984, synopsis="Spice.")
    make_film("Parasite", 2019, synopsis="Two families.")


@pytest.fixture
def admin_client(app):
    return browser_of(app, "admin@example.com", is_admin=True)


@pytest.fixture
def added(host_client, catalogue) -> Film:
    """Paddington 2 (2017), added by the host from the party form: not listed yet."""
    response = host_client.post("/parties/new", data={**PARTY, "film": "Paddington 2", "new_film_year": "2017"})
    assert response.status_code == 302
    film = db.session.scalar(sa.select(Film).where(Film.slug == "paddington-2-2017"))
    assert film is not None and not film.is_listed
    return film


# ---------------------------------------------------------------- an admin approves on the web


def test_an_admin_sees_the_waiting_films_and_approves_one(app, admin_client, added):
    everyone = app.test_client()
    assert "Paddington 2" not in everyone.get("/films/").text
    catalogue_page = admin_client.get("/films/")
    assert "1 film hosts added waits for your approval." in catalogue_page.text
    queue = admin_client.get("/films/?unlisted=1")
    assert queue.status_code == 200
    assert "Paddington 2" in queue.text and "The Godfather" not in queue.text
    assert f'action="/films/{added.slug}/approve?next=' in queue.text

    response = admin_client.post(f"/films/{added.slug}/approve?next=/films/?unlisted%3D1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/films/?unlisted=1"
    db.session.expire_all()
    assert db.session.get(Film, added.id).approved_at is not None
    assert "Paddington 2" in everyone.get("/films/").text
    assert "waits for your approval" not in admin_client.get("/films/").text
    assert "No film waits for approval" in admin_client.get("/films/?unlisted=1").text
    assert "Approve" not in admin_client.get("/films/?q=paddington").text


def test_the_approve_button_is_for_admins_only(app, host_client, added):
    """Its creator sees the film (theirs to use) but neither the button nor the queue."""
    page = host_client.get("/films/?q=paddington")
    assert "Paddington 2" in page.text and "/approve" not in page.text
    assert "Paddington 2" not in host_client.get("/films/?unlisted=1").text.split("</header>", 1)[0]
    assert host_client.post(f"/films/{added.slug}/approve").status_code == 403
    assert app.test_client().post(f"/films/{added.slug}/approve").headers["Location"].startswith("/accounts/login")
    db.session.expire_all()
    assert db.session.get(Film, added.id).approved_at is None


def test_approving_goes_back_only_on_this_site(admin_client, added):
    response = admin_client.post(f"/films/{added.slug}/approve?next=https://evil.example/")
    assert response.headers["Location"] == "/films/?unlisted=1"
    assert admin_client.post("/films/no-such-film-2000/approve").status_code == 404


# ---------------------------------------------------------------- /films/new asks "Did you mean …?"


def test_the_same_title_and_year_is_never_added_twice(host_client, catalogue):
    before = film_count()
    for title in ("The Godfather", "godfather", "GODFATHER", "Godfather, The"[:9]):
        for ticked in ("", "y"):
            response = host_client.post("/films/new", data={"title": title, "year": "1972", "different_film": ticked})
            assert response.status_code == 422, title
            assert "The Godfather (1972) is already in the catalogue" in response.text
            assert 'href="/films/the-godfather-1972"' in response.text
            assert 'name="different_film"' not in response.text  # nothing to tick: it is that film
    assert film_count() == before


def test_a_close_title_asks_first_and_is_added_once_the_host_says_it_is_another_film(host_client, catalogue):
    before = film_count()
    response = host_client.post("/films/new", data={"title": "Dune", "year": "2021", "runtime_minutes": "155"})
    assert response.status_code == 422
    assert "Did you mean Dune (1984)?" in response.text
    assert 'href="/films/dune-1984"' in response.text
    assert 'name="different_film"' in response.text
    assert 'value="155"' in response.text  # the form comes back filled
    assert film_count() == before

    response = host_client.post(
        "/films/new", data={"title": "Dune", "year": "2021", "runtime_minutes": "155", "different_film": "y"}
    )
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Film).where(Film.slug == "dune-2021")).runtime_minutes == 155


def test_a_typo_is_caught_too(host_client, catalogue):
    response = host_client.post("/films/new", data={"title": "Parasit", "year": "2019"})
    assert response.status_code == 422
    assert "Did you mean Parasite (2019)?" in response.text
    assert "is it this one?" in response.text


def test_a_title_nothing_is_close_to_is_added_at_once(host_client, catalogue):
    response = host_client.post("/films/new", data={"title": "Paddington 2", "year": "2017"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Film).where(Film.slug == "paddington-2-2017")) is not None


def test_picking_the_match_goes_back_to_the_party_form_with_it_chosen(host_client, catalogue):
    """Coming from the party form's "Or add … with all its details", each choice returns there."""
    back = "/parties/new?title=Film+night&film=Godfather+1972"
    response = host_client.post(f"/films/new?next={back.replace('&', '%26')}", data={"title": "Godfather", "year": "1972"})
    assert response.status_code == 422
    choice = 'href="/parties/new?title=Film+night&amp;film=the-godfather-1972"'
    assert choice in response.text
    party_form = host_client.get(urlsplit(choice[6:-1].replace("&amp;", "&")).geturl())
    assert party_form.status_code == 200 and "The Godfather (1972)" in party_form.text


def test_another_hosts_unlisted_film_is_not_offered_but_is_not_copied_either(app, added):
    other = browser_of(app, "other@example.com")
    before = film_count()
    # A close title: the film that host added is not theirs to see, so nothing to ask about.
    response = other.post("/films/new", data={"title": "Paddington 2", "year": "2018"})
    assert response.status_code == 302
    # The very same title and year: one film, one row (its page is reachable by link anyway).
    response = other.post("/films/new", data={"title": "Paddington 2", "year": "2017", "different_film": "y"})
    assert response.status_code == 422
    assert 'href="/films/paddington-2-2017"' in response.text
    assert film_count() == before + 1


# ---------------------------------------------------------------- the JSON carries the listing


def test_export_and_import_keep_a_waiting_film_waiting_and_an_approved_one_listed(app, runner, added, tmp_path):
    make_film("Paddington", 2014, created_by=None)
    exported = json.loads(runner.invoke(args=["films", "export"]).output)
    by_slug = {film["slug"]: film for film in exported["films"]}
    assert by_slug["paddington-2-2017"]["added_for_party"] is True
    assert by_slug["paddington-2-2017"]["approved_at"] is None
    assert "added_for_party" not in by_slug["the-godfather-1972"]

    assert runner.invoke(args=["films", "approve", "paddington-2-2017"]).exit_code == 0
    approved = json.loads(runner.invoke(args=["films", "export"]).output)
    stamp = {film["slug"]: film for film in approved["films"]}["paddington-2-2017"]["approved_at"]
    assert stamp.endswith("Z")

    # Back to waiting, then approved again: an import sets both, to the microsecond.
    path = tmp_path / "films.json"
    path.write_text(json.dumps(exported))
    assert "1 updated" in runner.invoke(args=["films", "import", str(path)]).output
    assert "Paddington 2" not in app.test_client().get("/films/?q=paddington").text
    path.write_text(json.dumps(approved))
    result = runner.invoke(args=["films", "import", str(path)])
    assert "1 updated" in result.output, result.output
    db.session.expire_all()
    film = db.session.scalar(sa.select(Film).where(Film.slug == "paddington-2-2017"))
    assert film.added_for_party and film.approved_at is not None
    assert film.approved_at.isoformat().replace("+00:00", "Z") == stamp
    assert "Paddington 2" in app.test_client().get("/films/?q=paddington").text
    assert "0 updated" in runner.invoke(args=["films", "import", str(path)]).output  # the same file again

    # A film the import creates keeps it too: a waiting one stays out of the public catalogue.
    waiting = {**by_slug["paddington-2-2017"], "slug": "paddington-2-elsewhere", "title": "Paddington Two"}
    path.write_text(json.dumps({"films": [waiting]}))
    assert "1 new" in runner.invoke(args=["films", "import", str(path)]).output
    copy = db.session.scalar(sa.select(Film).where(Film.slug == "paddington-2-elsewhere"))
    assert copy.added_for_party and copy.approved_at is None and not copy.is_listed


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"added_for_party": "yes"}, 'field "added_for_party": must be true or false'),
        ({"added_for_party": 1}, 'field "added_for_party": must be true or false'),
        ({"added_for_party": True, "approved_at": "yesterday"}, 'field "approved_at": must be a date and time'),
        ({"added_for_party": True, "approved_at": 1733378400}, 'field "approved_at": must be a date and time'),
        ({"added_for_party": True, "approved_at": "2026-12-05T06:00:00"}, "needs its offset from UTC"),
        ({"added_for_party": True, "approved_at": "2026-12-05T06:00:00\x00Z"}, 'field "approved_at"'),
        ({"added_for_party": True, "approved_at": "9" * 5000}, 'field "approved_at"'),
        ({"approved_at": "2026-12-05T06:00:00Z"}, 'is only for a film with "added_for_party": true'),
    ],
)
def test_bad_listing_values_are_named_and_nothing_is_imported(app, runner, tmp_path, fields, message):
    path = tmp_path / "films.json"
    path.write_text(json.dumps({"films": [{"title": "Anora", "year": 2024, **fields}]}))
    result = runner.invoke(args=["films", "import", str(path)])
    assert result.exit_code != 0
    assert message in result.output and "Nothing was imported." in result.output
    assert film_count() == 0
