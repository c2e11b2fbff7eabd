"""Host again: a new party from one the host gave before.

The form comes filled with the old party's place, guest settings, description
and bring list (the host's own items); the film, the date and the title are
chosen anew. Creating it may invite everyone who came to the old party, through
the same invitation email as the dashboard's (notifications.after_film).
"""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from watchparty.errors import DomainError, NotAllowed
from watchparty.extensions import db
from watchparty.models import Party, SignupItem, User
from watchparty.notifications.after_film import invite_guests_who_came
from watchparty.parties.service import PartyFields, create_party
from watchparty.signups.items import ItemFields, add_host_items


@dataclass
class HostedAgain:
    party: Party
    invited: list[str] = field(default_factory=list)


def form_defaults(old: Party) -> dict:
    """The party form's values from `old`: place, guest settings, description and the
    host's own items (a guest's "I'll bring a cheesecake" stays theirs); no film, date or title."""
    items = db.session.scalars(
        sa.select(SignupItem)
        .where(SignupItem.party_id == old.id, SignupItem.added_by_rsvp_id.is_(None))
        .order_by(SignupItem.position, SignupItem.id)
    )
    return {
        "timezone": old.timezone,
        "area": old.area,
        "address": old.address,
        "online_url": old.online_url,
        "screening_notes": old.screening_notes,
        "show_address_to_guests": old.show_address_to_guests,
        "capacity": old.capacity,
        "max_plus_ones": old.max_plus_ones,
        "guest_list_visible": old.guest_list_visible,
        "description": old.description,
        "items": [
            {"name": item.name, "category": item.category, "quantity": item.quantity_needed, "note": item.note}
            for item in items
        ],
    }


def host_again(
    old: Party,
    host: User,
    fields: PartyFields,
    items: list[ItemFields],
    invite_same_guests: bool = False,
    now: datetime | None = None,
) -> HostedAgain:
    """Create the new party with its bring list and, when asked, invite everyone who
    came to `old` (seated as going, with an address, not opted out). All or nothing:
    a refused invitation (the day's allowance) refuses the party too, beside the tick."""
    if old.host_id != host.id:
        raise NotAllowed("Only the host of a party can host it again.")
    party = create_party(host, fields, now)
    add_host_items(party, items, now=now)
    invited = []
    if invite_same_guests:
        try:
            invited = invite_guests_who_came(old, party, now)
        except DomainError as error:
            raise type(error)(error.message, field="invite_same_guests") from None
    return HostedAgain(party, invited)
