"""Sign-up rules: items, claims, and what is still needed.

How many units of an item are claimed is decided by the database. The
counter `signup_item.claimed` only ever changes in one UPDATE statement:
taking units is guarded (`claimed + n <= quantity_needed`) and its row count
says whether they were free, so two guests asking for the last bag of popcorn
cannot both get it, on SQLite or PostgreSQL, in one process or many. A CHECK
constraint (`claimed <= quantity_needed`) backs the rule.

Locks, for PostgreSQL (SQLite serialises writing requests with BEGIN
IMMEDIATE): every change takes rows in one order — party, reply, item, claim —
so no two requests wait on each other in a circle. A guest's sign-ups run
under their reply's row lock, so a reply changed to "can't make it" at the
same moment either comes first (and the claim is refused) or comes after
(and releases the claim). The host's run under the party's row lock.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from watchparty import activity
from watchparty.errors import DomainError, NotAllowed
from watchparty.extensions import changed_rows, db
from watchparty.models import ITEM_CATEGORIES, Claim, Party, Rsvp, SignupItem, utcnow
from watchparty.models.signup import CLAIM_NOTE_MAX, ITEM_NAME_MAX, ITEM_NOTE_MAX, ITEM_QUANTITY_MAX
from watchparty.party_clock import party_phase
from watchparty.rsvp import service as rsvp_service
from watchparty.signups.claims import (
    ClaimLine,
    claims_table,
    drop_if_abandoned,
    give_back,
    item_claims,
    items_table,
    lock_reply,
)

CATEGORY_LABELS = {"snack": "Snacks", "drink": "Drinks", "supplies": "Supplies", "other": "Other"}
# A list longer than this is abuse, not a film night.
MAX_ITEMS = 100


class SignupsClosed(DomainError):
    status = 409


class InvalidItem(DomainError):
    status = 422


class ItemNotFound(DomainError):
    """No such item (or claim) on this party, for this viewer: the view answers 404."""

    status = 404


class ItemFullyClaimed(DomainError):
    status = 409
    field = "quantity"


class QuantityBelowClaimed(DomainError):
    status = 409
    field = "quantity"


class ItemGone(DomainError):
    """The host removed the item while this request was on its way."""

    status = 409


class ClaimChanged(DomainError):
    """The same claim was changed by another request at the same moment (a double submit)."""

    status = 409


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


_parties = Party.__table__


# ---------------------------------------------------------------- who may sign up, and when


def _check_open(party: Party, is_host: bool, now: datetime | None) -> None:
    """SignupsClosed (409) unless this kind of viewer may still sign up."""
    reason = party_phase(party, now or utcnow()).closed_reason("signups", is_host)
    if reason:
        raise SignupsClosed(reason)


def why_not(viewer: rsvp_service.Viewer) -> str | None:
    """Why this viewer may not sign up (whatever the time), or None when they may."""
    if viewer.is_host:
        return None
    rsvp = viewer.rsvp
    if rsvp is None:
        return "Reply going or maybe first, then sign up to bring something."
    if rsvp.response == "declined":
        return "You said you can't make it, so there's nothing to bring. Changed your mind? Change your reply first."
    if rsvp.is_waitlisted:
        return "You're on the waitlist: you can sign up to bring something once you have a seat."
    return None


@dataclass
class Claimer:
    """Whose claim: a guest's reply, or the host (who has no reply)."""

    rsvp_id: int | None = None
    user_id: int | None = None


def _lock_party(party_id: int) -> None:
    """Hold the party's row: the host's sign-ups and list changes run one at a time."""
    db.session.execute(sa.select(_parties.c.id).where(_parties.c.id == party_id).with_for_update())


def _claimer(party: Party, viewer: rsvp_service.Viewer) -> Claimer:
    """Who signs up, checked and locked; NotAllowed (403) for anyone who may not."""
    if viewer.is_host:
        _lock_party(party.id)
        return Claimer(user_id=party.host_id)
    if viewer.rsvp is None:
        reason = why_not(viewer)
        assert reason is not None  # without a reply there is always a reason
        raise NotAllowed(reason, field="quantity")
    rsvp = lock_reply(viewer.rsvp.id, party.id)
    if rsvp is None:
        raise NotAllowed("Your reply is no longer on this party's list. Reply again to sign up.", field="quantity")
    viewer.rsvp = rsvp
    reason = why_not(viewer)
    if reason:
        raise NotAllowed(reason, field="quantity")
    return Claimer(rsvp_id=rsvp.id)


# ---------------------------------------------------------------- checks on values


def _check_quantity(quantity, field_name: str = "quantity") -> int:
    """A whole number of units an item may need (InvalidItem otherwise)."""
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        raise InvalidItem("Enter a whole number.", field=field_name)
    if not 1 <= quantity <= ITEM_QUANTITY_MAX:
        raise InvalidItem(f"Enter a number from 1 to {ITEM_QUANTITY_MAX}.", field=field_name)
    return quantity


def _text(value: str | None, limit: int, field_name: str, label: str) -> str:
    """One line of text, spaces collapsed, within its limit (InvalidItem otherwise)."""
    value = " ".join((value or "").split())
    if len(value) > limit:
        raise InvalidItem(f"Keep the {label} under {limit} characters.", field=field_name)
    return value


def _normalise(fields: ItemFields) -> ItemFields:
    """An item's values checked and tidied; InvalidItem names the field at fault."""
    name = _text(fields.name, ITEM_NAME_MAX, "name", "name")
    if not name:
        raise InvalidItem("Say what is needed, like “Popcorn”.", field="name")
    if fields.category not in ITEM_CATEGORIES:
        raise InvalidItem("Choose snack, drink, supplies or other.", field="category")
    return ItemFields(
        name=name,
        category=fields.category,
        quantity=_check_quantity(fields.quantity),
        note=_text(fields.note, ITEM_NOTE_MAX, "note", "note"),
    )


# ---------------------------------------------------------------- the counter


def _full_message(needed: int, left: int, mine: int) -> str:
    """"All 5 are taken", "Only 2 left" — or, for a guest who already brings some, what they may still add."""
    if mine:
        if left <= 0:
            return f"All {needed} are taken — you're down for {mine}."
        return f"Only {left} more left — you can bring up to {mine + left}."
    if left <= 0:
        return f"All {needed} are taken."
    return f"Only {left} left."


def _take(item_id: int, units: int, mine: int = 0) -> None:
    """Claim `units` more of an item if they are free: one guarded UPDATE, decided by its row count."""
    for _attempt in range(3):
        result = db.session.execute(
            sa.update(items_table)
            .where(items_table.c.id == item_id, items_table.c.claimed + units <= items_table.c.quantity_needed)
            .values(claimed=items_table.c.claimed + units)
        )
        if changed_rows(result) == 1:
            return
        row = db.session.execute(
            sa.select(items_table.c.claimed, items_table.c.quantity_needed).where(items_table.c.id == item_id)
        ).first()
        if row is None:
            raise ItemGone("The host has just taken that item off the list.")
        claimed, needed = row
        if needed - claimed < units:
            raise ItemFullyClaimed(_full_message(needed, needed - claimed, mine))
        # Someone gave units back between the two statements: ask again.
    raise ItemFullyClaimed(_full_message(needed, needed - claimed, mine))


def _item(party: Party, item_id: int, lock: bool = False) -> SignupItem:
    """An item of this party, read fresh; ItemNotFound (404) for any other id."""
    query = sa.select(SignupItem).where(SignupItem.id == item_id, SignupItem.party_id == party.id)
    if lock:
        query = query.with_for_update()
    item = db.session.scalar(query.execution_options(populate_existing=True))
    if item is None:
        raise ItemNotFound("No such item on this party's list.")
    return item


# ---------------------------------------------------------------- claims


def claim_item(
    party: Party, viewer: rsvp_service.Viewer, item_id: int, quantity: int, note: str = "",
    now: datetime | None = None,
) -> Claim:
    """Sign up to bring `quantity` of an item, or change how many you bring.

    A second claim on the same item changes the first: the counter moves by
    the difference in one guarded UPDATE. Raises SignupsClosed, NotAllowed
    (not replied, declined, waitlisted), ItemNotFound, InvalidItem, or
    ItemFullyClaimed ("All 5 are taken", "Only 2 left").
    """
    _check_open(party, viewer.is_host, now)
    quantity = _check_quantity(quantity)
    note = _text(note, CLAIM_NOTE_MAX, "note", "note")
    claimer = _claimer(party, viewer)
    item = _item(party, item_id)
    claim = _claim_of(item.id, claimer)
    if viewer.rsvp is not None and claimer.rsvp_id is not None:
        activity.record(party, "claim", viewer.rsvp, {"item": item.name, "quantity": quantity}, now)
    if claim is None:
        _take(item.id, quantity)
        claim = Claim(
            item_id=item.id, rsvp_id=claimer.rsvp_id, user_id=claimer.user_id, quantity=quantity, note=note,
        )
        db.session.add(claim)
        try:
            db.session.flush()
        except IntegrityError:
            raise ClaimChanged("You signed up for this a moment ago in another window. Check the list.") from None
    else:
        _change_claim(claim, quantity, note)
    db.session.expire(item, ["claimed"])
    return claim


def _claim_of(item_id: int, claimer: Claimer) -> Claim | None:
    """The claimer's claim on an item, if they have one (the host's: the one without a reply)."""
    query = sa.select(Claim).where(Claim.item_id == item_id)
    if claimer.rsvp_id is not None:
        query = query.where(Claim.rsvp_id == claimer.rsvp_id)
    else:
        query = query.where(Claim.rsvp_id.is_(None))
    return db.session.scalar(query.execution_options(populate_existing=True))


def _change_claim(claim: Claim, quantity: int, note: str) -> None:
    """Set a claim to `quantity`: the counter moves by the difference, in one guarded UPDATE."""
    before = claim.quantity
    if quantity > before:
        _take(claim.item_id, quantity - before, mine=before)
    elif quantity < before:
        give_back(claim.item_id, before - quantity)
    # Compare-and-set: a double submit of the host's change cannot count twice.
    result = db.session.execute(
        sa.update(claims_table)
        .where(claims_table.c.id == claim.id, claims_table.c.quantity == before)
        .values(quantity=quantity, note=note, updated_at=utcnow())
    )
    if changed_rows(result) != 1:
        raise ClaimChanged("Your sign-up changed in another window at the same moment. Check the list.")
    db.session.expire(claim)


def release_claim(party: Party, viewer: rsvp_service.Viewer, claim_id: int, now: datetime | None = None) -> str:
    """Give a claim back to the list: the guest's own, or any claim for the host.

    Someone else's claim looks like no claim (ItemNotFound → 404). Returns the
    item's name.
    """
    _check_open(party, viewer.is_host, now)
    found = db.session.execute(
        sa.select(Claim.rsvp_id)
        .join(SignupItem, Claim.item_id == SignupItem.id)
        .where(Claim.id == claim_id, SignupItem.party_id == party.id)
    ).first()
    mine = viewer.rsvp is not None and found is not None and found.rsvp_id == viewer.rsvp.id
    if found is None or not (viewer.is_host or mine):
        raise ItemNotFound("No such sign-up.")
    if found.rsvp_id is not None:
        lock_reply(found.rsvp_id, party.id)
    else:
        _lock_party(party.id)
    claim = db.session.scalar(
        sa.select(Claim).where(Claim.id == claim_id).execution_options(populate_existing=True)
    )
    if claim is None:
        raise ItemNotFound("No such sign-up.")
    item_id, quantity, rsvp_id = claim.item_id, claim.quantity, claim.rsvp_id
    name = db.session.execute(sa.select(items_table.c.name).where(items_table.c.id == item_id)).scalar_one()
    give_back(item_id, quantity)
    result = db.session.execute(sa.delete(claims_table).where(claims_table.c.id == claim_id, claims_table.c.quantity == quantity))
    if changed_rows(result) != 1:
        raise ClaimChanged("That sign-up changed in another window at the same moment. Check the list.")
    db.session.expunge(claim)
    if rsvp_id is not None:
        drop_if_abandoned(item_id, rsvp_id)
        if mine:
            activity.record(party, "release", viewer.rsvp, {"item": name, "quantity": quantity}, now)
    return name


# ---------------------------------------------------------------- items


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
    _check_open(party, viewer.is_host, now)
    fields = _normalise(fields)
    claimer = _claimer(party, viewer)
    _check_room(party, 1)
    item = _new_item(party, fields, position=_next_position(party.id), added_by_rsvp_id=claimer.rsvp_id)
    if claimer.rsvp_id is not None and viewer.rsvp is not None:
        activity.record(party, "item", viewer.rsvp, {"item": item.name, "quantity": item.quantity_needed}, now)
        _take(item.id, item.quantity_needed)
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
    _check_open(party, True, now)
    normalised = [_normalise(row) for row in rows]
    _lock_party(party.id)
    _check_room(party, len(normalised))
    position = _next_position(party.id)
    return [_new_item(party, fields, position + offset) for offset, fields in enumerate(normalised)]


def update_item(party: Party, item_id: int, fields: ItemFields, now: datetime | None = None) -> SignupItem:
    """The host edits an item. Needing fewer than are already claimed is refused
    (QuantityBelowClaimed), decided by a guarded UPDATE."""
    _check_open(party, True, now)
    fields = _normalise(fields)
    _lock_party(party.id)
    item = _item(party, item_id)
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
    _check_open(party, True, now)
    _lock_party(party.id)
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
    _check_open(party, True, now)
    _lock_party(party.id)
    # Locked, so no claim can slip in between reading the claims and deleting.
    item = _item(party, item_id, lock=True)
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
    return _item(party, item_id)


def listed_names(party: Party) -> list[str]:
    """The names already on the list, to leave out of the starter list."""
    return list(db.session.scalars(sa.select(items_table.c.name).where(items_table.c.party_id == party.id)))
