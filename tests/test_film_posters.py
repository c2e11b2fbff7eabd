"""Posters: uploads checked and re-encoded, served with long caching; generated SVG posters."""

import os
import re
import struct
import zlib
from io import BytesIO
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.factories import log_in, make_film, make_user
from watchparty.extensions import db
from watchparty.films.posters import POSTER_MAX_BYTES, generated_poster_svg
from watchparty.models import Film, PosterImage

SVG = "{http://www.w3.org/2000/svg}"


def image_bytes(kind="PNG", size=(300, 450), colour=(200, 30, 60)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, colour).save(out, kind)
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb_png(width=30_000, height=30_000) -> bytes:
    """A valid, tiny PNG that declares a huge canvas."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + png_chunk(b"IEND", b"")
    )


def stored_posters(app) -> list[str]:
    db.session.expire_all()
    return sorted(db.session.scalars(sa.select(PosterImage.filename)))


def stored_bytes(name: str) -> bytes:
    return db.session.get(PosterImage, name).data


def poster_of(slug: str) -> str | None:
    return db.session.scalar(sa.select(Film.poster_filename).where(Film.slug == slug))


@pytest.fixture
def logged_in(client, app):
    make_user()
    log_in(client)
    return client


def post_film(client, poster: bytes | None = None, filename="poster.png", url="/films/new", **fields):
    data = {"title": "Anora", "year": "2024", **fields}
    if poster is not None:
        data["poster"] = FileStorage(BytesIO(poster), filename=filename, content_type="application/octet-stream")
    # Encoded in memory: the test client would spool a large body to a temporary
    # file that it never closes (a ResourceWarning, an error under filterwarnings).
    boundary, body = encode_multipart(data)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


@pytest.mark.parametrize("kind, filename", [("PNG", "poster.png"), ("JPEG", "Poster.JPG"), ("WEBP", "p.webp")])
def test_uploaded_poster_is_reencoded_stored_and_served_with_long_cache(logged_in, app, kind, filename):
    response = post_film(logged_in, image_bytes(kind), filename)
    assert response.status_code == 302
    name = poster_of("anora-2024")
    assert re.fullmatch(r"[0-9a-f]{32}\.(webp|jpg)", name)
    assert stored_posters(app) == [name]

    page = logged_in.get("/films/anora-2024").text
    assert f'src="/films/posters/{name}" alt="Poster for Anora (2024)" width="400" height="600"' in page
    # The link preview is the film's PNG card, drawn with this poster (tests/test_link_previews.py).
    assert re.search(r'<meta property="og:image" content="http://localhost/films/anora-2024/card.png\?v=[0-9a-f]+">', page)

    with logged_in.get(f"/films/posters/{name}") as served:
        assert served.status_code == 200
        assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert served.mimetype in ("image/webp", "image/jpeg")
        with Image.open(BytesIO(served.data)) as image:
            assert image.format in ("WEBP", "JPEG") and image.size == (300, 450)
        etag = served.headers["ETag"]
    # A browser that has it asks again only after a year, and then gets a 304.
    assert logged_in.get(f"/films/posters/{name}", headers={"If-None-Match": etag}).status_code == 304


def test_no_file_chosen_means_no_poster(logged_in, app):
    # A browser sends an empty part with an empty file name when no file is picked.
    response = logged_in.post(
        "/films/new",
        data={"title": "Anora", "year": "2024", "poster": (BytesIO(b""), "")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and poster_of("anora-2024") is None and stored_posters(app) == []


def test_large_posters_are_scaled_down(logged_in, app):
    post_film(logged_in, image_bytes("PNG", size=(2000, 3000)))
    with Image.open(BytesIO(stored_bytes(poster_of("anora-2024")))) as image:
        assert image.size == (800, 1200)


def test_a_turned_photo_is_stood_up_and_fills_the_poster_box(logged_in, app):
    """EXIF orientation 6 (a phone held upright): 4000 x 2000 as stored is 2000 x 4000 as seen."""
    image = Image.new("RGB", (4000, 2000), (10, 120, 200))
    exif = image.getexif()
    exif[0x0112] = 6
    out = BytesIO()
    image.save(out, "JPEG", exif=exif, quality=70)
    assert post_film(logged_in, out.getvalue(), "photo.jpg").status_code == 302
    with Image.open(BytesIO(stored_bytes(poster_of("anora-2024")))) as stored:
        assert stored.size == (600, 1200)


def largest_allowed(kind: str) -> bytes:
    """4000 x 4000 (16 MP), under 5 MB: RGBA for PNG (the most memory a decoded poster takes)."""
    gradient = Image.linear_gradient("L").resize((4000, 4000))
    mode = "RGBA" if kind == "PNG" else "RGB"
    image = Image.merge(mode, [gradient, gradient.transpose(Image.Transpose.ROTATE_90), gradient, gradient][: len(mode)])
    out = BytesIO()
    image.save(out, kind)
    assert len(out.getvalue()) <= POSTER_MAX_BYTES
    return out.getvalue()


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_the_largest_poster_allowed_is_taken(logged_in, app, kind):
    out = BytesIO(largest_allowed(kind))
    assert post_film(logged_in, out.getvalue(), f"big.{kind.lower()}").status_code == 302
    with Image.open(BytesIO(stored_bytes(poster_of("anora-2024")))) as stored:
        assert stored.size == (800, 800)


@pytest.mark.parametrize(
    "poster, filename, message",
    [
        (b"just some text, not an image\n" * 10, "poster.png", "not a readable JPEG, PNG or WebP image"),
        (image_bytes("PNG")[:60] + os.urandom(4000), "poster.png", "not a readable JPEG, PNG or WebP image"),
        (image_bytes("JPEG")[:200] + b"\x00" * 10, "poster.jpg", "not a readable JPEG, PNG or WebP image"),
        (b"\x89PNG\r\n\x1a\n" + os.urandom(POSTER_MAX_BYTES), "poster.png", "at most 5 MB"),
        (image_bytes("PNG"), "poster.gif", "Upload a JPEG, PNG or WebP image."),
        (image_bytes("PNG"), "poster.png.exe", "Upload a JPEG, PNG or WebP image."),
        (image_bytes("GIF"), "poster.png", "not a readable JPEG, PNG or WebP image"),
        (bomb_png(), "poster.png", "too many pixels"),
        (bomb_png(9000, 9000), "poster.png", "at most 16 megapixels"),
        # ~40 MP declared by a 100-byte file: refused from the header (its pixel data is
        # missing, so decoding would have failed with another message).
        (bomb_png(6400, 6250), "poster.png", "This image is 6400 by 6250 pixels; posters can be at most 16 megapixels"),
        (bomb_png(4001, 4000), "poster.png", "at most 16 megapixels"),
        (b"", "poster.png", "The poster file is empty."),
    ],
)
def test_bad_posters_are_refused_and_nothing_is_stored(logged_in, app, poster, filename, message):
    response = post_film(logged_in, poster, filename)
    assert response.status_code == 422
    errors = re.search(r'<ul class="errors" id="poster-error">(.*?)</ul>', response.text, re.S)
    assert errors and message in errors.group(1)
    assert 'value="Anora"' in response.text  # the rest of the form stays filled
    assert stored_posters(app) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Film)) == 0


def test_a_bad_poster_on_edit_changes_nothing(logged_in, app):
    post_film(logged_in, image_bytes("PNG"))
    before = poster_of("anora-2024")
    response = post_film(logged_in, b"GIF89a nope", "x.png", url="/films/anora-2024/edit", title="Changed")
    assert response.status_code == 422
    assert poster_of("anora-2024") == before and stored_posters(app) == [before]
    assert db.session.scalar(sa.select(Film.title)) == "Anora"


def test_replacing_and_removing_a_poster_deletes_the_old_file(logged_in, app):
    post_film(logged_in, image_bytes("PNG"))
    first = poster_of("anora-2024")
    assert post_film(logged_in, image_bytes("JPEG"), "new.jpg", url="/films/anora-2024/edit").status_code == 302
    second = poster_of("anora-2024")
    assert second != first and stored_posters(app) == [second]
    edit = logged_in.get("/films/anora-2024/edit").text
    assert "Remove the current poster" in edit and f"/films/posters/{second}" in edit

    assert post_film(logged_in, url="/films/anora-2024/edit", remove_poster="y").status_code == 302
    assert poster_of("anora-2024") is None and stored_posters(app) == []
    assert 'src="/films/anora-2024/poster.svg"' in logged_in.get("/films/anora-2024").text
    assert logged_in.get(f"/films/posters/{second}").status_code == 404


def test_a_poster_two_films_share_stays_while_one_of_them_shows_it(logged_in, app):
    post_film(logged_in, image_bytes("PNG"))
    name = poster_of("anora-2024")
    # A film import may give an existing poster to another film.
    make_film("Anora (the director's cut)", 2025).poster_filename = name
    db.session.commit()
    assert post_film(logged_in, url="/films/anora-2024/edit", remove_poster="y").status_code == 302
    assert stored_posters(app) == [name]
    assert logged_in.get(f"/films/posters/{name}").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/films/posters/../secret_key",
        "/films/posters/..%2Fsecret_key",
        "/films/posters/%2e%2e%2f%2e%2e%2fsecret_key",
        "/films/posters/secret_key",
        "/films/posters/.0123456789abcdef0123456789abcdef.webp.part",
        "/films/posters/0123456789abcdef0123456789abcdef.webp",
        "/films/posters/0123456789ABCDEF0123456789ABCDEF.webp",
        "/films/posters/0123456789abcdef0123456789abcdef.svg",
    ],
)
def test_poster_file_names_are_validated(client, app, path):
    response = client.get(path)
    assert response.status_code == 404
    assert b"test-secret-key" not in response.data


def test_generated_poster_is_valid_cacheable_svg(client, app):
    make_film(title="Everything Everywhere All at Once", year=2022)
    response = client.get("/films/everything-everywhere-all-at-once-2022/poster.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    root = ElementTree.fromstring(response.data)  # noqa: S314  (our own output, parsed to prove it is valid XML)
    assert root.tag == f"{SVG}svg" and root.get("width") == "400" and root.get("height") == "600"
    lines = [span.text for span in root.iter(f"{SVG}tspan")]
    assert len(lines) > 1 and " ".join(lines) == "Everything Everywhere All at Once"  # wrapped
    assert "2022" in [text.text for text in root.iter(f"{SVG}text")]

    again = client.get(
        "/films/everything-everywhere-all-at-once-2022/poster.svg",
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304


def test_generated_poster_escapes_the_title(client, app):
    title = '<script>alert("x")</script> & ]]> Тест 🎬'
    film = make_film(title=title)
    response = client.get(f"/films/{film.slug}/poster.svg")
    root = ElementTree.fromstring(response.data)  # noqa: S314  (our own output, parsed to prove it is valid XML)
    assert not list(root.iter(f"{SVG}script")) and not list(root.iter("script"))
    assert "".join(span.text for span in root.iter(f"{SVG}tspan")).replace(" ", "") == title.replace(" ", "")
    assert root.get("aria-label") == f"{title} (2024)"
    assert b"<script>" not in response.data


def test_generated_poster_colours_follow_the_title():
    def colours(svg: str) -> list[str]:
        return re.findall(r'stop-color="(#[0-9a-f]{6})"', svg)

    assert generated_poster_svg("Anora", 2024) == generated_poster_svg("Anora", 2024)
    assert colours(generated_poster_svg("Anora", 2024)) != colours(generated_poster_svg("Parasite", 2019))
    long = generated_poster_svg("word " * 60, 2024)
    ElementTree.fromstring(long.encode())  # noqa: S314
    assert long.count("<tspan") == 6 and "…" in long


def test_an_import_may_name_a_stored_poster_and_a_missing_one_is_reported(logged_in, app):
    from watchparty.films.transfer import import_films

    post_film(logged_in, image_bytes("PNG"))
    name = poster_of("anora-2024")
    missing = "0123456789abcdef0123456789abcdef.webp"
    result = import_films({"films": [
        {"title": "Sequel", "year": 2026, "poster": name},
        {"title": "Prequel", "year": 2020, "poster": missing},
    ]})
    db.session.commit()
    assert poster_of("sequel-2026") == name and poster_of("prequel-2020") is None
    assert result.notes == [f"prequel-2020: poster {missing} is not stored on this site; using a generated one."]


def test_an_import_that_takes_a_poster_off_a_film_drops_it(logged_in, app):
    from watchparty.films.transfer import import_films

    post_film(logged_in, image_bytes("PNG"))
    assert len(stored_posters(app)) == 1
    import_films({"films": [{"slug": "anora-2024", "title": "Anora", "year": 2024, "poster": None}]})
    db.session.commit()
    assert poster_of("anora-2024") is None and stored_posters(app) == []


def test_posters_a_server_kept_as_files_are_copied_by_a_command(app, runner, tmp_path):
    make_film("Anora", 2024)
    folder = tmp_path / "posters"
    folder.mkdir()
    (folder / "0123456789abcdef0123456789abcdef.webp").write_bytes(b"RIFF....WEBPVP8 one")
    (folder / "fedcba9876543210fedcba9876543210.jpg").write_bytes(b"\xff\xd8\xff two")
    (folder / "readme.txt").write_text("not a poster")
    first = runner.invoke(args=["films", "import-posters", "--from", str(folder)])
    assert first.exit_code == 0, first.output
    assert "2 posters copied into the database, 0 were there already" in first.output
    again = runner.invoke(args=["films", "import-posters", "--from", str(folder)])
    assert "0 posters copied into the database, 2 were there already" in again.output
    assert stored_posters(app) == ["0123456789abcdef0123456789abcdef.webp", "fedcba9876543210fedcba9876543210.jpg"]
    assert stored_bytes("0123456789abcdef0123456789abcdef.webp") == b"RIFF....WEBPVP8 one"
    assert app.test_client().get("/films/posters/fedcba9876543210fedcba9876543210.jpg").mimetype == "image/jpeg"


def test_poster_uploads_are_rate_limited_per_client_and_per_account(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_POSTER_UPLOAD="3 per minute")
    with app.app_context():
        make_user()
        make_user("bob@example.com", "Bob")
    alice = app.test_client()
    log_in(alice)
    statuses = [post_film(alice, image_bytes("PNG"), title=f"Film {n}", different_film="y").status_code for n in range(3)]
    assert statuses == [302, 302, 302]
    refused = post_film(alice, image_bytes("PNG"), title="Film 4", different_film="y")
    assert refused.status_code == 429 and "Slow down" in refused.text
    # Saving a film without a file is not an upload, and is not counted.
    assert post_film(alice, title="No poster").status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PosterImage)) == 3
    # The same account from another address is still refused; another account there is not.
    elsewhere = {"REMOTE_ADDR": "127.0.0.2"}
    alice_elsewhere = app.test_client()
    alice_elsewhere.environ_base.update(elsewhere)
    log_in(alice_elsewhere)
    assert post_film(alice_elsewhere, image_bytes("PNG"), title="Film 5", different_film="y").status_code == 429
    bob = app.test_client()
    bob.environ_base.update(elsewhere)
    log_in(bob, email="bob@example.com")
    assert post_film(bob, image_bytes("PNG"), title="Film 6", different_film="y").status_code == 302
