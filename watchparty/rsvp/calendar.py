"""A party as an RFC 5545 event, with the location this viewer may see."""

from typing import TYPE_CHECKING

from icalendar import Calendar, Event

from watchparty.links import public_url
from watchparty.mail import Attachment
from watchparty.models import Party

if TYPE_CHECKING:  # the RSVP service attaches these files to its emails
    from watchparty.rsvp.service import Viewer

PRODID = "-//Watchparty//Watchparty parties//EN"


def party_uid(party: Party) -> str:
    """Stable across edits and link changes, so calendars update the event in place."""
    return f"party-{party.id}@watchparty"


def party_calendar(party: Party, viewer: "Viewer") -> bytes:
    """The .ics for one party. LOCATION is the exact address only for a viewer
    entitled to it (host, seated or maybe guest), else the area."""
    link = public_url("rsvp.party", token=party.share_token)
    film = party.film
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    event = Event()
    event.add("uid", party_uid(party))
    event.add("sequence", party.sequence)
    event.add("dtstamp", party.updated_at)
    event.add("dtstart", party.starts_at)
    event.add("dtend", party.ends_at)
    event.add("summary", party.title)
    lines = [f"Watching {film.title} ({film.year})."]
    if party.is_cancelled:
        lines.insert(0, "CANCELLED. " + (party.cancel_message or ""))
    if viewer.sees_exact_place and party.online_url:
        lines.append(f"Online: {party.online_url}")
    lines.append(f"Party page and RSVP: {link}")
    event.add("description", "\n".join(line.strip() for line in lines))
    location = viewer.location()
    if location:
        event.add("location", location)
    event.add("url", link)
    event.add("status", "CANCELLED" if party.is_cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()


def calendar_attachment(party: Party, viewer: "Viewer") -> Attachment:
    return Attachment("watchparty.ics", party_calendar(party, viewer), "text/calendar")
