"""Polls (#23): a party whose film and/or date are left to a vote of its guests.

How an undecided party is kept: the party exists from the start (its share link
works, the page shows the poll), with `Party.undecided` set while its poll is
open. Its `film_id` and `starts_at` are required columns, so they hold the first
candidate film and the latest candidate date, and nothing presents them: the
party clock gives an undecided party no start, no deadline and no end
(watchparty.party_clock), replies and sign-ups wait, reminders and the morning
after skip it, cards and the .ics say nothing about a date or film. Closing the
poll writes the winners into the party and clears the flag, in one transaction.

Films are chosen by approval voting: each voter ticks every film they would
happily watch, and the film most voters are happy with wins. It is one tick per
film on a phone (no ranking to drag around), it cannot be gamed by voting for
a "lesser evil", and a tally is a count anyone can check; ties go to the film
more voters have not seen (a first viewing for more of the crew), then to the
host's order. Dates: most "yes", then most "if need be", then the host's order.

The poll row is where votes and the close meet: each vote bumps
`votes_version` with `… WHERE closed_at IS NULL` before writing its answers,
and the close sets `closed_at` with the same guard before counting. On
PostgreSQL the two UPDATEs lock the row, so a vote either commits before the
close counts (and is counted) or finds the poll closed (and is refused); SQLite
has a single writer. Either way a vote is counted exactly once or refused.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from watchparty import mail
from watchparty.errors import DomainError
from watchparty.extensions import changed_rows, db
from watchparty.links import public_url
from watchparty.models import (
    Film,
    Party,
    Poll,
    PollDate,
    PollDateAnswer,
    PollFilm,
    PollFilmAnswer,
    PollVote,
    Rsvp,
    utcnow,
)
from watchparty.models.poll import DATE_ANSWERS, DATES_MAX, DATES_MIN, FILMS_MAX, FILMS_MIN, VOTER_NAME_MAX
from watchparty.rsvp import service as rsvp_service
from watchparty.rsvp.calendar import calendar_attachment
from watchparty.templating import local_time

# A poll further ahead than this is almost certainly a typo in the year (as a party's start).
MAX_DAYS_AHEAD = 3 * 366
ANSWER_LABELS = {"yes": "Yes", "maybe": "If need be", "no": "No"}


class InvalidPoll(DomainError):
    """The poll's candidates break a rule (each problem beside its field, all at once)."""

    status = 422


class PollClosed(DomainError):
    status = 409


class InvalidVote(DomainError):
    status = 422


class DuplicateVoter(DomainError):
    status = 409
    field = "email"


# ---------------------------------------------------------------- the party form's part


@dataclass
class PollFields:
    """The "not decided yet" part of the party form, as plain values (local times are naive)."""

    films: list[str] = field(default_factory=list)  # titles or slugs, one per candidate
    dates: list[datetime | None] = field(default_factory=list)  # one per date input; None when left empty
    closes_at: datetime | None = None
    yes_means_going: bool = False

    @property
    def wanted(self) -> bool:
        return bool(self.films or any(self.dates))


@dataclass
class CheckedPoll:
    films: list[Film]
    dates: list[datetime]  # aware UTC, in the host's order
    closes_at: datetime | None
    yes_means_going: bool


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
    return CheckedPoll(films, dates, closes_at, fields.yes_means_going), problems


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
        closes_at=checked.closes_at, yes_means_going=checked.yes_means_going, created_at=now,
    )
    poll.films = [PollFilm(film_id=film.id, position=number) for number, film in enumerate(checked.films)]
    poll.dates = [PollDate(starts_at=when, position=number) for number, when in enumerate(checked.dates)]
    db.session.add(poll)
    party.undecided = True
    db.session.flush()
    return poll


# ---------------------------------------------------------------- reading


def poll_of(party: Party) -> Poll | None:
    return db.session.scalar(sa.select(Poll).where(Poll.party_id == party.id))


def vote_by_token(poll: Poll, token: str) -> PollVote | None:
    return db.session.scalar(sa.select(PollVote).where(PollVote.poll_id == poll.id, PollVote.manage_token == token))


@dataclass
class FilmTally:
    candidate: PollFilm
    film: Film
    approvals: int = 0
    seen: int = 0
    mine: bool = False
    i_have_seen: bool = False
    names: list[str] = field(default_factory=list)

    def not_seen(self, voters: int) -> int:
        return voters - self.seen


@dataclass
class DateTally:
    candidate: PollDate
    counts: Counter = field(default_factory=Counter)
    mine: str | None = None
    names: dict[str, list[str]] = field(default_factory=dict)

    @property
    def starts_at(self) -> datetime:
        return self.candidate.starts_at


@dataclass
class PollResults:
    poll: Poll
    voters: int
    films: list[FilmTally]
    dates: list[DateTally]
    votes: list[PollVote]


def poll_results(poll: Poll, mine: PollVote | None = None) -> PollResults:
    """The candidates with their counts (and `mine`'s answers), in four queries whatever
    the number of votes: candidates with their films, dates, votes, and the answers."""
    candidates = db.session.execute(
        sa.select(PollFilm, Film).join(Film, Film.id == PollFilm.film_id)
        .where(PollFilm.poll_id == poll.id).order_by(PollFilm.position, PollFilm.id)
    ).all()
    dates = db.session.scalars(
        sa.select(PollDate).where(PollDate.poll_id == poll.id).order_by(PollDate.starts_at)
    ).all()
    votes = db.session.scalars(
        sa.select(PollVote).where(PollVote.poll_id == poll.id).order_by(PollVote.created_at, PollVote.id)
    ).all()
    names = {vote.id: vote.name for vote in votes}
    films = {candidate.id: FilmTally(candidate, film) for candidate, film in candidates}
    date_tallies = {date.id: DateTally(date) for date in dates}
    vote_ids = sa.select(PollVote.id).where(PollVote.poll_id == poll.id).scalar_subquery()
    answers = db.session.execute(
        sa.select(
            sa.literal("film"), PollFilmAnswer.vote_id, PollFilmAnswer.film_id,
            sa.case((PollFilmAnswer.approves, "a"), else_="") + sa.case((PollFilmAnswer.seen_it, "s"), else_=""),
        ).where(PollFilmAnswer.vote_id.in_(vote_ids))
        .union_all(
            sa.select(sa.literal("date"), PollDateAnswer.vote_id, PollDateAnswer.date_id, PollDateAnswer.answer)
            .where(PollDateAnswer.vote_id.in_(vote_ids))
        )
    ).all()
    for kind, vote_id, candidate_id, value in answers:
        is_mine = mine is not None and vote_id == mine.id
        if kind == "film" and candidate_id in films:
            tally = films[candidate_id]
            if "a" in value:
                tally.approvals += 1
                tally.names.append(names.get(vote_id, ""))
            if "s" in value:
                tally.seen += 1
            if is_mine:
                tally.mine, tally.i_have_seen = "a" in value, "s" in value
        elif kind == "date" and candidate_id in date_tallies:
            date_tally = date_tallies[candidate_id]
            date_tally.counts[value] += 1
            date_tally.names.setdefault(value, []).append(names.get(vote_id, ""))
            if is_mine:
                date_tally.mine = value
    return PollResults(poll, len(votes), list(films.values()), list(date_tallies.values()), list(votes))


def winning_film(results: PollResults) -> FilmTally | None:
    """Most approvals, then most voters who have not seen it, then the host's order."""
    if not results.films:
        return None
    return min(
        results.films,
        key=lambda tally: (-tally.approvals, -tally.not_seen(results.voters), tally.candidate.position, tally.candidate.id),
    )


def winning_date(results: PollResults) -> DateTally | None:
    """Most yes, then most if-need-be, then the host's order."""
    if not results.dates:
        return None
    return min(
        results.dates,
        key=lambda tally: (-tally.counts["yes"], -tally.counts["maybe"], tally.candidate.position, tally.candidate.id),
    )


# ---------------------------------------------------------------- voting


@dataclass
class Ballot:
    name: str
    email: str | None
    dates: dict[int, str]  # poll_date id -> yes / maybe / no
    approved: set[int]  # poll_film ids
    seen: set[int]  # poll_film ids


def check_ballot(poll: Poll, ballot: Ballot) -> None:
    """A ballot must answer every date and name only this poll's candidates."""
    name = ballot.name.strip()
    if not name:
        raise InvalidVote("Tell the host who you are.", "name")
    if len(name) > VOTER_NAME_MAX:
        raise InvalidVote(f"Keep your name under {VOTER_NAME_MAX} characters.", "name")
    date_ids = {date.id for date in poll.dates}
    film_ids = {film.id for film in poll.films}
    if set(ballot.dates) - date_ids or (ballot.approved | ballot.seen) - film_ids:
        raise InvalidVote("One of those choices is no longer in the vote: the page now shows the current ones.")
    if any(answer not in DATE_ANSWERS for answer in ballot.dates.values()):
        raise InvalidVote("Answer each date with yes, if need be, or no.")
    missing = date_ids - set(ballot.dates)
    if missing:
        raise InvalidVote("Answer each date with yes, if need be, or no.", f"date-{min(missing)}")


def _claim_open(poll: Poll) -> None:
    """The guard every vote passes: the poll is open now, and stays so until this vote commits."""
    result = db.session.execute(
        sa.update(Poll).where(Poll.id == poll.id, Poll.closed_at.is_(None))
        .values(votes_version=Poll.votes_version + 1)
        .execution_options(synchronize_session=False)
    )
    if changed_rows(result) != 1:
        raise PollClosed("The vote has closed, so your answers were not counted. The page shows the result.")


def cast_vote(poll: Poll, ballot: Ballot, vote: PollVote | None = None, now: datetime | None = None) -> PollVote:
    """Record a ballot, new or changed (`vote`: the voter's earlier one). Refused once the
    poll is closed; a second ballot with an address already used is refused too."""
    now = now or utcnow()
    check_ballot(poll, ballot)
    _claim_open(poll)
    email = (ballot.email or "").strip().lower() or None
    if vote is None:
        try:
            with db.session.begin_nested():
                vote = PollVote(poll_id=poll.id, name=ballot.name.strip(), email=email, created_at=now, updated_at=now)
                db.session.add(vote)
        except IntegrityError:
            raise DuplicateVoter(
                "Someone already voted with this email. Use the link on that browser, or leave the email out."
            ) from None
    else:
        vote.name, vote.updated_at = ballot.name.strip(), now
        if email != vote.email:
            vote.email = email
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:
            raise DuplicateVoter("Someone else already voted with this email.") from None
        db.session.execute(sa.delete(PollDateAnswer).where(PollDateAnswer.vote_id == vote.id))
        db.session.execute(sa.delete(PollFilmAnswer).where(PollFilmAnswer.vote_id == vote.id))
    vote_id = vote.id
    rows_dates = [{"vote_id": vote_id, "date_id": date_id, "answer": answer} for date_id, answer in ballot.dates.items()]
    rows_films = [
        {"vote_id": vote_id, "film_id": film.id, "approves": film.id in ballot.approved, "seen_it": film.id in ballot.seen}
        for film in poll.films
    ]
    if rows_dates:
        db.session.execute(sa.insert(PollDateAnswer), rows_dates)
    if rows_films:
        db.session.execute(sa.insert(PollFilmAnswer), rows_films)
    db.session.flush()
    return vote


# ---------------------------------------------------------------- closing


@dataclass
class Decision:
    poll: Poll
    votes: int
    film: Film | None
    starts_at: datetime | None
    emailed: int = 0
    seated: int = 0


def _claim_close(poll: Poll, now: datetime) -> None:
    result = db.session.execute(
        sa.update(Poll).where(Poll.id == poll.id, Poll.closed_at.is_(None))
        .values(closed_at=now).execution_options(synchronize_session=False)
    )
    if changed_rows(result) != 1:
        raise PollClosed("The vote is already closed.")
    db.session.refresh(poll)


def close_poll(poll: Poll, now: datetime | None = None) -> Decision:
    """Close the vote (the host, or the timed job at the closing time): the winners
    become the party's film and start, every voter with an email is told once (with the
    .ics), and yes-voters become going replies or are asked to confirm in one tap."""
    now = now or utcnow()
    _claim_close(poll, now)
    party = db.session.get_one(Party, poll.party_id)
    results = poll_results(poll)
    film_tally = winning_film(results)
    date_tally = winning_date(results)
    if film_tally is not None:
        party.film_id = film_tally.film.id
    if date_tally is not None:
        party.starts_at = date_tally.starts_at
        if party.rsvp_deadline is not None and party.rsvp_deadline >= party.starts_at:
            party.rsvp_deadline = None
    party.undecided = False
    party.sequence = Party.sequence + 1
    party.decided_by_votes = results.voters
    db.session.flush()
    db.session.refresh(party)
    decision = Decision(poll, results.voters, film_tally.film if film_tally else None,
                        date_tally.starts_at if date_tally else None)
    yes_votes = set()
    if date_tally is not None:
        yes_ids = _yes_voters(date_tally.candidate)
        yes_votes = {vote.id for vote in results.votes if vote.id in yes_ids}
    seen = _seen_by(film_tally.candidate) if film_tally is not None else set()
    for vote in results.votes:  # in vote order: seats go first come, first served
        said_yes = vote.id in yes_votes or date_tally is None
        rsvp = None
        if poll.yes_means_going and said_yes:
            rsvp = _seat_voter(party, vote, vote.id in seen, now)
            decision.seated += rsvp is not None
        if rsvp is not None:
            # Seated (or waitlisted) as going: their reply's confirmation, with the film, the
            # date and the .ics, is the one email they get.
            decision.emailed += rsvp_service.is_mailable(rsvp)
        elif vote.email:
            _email_result(party, vote, decision, said_yes=said_yes)
            decision.emailed += 1
    return decision


def _yes_voters(date: PollDate) -> set[int]:
    return set(db.session.scalars(
        sa.select(PollDateAnswer.vote_id).where(PollDateAnswer.date_id == date.id, PollDateAnswer.answer == "yes")
    ))


def _seen_by(candidate: PollFilm) -> set[int]:
    return set(db.session.scalars(
        sa.select(PollFilmAnswer.vote_id).where(PollFilmAnswer.film_id == candidate.id, PollFilmAnswer.seen_it)
    ))


def _seat_voter(party: Party, vote: PollVote, seen_it: bool, now: datetime) -> Rsvp | None:
    """A yes-voter as a going reply, under the party's capacity and waitlist rules
    (rsvp.service decides); None when they already replied with that address."""
    fields = rsvp_service.ReplyFields(name=vote.name, response="going", email=vote.email, seen_it=seen_it)
    try:
        return rsvp_service.reply_to_party(party, fields, now=now)
    except rsvp_service.AlreadyReplied:
        return None


def _email_result(party: Party, vote: PollVote, decision: Decision, *, said_yes: bool) -> None:
    """The result, once, to a voter who gave an address: the film, the date, the party's
    link and the event; a yes-voter gets the one-tap "I'm going" link too."""
    address = vote.email or ""
    viewer = rsvp_service.Viewer(party)
    confirm_link = None
    if said_yes:
        confirm_link = public_url("polls.confirm", token=party.share_token, vote_token=vote.manage_token)
    mail.queue_template(
        address, f"It's decided: {party.film.title}, {local_time(party.starts_at, party.timezone, '%a %-d %b')}",
        "poll_decided", party_id=party.id, party=party, vote=vote, decision=decision, viewer=viewer,
        share_link=rsvp_service.share_url(party), confirm_link=confirm_link,
        attachments=(calendar_attachment(party, viewer, address),),
    )


def confirm_going(party: Party, vote: PollVote, now: datetime | None = None) -> Rsvp:
    """The one tap from the result email: the voter replies going (capacity and waitlist
    apply), with their name, address and "seen it" from the vote."""
    poll = poll_of(party)
    if poll is None or poll.is_open:
        raise PollClosed("The vote is still open: the party is not decided yet.")
    seen = db.session.scalar(
        sa.select(PollFilmAnswer.seen_it).join(PollFilm, PollFilm.id == PollFilmAnswer.film_id)
        .where(PollFilmAnswer.vote_id == vote.id, PollFilm.film_id == party.film_id)
    )
    fields = rsvp_service.ReplyFields(name=vote.name, response="going", email=vote.email, seen_it=bool(seen))
    return rsvp_service.reply_to_party(party, fields, now=now)


@mail.timed_job("close_due_polls")
def close_due_polls(now: datetime) -> int:
    """The worker closes every poll whose closing time has come; returns the emails queued."""
    due = db.session.scalars(
        sa.select(Poll).where(Poll.closed_at.is_(None), Poll.closes_at.is_not(None), Poll.closes_at <= now)
        .order_by(Poll.closes_at, Poll.id)
    ).all()
    queued = 0
    for poll in due:
        try:
            with db.session.begin_nested():
                queued += close_poll(poll, now).emailed
        except PollClosed:
            continue
    return queued


def vote_url(party: Party, vote: PollVote) -> str:
    """The voter's personal link (from PUBLIC_URL): opened in any browser, it is their ballot."""
    return public_url("polls.manage", token=party.share_token, vote_token=vote.manage_token)


def decided_note(party: Party) -> str | None:
    """"Decided by 7 votes": what the party page keeps saying once a poll decided it."""
    votes = party.decided_by_votes
    if votes is None:
        return None
    return f"Film and date decided by {votes} vote{'s' if votes != 1 else ''}."


# ---------------------------------------------------------------- the host's changes while open


def _open_for_changes(poll: Poll) -> None:
    """The host's changes take the same guard as a vote: none lands after the close."""
    _claim_open(poll)
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
        sa.select(PollVote).where(PollVote.id.in_(answered), PollVote.email.is_not(None)).order_by(PollVote.id)
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


def vote_rows(party: Party) -> list[tuple]:
    """The votes for the guests CSV (below the guests, after a blank row): a header naming
    each candidate, then one row per voter in vote order. Empty without a poll."""
    poll = poll_of(party)
    if poll is None:
        return []
    results = poll_results(poll)
    answers = db.session.execute(
        sa.select(PollDateAnswer.vote_id, PollDateAnswer.date_id, PollDateAnswer.answer)
        .join(PollVote, PollVote.id == PollDateAnswer.vote_id).where(PollVote.poll_id == poll.id)
    ).all()
    by_date = {(vote_id, date_id): answer for vote_id, date_id, answer in answers}
    films = db.session.execute(
        sa.select(PollFilmAnswer.vote_id, PollFilmAnswer.film_id, PollFilmAnswer.approves, PollFilmAnswer.seen_it)
        .join(PollVote, PollVote.id == PollFilmAnswer.vote_id).where(PollVote.poll_id == poll.id)
    ).all()
    by_film = {(vote_id, film_id): (approves, seen) for vote_id, film_id, approves, seen in films}
    header = (
        "Voter", "Email",
        *(local_time(tally.starts_at, party.timezone, "%Y-%m-%d %H:%M") for tally in results.dates),
        *(f"{tally.film.title} ({tally.film.year})" for tally in results.films),
    )
    rows: list[tuple] = [(), header]
    for vote in results.votes:
        dates = (ANSWER_LABELS.get(by_date.get((vote.id, tally.candidate.id), ""), "") for tally in results.dates)
        film_cells = []
        for tally in results.films:
            approves, seen = by_film.get((vote.id, tally.candidate.id), (False, False))
            film_cells.append(" · ".join(part for part in ("would watch" if approves else "", "seen it" if seen else "") if part))
        rows.append((vote.name, vote.email or "", *dates, *film_cells))
    return rows
