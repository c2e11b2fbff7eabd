"""A party as an RFC 5545 event, with the location this viewer may see.

Downloaded (`calendar.ics`) it is a published event; attached to an email it
is an invitation (METHOD:REQUEST, or CANCEL once the party is cancelled, with
the site as ORGANIZER and the guest as ATTENDEE), so that mail clients offer
to add it and later emails update the same event (its UID) in place. A guest
the host removed gets a CANCEL of their own (removal_attachment)."""

from email.utils import parseaddr
from typing import TYPE_CHECKING

from flask import current_app
from icalendar import Calendar, Event

from watchparty.links import public_url
from watchparty.mail import Attachment
from watchparty.models import Party

if TYPE_CHECKING:  # the RSVP emails attach these files
    from watchparty.rsvp.lookups import Viewer

PRODID = "-//Watchparty//Watchparty parties//EN"


def party_uid(party: Party) -> str:
    """Stable across edits and link changes, so calendars update the event in place; on
    the public address's domain, so that two installations' party 7 are two events."""
    return f"party-{party.id}@{current_app.extensions['public_links'].host or 'watchparty'}"


def party_calendar(
    party: Party, viewer: "Viewer", invitation_to: str | None = None, *, removed: bool = False
) -> bytes:
    """The .ics for one party. LOCATION is the exact address only for a viewer
    entitled to it (host, seated or maybe guest), else the area. With
    `invitation_to` (an email address) it is an invitation to that guest; with
    `removed` too, it takes the event out of the calendar of a guest the host
    removed: a CANCEL one SEQUENCE above their last invitation, with no link in it
    (the party's page is no longer theirs)."""
    link = public_url("rsvp.party", token=party.share_token)
    film = party.film
    cancelled = party.is_cancelled or removed
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if invitation_to is not None:
        calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", party_uid(party))
    # The party's own SEQUENCE stays: the other guests' events have not changed.
    event.add("sequence", party.sequence + 1 if removed else party.sequence)
    event.add("dtstamp", party.updated_at)
    event.add("dtstart", party.starts_at)
    event.add("dtend", party.ends_at)
    event.add("summary", party.title)
    lines = [f"Watching {film.title} ({film.year})."]
    if party.is_cancelled:
        lines.insert(0, "CANCELLED. " + (party.cancel_message or ""))
    elif removed:
        lines.insert(0, "CANCELLED: you are no longer on the guest list.")
    if viewer.sees_exact_place and party.online_url:
        lines.append(f"Online: {party.online_url}")
    if not removed:
        lines.append(f"Party page and RSVP: {link}")
    event.add("description", "\n".join(line.strip() for line in lines))
    location = viewer.location()
    if location:
        event.add("location", location)
    if not removed:
        event.add("url", link)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if invitation_to is not None:
        name, sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
        host = party.host.display_name if party.host is not None else (name or "Watchparty")
        event.add("organizer", f"mailto:{sender}", parameters={"CN": host})
        event.add("attendee", f"mailto:{invitation_to}", parameters={"RSVP": "FALSE", "ROLE": "REQ-PARTICIPANT"})
    calendar.add_component(event)
    return calendar.to_ical()


def calendar_attachment(party: Party, viewer: "Viewer", to: str) -> Attachment:
    """The event as an invitation to `to`, for an email."""
    method = "CANCEL" if party.is_cancelled else "REQUEST"
    return Attachment(
        "invite.ics", party_calendar(party, viewer, invitation_to=to), "text/calendar", (("method", method),)
    )


def removal_attachment(party: Party, viewer: "Viewer", to: str) -> Attachment:
    """The event's cancellation for a guest the host removed (`viewer`: a visitor's,
    so the location is the area only)."""
    return Attachment(
        "cancel.ics", party_calendar(party, viewer, invitation_to=to, removed=True), "text/calendar",
        (("method", "CANCEL"),),
    )
