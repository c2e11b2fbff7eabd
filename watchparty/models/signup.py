"""The sign-up list: what a party needs (items) and who brings how much (claims)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from watchparty.models.base import Base, UTCDateTime, utcnow
from watchparty.models.party import Party, Rsvp

ITEM_CATEGORIES = ("snack", "drink", "supplies", "other")
ITEM_NAME_MAX = 80
ITEM_NOTE_MAX = 200
CLAIM_NOTE_MAX = 200
# Per item; a party of 10,000 seats still fits (in packs or crates).
ITEM_QUANTITY_MAX = 999


class SignupItem(Base):
    """One thing the night needs ("Popcorn", 4 bags), on the host's list or added by a guest."""

    __tablename__ = "signup_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Deleting a party deletes its list, and the claims with it.
    party_id: Mapped[int] = mapped_column(sa.ForeignKey("party.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(ITEM_NAME_MAX))
    category: Mapped[str] = mapped_column(sa.String(12), default="snack")
    quantity_needed: Mapped[int]
    # Units claimed so far, the sum of the item's claims. Only ever changed by
    # guarded UPDATE statements in signups.service, never from Python.
    claimed: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(sa.String(ITEM_NOTE_MAX), default="")
    # NULL: the host listed it. Otherwise the guest who added it ("I'll bring a
    # cheesecake"). The service tidies a departing guest's items first; if the
    # reply row goes anyway, what others still bring stays, on the host's list.
    added_by_rsvp_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rsvp.id", ondelete="SET NULL"), index=True)
    # Order within the list (ties: id); the host moves items up and down.
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    party: Mapped[Party] = relationship()
    added_by: Mapped[Rsvp | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            f"quantity_needed >= 1 AND quantity_needed <= {ITEM_QUANTITY_MAX}", name="quantity_needed_range"
        ),
        sa.CheckConstraint("claimed >= 0", name="claimed_not_negative"),
        sa.CheckConstraint("claimed <= quantity_needed", name="claimed_within_needed"),
        sa.CheckConstraint(
            "category IN (" + ", ".join(f"'{category}'" for category in ITEM_CATEGORIES) + ")",
            name="category_known",
        ),
    )

    @property
    def left(self) -> int:
        return self.quantity_needed - self.claimed

    def __repr__(self) -> str:
        return f"<SignupItem {self.id} {self.name!r} {self.claimed}/{self.quantity_needed}>"


class Claim(Base):
    """Who brings how many of an item: a guest (through their reply) or the host."""

    __tablename__ = "claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("signup_item.id", ondelete="CASCADE"))
    # A guest's claim. The service releases a reply's claims (and gives the
    # units back to the item's counter) before the reply is deleted; CASCADE
    # only matters when the whole party goes, and its items with it.
    rsvp_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rsvp.id", ondelete="CASCADE"), index=True)
    # The host's claim: hosts have no reply. A deleted host account leaves its
    # claims behind (SET NULL, "the host"), so the item's counter stays true.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    quantity: Mapped[int]
    note: Mapped[str] = mapped_column(sa.String(CLAIM_NOTE_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    item: Mapped[SignupItem] = relationship()
    rsvp: Mapped[Rsvp | None] = relationship()

    __table_args__ = (
        # One claim per guest (or host) and item: changing it changes the quantity.
        sa.UniqueConstraint("item_id", "rsvp_id"),
        sa.UniqueConstraint("item_id", "user_id"),
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        sa.CheckConstraint("rsvp_id IS NULL OR user_id IS NULL", name="one_claimer"),
    )

    @property
    def is_hosts(self) -> bool:
        return self.rsvp_id is None

    def __repr__(self) -> str:
        return f"<Claim {self.id} item {self.item_id} x {self.quantity}>"
