"""What happened at a party, written down for its host.

Every service that changes something a host cares about (a reply, a change of
response or plus-ones, a withdrawal, a seat from the waitlist, a claim or its
release, an item a guest added, a comment, a guest the host removed) calls
`record` in the same transaction as the change: a rolled-back change leaves no
line. The dashboard lists the lines; the host's update emails
(watchparty.notifications.host) tell each line once.

Low in the layers (models and the clock only), so that every service can call it.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from watchparty import clock
from watchparty.extensions import db
from watchparty.models import Party, PartyActivity
from watchparty.models.activity import ACTOR_MAX

RECENT = 20
# Built once: building it costs more than running it.
_INSERT = sa.insert(PartyActivity.__table__)


def record(party: Party | int, kind: str, who: Any, detail: dict[str, Any] | None = None,
           now: datetime | None = None) -> None:
    """Write down one change at a party (in the caller's transaction). `who`: the guest's
    reply (an Rsvp), or a name."""
    name = who if isinstance(who, str) else who.name
    # Written now, where the caller records it, not at some later flush: its foreign key
    # locks the party's row (KEY SHARE), so when it happens matters (signups.claims.lock_reply).
    # The change it tells of is written first (as before any later statement), then the
    # line, in a plain INSERT: nothing reads the line back in the request that writes it.
    db.session.flush()
    db.session.execute(
        _INSERT,
        {
            "party_id": party if isinstance(party, int) else party.id,
            "rsvp_id": None if isinstance(who, str) else who.id,
            "kind": kind,
            "actor": (name or "")[:ACTOR_MAX],
            "detail": dict(detail or {}),
            "created_at": now or clock.now(),
        },
    )


def record_reply(rsvp: Any, now: datetime | None = None) -> None:
    """A new reply (an Rsvp)."""
    record(rsvp.party_id, "reply", rsvp, _reply_detail(rsvp), now)


def _reply_detail(rsvp: Any) -> dict[str, Any]:
    return {"response": rsvp.response, "plus_ones": rsvp.plus_ones, "waitlisted": rsvp.state == "waitlisted"}


@dataclass(frozen=True)
class ReplyState:
    """What the host cares about in a reply, taken before a change."""

    response: str
    plus_ones: int

    @classmethod
    def of(cls, rsvp: Any) -> "ReplyState":
        return cls(rsvp.response, rsvp.plus_ones)


def record_change(rsvp: Any, before: ReplyState, released: list[str] | None = None,
                  now: datetime | None = None) -> None:
    """A reply changed: a withdrawal when it became "can't make it", a change when its
    response or plus-ones moved; nothing for a new dietary note or a typo in the name."""
    if rsvp.response == before.response and rsvp.plus_ones == before.plus_ones:
        return
    detail = _reply_detail(rsvp) | {"was": before.response, "was_plus_ones": before.plus_ones}
    if rsvp.response == "declined":
        record(rsvp.party_id, "withdrawal", rsvp, detail | {"released": list(released or [])}, now)
    else:
        record(rsvp.party_id, "change", rsvp, detail, now)


def _plus(detail: dict[str, Any]) -> str:
    plus_ones = detail.get("plus_ones") or 0
    return f" (+{plus_ones})" if plus_ones else ""


_RESPONSES = {"going": "is going", "maybe": "might come", "declined": "can't make it"}


def describe(kind: str, actor: str, detail: dict[str, Any]) -> str:
    """One line for the host: "Sam is going (+2)", "Ana will bring 2 x popcorn"."""
    who = actor or "A guest"
    quantity, item = detail.get("quantity") or 1, detail.get("item") or "something"
    if kind == "reply":
        if detail.get("waitlisted"):
            return f"{who} replied going{_plus(detail)}, and is on the waitlist"
        return f"{who} {_RESPONSES.get(detail.get('response', ''), 'replied')}{_plus(detail)}"
    if kind == "change":
        if detail.get("waitlisted"):
            return f"{who} changed their reply to going{_plus(detail)}, and is on the waitlist"
        if detail.get("response") == detail.get("was"):
            return f"{who} now brings {detail.get('plus_ones') or 0} plus-one{'' if detail.get('plus_ones') == 1 else 's'}"
        return f"{who} changed their reply: {_RESPONSES.get(detail.get('response', ''), 'replied')}{_plus(detail)}"
    if kind == "withdrawal":
        released = detail.get("released") or []
        line = f"{who} can't make it after all"
        return line + (f"; released {', '.join(released)}" if released else "")
    if kind == "promotion":
        return f"{who} got a seat from the waitlist{_plus(detail)}"
    if kind == "claim":
        return f"{who} will bring {quantity} × {item}"
    if kind == "release":
        return f"{who} no longer brings {quantity} × {item}"
    if kind == "item":
        return f"{who} added {quantity} × {item} to the list"
    if kind == "comment":
        return f"{who} commented"
    if kind == "removed":
        released = detail.get("released") or []
        line = f"You removed {who} from the guest list"
        return line + (f"; released {', '.join(released)}" if released else "")
    return f"{who}: {kind}"


@dataclass(frozen=True)
class Line:
    """An activity line as the dashboard and the emails show it."""

    at: datetime
    kind: str
    text: str


def line_of(row: Any) -> Line:
    return Line(row.created_at, row.kind, describe(row.kind, row.actor, row.detail or {}))


def recent(party: Party, limit: int = RECENT) -> list[Line]:
    """The party's latest activity, newest first."""
    rows = db.session.scalars(
        sa.select(PartyActivity)
        .where(PartyActivity.party_id == party.id)
        .order_by(PartyActivity.created_at.desc(), PartyActivity.id.desc())
        .limit(limit)
    )
    return [line_of(row) for row in rows]


def anonymise(rsvp_ids: Any, name: str) -> None:
    """The lines of these replies lose the guest's name (an account deleted)."""
    db.session.execute(
        sa.update(PartyActivity).where(PartyActivity.rsvp_id.in_(rsvp_ids)).values(actor=name)
        .execution_options(synchronize_session=False)
    )
