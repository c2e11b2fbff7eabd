"""A party typed by a host who has not confirmed an email address yet (#19).

Nothing is half-created: the form's fields wait here, and no Party (nor, for a
visitor, any User) exists until the host enters the code emailed to them
(parties.drafts). A draft is found by a random token kept in the host's session
(only its hash is stored) or through the sign-in code that was sent for it, and
expires after a day.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from watchparty.models.base import Base, UTCDateTime, utcnow


class PartyDraft(Base):
    __tablename__ = "party_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 of the token held in the host's session.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The party form as posted: a JSON list of [name, value] pairs (item rows included).
    form_data: Mapped[str] = mapped_column(sa.Text)
    # A signed-in host whose address is not verified yet; None for a visitor.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # Given at the "your name and email" step (a signed-in host's are the account's).
    email: Mapped[str | None] = mapped_column(sa.String(254))
    display_name: Mapped[str | None] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    def __repr__(self) -> str:
        return f"<PartyDraft {self.id}>"
