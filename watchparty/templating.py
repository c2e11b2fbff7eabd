"""Jinja filters and globals shared by every template."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
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


def register_templating(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["text_with_links"] = text_with_links
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
