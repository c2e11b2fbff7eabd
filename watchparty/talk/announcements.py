"""Announcements: the host writes to some of the guests.

Each goes to an audience chosen by status (watchparty.talk.audience). It goes
out at once, or at `send_at` (the "announcements" timed job): going out means
its emails are queued for the audience as it is then (opt-outs respected, every
email with its stop link) and it shows on the party page, under "From the
host", to the guests whose status is in its audience when they look. `sent_at`
is set once by a guarded update, so a job running twice, or beside the host's
own "send now", sends it once.

An edit before it goes out changes what will be sent; after, it changes the
page only (the emails said what they said). A delete hides it everywhere and
drops its emails still waiting in the outbox; it still counts in the day's
allowance, so deleting is no way around the limit. Only a host whose address
is verified writes one, and an account writes at most
ANNOUNCEMENTS_PER_ACCOUNT_PER_DAY across all its parties (#22).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from watchparty import mail
from watchparty.extensions import changed_rows, db
from watchparty.models import Announcement, Invitation, OutboundEmail, Party, Rsvp
from watchparty.models.talk import ANNOUNCEMENT_MAX, AUDIENCES
from watchparty.notifications.service import check_sender, hosted_by, invitation_stop_url, lock_sender
from watchparty.rsvp.service import Viewer, email_guest, film_url, share_url
from watchparty.talk.audience import audience_condition, audience_size, count_of, describe_audience, open_invitations
from watchparty.talk.errors import AnnouncementRefused, NoSuchThing, TooManyAnnouncements

ANNOUNCEMENTS_PER_DAY = 10
# A scheduled time within this much of now (a minute picked on a form) means "now".
SEND_AT_GRACE = timedelta(minutes=1)


@dataclass(frozen=True)
class AnnouncementFields:
    message: str
    audience: tuple[str, ...]
    send_at: datetime | None = None  # aware UTC; None: at once



def _check_announcement(party: Party, fields: AnnouncementFields, now: datetime, *, schedule: bool) -> datetime | None:
    """The fields' problems as a refusal; returns the send time to keep (None: at once).
    Only a host whose address is verified writes to guests (#22, as for invitations);
    an edit of one already sent changes the page only, and needs no email proved."""
    if schedule:
        check_sender(party, "announcements", field="message")
    message = fields.message.strip()
    if not message:
        raise AnnouncementRefused("Write a message first.")
    if len(message) > ANNOUNCEMENT_MAX:
        raise AnnouncementRefused(f"Keep it under {ANNOUNCEMENT_MAX:,} characters (this one has {len(message):,}).")
    audience = tuple(name for name in AUDIENCES if name in fields.audience)
    if not audience:
        raise AnnouncementRefused("Choose who it is for.", field="audience")
    if party.is_cancelled:
        raise AnnouncementRefused("The party is cancelled: your cancellation note already went to the guests.")
    if audience_size(party, audience) == 0:
        raise AnnouncementRefused(
            f"Nobody is {describe_audience(audience)} at the moment, so no one would get this. Choose another group.",
            field="audience",
        )
    if not schedule or fields.send_at is None:
        return None
    if fields.send_at < now - SEND_AT_GRACE:
        raise AnnouncementRefused("That time has passed: pick a later one, or leave it empty to send now.",
                                  field="send_at")
    if fields.send_at > party.ends_at:
        raise AnnouncementRefused("Pick a time before the party ends.", field="send_at")
    return fields.send_at if fields.send_at > now else None


def _lock_party(party_id: int) -> None:
    # The day's count and the new row in one guarded step: on PostgreSQL the party row's
    # lock makes a second host tab wait for the first; SQLite's write transaction does already.
    db.session.execute(sa.select(Party.id).where(Party.id == party_id).with_for_update())


def post_announcement(party: Party, fields: AnnouncementFields, now: datetime) -> Announcement:
    """Write an announcement; it goes out at once (its emails queued now) or at its time."""
    send_at = _check_announcement(party, fields, now, schedule=True)
    _lock_party(party.id)
    lock_sender(party)
    todays = sa.select(sa.func.count()).select_from(Announcement).where(Announcement.created_at > now - timedelta(days=1))
    if count_of(todays.where(Announcement.party_id == party.id)) >= ANNOUNCEMENTS_PER_DAY:
        raise TooManyAnnouncements(
            f"A party can send {ANNOUNCEMENTS_PER_DAY} announcements a day. Try again tomorrow, "
            "or edit one you sent."
        )
    per_account = current_app.config["ANNOUNCEMENTS_PER_ACCOUNT_PER_DAY"]
    if party.host_id is not None and count_of(todays.where(Announcement.party_id.in_(hosted_by(party)))) >= per_account:
        raise TooManyAnnouncements(
            f"Your account can send {per_account} announcements a day across all your parties: none left "
            "today. Try again tomorrow, or edit one you sent."
        )
    announcement = Announcement(
        party_id=party.id, message=fields.message.strip(), send_at=send_at, created_at=now, updated_at=now,
        **{f"to_{name}": name in fields.audience for name in AUDIENCES},
    )
    db.session.add(announcement)
    db.session.flush()
    if send_at is None:
        send_announcement(party, announcement, now)
    return announcement


def announcement_of(party: Party, announcement_id: int) -> Announcement:
    found = db.session.scalar(
        sa.select(Announcement).where(
            Announcement.id == announcement_id, Announcement.party_id == party.id, Announcement.deleted_at.is_(None)
        )
    )
    if found is None:
        raise NoSuchThing("No such announcement.")
    return found


def edit_announcement(party: Party, announcement: Announcement, fields: AnnouncementFields, now: datetime) -> None:
    """Change an announcement: before it goes out, everything (sending it now if its
    time is cleared); after, its text and audience on the page only."""
    already_sent = announcement.sent_at is not None
    send_at = _check_announcement(party, fields, now, schedule=not already_sent)
    announcement.message = fields.message.strip()
    for name in AUDIENCES:
        setattr(announcement, f"to_{name}", name in fields.audience)
    announcement.updated_at = now
    if not already_sent:
        announcement.send_at = send_at
    db.session.flush()
    if not already_sent and send_at is None:
        send_announcement(party, announcement, now)


def delete_announcement(announcement: Announcement, now: datetime) -> int:
    """Hide it everywhere; its emails not yet sent are dropped. Returns how many."""
    announcement.deleted_at = now
    db.session.flush()
    outbox = OutboundEmail.__table__
    dropped = db.session.execute(
        sa.update(outbox)
        .where(outbox.c.dedupe_key.like(f"announcement:{announcement.id}:%"), outbox.c.status == "pending")
        .values(status="dropped")
    )
    return changed_rows(dropped)


def _subject(party: Party) -> str:
    return f"From the host: {party.title}"


def send_announcement(party: Party, announcement: Announcement, now: datetime) -> int:
    """Mark it gone out and queue its emails to the audience as it is now, once: the
    guarded update decides between two senders. Returns how many were queued."""
    marked = db.session.execute(
        sa.update(Announcement)
        .where(Announcement.id == announcement.id, Announcement.sent_at.is_(None), Announcement.deleted_at.is_(None))
        # updated_at stays: going out is not an edit (its onupdate would mark every one "edited").
        .values(sent_at=now, updated_at=Announcement.updated_at)
        .execution_options(synchronize_session=False)
    )
    if changed_rows(marked) != 1:
        return 0
    db.session.refresh(announcement)
    audience = announcement.audience
    host_name = party.host.display_name if party.host else "The host"
    queued = 0
    guests = db.session.scalars(
        sa.select(Rsvp).where(Rsvp.party_id == party.id, audience_condition(audience)).order_by(Rsvp.id)
    )
    for rsvp in guests:
        # email_guest skips guests with no address or who pressed "stop emails".
        if email_guest(rsvp, _subject(party), "announcement", once_key=f"announcement:{announcement.id}:r{rsvp.id}",
                       announcement=announcement, host_name=host_name):
            queued += 1
    if "invited" in audience:
        invitations = db.session.scalars(
            open_invitations(party).where(Invitation.emails_stopped.is_(False)).order_by(Invitation.id)
        )
        for invitation in invitations:
            new_id = mail.queue_once(
                f"announcement:{announcement.id}:i{invitation.id}", invitation.email, _subject(party), "announcement",
                party_id=party.id, party=party, rsvp=None, viewer=Viewer(party), announcement=announcement,
                host_name=host_name, share_link=share_url(party), film_link=film_url(party),
                stop_link=invitation_stop_url(party, invitation),
            )
            queued += new_id is not None
    return queued


def send_due_announcements(now: datetime) -> int:
    """Send every scheduled announcement whose time has come; returns the emails queued."""
    due = db.session.scalars(
        sa.select(Announcement)
        .where(Announcement.sent_at.is_(None), Announcement.deleted_at.is_(None), Announcement.send_at <= now)
        .order_by(Announcement.send_at, Announcement.id)
    ).all()
    queued = 0
    for announcement in due:
        party = db.session.get(Party, announcement.party_id)
        if party is None or party.is_cancelled or party.host is None or not party.host.email_verified:
            continue  # a host whose address is no longer verified (changed since) sends nothing
        queued += send_announcement(party, announcement, now)
    return queued


@mail.timed_job("announcements")
def _announcements_job(now: datetime) -> int:
    return send_due_announcements(now)
