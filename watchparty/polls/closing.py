"""Closing a poll: the winners become the party's film and start, and the voters are told."""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from watchparty import mail
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
from watchparty.polls.errors import InvalidPoll, PollClosed
from watchparty.polls.tally import (
    DateTally,
    FilmTally,
    PollResults,
    poll_of,
    poll_results,
    tied_dates,
    tied_films,
)
from watchparty.polls.voting import stop_url
from watchparty.rsvp import service as rsvp_service
from watchparty.rsvp.calendar import calendar_attachment
from watchparty.templating import local_time


@dataclass
class Decision:
    poll: Poll
    votes: int
    film: Film | None
    starts_at: datetime | None
    emailed: int = 0
    seated: int = 0
    # A tie the rules cannot break: the vote is closed and the host picks among these.
    tied_films: list[FilmTally] = field(default_factory=list)
    tied_dates: list[DateTally] = field(default_factory=list)

    @property
    def waits_for_host(self) -> bool:
        return len(self.tied_films) > 1 or len(self.tied_dates) > 1


def _claim_close(poll: Poll, now: datetime) -> None:
    result = db.session.execute(
        sa.update(Poll).where(Poll.id == poll.id, Poll.closed_at.is_(None))
        .values(closed_at=now).execution_options(synchronize_session=False)
    )
    if changed_rows(result) != 1:
        raise PollClosed("The vote is already closed.")
    db.session.refresh(poll)


def close_poll(poll: Poll, now: datetime | None = None, *, timed: bool = False) -> Decision:
    """Close the vote (the host, or the timed job at the closing time): the winners
    become the party's film and start, every voter with an email is told once (with the
    .ics), and yes-voters become going replies or are asked to confirm in one tap.

    A tie the rules cannot break leaves the party undecided for the host to pick
    (pick_winners); a timed close emails the host once to say so."""
    now = now or utcnow()
    _claim_close(poll, now)
    party = db.session.get_one(Party, poll.party_id)
    results = poll_results(poll)
    films, dates = tied_films(results), tied_dates(results)
    if len(films) > 1 or len(dates) > 1:
        decision = Decision(poll, results.voters, None, None, tied_films=films, tied_dates=dates)
        if timed:
            decision.emailed += _ask_host_to_pick(party, decision)
        return decision
    return _decide(poll, party, results, films[0] if films else None, dates[0] if dates else None, now)


def pick_winners(poll: Poll, party: Party, film_id: int | None, date_id: int | None,
                 now: datetime | None = None) -> Decision:
    """The host's pick among the candidates a closed vote left tied (`film_id`, `date_id`:
    candidate ids; only a tied kind needs one). One pick decides: the party's `undecided`
    flag is cleared by a guarded UPDATE, so a second (a double tap) is refused."""
    now = now or utcnow()
    if poll.is_open or not party.undecided:
        raise PollClosed("There is nothing to pick: the party is already decided." if not party.undecided
                         else "The vote is still open: close it first.")
    results = poll_results(poll)
    film = _picked(tied_films(results), film_id, "film", "Pick the film among the tied ones.")
    date = _picked(tied_dates(results), date_id, "date", "Pick the date among the tied ones.")
    result = db.session.execute(
        sa.update(Party).where(Party.id == party.id, Party.undecided.is_(True))
        .values(undecided=False).execution_options(synchronize_session=False)
    )
    if changed_rows(result) != 1:
        raise PollClosed("There is nothing to pick: the party is already decided.")
    return _decide(poll, party, results, film, date, now)


def _picked(tied: list, candidate_id: int | None, field_name: str, message: str):
    """The host's choice among tied candidates (the only one when there is no tie)."""
    if len(tied) <= 1:
        return tied[0] if tied else None
    chosen = next((tally for tally in tied if tally.candidate.id == candidate_id), None)
    if chosen is None:
        raise InvalidPoll(message, field_name)
    return chosen


def _decide(poll: Poll, party: Party, results: PollResults, film_tally: FilmTally | None,
            date_tally: DateTally | None, now: datetime) -> Decision:
    """The winners become the party's film and start; the voters are told (or seated)."""
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
        elif vote.email and not vote.emails_stopped:
            _email_result(party, vote, decision, said_yes=said_yes)
            decision.emailed += 1
    return decision


def _ask_host_to_pick(party: Party, decision: Decision) -> int:
    """The one email a timed close sends the host when the vote ends in a tie: which
    candidates are tied, and the party page (from PUBLIC_URL) where they pick."""
    host = party.host
    if host is None or not host.email:
        return 0
    kinds = " and ".join(kind for kind, tied in (("film", decision.tied_films), ("date", decision.tied_dates))
                         if len(tied) > 1)
    dates = [local_time(tally.starts_at, party.timezone, "%a %-d %b %Y, %H:%M %Z") for tally in decision.tied_dates]
    mail.queue_template(
        host.email, f"A tie for {party.title}: pick the {kinds}", "poll_tie", party_id=party.id, party=party,
        host=host, kinds=kinds, decision=decision, dates=dates if len(dates) > 1 else [],
        films=decision.tied_films if len(decision.tied_films) > 1 else [],
        pick_link=public_url("rsvp.party", token=party.share_token) + "#poll-pick",
    )
    return 1


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
        share_link=rsvp_service.share_url(party), confirm_link=confirm_link, stop_link=stop_url(party, vote),
        attachments=(calendar_attachment(party, viewer, address),),
    )


def confirm_going(party: Party, vote: PollVote, now: datetime | None = None) -> Rsvp:
    """The one tap from the result email: the voter replies going (capacity and waitlist
    apply), with their name, address and "seen it" from the vote."""
    poll = poll_of(party)
    if poll is None or poll.is_open or party.undecided:
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
                queued += close_poll(poll, now, timed=True).emailed
        except PollClosed:
            continue
    return queued
