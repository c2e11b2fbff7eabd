"""The party page of an undecided party: the poll first (watchparty.polls).

While the vote is open the share link shows this page instead of the party
page: nothing on it reads the party's placeholder film or start. It is not kept
between requests (its counts change with every vote and depend on whether the
viewer voted); it reads the same few rows whatever the number of votes.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import render_template
from flask_login import current_user

from watchparty import clock
from watchparty.forms import EmptyForm
from watchparty.models import Party, Poll, PollVote
from watchparty.party_page.visitors import remembered_vote
from watchparty.polls import service as polls
from watchparty.polls.forms import ClosingForm, OptionForm, VoteForm
from watchparty.rsvp import service as rsvp_service
from watchparty.templating import local_time

WHEN = "%a %-d %b %Y, %H:%M %Z"


@dataclass
class ShownDate:
    tally: polls.DateTally
    in_party_zone: str
    in_viewer_zone: str | None  # a signed-in viewer whose own zone says another time
    iso: str


def viewer_zone(party: Party) -> str | None:
    """The viewer's own zone when it is known (their account) and differs from the party's."""
    zone = current_user.timezone if current_user.is_authenticated else None
    return zone if zone and zone != party.timezone else None


def shown_date(when: datetime, party: Party, zone: str | None) -> tuple[str, str | None, str]:
    return (
        local_time(when, party.timezone, WHEN),
        local_time(when, zone, WHEN) if zone else None,
        local_time(when, "UTC", "%Y-%m-%dT%H:%M:%SZ"),
    )


def vote_form_for(results: polls.PollResults, vote: PollVote | None) -> VoteForm:
    """The ballot, filled with the voter's earlier answers (or a signed-in user's name)."""
    if vote is not None:
        form = VoteForm(formdata=None, name=vote.name, email=vote.email or "")
        form.fill_from(
            {tally.candidate.id: tally.mine for tally in results.dates if tally.mine},
            {tally.candidate.id for tally in results.films if tally.mine},
            {tally.candidate.id for tally in results.films if tally.i_have_seen},
        )
        return form
    form = VoteForm(formdata=None)
    if current_user.is_authenticated:
        form.name.data, form.email.data = current_user.display_name, current_user.email
    return form


def render_poll_page(
    party: Party,
    viewer: rsvp_service.Viewer,
    *,
    poll: Poll | None = None,
    vote: PollVote | None = None,
    form: VoteForm | None = None,
    option_form: OptionForm | None = None,
    closing_form: ClosingForm | None = None,
    status: int = 200,
):
    """The poll page for this viewer: their ballot (filled when they voted), the counts
    once they have voted (the host always), and the host's controls."""
    poll = poll or polls.poll_of(party)
    if poll is None:  # an undecided party always has its poll; a broken row is no reason for a 500
        return render_template("polls/page.html", party=party, viewer=viewer, poll=None), status
    vote = vote or remembered_vote(party, poll)
    results = polls.poll_results(poll, vote)
    sees_counts = viewer.is_host or vote is not None or not poll.is_open
    # Who voted what: the host always; voters when the host lets guests see the guest list.
    sees_names = viewer.is_host or (vote is not None and party.guest_list_visible)
    zone = viewer_zone(party)
    dates = [ShownDate(tally, *shown_date(tally.starts_at, party, zone)) for tally in results.dates]
    leader_film = polls.winning_film(results) if sees_counts and results.voters else None
    leader_date = polls.winning_date(results) if sees_counts and results.voters else None
    return render_template(
        "polls/page.html",
        party=party, viewer=viewer, poll=poll, results=results, vote=vote, dates=dates,
        form=form or vote_form_for(results, vote), sees_counts=sees_counts, sees_names=sees_names,
        leader_film=leader_film, leader_date=leader_date,
        closes=shown_date(poll.closes_at, party, zone) if poll.closes_at else None,
        share_link=rsvp_service.share_url(party), button_form=EmptyForm(formdata=None),
        manage_link=polls.vote_url(party, vote) if vote is not None else None,
        now=clock.now(),
        option_form=option_form or OptionForm(formdata=None),
        closing_form=closing_form or ClosingForm(
            formdata=None, closes_at=poll.closes_at.astimezone(ZoneInfo(party.timezone)).replace(tzinfo=None)
            if poll.closes_at else None),
    ), status
