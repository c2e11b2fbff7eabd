"""The demo party: "Anora movie night", a week from now, with a few replies."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from watchparty.extensions import db
from watchparty.models import Film, Party, User, utcnow

DEMO_FILM_SLUG = "anora-2024"
DEMO_GUESTS = [
    ("Sam Okafor", "going", 1, "vegetarian", "Bringing popcorn!"),
    ("Priya Shah", "going", 0, "", ""),
    ("Jordan Lee", "maybe", 0, "no nuts", "Depends on work."),
    ("Alex Kim", "declined", 0, "", "Next time!"),
    ("Maria Rossi", "going", 2, "vegetarian", ""),
]


def create_demo_party(host: User, now: datetime | None = None) -> list[str]:
    """Create the demo party once (idempotent); returns lines for `flask demo` to print."""
    from watchparty.parties import service
    from watchparty.rsvp import service as rsvp_service

    film = db.session.scalar(sa.select(Film).where(Film.slug == DEMO_FILM_SLUG))
    if film is None:
        return ["No demo film yet; skipped the demo party."]
    existing = db.session.scalar(sa.select(Party).where(Party.host_id == host.id).order_by(Party.id).limit(1))
    if existing is not None:
        return [f"The demo host already has a party: /p/{existing.share_token}"]
    now = now or utcnow()
    zone = ZoneInfo(host.timezone)
    day = (now.astimezone(zone) + timedelta(days=7)).date()
    starts_local = datetime.combine(day, time(20, 0))
    party = service.create_party(
        host,
        service.PartyFields(
            title="Anora movie night",
            film=film.slug,
            starts_at=starts_local,
            timezone=host.timezone,
            area="Hackney, London",
            address="Flat 2, 14 Example Road\nLondon E8 1AB",
            screening_notes="English with English subtitles. Step-free entrance; the flat is on the ground floor.",
            capacity=12,
            rsvp_deadline=starts_local - timedelta(days=1),
            max_plus_ones=2,
            description="Sean Baker's Palme d'Or winner on the big(gish) screen.\n"
            "Doors at 19:30, film at 20:00. Bring a snack if you like — the list is on the party page.",
            guest_list_visible=True,
        ),
        now=now,
    )
    guests = {}
    for name, response, plus_ones, dietary, note in DEMO_GUESTS:
        guests[name] = rsvp_service.reply_to_party(
            party,
            rsvp_service.ReplyFields(name=name, response=response, plus_ones=plus_ones, dietary=dietary, note=note),
            now=now,
        )
    _add_demo_signups(party, guests, now)
    return [
        f"Created the demo party “{party.title}” for {starts_local:%a %-d %b %Y at %H:%M} ({host.timezone}).",
        f"Its share link: /p/{party.share_token}",
    ]


# Who brings what on the demo list: (guest, starter item, how many, note).
DEMO_CLAIMS = [
    ("Sam Okafor", "Popcorn", 2, "sweet and salty"),
    ("Maria Rossi", "Soft drinks", 2, ""),
    ("Jordan Lee", "Cups", 1, ""),
]


def _add_demo_signups(party, guests, now: datetime) -> None:
    """The starter list for the capacity, a few claims, and one guest's own item."""
    from watchparty.rsvp import service as rsvp_service
    from watchparty.signups import items as signup_items
    from watchparty.signups import service as signups
    from watchparty.signups import starter

    people = starter.expected_headcount(party)
    items = signup_items.add_host_items(party, signup_items.rows_to_items(starter.starter_rows(people)), now=now)
    by_name = {item.name: item for item in items}
    for guest, item_name, quantity, note in DEMO_CLAIMS:
        viewer = rsvp_service.Viewer(party, rsvp=guests[guest])
        signups.claim_item(party, viewer, by_name[item_name].id, quantity, note, now=now)
    priya = rsvp_service.Viewer(party, rsvp=guests["Priya Shah"])
    signup_items.add_item(party, priya, signup_items.ItemFields("Homemade brownies", "snack", 1, "contains nuts"), now=now)
