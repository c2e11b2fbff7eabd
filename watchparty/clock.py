"""The app's idea of "now", in one place so that time can be moved.

Views take the time from `now()` and hand it to services as `now=`; services
never read the clock themselves when they are given one. Tests move time with
time-machine or pass `now=` directly. A browser test against a real server
cannot patch its clock, so `CLOCK_OFFSET_SECONDS` in the config shifts it
(for example past a party's start, to rate the film) — it is 0 in production.
"""

from datetime import datetime, timedelta

from flask import current_app, has_app_context

from watchparty.models.base import utcnow


def offset() -> timedelta:
    """How far the app's clock runs ahead of the real one (config CLOCK_OFFSET_SECONDS, default 0)."""
    if not has_app_context():
        return timedelta(0)
    return timedelta(seconds=float(current_app.config.get("CLOCK_OFFSET_SECONDS") or 0))


def now() -> datetime:
    """The current time, aware UTC, shifted by the configured offset."""
    return utcnow() + offset()
