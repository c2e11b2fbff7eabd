"""Reviews of a film: imported editorial articles, and the crew's own verdicts."""

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.orm import Mapped, mapped_column, relationship

from watchparty.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from watchparty.models.film import Film

REVIEW_KINDS = ("editorial", "guest")
# A crew verdict is a whole number from 1 to 10, always out of 10.
VERDICT_SCALE = 10
VERDICT_SCORES = tuple(range(1, VERDICT_SCALE + 1))


class Review(Base):
    """An editorial review, or one rater's verdict after a party (kind "guest").

    A verdict belongs to its party and to one rater: a guest's reply (`rsvp_id`),
    or the host, who has no reply (`rsvp_id` NULL, `created_by_id` the host).
    Keeping verdicts in this table lets every list of reviews, and the spoiler
    guard, treat them like any other review.
    """

    __tablename__ = "review"

    id: Mapped[int] = mapped_column(primary_key=True)
    film_id: Mapped[int] = mapped_column(sa.ForeignKey("film.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20), default="editorial")
    title: Mapped[str] = mapped_column(sa.String(300))
    author: Mapped[str] = mapped_column(sa.String(200), default="")
    source_name: Mapped[str] = mapped_column(sa.String(200), default="")
    source_url: Mapped[str] = mapped_column(sa.String(500), default="")
    published_on: Mapped[date | None]
    rating_value: Mapped[float | None]
    rating_scale: Mapped[int | None]
    # Plain-text, spoiler-free opening shown in lists and link previews; made
    # when the review is saved, from the first section that is not a spoiler.
    excerpt: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Verdicts only. A party's verdicts go with it; a guest removed from the
    # party takes their verdict along (CASCADE both ways).
    party_id: Mapped[int | None] = mapped_column(sa.ForeignKey("party.id", ondelete="CASCADE"), index=True)
    rsvp_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rsvp.id", ondelete="CASCADE"), unique=True)

    film: Mapped["Film"] = relationship()
    sections: Mapped[list["ReviewSection"]] = relationship(
        back_populates="review", cascade="all, delete-orphan", order_by="ReviewSection.position"
    )

    __table_args__ = (
        sa.CheckConstraint("kind IN ('editorial', 'guest')", name="kind_known"),
        sa.CheckConstraint(
            "(rating_value IS NULL AND rating_scale IS NULL) OR "
            "(rating_scale > 0 AND rating_value >= 0 AND rating_value <= rating_scale)",
            name="rating_in_scale",
        ),
        sa.CheckConstraint(
            "(kind = 'editorial' AND party_id IS NULL AND rsvp_id IS NULL) OR "
            # IS NOT NULL first: a NULL would make the whole check unknown, which passes.
            "(kind = 'guest' AND party_id IS NOT NULL AND rating_value IS NOT NULL AND rating_scale IS NOT NULL "
            "AND rating_scale = 10 AND rating_value IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10))",
            name="verdict_shape",
        ),
        # One verdict per rater and party: a guest's through the unique rsvp_id,
        # the host's (no reply) through this partial index.
        sa.Index(
            "uq_review_host_verdict",
            "party_id",
            "created_by_id",
            unique=True,
            sqlite_where=sa.text("kind = 'guest' AND rsvp_id IS NULL"),
            postgresql_where=sa.text("kind = 'guest' AND rsvp_id IS NULL"),
        ),
    )

    @property
    def rating_out_of_ten(self) -> float | None:
        if self.rating_value is None or not self.rating_scale:
            return None
        return round(self.rating_value * 10 / self.rating_scale, 1)


class ReviewSection(Base):
    __tablename__ = "review_section"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("review.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    heading: Mapped[str] = mapped_column(sa.String(300), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")  # Markdown source
    body_html: Mapped[str] = mapped_column(sa.Text, default="")  # rendered and sanitised once, on save
    is_spoiler: Mapped[bool] = mapped_column(default=False)

    review: Mapped[Review] = relationship(back_populates="sections")

    @property
    def html(self) -> Markup:
        """The body as sanitised HTML: rendered and cleaned by the service that saved it."""
        return Markup(self.body_html)  # noqa: S704 - sanitised with nh3 in reviews.rendering


class PartyReview(Base):
    """The host's choice about one editorial review on one party's page.

    No row is the default: the review is shown, newest first. A row exists
    only to hide a review or to pin it to the top (one pin per party).
    """

    __tablename__ = "party_review"

    party_id: Mapped[int] = mapped_column(sa.ForeignKey("party.id", ondelete="CASCADE"), primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("review.id", ondelete="CASCADE"), primary_key=True, index=True)
    hidden: Mapped[bool] = mapped_column(default=False)
    pinned: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        sa.CheckConstraint("NOT (hidden AND pinned)", name="pinned_is_shown"),
        sa.Index(
            "uq_party_review_one_pin",
            "party_id",
            unique=True,
            sqlite_where=sa.text("pinned"),
            postgresql_where=sa.text("pinned"),
        ),
    )
