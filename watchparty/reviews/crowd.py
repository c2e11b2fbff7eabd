"""The crowd's rating on the film page: every party's verdicts together, as a
score, a bar chart of the scores (its geometry worked out here, drawn by the
template as SVG) and the latest short reviews."""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from markupsafe import Markup

from watchparty.extensions import db
from watchparty.models import Review, ReviewSection
from watchparty.models.review import VERDICT_SCALE, VERDICT_SCORES

_review = Review.__table__
_section = ReviewSection.__table__

# How many of the crowd's short reviews the film page lists (newest first).
CROWD_REVIEWS_SHOWN = 20


CHART_BAR_WIDTH = 18
CHART_GAP = 4
CHART_HEIGHT = 48


@dataclass
class ChartBar:
    """One score's bar in the film page's small chart (SVG units)."""

    score: int
    count: int
    x: int
    y: int
    height: int


@dataclass
class CrowdRating:
    """Every verdict on a film from every party: average, count, and how many gave each score."""

    count: int = 0
    average: float | None = None
    distribution: list[int] = field(default_factory=lambda: [0] * VERDICT_SCALE)  # index 0 is score 1

    @property
    def label(self) -> str:
        return f"{self.average:.1f}" if self.average is not None else ""

    @property
    def chart_width(self) -> int:
        return VERDICT_SCALE * (CHART_BAR_WIDTH + CHART_GAP) - CHART_GAP

    @property
    def bars(self) -> list[ChartBar]:
        tallest = max(self.distribution) or 1
        bars = []
        for index, count in enumerate(self.distribution):
            # A score nobody gave still shows a hairline, so the scale reads 1 to 10.
            height = max(1, round(count * CHART_HEIGHT / tallest))
            bars.append(ChartBar(index + 1, count, index * (CHART_BAR_WIDTH + CHART_GAP), CHART_HEIGHT - height, height))
        return bars


@dataclass
class CrowdReview:
    """A guest's short review on the film page: no name, no party (who came where stays private)."""

    score: int
    html: Markup
    is_spoiler: bool
    created_at: datetime


def _crowd_statement(limit: int) -> sa.Select:
    """The statement behind `crowd_verdict_rows` (built once for the film page's limit)."""
    score = _review.c.rating_value
    return (
        sa.select(
            score,
            _review.c.created_at,
            _section.c.id.label("section_id"),
            _section.c.body_html,
            _section.c.is_spoiler,
            sa.func.count(_review.c.id).over(),
            sa.func.avg(score).over(),
            *(sa.func.sum(sa.case((score == value, 1), else_=0)).over() for value in VERDICT_SCORES),
        )
        # A verdict has at most one section (its short review), so joining keeps one row per verdict.
        .outerjoin(_section, _section.c.review_id == _review.c.id)
        .where(_review.c.film_id == sa.bindparam("film_id"), _review.c.kind == "guest")
        .order_by(_section.c.id.is_(None), _review.c.created_at.desc(), _review.c.id.desc())
        .limit(limit)
    )


_CROWD = _crowd_statement(CROWD_REVIEWS_SHOWN)


def crowd_verdict_rows(film_id: int, limit: int = CROWD_REVIEWS_SHOWN) -> tuple[sa.Row, ...]:
    """A film's verdicts from every party, in one query: those with a short review
    first, newest first, each row carrying the totals over every verdict on the
    film. The database aggregates them (window functions, computed before the
    LIMIT), so the film page's query count does not grow with the number of ratings."""
    statement = _CROWD if limit == CROWD_REVIEWS_SHOWN else _crowd_statement(limit)
    return tuple(db.session.execute(statement, {"film_id": film_id}).all())


def crowd_from_rows(rows: tuple[sa.Row, ...]) -> tuple[CrowdRating, list[CrowdReview]]:
    """The crowd rating and the newest short reviews, from `crowd_verdict_rows`."""
    if not rows:
        return CrowdRating(), []
    _, _, _, _, _, count, average, *distribution = rows[0]
    crowd = CrowdRating(
        count=count, average=round(float(average), 1), distribution=[int(value or 0) for value in distribution]
    )
    reviews = [
        CrowdReview(round(row.rating_value), Markup(row.body_html), row.is_spoiler, row.created_at)  # noqa: S704
        for row in rows
        if row.section_id is not None
    ]
    return crowd, reviews

