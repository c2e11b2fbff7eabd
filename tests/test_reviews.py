"""Reviews through the web: import with preview, save, the full review page, the CLI."""

import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.factories import log_in, make_film, make_user
from watchparty.extensions import db
from watchparty.models import Review, ReviewSection

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
DANCE_SCENE = SEEDS / "004_bd74a17a0caa1327.txt"
ANORA_REVIEW = SEEDS / "000_d69a6fef286d92b2.txt"
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"the seed articles are not at {SEEDS}")

ARTICLE = """A fine night out

By Jo Critic

Rating: 4/5

THE SET-UP

Mikey Madison is terrific from the first scene. Mickey Madison fans will agree.

THE ENDING

In the final scene everything turns. This sentence is a spoiler.
"""


@pytest.fixture
def editor(app):
    return make_user(email="editor@example.com", display_name="Editor")


@pytest.fixture
def film(editor):
    return make_film(created_by=editor, runtime_minutes=139, cast=[("Mikey Madison", "Ani"), ("Yura Borisov", "Igor")])


def multipart_upload(field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    """A multipart body built in memory: Werkzeug's test client would spool a large
    upload to a temporary file that it never closes (a ResourceWarning)."""
    boundary = "----watchparty-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def review_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Review))


def save_form(title="A fine night out", sections=(("Intro", "Some **bold** text", False),), **fields):
    data = {"title": title, "author": "Jo Critic", "source_name": "The Paper", "rating_value": "4", "rating_scale": "5"}
    data.update(fields)
    for index, (heading, body, spoiler) in enumerate(sections):
        data[f"sections-{index}-heading"] = heading
        data[f"sections-{index}-body"] = body
        if spoiler:
            data[f"sections-{index}-is_spoiler"] = "y"
    return data


def test_import_previews_every_section_then_saves(client, film):
    log_in(client, email="editor@example.com")
    preview = client.post(f"/films/{film.slug}/reviews/import", data={"text": ARTICLE})
    assert preview.status_code == 200
    assert 'value="A fine night out"' in preview.text
    assert 'value="Jo Critic"' in preview.text
    assert "THE ENDING" in preview.text
    assert "Possible misspelling" in preview.text and "Mickey Madison" in preview.text
    assert review_count() == 0  # nothing is saved by a preview

    response = client.post(
        f"/films/{film.slug}/reviews",
        data=save_form(
            sections=[("THE SET-UP", "Mikey Madison is terrific.", False), ("THE ENDING", "The final twist.", True)]
        ),
    )
    assert response.status_code == 302
    review = db.session.scalar(sa.select(Review))
    assert (review.title, review.author, review.rating_value, review.rating_scale) == (
        "A fine night out",
        "Jo Critic",
        4,
        5,
    )
    assert [s.is_spoiler for s in review.sections] == [False, True]
    assert "final twist" not in review.excerpt

    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "Mikey Madison is terrific." in page.text
    # The spoiler section is folded, closed.
    details = page.text[page.text.index('<details class="spoiler"') :]
    assert details.startswith('<details class="spoiler">')
    assert "Contains spoilers — <span" in details and "The final twist." in details


def test_import_links_cast_names_to_the_film_page(client, film):
    log_in(client, email="editor@example.com")
    client.post(
        f"/films/{film.slug}/reviews",
        data=save_form(sections=[("Cast", "[Mikey Madison](/films/anora-2024#cast-mikey-madison) shines", False)]),
    )
    page = client.get(f"/films/{film.slug}/reviews/{db.session.scalar(sa.select(Review.id))}")
    assert f'href="/films/{film.slug}#cast-mikey-madison"' in page.text


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 302), ("other", 403), ("admin", 200), ("creator", 200)],
)
def test_only_the_films_creator_or_an_admin_may_import(client, film, who, expected):
    if who == "other":
        make_user(email="other@example.com")
        log_in(client, email="other@example.com")
    elif who == "admin":
        make_user(email="admin@example.com", is_admin=True)
        log_in(client, email="admin@example.com")
    elif who == "creator":
        log_in(client, email="editor@example.com")
    assert client.get(f"/films/{film.slug}/reviews/import").status_code == expected
    post_expected = 200 if expected == 200 else expected
    assert client.post(f"/films/{film.slug}/reviews/import", data={"text": ARTICLE}).status_code == post_expected
    saved = client.post(f"/films/{film.slug}/reviews", data=save_form())
    assert saved.status_code == (302 if expected == 200 else expected)
    assert review_count() == (1 if expected == 200 else 0)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        ((b"\x89PNG\r\n\x1a\n\x00\x00binary", "article.txt"), "not text"),
        ((b"caf\xe9 au lait", "article.txt"), "not UTF-8"),
        ((b"fine text", "article.exe"), "Upload a .txt or .md file."),
        ((b"a" * (800_000 + 1), "big.txt"), "at most 200,000 characters"),
        ((b"a" * (200_000 + 1), "long.txt"), "at most 200,000 characters"),
    ],
)
def test_bad_uploads_are_refused_with_a_message(client, film, upload, message):
    log_in(client, email="editor@example.com")
    content, name = upload
    body, content_type = multipart_upload("file", name, content)
    response = client.post(f"/films/{film.slug}/reviews/import", data=body, content_type=content_type)
    assert response.status_code == 422
    assert message in response.text
    assert review_count() == 0


def test_uploaded_markdown_file_is_previewed(client, film):
    log_in(client, email="editor@example.com")
    response = client.post(
        f"/films/{film.slug}/reviews/import",
        data={"file": (io.BytesIO(ARTICLE.encode("utf-8-sig")), "review.md")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert 'value="A fine night out"' in response.text


def test_empty_text_is_refused(client, film):
    log_in(client, email="editor@example.com")
    response = client.post(f"/films/{film.slug}/reviews/import", data={"text": "   \n  "})
    assert response.status_code == 422
    assert "Paste the article" in response.text


def test_saving_refuses_bad_fields_and_keeps_them_filled(client, film):
    log_in(client, email="editor@example.com")
    cases = [
        (save_form(title=""), "Give the review a title."),
        (save_form(rating_value="6", rating_scale="5"), "cannot be above its scale"),
        (save_form(rating_value="4", rating_scale=""), "Give both the rating and its scale"),
        (save_form(source_url="javascript:alert(1)"), "http"),
        (save_form(sections=[("Intro", "bad \x00 byte", False)]), "Remove control characters"),
        (save_form(title="x" * 10_000), "cannot be longer than 300"),
    ]
    for data, message in cases:
        response = client.post(f"/films/{film.slug}/reviews", data=data)
        assert response.status_code == 422, message
        assert message in response.text
        assert "Jo Critic" in response.text  # the rest stays filled
    assert review_count() == 0


def test_hostile_markup_in_a_review_is_harmless(client, film):
    log_in(client, email="editor@example.com")
    body = (
        "<script>alert(1)</script> [click](javascript:alert(1)) "
        "<img src=x onerror=alert(1)> ![p](http://evil.example/x.png)"
    )
    client.post(
        f"/films/{film.slug}/reviews", data=save_form(title="<b>Bold</b>", sections=[("<i>h</i>", body, False)])
    )
    review_id = db.session.scalar(sa.select(Review.id))
    page = client.get(f"/films/{film.slug}/reviews/{review_id}").text
    article = page[page.index("<article") : page.index("</article>")]
    tags = re.findall(r"<[^>]+>", article)
    assert not [tag for tag in tags if re.match(r"<(script|img|iframe)", tag, re.I)]
    assert not [tag for tag in tags if re.search(r"\son\w+=|javascript:", tag, re.I)]
    assert "&lt;b&gt;Bold&lt;/b&gt;" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in article  # shown as text, not run


def test_review_page_404s_for_unknown_ids_and_other_films(client, film, editor):
    other = make_film(title="Moonlight", year=2016, created_by=editor)
    log_in(client, email="editor@example.com")
    client.post(f"/films/{film.slug}/reviews", data=save_form())
    review_id = db.session.scalar(sa.select(Review.id))
    assert client.get(f"/films/{film.slug}/reviews/{review_id}").status_code == 200
    assert client.get(f"/films/{other.slug}/reviews/{review_id}").status_code == 404
    assert client.get(f"/films/{film.slug}/reviews/{review_id + 1}").status_code == 404
    assert client.get(f"/films/{film.slug}/reviews/99999999999").status_code == 404
    assert client.get(f"/films/no-such-film/reviews/{review_id}").status_code == 404


@needs_seeds
def test_seed_article_keeps_the_ending_out_of_the_excerpt(client, film):
    from watchparty.reviews.service import import_article

    review, _ = import_article(film, DANCE_SCENE.read_text(encoding="utf-8"))
    db.session.commit()
    spoilers = [s for s in review.sections if s.is_spoiler]
    assert [s.heading for s in spoilers] == ["The Contrast with the Ending"]
    for section in spoilers:
        for sentence in section.body.split(". ")[:3]:
            assert sentence.strip()[:40] not in review.excerpt
    assert review.title == "The Mikey Madison Dance Scene in Anora: What Most People Get Wrong"


@needs_seeds
def test_cli_import_prints_what_it_found_and_the_warnings(runner, film):
    result = runner.invoke(args=["reviews", "import", film.slug, str(ANORA_REVIEW)])
    assert result.exit_code == 0, result.output
    assert "author: Marco Kokkot" in result.output
    assert "rating: 10/10" in result.output
    assert 'warning: Possible misspelling "Mickey Madison"' in result.output
    assert "[spoiler]" in result.output
    review = db.session.scalar(sa.select(Review))
    assert review.author == "Marco Kokkot"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReviewSection)) == len(review.sections)


def test_cli_import_refuses_unknown_films_and_binary_files(runner, film, tmp_path):
    article = tmp_path / "a.txt"
    article.write_text(ARTICLE)
    assert runner.invoke(args=["reviews", "import", "nope-1999", str(article)]).exit_code != 0
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"\x00\x01\x02")
    result = runner.invoke(args=["reviews", "import", film.slug, str(binary)])
    assert result.exit_code != 0 and "not text" in result.output
    assert review_count() == 0


def test_film_page_lists_reviews_with_spoiler_free_excerpts(client, film):
    log_in(client, email="editor@example.com")
    client.post(
        f"/films/{film.slug}/reviews",
        data=save_form(sections=[("Opening", "A spoiler-free opening.", False), ("THE ENDING", "Secret ending text.", True)]),
    )
    page = client.get(f"/films/{film.slug}").text
    assert "A fine night out" in page and "A spoiler-free opening." in page
    assert "Secret ending text." not in page
    assert '<span class="visually-hidden">Rated 4 out of 5</span>' in page


def test_film_page_query_count_does_not_grow_with_reviews(client, film, count_queries):
    from watchparty.reviews.service import ReviewInput, SectionInput, save_review

    def add_reviews(count):
        for number in range(count):
            sections = [SectionInput(f"Part {n}", f"Text {n} of review {number}.", n == 9) for n in range(10)]
            save_review(film, ReviewInput(f"Review {number}", "A", "S", "", None, 8, 10, sections), None)
        db.session.commit()

    counts = []
    for count in (1, 9):
        add_reviews(count)
        with count_queries() as statements:
            page = client.get(f"/films/{film.slug}")
        assert page.status_code == 200
        counts.append(len(statements))
    assert page.text.count('class="review-card card"') == 10
    assert counts[0] == counts[1] <= 10, counts


# ---------------------------------------------------------------- size and rate limits, and no lock while rendering

ARTICLE_TOO_LONG = "An article can be at most 200,000 characters"


def field_errors(html: str, field_id: str) -> str:
    found = re.search(rf'<ul class="errors" id="{re.escape(field_id)}-error">(.*?)</ul>', html, re.S)
    return found.group(1) if found else ""


def test_a_one_megabyte_review_is_refused_beside_the_field_and_nothing_is_saved(client, film):
    log_in(client, email="editor@example.com")
    response = client.post(f"/films/{film.slug}/reviews", data=save_form(sections=[("Intro", "m" * 1_000_000, False)]))
    assert response.status_code == 422
    assert ARTICLE_TOO_LONG in field_errors(response.text, "sections-0-body")
    response = client.post(f"/films/{film.slug}/reviews/import", data={"text": "m" * 1_000_000})
    assert response.status_code == 422
    assert ARTICLE_TOO_LONG in field_errors(response.text, "text")
    assert review_count() == 0


def test_the_article_limit_is_200_000_characters_in_all(client, film):
    log_in(client, email="editor@example.com")
    half = "word " * 20_000  # 100,000 characters
    # Two sections of 100,000 characters each (headings count too): just over.
    over = save_form(sections=[("A", half, False), ("B", half, False)])
    response = client.post(f"/films/{film.slug}/reviews", data=over)
    assert response.status_code == 422
    assert ARTICLE_TOO_LONG in field_errors(response.text, "sections-1-body")
    assert not field_errors(response.text, "sections-0-body")
    assert review_count() == 0
    # Exactly at the limit: saved.
    at_limit = save_form(sections=[("A", half[:-2], False), ("B", half, False)])
    assert client.post(f"/films/{film.slug}/reviews", data=at_limit).status_code == 302
    assert review_count() == 1
    # The import form: 200,000 characters are parsed, one more is refused.
    article = ("A title\n\n" + "Words and more words. " * 10_000)[:200_000]
    assert client.post(f"/films/{film.slug}/reviews/import", data={"text": article}).status_code == 200
    response = client.post(f"/films/{film.slug}/reviews/import", data={"text": article + "x"})
    assert response.status_code == 422 and ARTICLE_TOO_LONG in field_errors(response.text, "text")


@pytest.mark.parametrize(
    ("setting", "path", "form"),
    [
        ("RATELIMIT_REVIEW_SAVE", "/films/{slug}/reviews", save_form()),
        ("RATELIMIT_REVIEW_IMPORT", "/films/{slug}/reviews/import", {"text": ARTICLE}),
    ],
)
def test_review_saves_and_previews_are_rate_limited_per_client_and_per_account(app_factory, setting, path, form):
    app = app_factory(RATELIMIT_ENABLED=True, **{setting: "3 per minute"})
    with app.app_context():
        editor = make_user(email="editor@example.com", display_name="Editor")
        other = make_user(email="other@example.com", display_name="Other editor")
        slug = make_film(created_by=editor).slug
        make_film("Flow", 2024, created_by=other)
    url = path.format(slug=slug)
    browser = app.test_client()
    log_in(browser, email="editor@example.com")
    statuses = [browser.post(url, data=form).status_code for _ in range(4)]
    assert 429 not in statuses[:3] and statuses[3] == 429
    assert "Slow down" in browser.post(url, data=form).text
    # The same account from another address: still refused (per account).
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "127.0.0.2"
    log_in(elsewhere, email="editor@example.com")
    assert elsewhere.post(url, data=form).status_code == 429
    # Another account from the first address: refused too (per client address).
    neighbour = app.test_client()
    log_in(neighbour, email="other@example.com")
    assert neighbour.post(path.format(slug="flow-2024"), data=form).status_code == 429
    # Another account from another address is not held back by either.
    stranger = app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "127.0.0.3"
    log_in(stranger, email="other@example.com")
    assert stranger.post(path.format(slug="flow-2024"), data=form).status_code in (200, 302)


def test_markdown_is_rendered_and_articles_parsed_while_no_transaction_is_open(client, film, monkeypatch):
    """The heavy work happens before the write transaction: on SQLite a POST's transaction
    holds the write lock from its first read, and every other writer would wait on the parser."""
    from watchparty.reviews import importer, rendering, service

    seen = []

    def another_writer_could_write() -> bool:
        """On SQLite: can a second connection take the write lock right now, without waiting?"""
        if db.engine.dialect.name != "sqlite":
            return True
        import sqlite3

        other = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:  # "database is locked"
            return False
        finally:
            other.close()

    def watching(name, real):
        def run(*args, **kwargs):
            seen.append((name, db.session().in_transaction(), another_writer_could_write()))
            return real(*args, **kwargs)
        return run

    monkeypatch.setattr(service, "render_markdown", watching("render", rendering.render_markdown))
    monkeypatch.setattr(service, "parse_article", watching("parse", importer.parse_article))
    log_in(client, email="editor@example.com")
    assert client.post(f"/films/{film.slug}/reviews/import", data={"text": ARTICLE}).status_code == 200
    assert client.post(f"/films/{film.slug}/reviews", data=save_form()).status_code == 302
    assert review_count() == 1
    assert {name for name, _, _ in seen} == {"parse", "render"}
    assert all(not in_transaction and could_write for _, in_transaction, could_write in seen), seen
