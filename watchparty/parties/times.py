"""A party's wall-clock times: what the host types in the party's zone, stored as UTC."""

from datetime import datetime
from typing import overload
from zoneinfo import ZoneInfo

from watchparty.parties.errors import InvalidParty
from watchparty.timezones import canonical_timezone


def to_utc(local: datetime, timezone: str, field_name: str) -> datetime:
    """A wall-clock time in `timezone` as aware UTC.

    A time skipped when the clocks go forward does not exist and is refused;
    a time that happens twice when they go back means the first of the two.
    """
    zone_name = canonical_timezone(timezone)
    if zone_name is None:
        raise InvalidParty("Choose a time zone from the list.", field="timezone")
    zone = ZoneInfo(zone_name)
    aware = local.replace(tzinfo=zone, fold=0)
    try:
        utc = aware.astimezone(ZoneInfo("UTC"))
    except OverflowError:
        raise InvalidParty("Enter a date within the next three years.", field=field_name) from None
    if utc.astimezone(zone).replace(tzinfo=None) != local:
        raise InvalidParty(
            f"{local:%H:%M} does not exist on {local:%-d %b %Y} in {timezone}: the clocks go forward. "
            "Pick another time.",
            field=field_name,
        )
    return utc


@overload
def to_local(value: datetime, timezone: str) -> datetime: ...
@overload
def to_local(value: datetime | None, timezone: str) -> datetime | None: ...
def to_local(value: datetime | None, timezone: str) -> datetime | None:
    """An aware datetime as naive wall-clock time in `timezone` (for form fields)."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
