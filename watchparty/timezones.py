"""IANA time zones: the list forms offer and the check they apply."""

from functools import cache
from zoneinfo import available_timezones


@cache
def timezone_names() -> tuple[str, ...]:
    # "posix/…" and "right/…" duplicates and legacy names like "EST5EDT" only
    # confuse a person choosing from a list.
    names = {
        name for name in available_timezones()
        if "/" in name and not name.startswith(("posix/", "right/", "Etc/", "SystemV/"))
    }
    return ("UTC", *sorted(names))


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in timezone_names()]


def is_timezone(name: str | None) -> bool:
    return name in timezone_names()
