"""Jinja filters and globals shared by every template."""

import hashlib
import os
import re
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app, url_for
from markupsafe import Markup, escape


def local_time(value: datetime | None, timezone: str = "UTC", fmt: str = "%a %-d %b %Y, %H:%M") -> str:
    """An aware datetime shown in the given IANA zone."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(timezone)).strftime(fmt)


# http(s) links in plain text; trailing punctuation stays outside the link.
_LINK = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


def _escape_with_breaks(text: str) -> str:
    return str(escape(text)).replace("\r\n", "\n").replace("\n", "<br>\n")


def text_with_links(value: str | None) -> Markup:
    """Plain text for HTML: escaped, line breaks kept, http(s) links clickable.

    Every piece of the result is escaped before it is joined, so the only
    markup is the <br> and <a> added here; a link's href can only be the
    http(s) URL that was matched, never `javascript:`.
    """
    if not value:
        return Markup("")
    parts: list[str] = []
    position = 0
    for match in _LINK.finditer(value):
        parts.append(_escape_with_breaks(value[position : match.start()]))
        url = escape(match.group(0))
        parts.append(f'<a href="{url}" rel="nofollow noopener noreferrer">{url}</a>')
        position = match.end()
    parts.append(_escape_with_breaks(value[position:]))
    return Markup("".join(parts))  # noqa: S704 - built only from escaped parts


# The largest id an <int:…> route accepts (watchparty.security): a stand-in, never parsed back.
_STAND_IN_ID = 2**31 - 1


def url_pattern(endpoint: str, id_name: str, **values) -> Callable[[int], str]:
    """url_for for one route and many ids — a form per item of a long list.

    The URL is built once with a stand-in id, and each id is then put in its
    place: url_for costs some microseconds, and a party page has a form for
    every item and every claim. A second URL, built the slow way, proves the
    id sits where the stand-in was.
    """
    with_stand_in: dict[str, Any] = {**values, id_name: _STAND_IN_ID}
    head, found, tail = url_for(endpoint, **with_stand_in).rpartition(str(_STAND_IN_ID))
    if not found or url_for(endpoint, **{**with_stand_in, id_name: 1}) != f"{head}1{tail}":
        raise ValueError(f"url_pattern: no single place for {id_name} in {endpoint}")

    def url(id_: int) -> str:
        return f"{head}{int(id_)}{tail}"

    return url


@lru_cache(maxsize=256)
def _content_hash(path: str, modified_ns: int, size: int) -> str:
    # Keyed by the file's modification time and size too: an edited file is hashed anew.
    with open(path, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()[:12]


def static_url(filename: str) -> str:
    """The URL of a file under static/ with a hash of its content (`?v=…`).

    A changed file gets a new URL, so browsers may keep each URL for a year
    (SEND_FILE_MAX_AGE_DEFAULT) and never see a stale stylesheet or script.
    """
    if current_app.static_folder is None:
        raise RuntimeError("the app has no static folder")
    path = os.path.join(current_app.static_folder, filename)
    try:
        stat = os.stat(path)
    except OSError:
        return url_for("static", filename=filename)  # a missing file: Flask answers 404 as usual
    return url_for("static", filename=filename, v=_content_hash(path, stat.st_mtime_ns, stat.st_size))


def register_templating(app: Flask) -> None:
    from watchparty.cache import CSRF_SLOT, cache_block, fill_csrf_slots, init_fragments

    init_fragments(app)
    app.jinja_env.globals["cache_block"] = cache_block
    app.jinja_env.globals["csrf_slot"] = CSRF_SLOT
    app.jinja_env.filters["fill_csrf_slots"] = fill_csrf_slots
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["text_with_links"] = text_with_links
    app.jinja_env.globals["url_pattern"] = url_pattern
    app.jinja_env.globals["static_url"] = static_url
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
