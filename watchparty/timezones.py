"""IANA time zones: the list forms offer, and the canonical name for any name typed in.

Both come from the `tzdata` package (a dependency), not from the machine's own tz
database, so every machine offers the same list:

- the offer is `zone.tab`, IANA's table of one zone per region of each country
  ("Europe/Amsterdam", "Asia/Kolkata", "Europe/Kyiv"), plus "UTC". It holds no
  backward-compatible aliases ("US/Eastern", "Asia/Calcutta", "Europe/Kiev") and
  none of the "Etc/…" or "EST5EDT" names nobody would choose from a list;
- the aliases are the links ("L target alias" lines) of `tzdata.zi`, the compact
  form of the whole database, so a legacy name still arriving (an old bookmark, a
  browser that reports "Asia/Calcutta") is stored as the zone it names.
"""

from datetime import UTC, datetime
from functools import cache, lru_cache
from importlib import resources
from zoneinfo import ZoneInfo

UTC_NAME = "UTC"
# Every name for a zone with no offset and no daylight saving time is stored as "UTC".
_UTC_TARGETS = {"Etc/UTC", "Etc/GMT"}


def _tzdata_text(name: str) -> str:
    return resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")


@cache
def timezone_names() -> tuple[str, ...]:
    """The zones offered: "UTC", then zone.tab's names in alphabetical order."""
    names = {
        line.split("\t")[2]
        for line in _tzdata_text("zone.tab").splitlines()
        if line and not line.startswith("#")
    }
    return (UTC_NAME, *sorted(names))


@cache
def _offered() -> frozenset[str]:
    return frozenset(timezone_names())


@cache
def _links() -> dict[str, str]:
    """Every alias in the database and the zone it names."""
    links = {}
    for line in _tzdata_text("tzdata.zi").splitlines():
        if line.startswith("L "):
            _, target, alias = line.split()
            links[alias] = target
    return links


def canonical_timezone(name: str | None) -> str | None:
    """The offered name for `name` (itself, or the zone a legacy alias names), or None
    when it is no time zone we offer."""
    if not name:
        return None
    if name in _offered():
        return name
    target = _links().get(name, name)
    if target in _UTC_TARGETS:
        return UTC_NAME
    return target if target in _offered() else None


def is_timezone(name: str | None) -> bool:
    """True for an offered zone or a legacy alias of one."""
    return canonical_timezone(name) is not None


def canonical_or_same(value: object) -> object:
    """A form filter: a legacy name becomes the offered one before the choice is checked."""
    if isinstance(value, str):
        return canonical_timezone(value) or value
    return value


@cache
def _zone(name: str) -> ZoneInfo:
    """One ZoneInfo per zone for the life of the process (zoneinfo's own cache keeps
    only a few strongly, and the picker reads all ~430 on every form)."""
    return ZoneInfo(name)


def _offset_label(name: str, now: datetime) -> str:
    offset = now.astimezone(_zone(name)).utcoffset()
    minutes = round(offset.total_seconds() / 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def timezone_label(name: str, now: datetime | None = None) -> str:
    """A zone as a person reads it in a list: "Kyiv (UTC+2)", "Buenos Aires, Argentina (UTC-3)"."""
    if name == UTC_NAME:
        return "UTC"
    place, *rest = reversed(name.split("/")[1:])
    city = place.replace("_", " ")
    if rest and rest[0]:
        city = f"{city}, {rest[0].replace('_', ' ')}"
    return f"{city} ({_offset_label(name, now or datetime.now(UTC))})"


def timezone_choices() -> dict[str, list[tuple[str, str]]]:
    """The offered zones grouped by region (a `<select>` with one `<optgroup>` each),
    cities in alphabetical order, with today's offset from UTC in each label.

    Every form with the picker asks for these. The labels are made once per quarter
    hour of the clock (a test's moved clock too): offsets change only at daylight
    saving time transitions, and those fall on a quarter hour of UTC."""
    now = datetime.now(UTC)
    quarter = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    # A fresh dict and lists on each call: the caller may change them, the kept copy stays.
    return {region: list(zones) for region, zones in _choices_at(quarter)}


@lru_cache(maxsize=4)
def _choices_at(quarter: datetime) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    groups: dict[str, list[tuple[str, str]]] = {UTC_NAME: [(UTC_NAME, "UTC")]}
    for name in timezone_names()[1:]:
        groups.setdefault(name.split("/")[0], []).append((name, timezone_label(name, quarter)))
    return tuple((region, tuple(sorted(zones, key=lambda zone: zone[1]))) for region, zones in groups.items())
