"""`flask films import/export`, the JSON format and the demo catalogue."""

import json

import pytest
import sqlalchemy as sa

from tests.factories import make_film, make_user
from watchparty.extensions import db
from watchparty.films import transfer
from watchparty.films.demo import DEMO_FILMS, load_demo_films
from watchparty.models import Award, Credit, Film, Person, Trivia


def counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Film, Person, Credit, Award, Trivia)
    }


def write_json(tmp_path, payload, name="films.json"):
    path = tmp_path / name
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return str(path)


def film_json(**fields):
    return {
        "title": "Anora",
        "year": 2024,
        "runtime_minutes": 139,
        "genres": ["Comedy"],
        "cast": [{"name": "Mikey Madison", "character": "Ani"}],
        "crew": [{"role": "director", "name": "Sean Baker"}],
        "awards": [{"ceremony": "97th Academy Awards", "year": 2025, "category": "Best Picture", "won": True}],
        "trivia": [{"text": "A fact."}, {"text": "An ending.", "spoiler": True}],
        **fields,
    }


@pytest.fixture
def demo(app):
    load_demo_films(make_user(email="host@example.com"))
    db.session.commit()


def test_export_then_import_into_an_empty_catalogue_gives_the_same_pages(client, runner, demo, tmp_path):
    slugs = db.session.scalars(sa.select(Film.slug).order_by(Film.slug)).all()
    before = {slug: client.get(f"/films/{slug}").text for slug in slugs}
    exported = tmp_path / "export.json"
    result = runner.invoke(args=["films", "export", "-o", str(exported)])
    assert result.exit_code == 0, result.output

    db.session.execute(sa.delete(Film))
    db.session.commit()
    assert counts()["Film"] == counts()["Credit"] == counts()["Award"] == counts()["Trivia"] == 0

    result = runner.invoke(args=["films", "import", str(exported)])
    assert result.exit_code == 0, result.output
    assert "7 new, 0 updated" in result.output
    for slug in slugs:
        assert client.get(f"/films/{slug}").text == before[slug], slug


def test_export_to_stdout_is_the_import_format(runner, demo):
    result = runner.invoke(args=["films", "export"])
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert payload["version"] == 1 and len(payload["films"]) == 7
    anora = next(film for film in payload["films"] if film["slug"] == "anora-2024")
    assert anora["cast"][0] == {"name": "Mikey Madison", "character": 'Anora "Ani" Mikheeva'}
    assert anora["formats"] == ["cinema", "dvd", "bluray", "digital"]
    assert sum(award["won"] for award in anora["awards"]) == 6
    assert [fact["spoiler"] for fact in anora["trivia"]].count(True) == 1
    assert "Janelle Monáe" in result.stdout  # UTF-8, not \u escapes


def test_import_is_an_upsert_by_slug(runner, app, tmp_path):
    path = write_json(tmp_path, {"films": [film_json()]})
    assert "1 new, 0 updated, 0 unchanged" in runner.invoke(args=["films", "import", path]).output
    before = counts()
    assert "0 new, 0 updated, 1 unchanged" in runner.invoke(args=["films", "import", path]).output
    assert counts() == before

    changed = film_json(runtime_minutes=140, cast=[{"name": "Mikey Madison", "character": "Anora"}])
    path = write_json(tmp_path, {"films": [changed]})
    assert "0 new, 1 updated" in runner.invoke(args=["films", "import", path]).output
    film = db.session.scalar(sa.select(Film).where(Film.slug == "anora-2024"))
    assert film.runtime_minutes == 140
    assert [credit.character for credit in film.credits if credit.role == "cast"] == ["Anora"]
    assert counts()["Film"] == 1


def test_import_with_a_bad_field_names_film_and_field_and_writes_nothing(runner, app, tmp_path):
    make_film(title="Already here", year=2000)
    before = counts()
    cases = [
        (film_json(year="2024"), 'Film 2 ("Anora"), field "year": must be a whole number'),
        (film_json(year=1700), 'Film 2 ("Anora"), field "year": The year must be between 1888'),
        (film_json(runtime_minutes=-5), 'Film 2 ("Anora"), field "runtime_minutes"'),
        (film_json(title="x" * 300), 'field "title": The title is longer than 200 characters.'),
        (film_json(title="Bad\x00title"), 'field "title": The title contains control characters'),
        (film_json(cast=[{"name": ""}]), 'Film 2 ("Anora"), field "cast": Entry 1 has no name.'),
        (film_json(cast=[{"character": "Ani"}]), 'field "cast": entry 1 needs name'),
        (film_json(crew=[{"role": "grip", "name": "X"}]), 'field "crew": Entry 1: unknown role'),
        (film_json(awards=[{"ceremony": "X", "year": 2025, "category": "Y", "won": "yes"}]), 'field "awards"'),
        (film_json(formats=["vhs"]), 'field "formats": Unknown format'),
        (film_json(slug="Not A Slug"), 'field "slug"'),
        (film_json(poster="../../secret_key"), 'field "poster"'),
        (film_json(directed_by="Sean Baker"), 'field "directed_by": is not a film field'),
        (film_json(title=""), 'Film 2, field "title": must be a non-empty string'),
    ]
    for bad, message in cases:
        payload = {"films": [film_json(title="Fine", slug="fine-2024"), bad, film_json(title="Also fine")]}
        result = runner.invoke(args=["films", "import", write_json(tmp_path, payload)])
        assert result.exit_code != 0, bad
        assert message in result.output, (message, result.output)
        assert "Nothing was imported." in result.output
        db.session.rollback()
        assert counts() == before


def test_import_refuses_malformed_files(runner, app, tmp_path):
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json", encoding="utf-8")
    not_utf8 = tmp_path / "latin1.json"
    not_utf8.write_bytes('{"films": [{"title": "Am\xe9lie"}]}'.encode("latin-1"))
    duplicate = write_json(tmp_path, {"films": [film_json(), film_json()]}, "dup.json")
    for path, message in [
        (str(bad_json), "is not valid UTF-8 JSON"),
        (str(not_utf8), "is not valid UTF-8 JSON"),
        (write_json(tmp_path, [film_json()], "list.json"), 'a JSON object with a "films" list'),
        (write_json(tmp_path, {"films": ["Anora"]}, "str.json"), "Film 1: must be a JSON object."),
        (write_json(tmp_path, {"version": 2, "films": []}, "v2.json"), '"version"'),
        (duplicate, 'Film 2 ("Anora"), field "slug": “anora-2024” is also film 1'),
        (str(tmp_path / "missing.json"), "does not exist"),
    ]:
        result = runner.invoke(args=["films", "import", path])
        assert result.exit_code != 0 and message in result.output, (message, result.output)
    assert counts()["Film"] == 0


def test_import_can_give_new_films_an_owner(runner, app, tmp_path):
    owner = make_user(email="owner@example.com")
    path = write_json(tmp_path, {"films": [film_json()]})
    assert runner.invoke(args=["films", "import", path, "--owner", "nobody@example.com"]).exit_code != 0
    assert runner.invoke(args=["films", "import", path, "--owner", "owner@example.com"]).exit_code == 0
    assert db.session.scalar(sa.select(Film.created_by_id)) == owner.id


def test_demo_catalogue_is_idempotent_and_keeps_edits(app):
    host = make_user(email="host@example.com")
    lines = load_demo_films(host)
    db.session.commit()
    assert lines == [
        "Added 7 demo films: anora-2024, parasite-2019, the-godfather-1972, spirited-away-2001, "
        "casablanca-1942, moonlight-2016, everything-everywhere-all-at-once-2022."
    ]
    first = counts()
    film = db.session.scalar(sa.select(Film).where(Film.slug == "anora-2024"))
    film.tagline = "Edited by the host"
    db.session.commit()

    assert load_demo_films(host) == ["The 7 demo films are already in the catalogue."]
    db.session.commit()
    assert counts() == first
    assert db.session.scalar(sa.select(Film.tagline).where(Film.slug == "anora-2024")) == "Edited by the host"
    assert {film.created_by_id for film in db.session.scalars(sa.select(Film))} == {host.id}


def test_demo_command_loads_the_catalogue(runner, app):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "Added 7 demo films" in result.output
    result = runner.invoke(args=["demo"])
    assert "already in the catalogue" in result.output
    assert counts()["Film"] == 7


def test_demo_anora_matches_the_reference_facts(app):
    payload = json.loads(DEMO_FILMS.read_text(encoding="utf-8"))
    anora = next(film for film in payload["films"] if film["slug"] == "anora-2024")
    assert (anora["title"], anora["year"], anora["runtime_minutes"]) == ("Anora", 2024, 139)
    assert [(c["name"], c["character"]) for c in anora["cast"]][:3] == [
        ("Mikey Madison", 'Anora "Ani" Mikheeva'),
        ("Mark Eydelshteyn", 'Ivan "Vanya" Zakharov'),
        ("Yura Borisov", "Igor"),
    ]
    oscars = [a for a in anora["awards"] if a["ceremony"] == "97th Academy Awards"]
    assert sorted(a["category"] for a in oscars if a["won"]) == [
        "Best Actress",
        "Best Director",
        "Best Film Editing",
        "Best Original Screenplay",
        "Best Picture",
    ]
    assert [a["category"] for a in oscars if not a["won"]] == ["Best Supporting Actor"]
    assert any(a["category"] == "Palme d'Or" and a["won"] for a in anora["awards"])
    assert len(anora["trivia"]) == 6
    assert [t["text"] for t in anora["trivia"] if t["spoiler"]] == [
        "The film ends with a scene set in a car in the snow."
    ]
    assert anora["formats"] == ["cinema", "dvd", "bluray", "digital"]
    for film in payload["films"]:
        assert len(film["cast"]) >= 4 and all(c["character"] for c in film["cast"])
        assert any(c["role"] == "director" for c in film["crew"]) and film["awards"]
    # Every demo film passes the same checks as any import.
    assert len(transfer.read_films_payload(payload)) == len(payload["films"]) >= 6


def test_the_documented_example_imports(runner, app, tmp_path):
    from pathlib import Path

    doc = Path(__file__).resolve().parent.parent / "docs" / "films-json.md"
    example = doc.read_text(encoding="utf-8").split("```json", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.json"
    path.write_text(example, encoding="utf-8")
    result = runner.invoke(args=["films", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 new" in result.output
