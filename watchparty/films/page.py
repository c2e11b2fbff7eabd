"""The film page's read model: its rows in a fixed number of queries, and what the
page shows worked out from them (reviews and the crowd's verdicts included)."""

from dataclasses import dataclass, field

import sqlalchemy as sa

from watchparty.extensions import db
from watchparty.films.data import CREW_LABELS, CREW_ROLES, FORMAT_LABELS, format_runtime, split_list
from watchparty.films.naming import SLUG_MAX, SLUG_PATTERN, cast_anchor
from watchparty.models import Award, Credit, Film, PageVersion, Person, Trivia


@dataclass
class CastMember:
    anchor: str
    name: str
    character: str


@dataclass
class CrewGroup:
    role: str
    label: str
    names: list[str]


@dataclass
class AwardGroup:
    ceremony: str
    year: int
    awards: list
    wins: int
    nominations: int


@dataclass(frozen=True)
class FilmPageSource:
    """Every row the film page is made of, as this request read them.

    The page is built from these alone (`film_page_from`), so they are also the
    key its HTML is cached under (watchparty.cache): any change to the film, its
    credits, awards, trivia, reviews or verdicts changes the key.
    """

    film: sa.Row  # id, slug, title, year, runtime_minutes, tagline, synopsis, …, created_by_id
    credits: tuple[sa.Row, ...]  # role, person_id, name, character; billing order
    awards: tuple[sa.Row, ...]
    trivia: tuple[sa.Row, ...]
    reviews: tuple[sa.Row, ...]  # editorial, newest first
    crowd: tuple[sa.Row, ...]  # reviews.crowd.crowd_verdict_rows' rows


@dataclass
class FilmPage:
    """What the film page shows, worked out here so the template only presents it."""

    film: sa.Row
    runtime: str
    synopsis: list[str]  # paragraphs
    genres: list[str]
    crew: list[CrewGroup]
    cast: list[CastMember]
    award_groups: list[AwardGroup]
    award_summary: str
    trivia: list
    formats: list[str]
    streaming_services: list[str]
    description: str
    reviews: list = field(default_factory=list)  # editorial reviews, newest first, sections not loaded
    crowd: object | None = None  # reviews.crowd.CrowdRating: every party's verdicts on the film
    crowd_reviews: list = field(default_factory=list)  # reviews.service.CrowdReview, newest first


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _excerpt(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


_film = Film.__table__
_credit = Credit.__table__
_person = Person.__table__
_award = Award.__table__
_trivia = Trivia.__table__
# The film page's statements, built once: the page runs them on every view.
_version = PageVersion.__table__
_PAGE_FILM = (
    sa.select(
        _film.c.id, _film.c.slug, _film.c.title, _film.c.year, _film.c.runtime_minutes, _film.c.tagline,
        _film.c.synopsis, _film.c.genres, _film.c.watch_formats, _film.c.streaming_services,
        _film.c.poster_filename, _film.c.created_by_id,
        _version.c.stamp,  # models/page_version.py: the page is kept under it (films.routes.detail)
    )
    .outerjoin(_version, sa.and_(_version.c.scope == "film", _version.c.scope_id == _film.c.id))
    .where(_film.c.slug == sa.bindparam("slug"))
)
_PAGE_CREDITS = (
    sa.select(_credit.c.role, _credit.c.person_id, _person.c.name, _credit.c.character)
    .join(_person, _credit.c.person_id == _person.c.id)
    .where(_credit.c.film_id == sa.bindparam("film_id"))
    .order_by(_credit.c.position, _credit.c.id)
)
_PAGE_AWARDS = (
    sa.select(_award.c.ceremony, _award.c.year, _award.c.category, _award.c.nominee, _award.c.won, _award.c.position)
    .where(_award.c.film_id == sa.bindparam("film_id"))
    .order_by(_award.c.position, _award.c.id)
)
_PAGE_TRIVIA = (
    sa.select(_trivia.c.text, _trivia.c.is_spoiler)
    .where(_trivia.c.film_id == sa.bindparam("film_id"))
    .order_by(_trivia.c.position, _trivia.c.id)
)


def film_page_row(slug: str) -> sa.Row | None:
    """The film row the film page shows (id, slug, title, …, created_by_id); None for an unknown slug."""
    # Only slug-shaped text reaches the database: a NUL in the URL is an error in PostgreSQL.
    if len(slug) > SLUG_MAX or not SLUG_PATTERN.match(slug):
        return None
    return db.session.execute(_PAGE_FILM, {"slug": slug}).first()


def film_page_source(film: sa.Row) -> FilmPageSource:
    """The film page's rows, in a fixed number of queries whatever the number of
    credits, awards, trivia, reviews or ratings (five besides the film's own:
    credits with people, awards, trivia, reviews, the crowd's verdicts)."""
    # reviews build on films, not the reverse
    from watchparty.reviews.crowd import crowd_verdict_rows
    from watchparty.reviews.service import editorial_review_rows

    params = {"film_id": film.id}
    return FilmPageSource(
        film=film,
        credits=tuple(db.session.execute(_PAGE_CREDITS, params).all()),
        awards=tuple(db.session.execute(_PAGE_AWARDS, params).all()),
        trivia=tuple(db.session.execute(_PAGE_TRIVIA, params).all()),
        reviews=editorial_review_rows(film.id),
        crowd=crowd_verdict_rows(film.id),
    )


def film_page_from(source: FilmPageSource) -> FilmPage:
    """The film page's content, worked out from its rows (and nothing else: see FilmPageSource)."""
    from watchparty.reviews.crowd import crowd_from_rows

    film = source.film
    cast: list[CastMember] = []
    by_person: dict[int, CastMember] = {}
    anchors: set[str] = set()
    crew: dict[str, list[str]] = {}
    for role, person_id, name, character in source.credits:
        if role != "cast":
            crew.setdefault(role, []).append(name)
            continue
        member = by_person.get(person_id)
        if member is not None:  # one actor, several parts: one entry, one anchor
            member.character = " / ".join(part for part in (member.character, character) if part)
            continue
        anchor, number = cast_anchor(name), 2
        while anchor in anchors:  # "José" and "Jose" in one film
            anchor, number = f"{cast_anchor(name)}-{number}", number + 1
        anchors.add(anchor)
        member = by_person[person_id] = CastMember(anchor, name, character)
        cast.append(member)

    groups: dict[tuple[str, int], AwardGroup] = {}
    for award in source.awards:
        group = groups.setdefault((award.ceremony, award.year), AwardGroup(award.ceremony, award.year, [], 0, 0))
        group.awards.append(award)
    for group in groups.values():
        group.awards.sort(key=lambda award: (not award.won, award.position))
        group.wins = sum(award.won for award in group.awards)
        group.nominations = len(group.awards) - group.wins
    wins = sum(group.wins for group in groups.values())
    nominations = sum(group.nominations for group in groups.values())
    summary = " and ".join(
        part
        for part in (
            (_plural(wins, "win") if wins else ""),
            (_plural(nominations, "nomination") if nominations else ""),
        )
        if part
    )

    crowd, crowd_reviews = crowd_from_rows(source.crowd)
    return FilmPage(
        film=film,
        runtime=format_runtime(film.runtime_minutes),
        synopsis=[paragraph.strip() for paragraph in (film.synopsis or "").split("\n") if paragraph.strip()],
        genres=split_list(film.genres),
        crew=[
            CrewGroup(role, CREW_LABELS[role][len(crew[role]) > 1], crew[role]) for role in CREW_ROLES if role in crew
        ],
        cast=cast,
        award_groups=list(groups.values()),
        award_summary=summary,
        trivia=list(source.trivia),
        formats=[FORMAT_LABELS[name] for name in split_list(film.watch_formats) if name in FORMAT_LABELS],
        streaming_services=split_list(film.streaming_services),
        description=_excerpt(film.synopsis or film.tagline or f"{film.title} ({film.year}) on Watchparty."),
        reviews=list(source.reviews),
        crowd=crowd,
        crowd_reviews=crowd_reviews,
    )


def film_page(slug: str) -> FilmPage | None:
    """The film page's content for a slug; None for an unknown one."""
    film = film_page_row(slug)
    return film_page_from(film_page_source(film)) if film is not None else None


