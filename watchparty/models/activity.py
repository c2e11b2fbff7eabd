"""What happened at a party, for its host: replies, sign-ups, comments (see watchparty.activity)."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from watchparty.models.base import Base, UTCDateTime, utcnow

# reply: a new reply; change: its response or plus-ones changed; withdrawal: "can't make it
# after all"; promotion: seated from the waitlist; claim / release: a sign-up taken or given
# back; item: a guest added an item; comment: a guest wrote one; removed: the host took a
# guest off the list (a lowered capacity moves nobody: see parties.service.update_party).
ACTIVITY_KINDS = ("reply", "change", "withdrawal", "promotion", "claim", "release", "item", "comment", "removed")
ACTOR_MAX = 80


class PartyActivity(Base):
    """One change a guest made (or that happened to a guest), written by the service
    that made it, in the same transaction. The dashboard lists them; the host's
    update emails (watchparty.notifications.host) tell them, each row once."""

    __tablename__ = "party_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(sa.ForeignKey("party.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(12))
    # Whose change, when it was a guest's: an account deleted anonymises the lines with its replies.
    rsvp_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rsvp.id", ondelete="SET NULL"), index=True)
    # The guest's name as it was then: the line still reads right after they rename or leave.
    actor: Mapped[str] = mapped_column(sa.String(ACTOR_MAX), default="")
    # A few plain values the sentence is made of ({"response": "going", "plus_ones": 2}).
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When an email to the host covered it (or it was passed over because the host
    # hears nothing). NULL: not told yet. Set by one guarded UPDATE, so each row is told once.
    told_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.Index("ix_party_activity_party_id_created_at", "party_id", "created_at"),
        sa.Index("ix_party_activity_told_at", "told_at"),
        sa.CheckConstraint(
            "kind IN (" + ", ".join(f"'{kind}'" for kind in ACTIVITY_KINDS) + ")", name="kind_known"
        ),
    )

    def __repr__(self) -> str:
        return f"<PartyActivity {self.id} {self.kind} {self.actor!r}>"
