"""A guest's ballot: checked, then cast under the poll's open guard (see watchparty.polls.service)."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from watchparty.extensions import changed_rows, db
from watchparty.links import public_url
from watchparty.models import Party, Poll, PollDateAnswer, PollFilmAnswer, PollVote, utcnow
from watchparty.models.poll import DATE_ANSWERS, VOTER_NAME_MAX
from watchparty.polls.errors import DuplicateVoter, InvalidVote, PollClosed


@dataclass
class Ballot:
    name: str
    email: str | None
    dates: dict[int, str]  # poll_date id -> yes / maybe / no
    approved: set[int]  # poll_film ids
    seen: set[int]  # poll_film ids


def check_name(name: str) -> None:
    name = name.strip()
    if not name:
        raise InvalidVote("Tell the host who you are.", "name")
    if len(name) > VOTER_NAME_MAX:
        raise InvalidVote(f"Keep your name under {VOTER_NAME_MAX} characters.", "name")


def new_voter(poll: Poll, name: str, email: str | None, now: datetime) -> PollVote:
    """A guest's first ballot row (answers follow); an address already used is refused."""
    check_name(name)
    email = (email or "").strip().lower() or None
    try:
        with db.session.begin_nested():
            vote = PollVote(poll_id=poll.id, name=name.strip(), email=email, created_at=now, updated_at=now)
            db.session.add(vote)
    except IntegrityError:
        raise DuplicateVoter(
            "Someone already voted with this email. Use the link on that browser, or leave the email out."
        ) from None
    return vote


def check_ballot(poll: Poll, ballot: Ballot) -> None:
    """A ballot must answer every date and name only this poll's candidates."""
    check_name(ballot.name)
    date_ids = {date.id for date in poll.dates}
    film_ids = {film.id for film in poll.films}
    if set(ballot.dates) - date_ids or (ballot.approved | ballot.seen) - film_ids:
        raise InvalidVote("One of those choices is no longer in the vote: the page now shows the current ones.")
    if any(answer not in DATE_ANSWERS for answer in ballot.dates.values()):
        raise InvalidVote("Answer each date with yes, if need be, or no.")
    missing = date_ids - set(ballot.dates)
    if missing:
        raise InvalidVote("Answer each date with yes, if need be, or no.", f"date-{min(missing)}")


def claim_open(poll: Poll) -> None:
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
    claim_open(poll)
    email = (ballot.email or "").strip().lower() or None
    if vote is None:
        vote = new_voter(poll, ballot.name, email, now)
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


def vote_url(party: Party, vote: PollVote) -> str:
    """The voter's personal link (from PUBLIC_URL): opened in any browser, it is their ballot."""
    return public_url("polls.manage", token=party.share_token, vote_token=vote.manage_token)


def stop_url(party: Party, vote: PollVote) -> str:
    """The voter's "stop emails about this vote" link (from PUBLIC_URL), in every poll email to them."""
    return public_url("polls.stop_emails", token=party.share_token, vote_token=vote.manage_token)


def stop_emails(vote: PollVote) -> None:
    """The voter's stop link, followed: no more poll emails to them (the result, a removed option)."""
    vote.emails_stopped = True
    db.session.flush()
