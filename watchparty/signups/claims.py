"""What a change of reply does to its sign-ups: the claims of a guest who no
longer comes go back on the list, with the items they added that nobody brings.

Below both services: the RSVP service calls it when a reply changes or goes,
and the sign-up service shares its counters and locks (see signups.service
for the lock order and the guarded counter).
"""

from dataclasses import dataclass

import sqlalchemy as sa

from watchparty.extensions import db
from watchparty.models import Claim, Party, Rsvp, SignupItem

items_table = SignupItem.__table__
claims_table = Claim.__table__


def lock_reply(rsvp_id: int, party_id: int) -> Rsvp | None:
    """The reply as it is now, under its row lock (the lock order: signups.service).

    The party's row first (KEY SHARE: sign-ups do not wait for each other), then the
    reply's: the order a change of reply locks them in (party, reply, items). The host's
    activity line a sign-up writes holds the party's key too, and taken after the reply
    it made a claim and a withdrawal deadlock on PostgreSQL. (SQLite ignores both.)"""
    db.session.execute(
        sa.select(Party.id).where(Party.id == party_id).with_for_update(key_share=True)
    )
    return db.session.scalar(
        sa.select(Rsvp)
        .where(Rsvp.id == rsvp_id, Rsvp.party_id == party_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def give_back(item_id: int, units: int) -> None:
    """Units go back on the list (never below zero: they were counted when taken)."""
    db.session.execute(
        sa.update(items_table).where(items_table.c.id == item_id).values(claimed=items_table.c.claimed - units)
    )


def drop_if_abandoned(item_id: int, rsvp_id: int) -> None:
    """A guest's own item ("I'll bring a cheesecake") goes when nobody brings it any more."""
    db.session.execute(
        sa.delete(items_table).where(items_table.c.id == item_id, items_table.c.added_by_rsvp_id == rsvp_id, items_table.c.claimed == 0)
    )


def release_claims_of(rsvp: Rsvp) -> int:
    """Everything a reply signed up for goes back on the list (before the reply is
    removed, or when it stops being going or maybe). Items the guest added
    that nobody else brings go too. Returns how many claims were released."""
    lock_reply(rsvp.id, rsvp.party_id)
    claims = db.session.execute(
        sa.select(claims_table.c.item_id, claims_table.c.quantity).where(claims_table.c.rsvp_id == rsvp.id).order_by(claims_table.c.item_id)
    ).all()
    for item_id, quantity in claims:
        give_back(item_id, quantity)
    if claims:
        db.session.execute(sa.delete(claims_table).where(claims_table.c.rsvp_id == rsvp.id))
    db.session.execute(sa.delete(items_table).where(items_table.c.added_by_rsvp_id == rsvp.id, items_table.c.claimed == 0))
    return len(claims)


def settle_claims(rsvp: Rsvp) -> int:
    """After a reply changed: a guest who is no longer going (seated) or maybe brings nothing."""
    if rsvp.is_seated_or_maybe:  # guests seated as going, and maybes, bring things
        return 0
    return release_claims_of(rsvp)


@dataclass(frozen=True)
class Releasing:
    """What a guest's claims are, and so what withdrawing gives back: "2 x popcorn",
    and the items they added that go from the list (nobody else brings any)."""

    claims: list[tuple[int, str]]
    removed_items: list[str]

    @property
    def returned(self) -> list[tuple[int, str]]:
        """The claims whose items stay on the list for someone else (not the ones in removed_items)."""
        return [(quantity, name) for quantity, name in self.claims if name not in self.removed_items]

    @property
    def labels(self) -> list[str]:
        return [f"{quantity} × {name}" for quantity, name in self.claims]

    def __bool__(self) -> bool:
        return bool(self.claims or self.removed_items)


def release_preview(rsvp: Rsvp) -> Releasing:
    """What release_claims_of(rsvp) would release, without changing anything."""
    rows = db.session.execute(
        sa.select(claims_table.c.quantity, items_table.c.name, items_table.c.added_by_rsvp_id, items_table.c.claimed)
        .join(items_table, items_table.c.id == claims_table.c.item_id)
        .where(claims_table.c.rsvp_id == rsvp.id)
        .order_by(items_table.c.position, items_table.c.id)
    ).all()
    removed = [name for quantity, name, added_by, claimed in rows if added_by == rsvp.id and claimed - quantity <= 0]
    return Releasing([(quantity, name) for quantity, name, _, _ in rows], removed)


# ---------------------------------------------------------------- claims as pages list them


def host_name(party: Party) -> str:
    """How the host's claims are signed."""
    return f"{party.host.display_name} (host)" if party.host is not None else "The host"


# slots: a long list makes hundreds of these per view.
@dataclass(slots=True)
class ClaimLine:
    id: int
    name: str
    quantity: int
    note: str = ""
    is_mine: bool = False
    is_hosts: bool = False
    can_release: bool = False


def item_claims(party: Party, item_id: int) -> list[ClaimLine]:
    """One item's claims with the claimers' names, for the host."""
    rows = db.session.execute(
        sa.select(Claim.id, Claim.quantity, Claim.note, Claim.rsvp_id, Rsvp.name)
        .outerjoin(Rsvp, Claim.rsvp_id == Rsvp.id)
        .where(Claim.item_id == item_id)
        .order_by(Claim.created_at, Claim.id)
    ).all()
    hosts_name = host_name(party) if any(row.rsvp_id is None for row in rows) else ""
    return [
        ClaimLine(id=claim_id, name=hosts_name if rsvp_id is None else name, quantity=quantity, note=note,
                  is_hosts=rsvp_id is None, can_release=True)
        for claim_id, quantity, note, rsvp_id, name in rows
    ]
