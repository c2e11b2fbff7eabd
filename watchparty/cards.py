"""Link-preview cards: the 1200 x 630 PNG a chat app shows under a shared link.

WhatsApp, iMessage, Slack and Facebook draw no SVG, so the party page, the film
page and the landing page point `og:image` at a PNG drawn here with Pillow.

A card is drawn from a `Card` and nothing else: a small value holding every
word and picture it shows, built by `party_card`, `film_card` or `site_card`
from public fields only. The party's exact address, its online link, its
description and the film's spoiler notes are never read into one, so they
cannot reach a picture that anyone holding the link (or a chat app's server)
may keep. The ETag is a hash of the Card: when what the card shows changes, so
do its ETag and its URL's `v=` (see `card_version`), and a chat app or browser
asks again; when it has not changed, a revalidation is a 304 without drawing.

Drawing takes tens of milliseconds; the last few cards drawn are kept in
memory by their hash (`card_png`), so a link pasted into a busy group chat is
drawn once per process.

Fonts: Inter (Bold and Medium, SIL Open Font License, static/fonts/OFL.txt),
shipped with the app rather than Pillow's built-in font, whose embedded face
has no accented letters ("Amélie" would come out with a box) and one weight.
Inter covers Latin, Greek and Cyrillic; characters it lacks (emoji, CJK) are
left out rather than drawn as boxes. BASIC layout (FreeType alone) draws the
same pixels on every server, with or without libraqm.
"""

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, current_app, request
from PIL import Image, ImageChops, ImageColor, ImageDraw, ImageFont, ImageOps
from sqlalchemy import Row

from watchparty.films.data import format_runtime, split_list
from watchparty.films.posters import palette, stored_poster
from watchparty.models import Film, Party

# The Film, or the film page's row (films.page.film_page_row): the same column names.
FilmLike = Film | Row[Any]

WIDTH, HEIGHT = 1200, 630
# Bump when the drawing changes: every card's ETag (and og:image URL) changes with it.
RENDER_VERSION = 1
# Some chat apps (WhatsApp among them) show no picture above about 300 kB.
PNG_BUDGET = 250_000
KEPT_CARDS = 32  # per process: about 3 MB of PNG (8 MB at most)

MARGIN = 64
POSTER_SIZE = (334, 501)  # 2:3, the full height between the margins
TEXT_LEFT = MARGIN + POSTER_SIZE[0] + 52
TEXT_WIDTH = WIDTH - MARGIN - TEXT_LEFT

INK = (29, 27, 38)  # the site's --ink
BRAND_DARK = (52, 28, 112)
ACCENT = (242, 169, 59)  # the site's --accent
WHITE = (255, 255, 255)
SOFT = (214, 210, 226)
MUTED = (170, 164, 190)
DANGER = (255, 138, 128)

TITLE_SIZES = (72, 64, 58, 52, 46, 40)
DETAIL_LINE = 44
DETAIL_GAP = 6

BOLD = "Inter-Bold.otf"
MEDIUM = "Inter-Medium.otf"


@dataclass(frozen=True)
class Card:
    """Everything one card shows: these fields are all the drawing reads."""

    kicker: str  # the small line above the title ("Watch party", "Cancelled")
    title: str
    details: tuple[str, ...]  # short lines under the title, most important first
    footer: str
    art_title: str  # the film whose poster (or generated art) is on the left
    art_year: int | None
    poster: str | None  # a stored poster's name: a new upload gets a new name
    alarm: bool = False  # the kicker in red: a cancelled party


# ---------------------------------------------------------------- what a card shows


def party_card(party: Party) -> Card:
    """The card of a party's share link: title, film, date and time in the party's
    zone, and the area. Never the address, the online link or the description."""
    film = party.film
    when = party.starts_at.astimezone(ZoneInfo(party.timezone))
    where = party.area or ("Online" if party.online_url else "")
    if party.undecided:
        # The guests are voting (watchparty.polls): the film and start are placeholders.
        return Card(
            kicker="Help decide", title=party.title, details=tuple(line for line in ("Up to a vote", where) if line),
            footer="Vote in a tap, no account needed", art_title=party.title, art_year=None, poster=None,
        )
    return Card(
        kicker="Cancelled" if party.is_cancelled else "Watch party",
        title=party.title,
        details=tuple(
            line for line in (f"{film.title} ({film.year})", when.strftime("%a %-d %b %Y · %H:%M %Z"), where) if line
        ),
        footer="The host called this one off" if party.is_cancelled else "Reply in a tap, no account needed",
        art_title=film.title,
        art_year=film.year,
        poster=film.poster_filename,
        alarm=party.is_cancelled,
    )


def film_card(film: FilmLike) -> Card:
    """The card of a film page: title, year, runtime, genres and tagline (the film's
    own blurb). Never the synopsis, trivia or spoiler notes."""
    facts = " · ".join(part for part in (str(film.year), format_runtime(film.runtime_minutes),
                                         ", ".join(split_list(film.genres)[:3])) if part)
    return Card(
        kicker="On Watchparty",
        title=film.title,
        details=tuple(line for line in (facts, film.tagline) if line),
        footer="Host a watch party for this film",
        art_title=film.title,
        art_year=film.year,
        poster=film.poster_filename,
    )


def site_card() -> Card:
    """The landing page's card."""
    return Card(
        kicker="Plan a watch party",
        title="Film night, sorted.",
        details=("Pick a film, share one link.", "Friends reply from their phones, no account needed."),
        footer="RSVPs, snacks and the film in one place",
        art_title="Film night",
        art_year=None,
        poster=None,
    )


def card_version(card: Card) -> str:
    """A hash of everything the card shows (and of the drawing code's version)."""
    payload = json.dumps([RENDER_VERSION, astuple(card)], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


# ---------------------------------------------------------------- the HTTP answer


def card_response(card: Card, cache_control: str) -> Response:
    """The card as an image response, with its hash as the ETag: a browser or chat
    app that has this version gets a 304, and the card is not even drawn."""
    version = card_version(card)
    if request.if_none_match.contains(version):
        response = Response(status=304)
    else:
        response = Response(card_png(card), mimetype="image/png")
    response.set_etag(version)
    # Stated here; watchparty.security.set_cache_policy leaves it (SAME_FOR_EVERYONE).
    response.headers["Cache-Control"] = cache_control
    return response


# ---------------------------------------------------------------- kept cards

_kept: OrderedDict[str, bytes] = OrderedDict()
_kept_lock = threading.Lock()
# FreeType faces are shared by every thread of a process: one drawing at a time.
_draw_lock = threading.Lock()


def card_png(card: Card) -> bytes:
    """The card as PNG bytes: drawn, or the copy this process drew last time."""
    version = card_version(card)
    with _kept_lock:
        if version in _kept:
            _kept.move_to_end(version)
            return _kept[version]
    png = render_card(card, _poster_bytes(card.poster))
    with _kept_lock:
        _kept[version] = png
        while len(_kept) > KEPT_CARDS:
            _kept.popitem(last=False)
    return png


def _poster_bytes(name: str | None) -> bytes | None:
    poster = stored_poster(name) if name else None
    return poster.data if poster is not None else None


# ---------------------------------------------------------------- drawing


def _fonts_dir() -> Path:
    return Path(current_app.static_folder or "static") / "fonts"


def render_card(card: Card, poster: bytes | None = None) -> bytes:
    """Draw the card: the poster (or generated art) on the left, the words on the right."""
    fonts = _fonts_dir()
    with _draw_lock:
        image = _gradient((WIDTH, HEIGHT), INK, BRAND_DARK, diagonal=True)
        art = _poster_art(poster, POSTER_SIZE) if poster else None
        if art is None:
            art = _generated_art(card.art_title, card.art_year, POSTER_SIZE, fonts)
        _paste_rounded(image, art, (MARGIN, MARGIN), radius=18)
        _draw_words(ImageDraw.Draw(image), card, fonts)
        out = BytesIO()
        image.save(out, "PNG")  # zlib level 6: a third of level 9's time for 7% more bytes
        if out.tell() > PNG_BUDGET:
            # A detailed poster photo: 256 dithered colours take about a third of the bytes.
            out = BytesIO()
            image.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG).save(out, "PNG")
    return out.getvalue()


def _draw_words(draw: ImageDraw.ImageDraw, card: Card, fonts: Path) -> None:
    top = MARGIN + 4
    draw.text((TEXT_LEFT, top), _drawable(card.kicker).upper(), font=_font(fonts, BOLD, 26),
              fill=DANGER if card.alarm else ACCENT)
    top += 26 + 26
    footer_top = HEIGHT - MARGIN - 30
    bottom = footer_top - 30  # the title and the details stay above this line

    # The details first (each on one line, the last on up to two), then the title at
    # the largest size that fits in what is left, in at most three lines.
    detail = _font(fonts, MEDIUM, 32)
    details = [
        _wrap(_drawable(text), detail, TEXT_WIDTH, max_lines=2 if index == len(card.details) - 1 else 1)
        for index, text in enumerate(card.details)
    ]
    details_height = sum(len(lines) * DETAIL_LINE + DETAIL_GAP for lines in details)
    title_text = _drawable(card.title) or "A watch party"
    size, lines = TITLE_SIZES[-1], _wrap(title_text, _font(fonts, BOLD, TITLE_SIZES[-1]), TEXT_WIDTH, max_lines=2)
    for candidate in TITLE_SIZES:
        wrapped = _wrap(title_text, _font(fonts, BOLD, candidate), TEXT_WIDTH, max_lines=4)
        if len(wrapped) <= 3 and top + len(wrapped) * round(candidate * 1.12) + 22 + details_height <= bottom:
            size, lines = candidate, wrapped
            break
    title = _font(fonts, BOLD, size)
    for line in lines:
        draw.text((TEXT_LEFT, top), line, font=title, fill=WHITE)
        top += round(size * 1.12)
    top += 22
    for index, wrapped in enumerate(details):
        for line in wrapped:
            if top + DETAIL_LINE > bottom + 8:
                return _draw_footer(draw, card, fonts, footer_top)
            draw.text((TEXT_LEFT, top), line, font=detail, fill=WHITE if index == 1 else SOFT)
            top += DETAIL_LINE
        top += DETAIL_GAP
    _draw_footer(draw, card, fonts, footer_top)


def _draw_footer(draw: ImageDraw.ImageDraw, card: Card, fonts: Path, top: int) -> None:
    brand = _font(fonts, BOLD, 26)
    draw.rounded_rectangle((TEXT_LEFT, top + 4, TEXT_LEFT + 22, top + 26), radius=5, fill=ACCENT)
    draw.text((TEXT_LEFT + 34, top), "Watchparty", font=brand, fill=WHITE)
    after = TEXT_LEFT + 34 + brand.getlength("Watchparty") + 16
    footer_font = _font(fonts, MEDIUM, 26)
    footer = _wrap(_drawable(card.footer), footer_font, TEXT_LEFT + TEXT_WIDTH - after, max_lines=1)
    if footer:
        draw.text((after, top), footer[0], font=footer_font, fill=MUTED)


def _generated_art(title: str, year: int | None, size: tuple[int, int], fonts: Path) -> Image.Image:
    """The film page's generated poster (films.posters), drawn in pixels: the same colours from the title."""
    top, bottom, accent = (ImageColor.getrgb(colour) for colour in palette(title))
    art = _gradient(size, top, bottom)
    draw = ImageDraw.Draw(art)
    width, height = size
    inner = width - 2 * 34
    draw.rounded_rectangle((34, 80, 34 + 56, 86), radius=3, fill=accent)
    font_size, lines = _fit(_drawable(title) or "Film night", fonts, BOLD, inner, sizes=(52, 46, 40, 34, 28), max_lines=5)
    font = _font(fonts, BOLD, font_size)
    line_height = round(font_size * 1.15)
    y = height // 2 - len(lines) * line_height // 2
    for line in lines:
        draw.text((34, y), line, font=font, fill=WHITE)
        y += line_height
    if year:
        draw.text((34, height - 34 - 30), str(year), font=_font(fonts, BOLD, 28), fill=accent)
    return art


def _poster_art(data: bytes, size: tuple[int, int]) -> Image.Image | None:
    """A stored poster (re-encoded by films.posters on upload) cropped to fill the panel."""
    try:
        with Image.open(BytesIO(data)) as poster:
            poster.draft("RGB", size)
            return ImageOps.fit(poster.convert("RGB"), size, Image.Resampling.LANCZOS)
    except Exception:  # a damaged stored poster: the card still comes, with generated art
        current_app.logger.warning("card: a stored poster could not be read", exc_info=True)
        return None


def _gradient(size: tuple[int, int], start: tuple[int, ...], end: tuple[int, ...],
              diagonal: bool = False) -> Image.Image:
    """From `start` at the top (top left) to `end` at the bottom (bottom right)."""
    down = Image.linear_gradient("L")  # 256 x 256, black at the top to white at the bottom
    if diagonal:
        down = ImageChops.add(down, down.transpose(Image.Transpose.ROTATE_90).transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                              scale=2)
    mask = down.resize(size, Image.Resampling.BILINEAR)
    return Image.composite(Image.new("RGB", size, end[:3]), Image.new("RGB", size, start[:3]), mask)


def _paste_rounded(image: Image.Image, art: Image.Image, at: tuple[int, int], radius: int) -> None:
    mask = Image.new("L", art.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, art.size[0] - 1, art.size[1] - 1), radius=radius, fill=255)
    image.paste(art, at, mask)


# ---------------------------------------------------------------- text


@lru_cache(maxsize=32)
def _font(folder: Path, name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(folder / name), size, layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=4096)
def _has_glyph(folder: Path, char: str) -> bool:
    """Whether Inter draws this character (else FreeType draws its empty box)."""
    font = _font(folder, BOLD, 24)
    missing = font.getmask("\U0010fffd")  # a private-use character: no font draws it
    mask = font.getmask(char)
    return mask.size != missing.size or bytes(mask) != bytes(missing)


def _drawable(text: str) -> str:
    """The text with whitespace runs made one space and the characters the font lacks left out."""
    folder = _fonts_dir()
    kept = "".join(char for char in " ".join(text.split()) if char == " " or _has_glyph(folder, char))
    return " ".join(kept.split())


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float, max_lines: int) -> list[str]:
    """Lines of at most `width` pixels, words broken only when a word alone is too long;
    past `max_lines` the last line ends in an ellipsis."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while font.getlength(word) > width:  # a word wider than the line: break it
            cut = max(1, _longest_prefix(word, font, width))
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and font.getlength(last + "…") > width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last.rstrip(" ,.;:·-") + "…"]
    return lines


def _longest_prefix(word: str, font: ImageFont.FreeTypeFont, width: float) -> int:
    for end in range(len(word), 0, -1):
        if font.getlength(word[:end]) <= width:
            return end
    return 0


def _fit(text: str, fonts: Path, name: str, width: int, sizes: Sequence[int], max_lines: int) -> tuple[int, list[str]]:
    """The largest size at which the text fits in `max_lines` lines (else the smallest, cut short)."""
    for size in sizes:
        font = _font(fonts, name, size)
        lines = _wrap(text, font, width, max_lines=max_lines + 1)
        if len(lines) <= max_lines:
            return size, lines
    font = _font(fonts, name, sizes[-1])
    return sizes[-1], _wrap(text, font, width, max_lines=max_lines)
