"""Sign-up rules: who may sign up and when, claims, and the claimed counter. The
list itself (adding, editing, moving and removing items) is `items`'s, on top of this.

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
from watchparty.models import Claim, Party, SignupItem, utcnow
from watchparty.models.signup import CLAIM_NOTE_MAX, ITEM_QUANTITY_MAX
from watchparty.party_clock import party_phase
from watchparty.rsvp import service as rsvp_service
from watchparty.signups.claims import claims_table, drop_if_abandoned, give_back, items_table, lock_reply


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


class ItemGone(DomainError):
    """The host removed the item while this request was on its way."""

    status = 409


class ClaimChanged(DomainError):
    """The same claim was changed by another request at the same moment (a double submit)."""

    status = 409


_parties = Party.__table__


# ---------------------------------------------------------------- who may sign up, and when


def check_open(party: Party, is_host: bool, now: datetime | None) -> None:
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


def lock_party(party_id: int) -> None:
    """Hold the party's row: the host's sign-ups and list changes run one at a time."""
    db.session.execute(sa.select(_parties.c.id).where(_parties.c.id == party_id).with_for_update())


def signing_up(party: Party, viewer: rsvp_service.Viewer) -> Claimer:
    """Who signs up, checked and locked; NotAllowed (403) for anyone who may not."""
    if viewer.is_host:
        lock_party(party.id)
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


def check_quantity(quantity, field_name: str = "quantity") -> int:
    """A whole number of units an item may need (InvalidItem otherwise)."""
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        raise InvalidItem("Enter a whole number.", field=field_name)
    if not 1 <= quantity <= ITEM_QUANTITY_MAX:
        raise InvalidItem(f"Enter a number from 1 to {ITEM_QUANTITY_MAX}.", field=field_name)
    return quantity


def one_line(value: str | None, limit: int, field_name: str, label: str) -> str:
    """One line of text, spaces collapsed, within its limit (InvalidItem otherwise)."""
    value = " ".join((value or "").split())
    if len(value) > limit:
        raise InvalidItem(f"Keep the {label} under {limit} characters.", field=field_name)
    return value


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


def take(item_id: int, units: int, mine: int = 0) -> None:
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


def party_item(party: Party, item_id: int, lock: bool = False) -> SignupItem:
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
    check_open(party, viewer.is_host, now)
    quantity = check_quantity(quantity)
    note = one_line(note, CLAIM_NOTE_MAX, "note", "note")
    claimer = signing_up(party, viewer)
    item = party_item(party, item_id)
    claim = _claim_of(item.id, claimer)
    if viewer.rsvp is not None and claimer.rsvp_id is not None:
        activity.record(party, "claim", viewer.rsvp, {"item": item.name, "quantity": quantity}, now)
    if claim is None:
        take(item.id, quantity)
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
        take(claim.item_id, quantity - before, mine=before)
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
    check_open(party, viewer.is_host, now)
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
        lock_party(party.id)
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
