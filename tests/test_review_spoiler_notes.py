"""Issue #21 through the app: films carry spoiler notes, and the importer folds by them."""

import sqlalchemy as sa

from tests.factories import log_in, make_film, make_user
from watchparty.extensions import db
from watchparty.films.demo import load_demo_films
from watchparty.models import Film

ENDING = "Chiron finds Kevin cooking at a diner in Miami, and at his flat Kevin holds him."
TURN = "Kevin beats Chiron at school when the bully Terrel tells him to."

ARTICLE = """Home \u00bb Reviews \u00bb Film
Moonlight review: three lives on the Miami shore
By Jane Doe, Film Critic
Share this:

The film is told in three chapters, and each one has its own light and its own music.

Back at the Counter

Years later Chiron drives down to the diner, where Kevin cooks him a meal; later, at the flat, Kevin holds him.

Leave a Reply
"""


def slug_from(response) -> str:
    return response.headers["Location"].rstrip("/").split("/")[-1]


def test_the_film_form_keeps_spoiler_notes_that_no_page_shows(client, app):
    make_user()
    log_in(client)
    data = {"title": "Moonlight", "year": "2016", "spoiler_ending": ENDING, "spoiler_turns": f"{TURN}\n\n"}
    slug = slug_from(client.post("/films/new", data=data))
    film = db.session.scalar(sa.select(Film).where(Film.slug == slug))
    assert (film.spoiler_ending, film.spoiler_turns) == (ENDING, TURN)
    edit = client.get(f"/films/{slug}/edit").text
    assert "Kevin cooking at a diner" in edit and "the bully Terrel" in edit
    page = client.get(f"/films/{slug}").text
    assert "diner" not in page and "Terrel" not in page


def test_spoiler_notes_with_control_characters_are_refused_beside_the_field(client, app):
    make_user()
    log_in(client)
    response = client.post("/films/new", data={"title": "Moonlight", "year": "2016", "spoiler_ending": "a\x00b"})
    assert response.status_code == 422
    assert "control characters" in response.text


def test_the_demo_catalogue_brings_spoiler_notes_for_every_film(app):
    host = make_user()
    load_demo_films(host)
    db.session.commit()
    films = db.session.scalars(sa.select(Film)).all()
    assert films and all(film.spoiler_ending and film.spoiler_turns for film in films)


def test_the_import_preview_folds_by_the_films_notes_and_lists_dropped_lines(client, app):
    editor = make_user()
    film = make_film(
        title="Moonlight",
        year=2016,
        created_by=editor,
        cast=[("Trevante Rhodes", "Chiron"), ("Andr\u00e9 Holland", "Kevin")],
        spoiler_ending=ENDING,
        spoiler_turns=[TURN],
    )
    log_in(client)
    preview = client.post(f"/films/{film.slug}/reviews/import", data={"text": ARTICLE})
    assert preview.status_code == 200
    html = preview.text
    assert "Folded because" in html and "diner" in html
    assert "3 lines left out as page furniture" in html
    assert "breadcrumb" in html and "comment prompt" in html
    assert 'value="Jane Doe"' in html


def test_an_article_of_too_many_lines_is_refused_beside_the_field(client, app):
    editor = make_user()
    film = make_film(created_by=editor)
    log_in(client)
    response = client.post(f"/films/{film.slug}/reviews/import", data={"text": "word\n" * 25_000})
    assert response.status_code == 422
    assert "more than 20,000 lines" in response.text


def test_the_cli_lists_dropped_lines_and_why_a_section_is_folded(app, tmp_path):
    editor = make_user()
    film = make_film(title="Moonlight", year=2016, created_by=editor, spoiler_ending=ENDING, spoiler_turns=[TURN])
    article = tmp_path / "moonlight.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["reviews", "import", film.slug, str(article)])
    assert result.exit_code == 0, result.output
    assert "dropped (breadcrumb): Home" in result.output
    assert "dropped (comment prompt): Leave a Reply" in result.output
    assert "[spoiler] because" in result.output


def test_parsing_and_rendering_run_before_the_import_writes_anything(app, tmp_path, monkeypatch):
    from watchparty.reviews import service

    editor = make_user()
    film = make_film(title="Moonlight", year=2016, created_by=editor, spoiler_ending=ENDING)
    session = db.session()
    flushes = []
    sa.event.listen(session, "after_flush", lambda *args: flushes.append(1))
    seen = []

    def spy(real):
        def call(*args, **kwargs):
            # No row of this import is pending or flushed while the slow, input-sized work runs.
            seen.append((real.__name__, bool(session.new or session.dirty), len(flushes)))
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(service, "parse_article", spy(service.parse_article))
    monkeypatch.setattr(service, "render_markdown", spy(service.render_markdown))
    article = tmp_path / "moonlight.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["reviews", "import", film.slug, str(article)])
    assert result.exit_code == 0, result.output
    assert {name for name, _, _ in seen} == {"parse_article", "render_markdown"}
    assert all(not pending and flushed == 0 for _, pending, flushed in seen), seen
    assert flushes  # and the review was written afterwards
