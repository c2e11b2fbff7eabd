"""A poll's candidates: checked on the party form, opened with the party, and changed by the
host while the vote is open."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from watchparty import mail
from watchparty.errors import DomainError
from watchparty.extensions import db
from watchparty.models import Film, Party, Poll, PollDate, PollDateAnswer, PollFilm, PollFilmAnswer, PollVote
from watchparty.models.poll import DATES_MAX, DATES_MIN, FILMS_MAX, FILMS_MIN
from watchparty.polls.errors import InvalidPoll, PollClosed, PollFull
from watchparty.polls.voting import claim_open, new_voter, stop_url, vote_url
from watchparty.templating import local_time

MAX_DAYS_AHEAD = 3 * 366


@dataclass
class PollFields:
    """The "not decided yet" part of the party form, as plain values (local times are naive)."""

    films: list[str] = field(default_factory=list)  # titles or slugs, one per candidate
    dates: list[datetime | None] = field(default_factory=list)  # one per date input; None when left empty
    closes_at: datetime | None = None
    yes_means_going: bool = False
    guests_nominate: bool = False  # guests may add one film each (a film vote only)

    @property
    def wanted(self) -> bool:
        return bool(self.films or any(self.dates))


@dataclass
class CheckedPoll:
    films: list[Film]
    dates: list[datetime]  # aware UTC, in the host's order
    closes_at: datetime | None
    yes_means_going: bool
    guests_nominate: bool = False


def _utc(local: datetime, zone: ZoneInfo) -> datetime | None:
    """A wall-clock time as UTC, or None when the clocks skip it (see parties.service.to_utc)."""
    aware = local.replace(tzinfo=zone, fold=0)
    try:
        utc = aware.astimezone(ZoneInfo("UTC"))
    except OverflowError:
        return None
    return utc if utc.astimezone(zone).replace(tzinfo=None) == local else None


def check_poll(
    fields: PollFields, timezone: str, now: datetime, find_film, *, fixed_start: datetime | None = None
) -> tuple[CheckedPoll, list[DomainError]]:
    """The candidates, checked: every problem is returned at once (beside its field).

    `find_film(text)` is the party form's own film lookup (it raises a DomainError);
    `fixed_start` is the party's start when only the film is voted on: the poll must
    close before it."""
    problems: list[DomainError] = []
    zone = ZoneInfo(timezone)
    films: list[Film] = []
    if fields.films:
        if len(fields.films) < FILMS_MIN:
            problems.append(InvalidPoll(f"List at least {FILMS_MIN} films to vote on, one per line.", "poll_films"))
        elif len(fields.films) > FILMS_MAX:
            problems.append(InvalidPoll(f"At most {FILMS_MAX} films: guests choose better among a few.", "poll_films"))
        else:
            for number, text in enumerate(fields.films, 1):
                try:
                    film = find_film(text)
                except DomainError as error:
                    problems.append(InvalidPoll(f"Line {number}, “{text[:80]}”: {error.message}", "poll_films"))
                    continue
                if any(film.id == other.id for other in films):
                    problems.append(InvalidPoll(f"Line {number}: {film.title} is already on the list.", "poll_films"))
                films.append(film)
    closes_at = None
    if fields.closes_at is not None:
        closes_at = _utc(fields.closes_at, zone)
        if closes_at is None:
            problems.append(InvalidPoll("That time does not exist there: the clocks go forward.", "poll_closes_at"))
        elif closes_at <= now:
            problems.append(InvalidPoll("That closing time has passed. Pick a later one.", "poll_closes_at"))
        elif fixed_start is not None and closes_at >= fixed_start:
            problems.append(InvalidPoll("Close the vote before the party starts.", "poll_closes_at"))
    dates: list[datetime] = []
    given = [(index, local) for index, local in enumerate(fields.dates) if local is not None]
    if given:
        if len(given) < DATES_MIN:
            problems.append(InvalidPoll(f"Give at least {DATES_MIN} dates to choose from.", f"poll_dates-{given[0][0]}"))
        if len(given) > DATES_MAX:
            problems.append(InvalidPoll(f"At most {DATES_MAX} dates.", f"poll_dates-{given[-1][0]}"))
        for index, local in given:
            utc, problem = _check_date(local, zone, now, closes_at, dates, f"poll_dates-{index}")
            if problem is not None:
                problems.append(problem)
            elif utc is not None:
                dates.append(utc)
    guests_nominate = fields.guests_nominate and bool(fields.films)
    return CheckedPoll(films, dates, closes_at, fields.yes_means_going, guests_nominate), problems


def _check_date(
    local: datetime, zone: ZoneInfo, now: datetime, closes_at: datetime | None, taken: list[datetime], name: str
) -> tuple[datetime | None, InvalidPoll | None]:
    """One candidate start: in UTC, or the problem with it (beside the field `name`)."""
    utc = _utc(local, zone)
    if utc is None:
        return None, InvalidPoll(f"{local:%H:%M} does not exist on {local:%-d %b %Y} here: the clocks go forward.", name)
    if utc <= now:
        return None, InvalidPoll("This date has passed. Pick one in the future.", name)
    if utc > now + timedelta(days=MAX_DAYS_AHEAD):
        return None, InvalidPoll("Pick a date within the next three years.", name)
    if utc in taken:
        return None, InvalidPoll("This date is already on the list.", name)
    if closes_at is not None and closes_at > now and utc <= closes_at:
        return None, InvalidPoll("This date is before the vote closes: close the vote earlier, or drop it.", name)
    return utc, None


def open_poll(party: Party, checked: CheckedPoll, now: datetime) -> Poll:
    """Attach a checked poll to a new party, which stays undecided until it closes."""
    poll = Poll(
        party_id=party.id, decides_film=bool(checked.films), decides_date=bool(checked.dates),
        closes_at=checked.closes_at, yes_means_going=checked.yes_means_going,
        guests_nominate=checked.guests_nominate, created_at=now,
    )
    poll.films = [PollFilm(film_id=film.id, position=number) for number, film in enumerate(checked.films)]
    poll.dates = [PollDate(starts_at=when, position=number) for number, when in enumerate(checked.dates)]
    db.session.add(poll)
    party.undecided = True
    db.session.flush()
    return poll


def _open_for_changes(poll: Poll) -> None:
    """The host's changes take the same guard as a vote: none lands after the close."""
    claim_open(poll)
    db.session.refresh(poll)


def add_film(poll: Poll, film: Film) -> PollFilm:
    """One more candidate film (at most FILMS_MAX); votes so far did not approve it."""
    if not poll.decides_film:
        raise InvalidPoll("This vote is about the date only.", "film")
    _open_for_changes(poll)
    if len(poll.films) >= FILMS_MAX:
        raise InvalidPoll(f"At most {FILMS_MAX} films: remove one first.", "film")
    if any(candidate.film_id == film.id for candidate in poll.films):
        raise InvalidPoll(f"{film.title} is already on the list.", "film")
    candidate = PollFilm(poll_id=poll.id, film_id=film.id, position=max(c.position for c in poll.films) + 1)
    db.session.add(candidate)
    db.session.flush()
    return candidate


def add_options(party: Party, poll: Poll | None, film_text: str, local_start: datetime | None, now: datetime,
                find_film: Callable[[str], Film]) -> None:
    """The host adds a candidate film (`find_film`: the party form's own lookup, which
    raises a DomainError) and/or a date to the open vote."""
    if poll is None or not poll.is_open:
        raise PollClosed("The vote is closed.")
    if film_text:
        try:
            film = find_film(film_text)
        except DomainError as error:
            raise InvalidPoll(error.message, "film") from None
        add_film(poll, film)
    if local_start is not None:
        add_date(poll, party, local_start, now)


def nominate(poll: Poll, film: Film, voter: PollVote | None, name: str, email: str | None,
             now: datetime) -> tuple[PollFilm, PollVote]:
    """A guest adds one film to the vote, when the host allowed it; it counts as their tick
    for it. `voter` is their ballot when this browser has one, else a new one is made from
    `name` and `email` (as a first vote is). Returns the candidate and the voter.

    The database decides the last free place: every nomination first takes the poll's open
    guard (an UPDATE of the poll row, which PostgreSQL holds locked to the commit and SQLite
    serialises), then inserts with `… WHERE (SELECT count(*) …) < FILMS_MAX`; a unique index
    on `nominated_by_id` keeps it to one per guest."""
    if not poll.decides_film or not poll.guests_nominate:
        raise InvalidPoll("The host did not open this vote to nominations.", "film")
    claim_open(poll)
    if voter is None:
        voter = new_voter(poll, name, email, now)
    else:
        earlier = db.session.scalar(sa.select(PollFilm).where(PollFilm.nominated_by_id == voter.id))
        if earlier is not None:
            raise InvalidPoll(f"You already nominated {earlier.film.title}: one film each.", "film")
    if db.session.scalar(sa.select(PollFilm.id).where(PollFilm.poll_id == poll.id, PollFilm.film_id == film.id)):
        raise InvalidPoll(f"{film.title} is already in the vote: tick it below.", "film")
    count = sa.select(sa.func.count()).select_from(PollFilm).where(PollFilm.poll_id == poll.id).scalar_subquery()
    position = sa.select(sa.func.coalesce(sa.func.max(PollFilm.position), -1) + 1).where(
        PollFilm.poll_id == poll.id).scalar_subquery()
    # Read by RETURNING, not the row count: on PostgreSQL this INSERT … SELECT reported -1 rows.
    guarded = sa.insert(PollFilm.__table__).from_select(
        ["poll_id", "film_id", "position", "nominated_by_id"],
        sa.select(sa.literal(poll.id), sa.literal(film.id), position, sa.literal(voter.id)).where(count < FILMS_MAX),
    ).returning(PollFilm.__table__.c.id)
    try:
        with db.session.begin_nested():
            inserted = db.session.execute(guarded).scalar()
    except IntegrityError:
        raise InvalidPoll("That nomination was already made: the page shows the current films.", "film") from None
    if inserted is None:
        raise PollFull(f"The vote already has {FILMS_MAX} films, the most it takes: tick the ones you'd watch.", "film")
    candidate = db.session.get_one(PollFilm, inserted)
    db.session.add(PollFilmAnswer(vote_id=voter.id, film_id=candidate.id, approves=True, seen_it=False))
    db.session.flush()
    db.session.expire(poll)
    return candidate, voter


def add_date(poll: Poll, party: Party, local: datetime, now: datetime) -> PollDate:
    """One more candidate start (at most DATES_MAX), checked as those on the party form."""
    if not poll.decides_date:
        raise InvalidPoll("This vote is about the film only.", "starts_at")
    _open_for_changes(poll)
    if len(poll.dates) >= DATES_MAX:
        raise InvalidPoll(f"At most {DATES_MAX} dates: remove one first.", "starts_at")
    when, problem = _check_date(local, ZoneInfo(party.timezone), now, poll.closes_at,
                                [date.starts_at for date in poll.dates], "starts_at")
    if problem is not None or when is None:
        raise problem or InvalidPoll("Pick another time.", "starts_at")
    date = PollDate(poll_id=poll.id, starts_at=when, position=max(d.position for d in poll.dates) + 1)
    db.session.add(date)
    db.session.flush()
    party.starts_at = max(party.starts_at, when)  # the placeholder stays the latest candidate
    return date


def remove_candidate(poll: Poll, party: Party, kind: str, candidate_id: int) -> int:
    """Take a film or a date off the vote (at least two stay): its answers go with it, and
    each voter with an address who had answered for it is told once. Returns how many."""
    _open_for_changes(poll)
    candidates: list = poll.films if kind == "film" else poll.dates
    candidate = next((c for c in candidates if c.id == candidate_id), None)
    if candidate is None:
        raise InvalidPoll("That option is no longer in the vote.")
    minimum = FILMS_MIN if kind == "film" else DATES_MIN
    if len(candidates) <= minimum:
        raise InvalidPoll(f"A vote needs at least {minimum} options: add one before removing this.")
    if kind == "film":
        label = f"{candidate.film.title} ({candidate.film.year})"
        answered = sa.select(PollFilmAnswer.vote_id).where(PollFilmAnswer.film_id == candidate.id, PollFilmAnswer.approves)
    else:
        label = local_time(candidate.starts_at, party.timezone, "%a %-d %b %Y, %H:%M %Z")
        answered = sa.select(PollDateAnswer.vote_id).where(PollDateAnswer.date_id == candidate.id,
                                                           PollDateAnswer.answer != "no")
    voters = db.session.scalars(
        sa.select(PollVote).where(PollVote.id.in_(answered), PollVote.email.is_not(None),
                              PollVote.emails_stopped.is_(False)).order_by(PollVote.id)
    ).all()
    db.session.delete(candidate)  # its answers go with it (ON DELETE CASCADE)
    db.session.flush()
    db.session.expire(poll)
    if kind == "film":
        party.film_id = db.session.scalar(
            sa.select(PollFilm.film_id).where(PollFilm.poll_id == poll.id).order_by(PollFilm.position).limit(1)
        ) or party.film_id
    else:
        party.starts_at = db.session.scalar(sa.select(sa.func.max(PollDate.starts_at)).where(PollDate.poll_id == poll.id)) \
            or party.starts_at
    for vote in voters:
        mail.queue_template(
            vote.email or "", f"{label} is out of the vote for {party.title}", "poll_option_removed",
            party_id=party.id, party=party, vote=vote, label=label, vote_link=vote_url(party, vote),
            stop_link=stop_url(party, vote),
        )
    return len(voters)


def change_closing(poll: Poll, party: Party, local: datetime | None, now: datetime) -> None:
    """Extend (or bring forward, or clear) the closing time: still in the future, before every date."""
    _open_for_changes(poll)
    when = None
    if local is not None:
        when = _utc(local, ZoneInfo(party.timezone))
        if when is None or when <= now:
            raise InvalidPoll("Pick a closing time in the future.", "closes_at")
        if any(date.starts_at <= when for date in poll.dates) or (not poll.decides_date and when >= party.starts_at):
            raise InvalidPoll("Close the vote before the first date.", "closes_at")
    poll.closes_at = when
    db.session.flush()
