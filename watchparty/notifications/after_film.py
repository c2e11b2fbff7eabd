"""After the film: the guests' "How was it?" email the morning after, and the
invitations of "Host again" to everyone who came.

As with reminders (notifications.service), every message goes through the
outbox (watchparty.mail) with the guest's stop link, and nobody who pressed
"stop emails" for the party is written to.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from watchparty import mail
from watchparty.extensions import db
from watchparty.models import OutboundEmail, Party, Rsvp
from watchparty.notifications.service import invite
from watchparty.party_clock import MORNING_AFTER_GAP, morning_after
from watchparty.rsvp.service import email_guest, manage_url

# A morning-after email is sent within this time of being due, or never: a worker
# that was down for days, or this feature arriving after old parties, must not
# ask about a film night long past.
MORNING_AFTER_WINDOW = timedelta(hours=24)
# Parties that started longer ago than this are past every window (the longest
# film, plus the six-hour gap and the wait for 09:00, plus the window).
LOOK_BACK = timedelta(days=4)


def guests_who_came(party: Party) -> list[Rsvp]:
    """The guests seated as going, with an address, who did not stop emails about the party."""
    return list(
        db.session.scalars(
            sa.select(Rsvp)
            .where(
                Rsvp.party_id == party.id,
                Rsvp.response == "going",
                Rsvp.state == "confirmed",
                Rsvp.email.is_not(None),
                Rsvp.emails_stopped.is_(False),
            )
            .order_by(Rsvp.id)
        )
    )


# ---------------------------------------------------------------- the morning after


MORNING_AFTER_KEY = "morning-after:"


def morning_after_key(rsvp: Rsvp) -> str:
    return f"{MORNING_AFTER_KEY}{rsvp.id}"


def rate_url(rsvp: Rsvp, party: Party) -> str:
    """The guest's manage link that opens the party page at "How was it?" (rsvp.routes.manage)."""
    return manage_url(rsvp, party) + "?rate"


def queue_morning_after(now: datetime) -> list[tuple[Party, Rsvp]]:
    """Queue the "How was it?" email of every guest who came to a party whose
    morning after (party_clock.morning_after) has come, within a day of it, once
    each: the outbox's unique key decides, so overlapping runs queue it once.
    Cancelled parties have no morning after."""
    parties = db.session.scalars(
        sa.select(Party)
        .options(joinedload(Party.film))
        # Due at least six hours after the film ends, so at least six after the start.
        .where(
            Party.status == "scheduled",
            Party.undecided.is_(False),
            Party.starts_at <= now - MORNING_AFTER_GAP,
            Party.starts_at > now - LOOK_BACK,
        )
        .order_by(Party.starts_at, Party.id)
    ).all()
    queued = []
    for party in parties:
        due = morning_after(party)
        if not due <= now < due + MORNING_AFTER_WINDOW:
            continue
        guests = guests_who_came(party)
        # The job runs every minute of the day the email is due: skip, without rendering,
        # those already queued (the unique key still decides between two runs at once).
        keys = {morning_after_key(rsvp): rsvp for rsvp in guests}
        done = set(db.session.scalars(
            sa.select(OutboundEmail.dedupe_key)
            .where(OutboundEmail.party_id == party.id, OutboundEmail.dedupe_key.startswith(MORNING_AFTER_KEY))
        ))
        for key, rsvp in keys.items():
            if key in done:
                continue
            if email_guest(
                rsvp, f"How was {party.film.title}?", "morning_after",
                once_key=key, rate_link=rate_url(rsvp, party),
            ):
                queued.append((party, rsvp))
    db.session.flush()
    return queued


@mail.timed_job("morning_after")
def _queue_morning_after_job(now: datetime) -> int:
    return len(queue_morning_after(now))


# ---------------------------------------------------------------- host again


def invite_guests_who_came(old: Party, new: Party, now: datetime | None = None) -> list[str]:
    """Invite everyone who came to `old` (guests_who_came) to `new`, through the
    dashboard's invitation path (notifications.service.invite: one email each,
    with its stop link, within the day's allowance). Returns the addresses invited."""
    host_email = new.host.email if new.host is not None else None
    addresses = [rsvp.email for rsvp in guests_who_came(old) if rsvp.email and rsvp.email != host_email]
    if not addresses:
        return []
    return invite(new, "\n".join(addresses), now=now).invited
