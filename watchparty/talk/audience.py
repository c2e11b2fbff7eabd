"""Who an announcement reaches: replies by status (seated going, maybe, waitlisted,
declined) and addresses invited by email that have not replied; and which of those
a guest is as they look at the party page."""

from typing import Any

import sqlalchemy as sa

from watchparty.extensions import db
from watchparty.models import Invitation, Party, Rsvp
from watchparty.rsvp.service import Viewer

AUDIENCE_LABELS = {
    "going": "going",
    "maybe": "maybe",
    "waitlisted": "on the waitlist",
    "declined": "can't make it",
    "invited": "invited, not replied yet",
}


def audience_condition(audience: tuple[str, ...]) -> sa.ColumnElement[bool]:
    """Replies whose status is in `audience` (invitations are counted apart)."""
    conditions = []
    if "going" in audience:
        conditions.append(sa.and_(Rsvp.response == "going", Rsvp.state == "confirmed"))
    if "waitlisted" in audience:
        conditions.append(Rsvp.state == "waitlisted")
    if "maybe" in audience:
        conditions.append(Rsvp.response == "maybe")
    if "declined" in audience:
        conditions.append(Rsvp.response == "declined")
    return sa.or_(*conditions) if conditions else sa.false()


def replied_emails(party: Party) -> sa.Select:
    return sa.select(Rsvp.email).where(Rsvp.party_id == party.id, Rsvp.email.is_not(None))


def open_invitations(party: Party) -> sa.Select:
    """Addresses invited by email that have not replied (with any address of a reply)."""
    return sa.select(Invitation).where(
        Invitation.party_id == party.id, Invitation.email.not_in(replied_emails(party))
    )


def count_of(statement: sa.Select[Any]) -> int:
    """A COUNT(*) query's answer (never NULL; scalar() is typed as if it could be)."""
    return db.session.scalar(statement) or 0


def audience_size(party: Party, audience: tuple[str, ...]) -> int:
    """How many people an audience holds now, mailable or not."""
    guests = count_of(
        sa.select(sa.func.count()).select_from(Rsvp).where(Rsvp.party_id == party.id, audience_condition(audience))
    )
    invited = 0
    if "invited" in audience:
        invited = count_of(sa.select(sa.func.count()).select_from(open_invitations(party).subquery()))
    return guests + invited


def describe_audience(audience: tuple[str, ...]) -> str:
    return " or ".join(AUDIENCE_LABELS[name] for name in audience)


def viewer_status(viewer: Viewer) -> str | None:
    """The audience a guest belongs to as they look (None: no reply)."""
    rsvp = viewer.rsvp
    if rsvp is None:
        return None
    if rsvp.is_waitlisted:
        return "waitlisted"
    return rsvp.response
