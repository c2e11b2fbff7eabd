"""Names made readable for URLs: film slugs and cast anchors (a leaf: other areas link to films with these)."""

import re
import unicodedata

from anyascii import anyascii

_SLUG_BASE_MAX = 80
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """Readable ASCII for URLs: "Amélie" -> "amelie", "Брат" -> "brat"; may be empty."""
    ascii_text = anyascii(unicodedata.normalize("NFKC", text or "")).lower()
    slug = _NOT_SLUG.sub("-", ascii_text).strip("-")
    if len(slug) > _SLUG_BASE_MAX:
        slug = slug[:_SLUG_BASE_MAX].rsplit("-", 1)[0] if "-" in slug[:_SLUG_BASE_MAX] else slug[:_SLUG_BASE_MAX]
    return slug.strip("-")


def cast_anchor(name: str) -> str:
    """The id of a cast member on the film page: "Mikey Madison" -> "cast-mikey-madison".

    Other pages link to `/films/<slug>#cast-…` with this.
    """
    return f"cast-{slugify(name) or 'person'}"


# A film's slug: what `base_slug` makes, and the only shape looked up in the database.
SLUG_MAX = 120
SLUG_PATTERN = re.compile(r"\A[a-z0-9]+(?:-[a-z0-9]+)*\Z")


def base_slug(title: str, year: int) -> str:
    """The slug a film gets when no other film has it: "anora-2024", or "film-2024"
    for a title with nothing readable in ASCII (an all-emoji title)."""
    return f"{slugify(title) or 'film'}-{year}"

