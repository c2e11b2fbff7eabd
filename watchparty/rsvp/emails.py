"""The emails a guest gets about their reply, and the links they carry (built from
the configured public address). Each is queued in the caller's transaction."""

from datetime import datetime, timedelta

from watchparty import mail
from watchparty.links import public_url
from watchparty.models import Party, Rsvp, utcnow
from watchparty.party_clock import party_phase
from watchparty.rsvp.calendar import calendar_attachment, removal_attachment
from watchparty.rsvp.lookups import Viewer, waitlist_place


def manage_url(rsvp: Rsvp, party: Party | None = None) -> str:
    party = party or rsvp.party
    return public_url("rsvp.manage", token=party.share_token, manage_token=rsvp.manage_token)


def share_url(party: Party) -> str:
    return public_url("rsvp.party", token=party.share_token)


def film_url(party: Party) -> str:
    return public_url("films.detail", slug=party.film.slug)


def stop_emails_url(rsvp: Rsvp, party: Party | None = None) -> str:
    party = party or rsvp.party
    return public_url("notifications.stop_guest", token=party.share_token, manage_token=rsvp.manage_token)


def is_mailable(rsvp: Rsvp) -> bool:
    """Do we write to this guest? Only with an address, and not after "stop emails"."""
    return bool(rsvp.email) and not rsvp.emails_stopped


def address_of(rsvp: Rsvp) -> str:
    """The address of a guest already found mailable (is_mailable, or a query for replies with one)."""
    if not rsvp.email:
        raise ValueError(f"reply {rsvp.id} has no email address")
    return rsvp.email


def email_guest(rsvp: Rsvp, subject: str, template: str, once_key: str | None = None, **context) -> bool:
    """Queue one email to a guest, for the mail worker to send (see
    watchparty.mail). Every one carries the guest's "stop emails about this
    party" link; False when they gave no address or pressed it, or when a
    message with the same `once_key` was queued already."""
    if not is_mailable(rsvp):
        return False
    party = rsvp.party
    context.setdefault("viewer", Viewer(party, rsvp=rsvp))
    context.update(
        rsvp=rsvp, party=party, manage_link=manage_url(rsvp, party), share_link=share_url(party),
        film_link=film_url(party), place=waitlist_place(rsvp), stop_link=stop_emails_url(rsvp, party),
    )
    if once_key is not None:
        return mail.queue_once(once_key, address_of(rsvp), subject, template, party_id=party.id, **context) is not None
    mail.queue_template(address_of(rsvp), subject, template, party_id=party.id, **context)
    return True


def send_confirmation(rsvp: Rsvp) -> bool:
    """The guest's copy of their reply, with the personal manage link and the event."""
    party = rsvp.party
    if rsvp.is_waitlisted:
        subject = f"You're on the waitlist for {party.title}"
    elif rsvp.response == "going":
        subject = f"You're going to {party.title}"
    else:
        subject = f"Your reply to {party.title}"
    attachments: tuple[mail.Attachment, ...] = ()
    if rsvp.response != "declined" and is_mailable(rsvp):
        attachments = (calendar_attachment(party, Viewer(party, rsvp=rsvp), address_of(rsvp)),)
    return email_guest(rsvp, subject, "rsvp_confirmation", attachments=attachments)


# Anyone with the share link can ask for a guest's link to be sent again (by replying
# with their address): at most once in each such window, so nobody can flood them.
MANAGE_LINK_RESEND_WINDOW = timedelta(minutes=10)


def send_manage_link(rsvp: Rsvp, now: datetime | None = None) -> bool:
    """Someone replied again with this address: send its owner the existing link, change
    nothing; once per MANAGE_LINK_RESEND_WINDOW at most (the outbox's unique key decides)."""
    window = int((now or utcnow()).timestamp() // MANAGE_LINK_RESEND_WINDOW.total_seconds())
    return email_guest(
        rsvp, f"Your reply to {rsvp.party.title}", "rsvp_manage_link", once_key=f"manage-link:{rsvp.id}:{window}"
    )


def send_new_link(rsvp: Rsvp) -> bool:
    """The host changed the share link: the guest's personal link changed with it."""
    return email_guest(rsvp, f"New link for {rsvp.party.title}", "rsvp_new_link")


def send_removed(rsvp: Rsvp, released_signups: bool, now: datetime) -> bool:
    """The host took this guest off the list: one kind email, with the event's
    cancellation for their calendar and no link that still acts (their reply and
    its manage link are about to go; the share link is not for them any more).
    Not once the party has started or was cancelled (they heard of that already).
    The footer keeps the site-wide "never email me" link, which needs no reply."""
    party = rsvp.party
    phase = party_phase(party, now)
    if phase.started or phase.cancelled or not is_mailable(rsvp):
        return False
    to = address_of(rsvp)
    mail.queue_template(
        to, f"You're no longer on the guest list for {party.title}", "rsvp_removed", party_id=party.id,
        rsvp=rsvp, party=party, viewer=Viewer(party), released_signups=released_signups,
        attachments=(removal_attachment(party, Viewer(party), to),),
    )
    return True


def send_seated(rsvp: Rsvp) -> bool:
    """A seat freed up and the waitlisted guest now has it."""
    return email_guest(rsvp, f"You're in: a seat opened up for {rsvp.party.title}", "rsvp_seated")
