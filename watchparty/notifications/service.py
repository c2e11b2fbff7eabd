"""Party email: invitations, the party changed or cancelled, and reminders.

Every message is queued through `watchparty.mail` (the outbound_email table),
so it is written in the transaction of the change it reports, and the mail
worker sends it; a mail server that is down only delays it. Guests are mailed only when they gave an
address and did not press "stop emails about this party"; declined guests
only hear about a cancellation.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app

from watchparty import mail, mail_messages
from watchparty.errors import DomainError
from watchparty.extensions import db, writing_transactions
from watchparty.links import public_url
from watchparty.models import Invitation, Party, Rsvp, User, utcnow
from watchparty.rsvp.calendar import calendar_attachment
from watchparty.rsvp.service import Viewer, address_of, email_guest, film_url, manage_url, share_url, stop_emails_url

INVITATIONS_PER_DAY = 200
# Subjects are fixed text around the party's title, cut to this: the host chooses
# the title, and a subject is not a place for a sales pitch.
SUBJECT_TITLE_MAX = 60
REMINDER_LEAD = timedelta(hours=24)
# Addresses in the paste box: separated by commas, semicolons, spaces or lines.
SEPARATORS = re.compile(r"[\s,;]+")
MAX_PASTE_ADDRESSES = 1000


class TooManyInvitations(DomainError):
    status = 429
    field = "emails"


class InvalidInvitations(DomainError):
    status = 422
    field = "emails"


class UnverifiedSender(DomainError):
    status = 403
    field = "emails"


UNVERIFIED_MESSAGE = (
    "Confirm your email address before sending {what}: ask for a sign-in code at "
    "/accounts/code and enter it. (It keeps this site from being used to send spam.)"
)


def check_sender(party: Party, what: str = "invitations", field: str = "emails") -> None:
    """Invitations, nudges and announcements go out only from a host whose address
    is verified (#22); the refusal is shown beside `field`."""
    if party.host is None or party.host.email_verified_at is None:
        raise UnverifiedSender(UNVERIFIED_MESSAGE.format(what=what), field=field)


def lock_sender(party: Party) -> None:
    """Hold the host's account row until the transaction ends, so that two of their
    parties sending at once count each other's sends against the account's daily cap
    (PostgreSQL; SQLite's write transaction does already)."""
    if party.host_id is not None:
        db.session.execute(sa.select(User.id).where(User.id == party.host_id).with_for_update())


def hosted_by(party: Party) -> sa.Select:
    """The ids of every party of this party's host (a daily cap per account counts them all)."""
    return sa.select(Party.id).where(Party.host_id == party.host_id)


# ---------------------------------------------------------------- who hears


def invitation_stop_url(party: Party, invitation: Invitation) -> str:
    return public_url("notifications.stop_invitation", token=party.share_token, invitation_token=invitation.token)


def _mailable_guests(party: Party, responses: tuple[str, ...]) -> list[Rsvp]:
    return list(
        db.session.scalars(
            sa.select(Rsvp)
            .where(
                Rsvp.party_id == party.id,
                Rsvp.email.is_not(None),
                Rsvp.emails_stopped.is_(False),
                Rsvp.response.in_(responses),
            )
            .order_by(Rsvp.id)
        )
    )


# ---------------------------------------------------------------- invitations


@dataclass
class InvitationResult:
    invited: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # duplicates, already invited or replied


def parse_addresses(text: str) -> tuple[list[str], list[str]]:
    """Addresses from a pasted list: (valid ones lower-cased in order without
    duplicates, invalid ones as typed)."""
    valid, invalid, seen = [], [], set()
    for piece in SEPARATORS.split(text or ""):
        piece = piece.strip().strip("<>\"'")
        if not piece:
            continue
        try:
            address = validate_email(piece, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            invalid.append(piece)
            continue
        if address not in seen:
            seen.add(address)
            valid.append(address)
    return valid, invalid


def subject_title(party: Party) -> str:
    """The party's title as a subject line carries it: one line, cut to SUBJECT_TITLE_MAX."""
    title = " ".join(party.title.split())
    return title if len(title) <= SUBJECT_TITLE_MAX else title[: SUBJECT_TITLE_MAX - 1].rstrip() + "\u2026"


def _check_invitation_allowance(party: Party, wanted: int, now: datetime) -> None:
    """A party sends at most INVITATIONS_PER_DAY a day, and its host's account at most
    INVITATIONS_PER_ACCOUNT_PER_DAY across all their parties."""
    since = now - timedelta(days=1)
    counted = sa.select(sa.func.count()).select_from(Invitation).where(Invitation.invited_at > since)
    left = INVITATIONS_PER_DAY - (db.session.scalar(counted.where(Invitation.party_id == party.id)) or 0)
    if wanted > left:
        raise TooManyInvitations(
            f"A party can send {INVITATIONS_PER_DAY} invitations a day: "
            + (f"{left} left today." if left > 0 else "none left today; try again tomorrow.")
        )
    if party.host_id is None:
        return
    per_account = current_app.config["INVITATIONS_PER_ACCOUNT_PER_DAY"]
    hosted = sa.select(Party.id).where(Party.host_id == party.host_id)
    left = per_account - (db.session.scalar(counted.where(Invitation.party_id.in_(hosted))) or 0)
    if wanted > left:
        raise TooManyInvitations(
            f"Your account can send {per_account} invitations a day across all your parties: "
            + (f"{left} left today." if left > 0 else "none left today; try again tomorrow.")
        )


def invite(party: Party, text: str, now: datetime | None = None) -> InvitationResult:
    """Invite pasted addresses by email. All-or-nothing: any invalid address,
    or more than the day's allowance, refuses the whole paste with a message."""
    now = now or utcnow()
    check_sender(party)
    addresses, invalid = parse_addresses(text)
    if len(addresses) + len(invalid) > MAX_PASTE_ADDRESSES:
        raise InvalidInvitations(f"Paste at most {MAX_PASTE_ADDRESSES} addresses at a time.")
    if invalid:
        shown = ", ".join(invalid[:10]) + (f" and {len(invalid) - 10} more" if len(invalid) > 10 else "")
        raise InvalidInvitations(
            f"{'These are not' if len(invalid) > 1 else 'This is not'} an email address: {shown}. "
            "Fix or remove and send again."
        )
    if not addresses:
        raise InvalidInvitations("Paste at least one email address.")
    known = set(
        db.session.scalars(sa.select(Invitation.email).where(Invitation.party_id == party.id))
    ) | set(db.session.scalars(sa.select(Rsvp.email).where(Rsvp.party_id == party.id, Rsvp.email.is_not(None))))
    result = InvitationResult()
    fresh: list[str] = []
    for address in addresses:
        (result.skipped if address in known else fresh).append(address)
    _check_invitation_allowance(party, len(fresh), now)
    for address in fresh:
        invitation = Invitation(party_id=party.id, email=address, invited_at=now)
        db.session.add(invitation)
        db.session.flush()  # the unique (party, email) decides a race between two pastes
        stop = invitation_stop_url(party, invitation)
        mail.queue_template(
            address, f"You're invited: {subject_title(party)}", "party_invitation", party_id=party.id,
            party=party, viewer=Viewer(party), share_link=share_url(party), film_link=film_url(party),
            stop_link=stop,
        )
        result.invited.append(address)
    return result


# ---------------------------------------------------------------- changes


@dataclass(frozen=True)
class PartySnapshot:
    """What guests rely on, taken before an edit to tell them what changed."""

    starts_at: datetime
    timezone: str
    area: str
    address: str
    online_url: str

    @classmethod
    def of(cls, party: Party) -> "PartySnapshot":
        return cls(party.starts_at, party.timezone, party.area, party.address, party.online_url)


def what_changed(before: PartySnapshot, party: Party) -> list[str]:
    """The kinds of change guests are told about: "time", "area", "address", "online"."""
    changes = []
    if (before.starts_at, before.timezone) != (party.starts_at, party.timezone):
        changes.append("time")
    if before.area != party.area:
        changes.append("area")
    if before.address != party.address:
        changes.append("address")
    if before.online_url != party.online_url:
        changes.append("online")
    return changes


def notify_party_changed(party: Party, before: PartySnapshot) -> int:
    """Tell going, maybe and waitlisted guests what changed, with the updated
    event (same UID, higher SEQUENCE). Returns how many were queued."""
    changes = what_changed(before, party)
    if not changes:
        return 0
    queued = 0
    for rsvp in _mailable_guests(party, ("going", "maybe")):
        viewer = Viewer(party, rsvp=rsvp)
        # A guest who may not see the address hears only that the place changed.
        visible = [c for c in changes if c not in ("address", "online") or viewer.sees_exact_place]
        if not visible:
            continue
        queued += email_guest(
            rsvp, f"Changed: {party.title}", "party_changed",
            changes=visible, before=before, attachments=(calendar_attachment(party, viewer, address_of(rsvp)),),
        )
    return queued


def notify_party_cancelled(party: Party) -> int:
    """Everyone who replied (declined guests too: they would want to know) and
    every invitee who has not replied hears of a cancellation, with the host's message."""
    queued = 0
    replied = set()
    for rsvp in _mailable_guests(party, ("going", "maybe", "declined")):
        replied.add(rsvp.email)
        queued += email_guest(
            rsvp, f"Cancelled: {party.title}", "party_cancelled",
            attachments=(calendar_attachment(party, Viewer(party, rsvp=rsvp), address_of(rsvp)),),
        )
    invitations = db.session.scalars(
        sa.select(Invitation).where(Invitation.party_id == party.id, Invitation.emails_stopped.is_(False))
    )
    for invitation in invitations:
        if invitation.email in replied:
            continue
        stop = invitation_stop_url(party, invitation)
        mail.queue_template(
            invitation.email, f"Cancelled: {party.title}", "party_cancelled", party_id=party.id,
            party=party, rsvp=None, viewer=Viewer(party), share_link=share_url(party), film_link=film_url(party),
            stop_link=stop,
        )
        queued += 1
    return queued


# ---------------------------------------------------------------- reminders


def reminder_key(rsvp: Rsvp, party: Party) -> str:
    # The start time is part of the key: a party moved to another day reminds again.
    return f"reminder:{rsvp.id}:{party.starts_at:%Y%m%dT%H%M}"


def queue_due_reminders(now: datetime | None = None) -> list[tuple[Party, Rsvp]]:
    """Queue the reminder of every guest (going and seated, or maybe) of a
    scheduled party starting within the next 24 hours, once each: the unique
    key in the outbox decides, so overlapping runs cannot queue one twice."""
    from watchparty.signups.board import claims_by_rsvp  # the sign-up list builds on parties

    now = now or utcnow()
    parties = list(
        db.session.scalars(
            sa.select(Party)
            .where(Party.status == "scheduled", Party.undecided.is_(False), Party.starts_at > now, Party.starts_at <= now + REMINDER_LEAD)
            .order_by(Party.starts_at, Party.id)
        )
    )
    queued = []
    for party in parties:
        guests = [
            rsvp for rsvp in _mailable_guests(party, ("going", "maybe"))
            if not rsvp.is_waitlisted
        ]
        if not guests:
            continue
        bringing = claims_by_rsvp(party)
        for rsvp in guests:
            stop = stop_emails_url(rsvp, party)
            new_id = mail.queue_once(
                reminder_key(rsvp, party), address_of(rsvp), f"Tomorrow: {party.title}"
                if party.starts_at - now > timedelta(hours=12) else f"Soon: {party.title}",
                "party_reminder", party_id=party.id,
                rsvp=rsvp, party=party, viewer=Viewer(party, rsvp=rsvp), bringing=bringing.get(rsvp.id, []),
                manage_link=manage_url(rsvp, party), share_link=share_url(party), film_link=film_url(party),
                stop_link=stop,
            )
            if new_id is not None:
                queued.append((party, rsvp))
    db.session.commit()
    return queued


@mail.timed_job("reminders")
def _queue_reminders_job(now: datetime) -> int:
    return len(queue_due_reminders(now))


def remind(now: datetime | None = None) -> list[tuple[Party, Rsvp]]:
    """The cron job: queue the reminders now due; the mail worker sends them."""
    with writing_transactions():
        queued = queue_due_reminders(now)
    current_app.logger.info("reminders queued: %s", len(queued))
    return queued


# ---------------------------------------------------------------- opting out


def never_email(address: str) -> None:
    """The footer's "never email me from Watchparty again": the address goes on the
    site-wide suppression list, which the mail worker honours for every sender."""
    mail.suppress(address)


def never_email_address(token: str) -> str | None:
    """The address a footer link speaks for, or None for a forged or broken token."""
    return mail_messages.address_of_never_token(token)


def is_never_emailed(address: str) -> bool:
    return mail.is_suppressed(address)


def stop_emails_for_guest(rsvp: Rsvp) -> None:
    """The guest's "stop emails about this party": nothing more is queued for them."""
    rsvp.emails_stopped = True
    db.session.flush()


def invitation_by_token(party: Party, token: str) -> Invitation | None:
    return db.session.scalar(
        sa.select(Invitation).where(Invitation.party_id == party.id, Invitation.token == token)
    )


def stop_emails_for_invitation(invitation: Invitation) -> None:
    invitation.emails_stopped = True
    db.session.flush()
