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


class Review(Base):
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
