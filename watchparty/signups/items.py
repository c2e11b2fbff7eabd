"""The bring list: the items a party needs, added by the host (on the party form, from
the starter list or the dashboard) or by a guest ("I'll bring a cheesecake"), edited,
moved and taken off. Who may change it and when, and the claimed counter, are
`service`'s; the lock order there holds here too.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from watchparty import activity
from watchparty.errors import DomainError
from watchparty.extensions import changed_rows, db
from watchparty.models import ITEM_CATEGORIES, Claim, Party, Rsvp, SignupItem
from watchparty.models.signup import ITEM_NAME_MAX, ITEM_NOTE_MAX
from watchparty.rsvp import service as rsvp_service
from watchparty.signups.claims import ClaimLine, claims_table, item_claims, items_table
from watchparty.signups.service import (
    InvalidItem,
    ItemNotFound,
    check_open,
    check_quantity,
    lock_party,
    one_line,
    party_item,
    signing_up,
    take,
)

CATEGORY_LABELS = {"snack": "Snacks", "drink": "Drinks", "supplies": "Supplies", "other": "Other"}
# A list longer than this is abuse, not a film night.
MAX_ITEMS = 100


class QuantityBelowClaimed(DomainError):
    status = 409
    field = "quantity"


class ListFull(DomainError):
    status = 409
    field = "name"


class ConfirmRemoval(DomainError):
    """The item is claimed: the host must confirm, and the claimers are told."""

    status = 409

    def __init__(self, message: str, claims: list["ClaimLine"]):
        super().__init__(message)
        self.claims = claims


@dataclass
class ItemFields:
    """One item as the forms collect it."""

    name: str
    category: str = "snack"
    quantity: int = 1
    note: str = ""


def _normalise(fields: ItemFields) -> ItemFields:
    """An item's values checked and tidied; InvalidItem names the field at fault."""
    name = one_line(fields.name, ITEM_NAME_MAX, "name", "name")
    if not name:
        raise InvalidItem("Say what is needed, like “Popcorn”.", field="name")
    if fields.category not in ITEM_CATEGORIES:
        raise InvalidItem("Choose snack, drink, supplies or other.", field="category")
    return ItemFields(
        name=name,
        category=fields.category,
        quantity=check_quantity(fields.quantity),
        note=one_line(fields.note, ITEM_NOTE_MAX, "note", "note"),
    )


# ---------------------------------------------------------------- the list


def _next_position(party_id: int) -> int:
    """The position after the list's last item."""
    last = db.session.scalar(sa.select(sa.func.max(items_table.c.position)).where(items_table.c.party_id == party_id))
    return (last or 0) + 1


def _check_room(party: Party, adding: int) -> None:
    """ListFull unless `adding` more items keep the list within MAX_ITEMS."""
    count = db.session.scalar(sa.select(sa.func.count()).select_from(items_table).where(items_table.c.party_id == party.id))
    if (count or 0) + adding > MAX_ITEMS:  # a count is never NULL; scalar() is typed as if it could be
        raise ListFull(f"The list is full: a party can have at most {MAX_ITEMS} items.")


def add_item(party: Party, viewer: rsvp_service.Viewer, fields: ItemFields, now: datetime | None = None) -> SignupItem:
    """Add an item from the party page.

    The host adds something the night needs. A guest (going or maybe) adds
    what they will bring — "I'll bring a cheesecake": the item shows as
    theirs and is claimed by them in full.
    """
    check_open(party, viewer.is_host, now)
    fields = _normalise(fields)
    claimer = signing_up(party, viewer)
    _check_room(party, 1)
    item = _new_item(party, fields, position=_next_position(party.id), added_by_rsvp_id=claimer.rsvp_id)
    if claimer.rsvp_id is not None and viewer.rsvp is not None:
        activity.record(party, "item", viewer.rsvp, {"item": item.name, "quantity": item.quantity_needed}, now)
        take(item.id, item.quantity_needed)
        db.session.add(Claim(item_id=item.id, rsvp_id=claimer.rsvp_id, quantity=item.quantity_needed))
        db.session.flush()
        db.session.expire(item, ["claimed"])
    return item


def _new_item(party: Party, fields: ItemFields, position: int, added_by_rsvp_id: int | None = None) -> SignupItem:
    """A new, unclaimed item row (values already checked)."""
    item = SignupItem(
        party_id=party.id,
        name=fields.name,
        category=fields.category,
        quantity_needed=fields.quantity,
        note=fields.note,
        added_by_rsvp_id=added_by_rsvp_id,
        position=position,
    )
    db.session.add(item)
    db.session.flush()
    return item


def add_host_items(party: Party, rows: list[ItemFields], now: datetime | None = None) -> list[SignupItem]:
    """The host adds items (while creating the party, from the starter list or the
    dashboard), in the order given. Rows without a name are skipped."""
    rows = [row for row in rows if (row.name or "").strip()]
    if not rows:
        return []
    check_open(party, True, now)
    normalised = [_normalise(row) for row in rows]
    lock_party(party.id)
    _check_room(party, len(normalised))
    position = _next_position(party.id)
    return [_new_item(party, fields, position + offset) for offset, fields in enumerate(normalised)]


def update_item(party: Party, item_id: int, fields: ItemFields, now: datetime | None = None) -> SignupItem:
    """The host edits an item. Needing fewer than are already claimed is refused
    (QuantityBelowClaimed), decided by a guarded UPDATE."""
    check_open(party, True, now)
    fields = _normalise(fields)
    lock_party(party.id)
    item = party_item(party, item_id)
    result = db.session.execute(
        sa.update(items_table)
        .where(items_table.c.id == item.id, items_table.c.claimed <= fields.quantity)
        .values(name=fields.name, category=fields.category, quantity_needed=fields.quantity, note=fields.note)
    )
    if changed_rows(result) != 1:
        claimed = db.session.scalar(sa.select(items_table.c.claimed).where(items_table.c.id == item.id))
        raise QuantityBelowClaimed(
            f"Guests have already claimed {claimed}, so the list needs at least {claimed}. "
            "To need fewer, release some of their claims first."
        )
    db.session.refresh(item)
    return item


def move_item(party: Party, item_id: int, direction: str, now: datetime | None = None) -> None:
    """Move an item one place up or down among the items of its category."""
    if direction not in ("up", "down"):
        raise InvalidItem("Move an item up or down.")
    check_open(party, True, now)
    lock_party(party.id)
    items = list(
        db.session.scalars(
            sa.select(SignupItem)
            .where(SignupItem.party_id == party.id)
            .order_by(SignupItem.position, SignupItem.id)
            .execution_options(populate_existing=True)
        )
    )
    target = next((item for item in items if item.id == item_id), None)
    if target is None:
        raise ItemNotFound("No such item on this party's list.")
    same = [index for index, item in enumerate(items) if item.category == target.category]
    here = same.index(items.index(target))
    there = here - 1 if direction == "up" else here + 1
    if 0 <= there < len(same):
        first, second = same[here], same[there]
        items[first], items[second] = items[second], items[first]
    # Renumber the whole list: older rows may share a position.
    for position, item in enumerate(items, start=1):
        if item.position != position:
            item.position = position
    db.session.flush()


@dataclass
class RemovedItem:
    name: str
    # How many claimers with an email were told it's off the list.
    told: int = 0


def remove_item(party: Party, item_id: int, confirmed: bool = False, now: datetime | None = None) -> RemovedItem:
    """The host takes an item off the list. A claimed item needs `confirmed`
    (ConfirmRemoval lists its claims otherwise); its claimers with an email
    are told it's off the list."""
    check_open(party, True, now)
    lock_party(party.id)
    # Locked, so no claim can slip in between reading the claims and deleting.
    item = party_item(party, item_id, lock=True)
    claims = item_claims(party, item.id)
    if claims and not confirmed:
        raise ConfirmRemoval(
            f"{_names(claims)} signed up to bring {item.name}. Remove it anyway? "
            "Those with an email get a note that it's off the list.",
            claims,
        )
    replies = db.session.execute(
        sa.select(Rsvp, Claim.quantity).join(Claim, Claim.rsvp_id == Rsvp.id).where(Claim.item_id == item.id)
    ).all()
    name = item.name
    db.session.execute(sa.delete(claims_table).where(claims_table.c.item_id == item.id))
    db.session.execute(sa.delete(items_table).where(items_table.c.id == item.id))
    db.session.expunge(item)
    told = sum(
        rsvp_service.email_guest(
            rsvp, f"{name} is off the list for {party.title}", "item_removed", item_name=name, quantity=quantity
        )
        for rsvp, quantity in replies
    )
    return RemovedItem(name=name, told=told)


def _names(claims: list[ClaimLine]) -> str:
    """"Bob", "Bob and Ann", "Bob, Ann and Cat"."""
    names = [claim.name for claim in claims]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def has_item(party: Party, item_id: int) -> bool:
    """Whether the item is on this party's list (an item of another party is not)."""
    found = db.session.scalar(
        sa.select(items_table.c.id).where(items_table.c.id == item_id, items_table.c.party_id == party.id)
    )
    return found is not None


def rows_to_items(rows: list[dict]) -> list[ItemFields]:
    """The host's form rows as items; a row without a quantity needs one."""
    return [
        ItemFields(name=row["name"], category=row["category"], quantity=row["quantity"] or 1, note=row["note"] or "")
        for row in rows
        if (row.get("name") or "").strip()
    ]


def item_for_host(party: Party, item_id: int) -> SignupItem:
    """An item of this party (ItemNotFound otherwise), for the host's edit form."""
    return party_item(party, item_id)


def listed_names(party: Party) -> list[str]:
    """The names already on the list, to leave out of the starter list."""
    return list(db.session.scalars(sa.select(items_table.c.name).where(items_table.c.party_id == party.id)))
