"""Jinja filters and globals shared by every template."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask


def local_time(value: datetime | None, timezone: str = "UTC", fmt: str = "%a %-d %b %Y, %H:%M") -> str:
    """An aware datetime shown in the given IANA zone."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(timezone)).strftime(fmt)


def register_templating(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
