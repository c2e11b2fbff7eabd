"""The host hears: emails about what guests did at their party, and the dashboard's list.

Per party the host chooses (party.host_updates): an email for each change
("each"), an hourly digest ("digest"), or nothing ("off"); "auto", the default,
is "each" for the party's first AUTO_EACH_REPLIES replies, then "digest".
Changes a few minutes apart arrive together: an email goes once the activity
has been quiet for QUIET (or its oldest line has waited LONGEST_WAIT).

The mail worker's timed job decides, once a minute. Two workers running it at
once send each email once: the party row's `host_told_at` moves by one guarded
(compare-and-set) UPDATE, and each activity line is marked told by an UPDATE
that only takes lines not told yet; the loser of either finds nothing to do.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from watchparty import activity, clock, mail
from watchparty.extensions import changed_rows, db
from watchparty.links import public_url
from watchparty.models import Party, PartyActivity, Rsvp
from watchparty.models.party import HOST_UPDATES
from watchparty.notifications.nudges import nudge_states
from watchparty.notifications.service import subject_title

QUIET = timedelta(minutes=3)
LONGEST_WAIT = timedelta(minutes=15)
DIGEST_EVERY = timedelta(hours=1)
AUTO_EACH_REPLIES = 10
# How many lines one email lists (the rest: "and 12 more").
EMAIL_LINES = 30
# Lines of the host's own doing: on the dashboard, and in the next email about something else.
HOSTS_OWN = ("removed",)


_activity = PartyActivity.__table__
_party = Party.__table__


# ---------------------------------------------------------------- the host's choice and their stop link


def set_host_updates(party: Party, mode: str) -> None:
    """How the host hears about this party. Lines from before "off" are never emailed."""
    if mode not in HOST_UPDATES:
        raise ValueError(mode)
    party.host_updates = mode
    db.session.flush()


def _stop_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="host-updates-stop")


def host_stop_url(party: Party) -> str:
    """The one-click "stop these emails" in every update email to the host (no expiry:
    an old email's link must still work; signed for this party and this host)."""
    return public_url("notifications.stop_host", party_id=party.id, token=_stop_serializer().dumps([party.id, party.host_id]))


def host_stop_token_fits(party: Party, token: str) -> bool:
    try:
        value = _stop_serializer().loads(token)
    except BadSignature:
        return False
    return value == [party.id, party.host_id] and party.host_id is not None


def stop_host_updates(party: Party) -> None:
    """The link in the host's update emails: no more of them for this party."""
    set_host_updates(party, "off")


# ---------------------------------------------------------------- the timed job


def _replies(party_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(_activity).where(_activity.c.party_id == party_id, _activity.c.kind == "reply")
    ) or 0


def effective_mode(party: Party) -> str:
    """"auto" made concrete: each change for the first replies, then digests."""
    if party.host_updates != "auto":
        return party.host_updates
    return "each" if _replies(party.id) <= AUTO_EACH_REPLIES else "digest"


def _is_due(mode: str, party: Party, oldest: datetime, newest: datetime, now: datetime) -> bool:
    settled = newest <= now - QUIET or oldest <= now - LONGEST_WAIT
    if mode == "digest":
        return settled and (party.host_told_at is None or party.host_told_at <= now - DIGEST_EVERY)
    return settled


def _untold(party_id: int, now: datetime):
    return sa.and_(_activity.c.party_id == party_id, _activity.c.told_at.is_(None), _activity.c.created_at <= now)


def _pass_over(party_id: int, now: datetime) -> None:
    # Nobody to tell (the host hears nothing, or has no account any more): the lines stay on
    # the dashboard, and are not emailed later if the host turns emails back on.
    db.session.execute(sa.update(_activity).where(_untold(party_id, now)).values(told_at=now))


def _take_turn(party: Party, now: datetime) -> bool:
    """Compare-and-set on host_told_at: of two workers, one moves it; the other finds it moved."""
    previous = party.host_told_at
    same = _party.c.host_told_at.is_(None) if previous is None else _party.c.host_told_at == previous
    return changed_rows(db.session.execute(
        sa.update(_party).where(_party.c.id == party.id, same).values(host_told_at=now)
    )) == 1


def tell_hosts(now: datetime) -> list[int]:
    """Email every host whose party's activity is due (see the module's rules);
    returns the ids of the parties whose host was emailed. A line of the host's own
    doing (HOSTS_OWN) is no news on its own: it waits for the next email, where it
    says why a seat changed hands."""
    pending = db.session.execute(
        sa.select(_activity.c.party_id, sa.func.min(_activity.c.created_at), sa.func.max(_activity.c.created_at))
        .where(_activity.c.told_at.is_(None), _activity.c.created_at <= now, _activity.c.kind.not_in(HOSTS_OWN))
        .group_by(_activity.c.party_id)
        .order_by(_activity.c.party_id)
    ).all()
    told = []
    for party_id, oldest, newest in pending:
        party = db.session.get(Party, party_id)
        if party is None:
            continue
        mode = effective_mode(party)
        if mode == "off" or party.host is None:
            _pass_over(party_id, now)
            continue
        if not _is_due(mode, party, _aware(oldest), _aware(newest), now):
            continue
        if _tell(party, mode, now):
            told.append(party_id)
    return told


def _aware(value: datetime) -> datetime:
    # min()/max() of a UTC column: aware already when the column's type applies; naive UTC otherwise.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _tell(party: Party, mode: str, now: datetime) -> bool:
    if not _take_turn(party, now):
        return False
    rows = db.session.execute(
        sa.update(_activity)
        .where(_untold(party.id, now))
        .values(told_at=now)
        .returning(_activity.c.id, _activity.c.kind, _activity.c.actor, _activity.c.detail, _activity.c.created_at)
    ).all()
    if not rows:
        return False
    rows = sorted(rows, key=lambda row: (row.created_at, row.id))
    lines = [activity.line_of(row) for row in rows]
    host = party.host
    if host is None:  # the host deleted their account: the lines are told to nobody
        return False
    title = subject_title(party)
    if len(lines) == 1:
        subject = f"{_SUBJECTS.get(lines[0].kind, 'News')}: {title}"
    else:
        subject = f"{len(lines)} updates: {title}"
    mail.queue_template(
        host.email, subject, "host_updates", party_id=party.id,
        party=party, host=host, lines=lines[:EMAIL_LINES], more=max(0, len(lines) - EMAIL_LINES),
        digest=mode == "digest", counts=headcount(party),
        dashboard_link=public_url("parties.dashboard", party_id=party.id),
        settings_link=public_url("parties.dashboard", party_id=party.id, _anchor="activity"),
        stop_link=host_stop_url(party), stop_label=f"Stop update emails about {party.title}",
    )
    return True


_SUBJECTS = {
    "reply": "New reply", "change": "Reply changed", "withdrawal": "A guest can't come", "promotion": "Seat filled",
    "claim": "New sign-up", "release": "Sign-up released", "item": "Item added", "comment": "New comment",
    "removed": "Guest removed",
}


@mail.timed_job("host_updates")
def _tell_hosts_job(now: datetime) -> int:
    return len(tell_hosts(now))


# ---------------------------------------------------------------- the dashboard


@dataclass
class Headcount:
    going: int = 0
    maybe: int = 0
    declined: int = 0
    waitlisted: int = 0


def headcount(party: Party) -> Headcount:
    counts = Headcount()
    rows = db.session.execute(
        sa.select(Rsvp.response, Rsvp.state, sa.func.count()).where(Rsvp.party_id == party.id).group_by(Rsvp.response, Rsvp.state)
    )
    for response, state, count in rows:
        if state == "waitlisted":
            counts.waitlisted += count
        elif response in ("going", "maybe", "declined"):
            setattr(counts, response, getattr(counts, response) + count)
    return counts


@dataclass
class ActivityPanel:
    """What the dashboard's activity section shows."""

    party: Party
    lines: list[activity.Line] = field(default_factory=list)
    timezone: str = "UTC"
    mode: str = "auto"
    form: object = None
    nudges: object = None
    error: str | None = None
    now: datetime | None = None


def activity_panel(party: Party, form: object, error: str | None = None) -> ActivityPanel:
    """The dashboard's "Recent activity" section: the latest lines (times in the host's
    zone), how the host hears (`form`, the view's), and the nudges."""
    return ActivityPanel(
        party=party, lines=activity.recent(party), timezone=party.host.timezone if party.host else party.timezone,
        mode=party.host_updates, form=form, nudges=nudge_states(party), error=error, now=clock.now(),
    )
