"""Film posters: checking and re-encoding uploads, storing them, and drawing
a poster for films that have none.

An upload is never stored as sent. Pillow decodes the whole image (so a valid
header followed by junk fails here, not in a reader's browser), refuses
anything too large to decode safely, and writes a fresh WebP: metadata,
trailing bytes and any polyglot payload are left behind.
"""

import colorsys
import hashlib
import re
import secrets
import textwrap
import warnings
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

import sqlalchemy as sa
from flask import current_app
from PIL import ExifTags, Image, ImageFile, ImageOps, features

from watchparty.errors import DomainError
from watchparty.extensions import db
from watchparty.models import Film, PosterImage

POSTER_MAX_BYTES = 5 * 1024 * 1024
POSTER_EXTENSIONS = ("jpg", "jpeg", "png", "webp")
# What the decoder may be asked to open, judged from the header before a pixel is
# decoded. A 5 MB file can declare a huge canvas (a "decompression bomb"); 16
# megapixels (4000 x 4000, a phone photo) is beyond any real poster, and decodes
# into at most 64 MB (RGBA), which bounds a worker's memory per upload.
POSTER_MAX_PIXELS = 16_000_000
POSTER_MAX_SIDE = 12_000
# Stored posters fit in this box; the page shows them at 400 x 600 at most.
POSTER_BOX = (800, 1200)
POSTER_FILENAME = re.compile(r"\A[0-9a-f]{32}\.(?:webp|jpg)\Z")
_FORMATS = ("JPEG", "PNG", "WEBP")
_RESIZABLE_MODES = ("RGB", "RGBA", "L", "LA")
_FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"


class PosterRejected(DomainError):
    status = 422
    field = "poster"


CONTENT_TYPES = {"webp": "image/webp", "jpg": "image/jpeg"}


def legacy_posters_dir() -> Path:
    """Where each server kept the posters it took before they moved into the database."""
    return Path(current_app.instance_path) / "uploads" / "posters"


def import_legacy_posters(folder: Path) -> tuple[int, int]:
    """Copy the posters a server kept as files into the database, one at a time;
    names already stored are left alone, so it can run on every server, and
    again. Only names this module made are read. Returns (copied, already there)."""
    copied = present = 0
    if not folder.is_dir():
        return copied, present
    for path in sorted(folder.iterdir()):
        if not is_poster_filename(path.name) or not path.is_file():
            continue
        if has_poster(path.name):
            present += 1
            continue
        extension = path.name.rsplit(".", 1)[1]
        db.session.add(PosterImage(filename=path.name, content_type=CONTENT_TYPES[extension], data=path.read_bytes()))
        db.session.commit()  # one poster at a time: a big folder never sits in memory
        copied += 1
    return copied, present


def is_poster_filename(name: str) -> bool:
    """Only names this module made: no path, no dot-dot, no other extension."""
    return bool(POSTER_FILENAME.match(name or ""))


def _open_checked(data: bytes) -> Image.Image:
    with warnings.catch_warnings():
        # Pillow only warns between its two bomb limits; here that is a refusal.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = Image.open(BytesIO(data), formats=_FORMATS)
    width, height = image.size
    if width < 1 or height < 1 or max(width, height) > POSTER_MAX_SIDE or width * height > POSTER_MAX_PIXELS:
        raise PosterRejected(
            f"This image is {width} by {height} pixels; posters can be at most "
            f"{POSTER_MAX_PIXELS // 1_000_000} megapixels."
        )
    return image


def encode_poster(data: bytes) -> tuple[bytes, str]:
    """Check an uploaded image and re-encode it: (bytes, extension) or PosterRejected."""
    if not data:
        raise PosterRejected("The poster file is empty.")
    if len(data) > POSTER_MAX_BYTES:
        raise PosterRejected("Posters can be at most 5 MB. Try a smaller or more compressed image.")
    if ImageFile.LOAD_TRUNCATED_IMAGES:  # never accept half an image, whatever else set this
        raise RuntimeError("ImageFile.LOAD_TRUNCATED_IMAGES must stay off")
    try:
        with _open_checked(data) as image:
            # A photo turned by its EXIF orientation fills the box the other way round.
            turned = image.getexif().get(ExifTags.Base.Orientation, 1) in (5, 6, 7, 8)
            box = POSTER_BOX[::-1] if turned else POSTER_BOX
            # JPEG decodes at 1/2, 1/4 or 1/8 scale straight away when the box needs no more
            # (a quarter, a sixteenth … of the memory); other formats ignore this.
            image.draft(None, box)
            image.load()  # decodes every byte: junk after a valid header fails here
            has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            if image.mode not in _RESIZABLE_MODES:  # palette, 1-bit, 16-bit, CMYK: convert first
                image = image.convert("RGBA" if has_alpha else "RGB")
            # Shrunk before any copy (thumbnail reduces by whole factors first): the full-size
            # decoded image is the only large buffer an upload ever takes.
            image.thumbnail(box, Image.Resampling.LANCZOS)
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGBA" if has_alpha else "RGB")
            out = BytesIO()
            if features.check("webp"):
                image.save(out, "WEBP", quality=85, method=4)
                extension = "webp"
            else:  # a Pillow built without libwebp still gets a usable poster
                image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
                extension = "jpg"
    except PosterRejected:
        raise
    except Image.DecompressionBombError:
        raise PosterRejected("This image declares too many pixels to be opened safely.") from None
    except Exception:
        # A hostile file can make a decoder raise nearly anything; every such
        # failure is the same answer to the person uploading.
        raise PosterRejected(
            "This file is not a readable JPEG, PNG or WebP image (it may be damaged or truncated)."
        ) from None
    return out.getvalue(), extension


def save_poster(data: bytes, extension: str) -> str:
    """Store re-encoded poster bytes under a fresh random name (in this
    transaction: a film that is not saved leaves no poster behind); return the name."""
    name = f"{secrets.token_hex(16)}.{extension}"
    db.session.add(PosterImage(filename=name, content_type=CONTENT_TYPES[extension], data=data))
    return name


def stored_poster(name: str) -> PosterImage | None:
    return db.session.get(PosterImage, name) if is_poster_filename(name) else None


def has_poster(name: str, lock: bool = False) -> bool:
    """Is a poster stored under `name`? With `lock`, hold its row until the
    commit, so that it cannot be dropped (delete_poster) while a film takes it."""
    query = sa.select(PosterImage.filename).where(PosterImage.filename == name)
    return db.session.scalar(query.with_for_update() if lock else query) is not None


def delete_poster(name: str | None) -> None:
    """Drop a stored poster that no film shows any more (a film import may
    have given one poster to several films)."""
    if not name:
        return
    db.session.flush()
    # The row first, then the check, in two statements: a film taking this
    # poster at the same moment holds the row (has_poster(lock=True)) until it
    # commits, and the check, run after the wait, sees that film.
    if not has_poster(name, lock=True):
        return
    if db.session.scalar(sa.select(sa.exists().where(Film.poster_filename == name))):
        return
    db.session.execute(sa.delete(PosterImage).where(PosterImage.filename == name))


def palette(title: str) -> tuple[str, str, str]:
    """Three colours picked by the title's hash: the same title, the same poster."""
    digest = hashlib.sha256(title.encode("utf-8")).digest()
    hue = int.from_bytes(digest[:2], "big") / 65535
    hue2 = (hue + 0.08 + digest[2] / 255 * 0.2) % 1.0

    def colour(h: float, lightness: float, saturation: float) -> str:
        red, green, blue = colorsys.hls_to_rgb(h, lightness, saturation)
        return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"

    return colour(hue, 0.30, 0.45), colour(hue2, 0.14, 0.55), colour(hue, 0.78, 0.85)


def _title_lines(title: str, width: int = 12, max_lines: int = 6) -> list[str]:
    lines = textwrap.wrap(title, width=width, break_long_words=True, break_on_hyphens=True) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return lines


def generated_poster_svg(title: str, year: int) -> str:
    """An SVG poster (400 by 600 pixels) for a film without an uploaded one."""
    top, bottom, accent = palette(title)
    lines = _title_lines(title)
    # Bold system fonts run about 0.65 em a character: size the text so the
    # longest line fits the 320 pixels between the margins.
    longest = max(len(line) for line in lines)
    font_size = max(20, min(48, int(320 / (0.65 * max(longest, 1)))))
    line_height = round(font_size * 1.15)
    first_y = 300 - (len(lines) - 1) * line_height // 2
    spans = "\n".join(
        f'    <tspan x="40" y="{first_y + index * line_height}">{escape(line)}</tspan>'
        for index, line in enumerate(lines)
    )
    label = escape(f"{title} ({year})", {'"': "&quot;"})
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="400" height="600" viewBox="0 0 400 600"
     role="img" aria-label="{label}">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="0.4" y2="1">
      <stop offset="0" stop-color="{top}"/>
      <stop offset="1" stop-color="{bottom}"/>
    </linearGradient>
  </defs>
  <rect width="400" height="600" fill="url(#bg)"/>
  <rect x="40" y="96" width="64" height="6" rx="3" fill="{accent}"/>
  <text font-family="{_FONT}" font-size="{font_size}" font-weight="800" fill="#ffffff">
{spans}
  </text>
  <text x="40" y="540" font-family="{_FONT}" font-size="28" font-weight="600" fill="{accent}">{year}</text>
</svg>
"""
