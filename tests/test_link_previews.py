"""Links that unfurl: the PNG cards (watchparty.cards), the Open Graph and Twitter
tags of the pages people share, and robots.txt."""

from dataclasses import astuple
from html.parser import HTMLParser
from io import BytesIO
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import pytest
from PIL import Image

from tests.factories import make_film, make_party, make_review, tiny_png
from watchparty import cards
from watchparty.extensions import db
from watchparty.parties import service as parties

PUBLIC = "http://localhost"  # TestConfig's PUBLIC_URL
ADDRESS = "221B Quillfeather Mews, Flat 9"
ONLINE = "https://meet.example/room-zanzibar-77"
DESCRIPTION = "Buzz the blue door twice"
ENDING = "Everyone was a ghost all along, the xylophone reveal"
TURN = "The butler swaps the urns at the wedding"


class MetaTags(HTMLParser):
    """The <meta property|name=… content=…> tags of a page, by key."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: dict[str, list[str]] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        key = attributes.get("property") or attributes.get("name")
        if tag == "meta" and key and "content" in attributes:
            self.tags.setdefault(key, []).append(attributes["content"])

    def __getitem__(self, key: str) -> str:
        values = self.tags.get(key, [])
        assert len(values) == 1, f"{key}: {values}"
        return values[0]


COMPLETE = ("og:title", "og:description", "og:url", "og:image", "og:image:width", "og:image:height",
            "og:image:alt", "og:type", "og:site_name", "twitter:card", "twitter:title", "twitter:image")


def link_preview_of(client, path: str) -> MetaTags:
    response = client.get(path)
    assert response.status_code == 200, path
    tags = MetaTags(response.text)
    for key in COMPLETE:
        assert tags[key].strip(), f"{path}: {key} is empty"
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["og:site_name"] == "Watchparty"
    for key in ("og:url", "og:image", "twitter:image"):
        assert tags[key].startswith(PUBLIC + "/"), f"{path}: {key} {tags[key]} is not on PUBLIC_URL"
    assert (tags["og:image:width"], tags["og:image:height"]) == ("1200", "630")
    assert tags["og:image"] == tags["twitter:image"]
    return tags


def fetch_card(client, url: str, **headers):
    parts = urlsplit(url)
    return client.get(parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers)


def assert_png_card(response) -> Image.Image:
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    image = Image.open(BytesIO(response.data))
    assert image.format == "PNG"
    assert image.size == (1200, 630)
    image.load()  # every byte decodes
    return image


def words_of(card: cards.Card) -> str:
    return " ".join(str(value) for value in astuple(card))


# ---------------------------------------------------------------- the party's card


def test_the_party_pages_og_image_is_an_absolute_png_card_with_caching_headers(client, party):
    tags = link_preview_of(client, f"/p/{party.share_token}")
    assert tags["og:url"] == f"{PUBLIC}/p/{party.share_token}"
    assert urlsplit(tags["og:image"]).path == f"/p/{party.share_token}/card.png"

    response = fetch_card(client, tags["og:image"])
    assert_png_card(response)
    assert response.headers["Cache-Control"] == "private, max-age=300"
    etag = response.headers["ETag"]
    assert etag.strip('"')

    again = fetch_card(client, tags["og:image"], **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "private, max-age=300"


def test_the_party_card_changes_when_its_title_changes(client, party):
    before = MetaTags(client.get(f"/p/{party.share_token}").text)["og:image"]
    first = fetch_card(client, before)
    assert_png_card(first)

    party.title = "Anora, the rematch"
    db.session.commit()

    after = MetaTags(client.get(f"/p/{party.share_token}").text)["og:image"]
    assert after != before, "the og:image URL changes, so chat apps that keep pictures by URL fetch the new one"
    second = fetch_card(client, after)
    assert_png_card(second)
    assert second.headers["ETag"] != first.headers["ETag"]
    assert second.data != first.data
    # A cache holding the old card asks again and gets the new one, not a 304.
    revalidated = fetch_card(client, before, **{"If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 200
    assert revalidated.data == second.data


def test_the_party_card_follows_the_date_the_area_and_a_cancellation(app, party):
    first = cards.party_card(party)
    assert first.kicker == "Watch party" and not first.alarm
    assert "Hackney, London" in first.details
    party.area = "Dalston"
    db.session.commit()
    moved = cards.party_card(party)
    assert "Dalston" in moved.details
    assert cards.card_version(moved) != cards.card_version(first)
    parties.cancel_party(party, "Sorry, flu.")
    db.session.commit()
    cancelled = cards.party_card(party)
    assert cancelled.kicker == "Cancelled" and cancelled.alarm
    assert "flu" not in words_of(cancelled)


def test_the_card_shows_the_time_in_the_partys_own_zone(app, host, film):
    from datetime import UTC, datetime

    party = make_party(host, film, timezone="America/New_York")
    party.starts_at = datetime(2031, 7, 4, 23, 30, tzinfo=UTC)
    db.session.commit()
    assert "Fri 4 Jul 2031 · 19:30 EDT" in cards.party_card(party).details


def test_the_card_never_holds_the_address_the_online_link_the_description_or_a_spoiler(client, host):
    film = make_film(
        "The Quiet Orchard", 2019, runtime_minutes=101, tagline="Some secrets grow.", synopsis="A family gathers.",
        spoiler_ending=ENDING, spoiler_turns=[TURN], trivia=[("The urn scene was shot last, a spoiler", True)],
    )
    party = make_party(host, film, title="Orchard night", area="Kreuzberg", address=ADDRESS, online_url=ONLINE,
                       description=DESCRIPTION, screening_notes="Subtitles on; step 3 is broken")
    secrets = (ADDRESS, "Quillfeather", ONLINE, "zanzibar", DESCRIPTION, "blue door", ENDING, "xylophone", TURN,
               "butler", "urn scene", "step 3")

    for card in (cards.party_card(party), cards.film_card(film)):
        shown = words_of(card)
        for secret in secrets:
            assert secret.lower() not in shown.lower(), f"{secret!r} reached a card"
    assert "Kreuzberg" in cards.party_card(party).details  # the area is what a card shows instead
    # Nor do the page's link-preview tags (which anyone holding the link, or a chat app, reads).
    preview = MetaTags(client.get(f"/p/{party.share_token}").text).tags
    shown = " ".join(value for values in preview.values() for value in values)
    for secret in secrets:
        assert secret.lower() not in shown.lower(), f"{secret!r} reached the link preview"


def test_a_wrong_or_revoked_token_has_no_card(client, party):
    assert client.get("/p/not-a-real-token-at-all-xxxxxxxx/card.png").status_code == 404
    assert client.get("/p/x/card.png").status_code == 404
    old = party.share_token
    parties.regenerate_share_link(party)
    db.session.commit()
    assert client.get(f"/p/{old}/card.png").status_code == 404
    assert_png_card(client.get(f"/p/{party.share_token}/card.png"))


def test_a_card_is_drawn_once_per_version(app, party, monkeypatch):
    drawn = []
    real = cards.render_card
    monkeypatch.setattr(cards, "render_card", lambda card, poster=None: drawn.append(card) or real(card, poster))
    party.title = "Kept once"
    db.session.commit()
    first = cards.card_png(cards.party_card(party))
    assert cards.card_png(cards.party_card(party)) == first
    assert len(drawn) == 1


# ---------------------------------------------------------------- the film's card


def test_the_film_pages_og_image_is_its_png_card(client, film):
    tags = link_preview_of(client, f"/films/{film.slug}")
    assert tags["og:type"] == "video.movie"
    assert tags["og:url"] == f"{PUBLIC}/films/{film.slug}"
    assert urlsplit(tags["og:image"]).path == f"/films/{film.slug}/card.png"
    response = fetch_card(client, tags["og:image"])
    assert_png_card(response)
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert fetch_card(client, tags["og:image"], **{"If-None-Match": response.headers["ETag"]}).status_code == 304
    assert client.get("/films/no-such-film-1999/card.png").status_code == 404


def test_the_film_card_uses_the_uploaded_poster_and_changes_with_it(client, app, film):
    from watchparty.films import service as films

    plain = cards.film_card(film)
    assert plain.poster is None
    plain_png = client.get(f"/films/{film.slug}/card.png")
    films.update_film(film, films.FilmData(title=film.title, year=film.year, runtime_minutes=139), poster=tiny_png())
    db.session.commit()
    with_poster = cards.film_card(film)
    assert with_poster.poster == film.poster_filename
    response = client.get(f"/films/{film.slug}/card.png")
    image = assert_png_card(response)
    assert response.headers["ETag"] != plain_png.headers["ETag"]
    # The poster is the 2 x 3 red PNG, filling the left panel: its middle is that red.
    middle = image.convert("RGB").getpixel((64 + 167, 64 + 250))
    assert all(abs(got - want) <= 12 for got, want in zip(middle, (200, 30, 60), strict=True)), middle


def test_any_title_fits_the_card(app):
    for title in ("A" * 300, "Supercalifragilisticexpialidocious" * 4, "🍿🍿 千と千尋の神隠し night 🎬", "Amélie · Łódź · Ωmega · Ёлка", ""):
        card = cards.Card(kicker="Watch party", title=title, details=("x" * 200, "Dalston"), footer="Reply",
                          art_title=title, art_year=2001, poster=None)
        image = Image.open(BytesIO(cards.render_card(card)))
        assert image.size == (1200, 630)
    assert cards._drawable("🍿 Amélie night 千") == "Amélie night"


# ---------------------------------------------------------------- the other shared pages


def test_the_landing_page_has_complete_link_metadata(client):
    tags = link_preview_of(client, "/")
    assert tags["og:url"] == f"{PUBLIC}/"
    assert_png_card(fetch_card(client, tags["og:image"]))


def test_the_review_page_has_complete_link_metadata_without_the_partys_token(client, party):
    review = make_review(party.film, title="A night at the diner")
    path = f"/films/{party.film.slug}/reviews/{review.id}"
    tags = link_preview_of(client, path)
    assert tags["og:type"] == "article"
    assert tags["og:url"] == PUBLIC + path
    assert urlsplit(tags["og:image"]).path == f"/films/{party.film.slug}/card.png"
    assert_png_card(fetch_card(client, tags["og:image"]))
    # Opened from a party, the address it shares is still the review's own.
    from_party = link_preview_of(client, f"{path}?party={party.share_token}")
    assert from_party["og:url"] == PUBLIC + path
    assert party.share_token not in " ".join(v for values in from_party.tags.values() for v in values)


# ---------------------------------------------------------------- robots.txt


def robots(client) -> RobotFileParser:
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    parser = RobotFileParser()
    parser.parse(response.text.splitlines())
    return parser


@pytest.mark.parametrize("path", ["/p/abcdefghijklmnopqrstuvwxyz", "/p/abcdefghijklmnopqrstuvwxyz/rsvp/xyz",
                                  "/p/abcdefghijklmnopqrstuvwxyz/card.png", "/parties/1", "/parties/new",
                                  "/accounts/settings", "/accounts/login"])
def test_robots_txt_keeps_party_manage_dashboard_and_account_pages_out_of_search_engines(client, path):
    parser = robots(client)
    for crawler in ("Googlebot", "Bingbot", "*"):
        assert not parser.can_fetch(crawler, PUBLIC + path), (crawler, path)


def test_robots_txt_lets_search_engines_index_films_and_previewers_read_a_shared_party(client):
    parser = robots(client)
    for path in ("/", "/films/", "/films/anora-2024", "/films/anora-2024/reviews/1", "/films/anora-2024/card.png"):
        assert parser.can_fetch("Googlebot", PUBLIC + path), path
    # Link previewers fetch a shared link for the people in a chat; some obey robots.txt.
    for previewer in ("Twitterbot", "facebookexternalhit", "Slackbot-LinkExpanding"):
        assert parser.can_fetch(previewer, f"{PUBLIC}/p/abcdefghijklmnopqrstuvwxyz")
        assert parser.can_fetch(previewer, f"{PUBLIC}/p/abcdefghijklmnopqrstuvwxyz/card.png")
        assert not parser.can_fetch(previewer, f"{PUBLIC}/parties/1")
        assert not parser.can_fetch(previewer, f"{PUBLIC}/accounts/settings")
    assert "Disallow: /p/*/rsvp/" in client.get("/robots.txt").text  # manage links: never previewed
