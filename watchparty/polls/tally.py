"""Reading a poll: its candidates with their counts, the rules that rank them, and the votes
for the guests CSV.

Films are chosen by approval voting: each voter ticks every film they would
happily watch, and the film most voters are happy with wins. It is one tick per
film on a phone (no ranking to drag around), it cannot be gamed by voting for
a "lesser evil", and a tally is a count anyone can check; ties go to the film
more voters have not seen (a first viewing for more of the crew), then to the
host. Dates: most "yes", then most "if need be", then the host's pick."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from watchparty.extensions import db
from watchparty.models import Film, Party, Poll, PollDate, PollDateAnswer, PollFilm, PollFilmAnswer, PollVote
from watchparty.models.poll import FILMS_MAX
from watchparty.templating import local_time

ANSWER_LABELS = {"yes": "Yes", "maybe": "If need be", "no": "No"}


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
    nominator: str | None = None  # the guest who nominated it (None: the host's)
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

    # For the page: the candidates a closed, tied vote leaves to the host (one or none: no tie).
    @property
    def tied_films(self) -> list["FilmTally"]:
        return tied_films(self)

    @property
    def tied_dates(self) -> list["DateTally"]:
        return tied_dates(self)

    def can_nominate(self, vote: PollVote | None) -> bool:
        """Whether this voter (None: a guest with no ballot yet) may still add a film."""
        poll = self.poll
        if not (poll.is_open and poll.decides_film and poll.guests_nominate) or len(self.films) >= FILMS_MAX:
            return False
        return vote is None or not any(tally.candidate.nominated_by_id == vote.id for tally in self.films)

    @property
    def waits_for_host(self) -> bool:
        """Closed with a tie the rules cannot break: the host picks, the party stays undecided."""
        return not self.poll.is_open and (len(self.tied_films) > 1 or len(self.tied_dates) > 1)


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
    films = {candidate.id: FilmTally(candidate, film, nominator=names.get(candidate.nominated_by_id or 0))
             for candidate, film in candidates}
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


def _film_rank(results: PollResults, tally: FilmTally) -> tuple[int, int]:
    return tally.approvals, tally.not_seen(results.voters)


def _date_rank(tally: DateTally) -> tuple[int, int]:
    return tally.counts["yes"], tally.counts["maybe"]


def tied_films(results: PollResults) -> list[FilmTally]:
    """The films the rules put first: most approvals, then most voters who have not seen
    it. More than one is a tie the rules cannot break: the host picks among them."""
    if not results.films:
        return []
    best = max(_film_rank(results, tally) for tally in results.films)
    return [tally for tally in results.films if _film_rank(results, tally) == best]


def tied_dates(results: PollResults) -> list[DateTally]:
    """The dates the rules put first: most yes, then most if-need-be (more than one: the host picks)."""
    if not results.dates:
        return []
    best = max(_date_rank(tally) for tally in results.dates)
    return [tally for tally in results.dates if _date_rank(tally) == best]


def winning_film(results: PollResults) -> FilmTally | None:
    """The film the rules choose; None when they leave a tie (or there is no film vote)."""
    tied = tied_films(results)
    return tied[0] if len(tied) == 1 else None


def winning_date(results: PollResults) -> DateTally | None:
    """The date the rules choose; None when they leave a tie (or there is no date vote)."""
    tied = tied_dates(results)
    return tied[0] if len(tied) == 1 else None


def decided_note(party: Party) -> str | None:
    """"Decided by 7 votes": what the party page keeps saying once a poll decided it."""
    votes = party.decided_by_votes
    if votes is None:
        return None
    return f"Film and date decided by {votes} vote{'s' if votes != 1 else ''}."


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
