"""Ways for a host to send the share link: the phone's share sheet (static/js/share.js), and
plain links into WhatsApp, text messages and email that work without JavaScript."""

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from watchparty.models import Party
from watchparty.templating import local_time


@dataclass(frozen=True)
class ShareLinks:
    """The invitation as the share sheet and each app receive it; `link` is the public share link."""

    link: str
    title: str
    text: str  # the message without the link (the share sheet adds the link itself)
    whatsapp: str
    sms: str
    email: str


def invitation_text(party: Party) -> str:
    """"Anora night: we're watching Anora (2024) on Fri 11 Dec, 20:00 GMT. Will you come?" """
    if party.undecided:  # the guests vote on the film and/or date (watchparty.polls)
        return f"{party.title}: help pick the film and the night — vote here, no account needed."
    when = local_time(party.starts_at, party.timezone, "%a %-d %b, %H:%M %Z")
    return f"{party.title}: we're watching {party.film.title} ({party.film.year}) on {when}. Will you come?"


def share_links(party: Party, link: str) -> ShareLinks:
    """The share link wrapped for each way of sending it. `link` is built from PUBLIC_URL by the caller."""
    text = invitation_text(party)
    message = f"{text} {link}"
    return ShareLinks(
        link=link,
        title=party.title,
        text=text,
        whatsapp="https://wa.me/?" + urlencode({"text": message}, quote_via=quote),
        # "?&body=" is the form both iOS and Android read.
        sms="sms:?&body=" + quote(message, safe=""),
        email="mailto:?" + urlencode({"subject": f"Film night: {party.title}", "body": message}, quote_via=quote),
    )
