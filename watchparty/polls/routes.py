"""Polls: guests vote on the film and/or the date; the host closes the vote (#23).

| route | method | fields | who |
|---|---|---|---|
| `/p/<share_token>` | GET | — | anyone with the link: while the vote is open the party page *is* the poll |
| `/p/<share_token>/vote` | POST | `name`, `email` (optional), `date-<id>` = `yes` / `maybe` / `no` for each candidate date, `approve` (repeated: candidate film ids they would happily watch), `seen` (repeated: candidate film ids they have seen) | anyone with the link, while the vote is open; a browser that voted changes its ballot |
| `/p/<share_token>/vote/<vote_token>` | GET | — | that voter (the personal link): this browser remembers the ballot, then the poll |
| `/p/<share_token>/poll/close` | POST | — | host |
| `/p/<share_token>/poll/going/<vote_token>` | GET, POST | — | that voter, once decided: "I'm going" in one tap (a page with one button; the POST replies going) |
| `/p/<share_token>/poll/options` | POST | `film` (title or slug) and/or `starts_at` (local `YYYY-MM-DDTHH:MM`) | host, while open: add a candidate |
| `/p/<share_token>/poll/options/<kind>/<id>/remove` | POST | — (`kind`: `film` or `date`) | host, while open: its answers go, voters who had answered for it are emailed |
| `/p/<share_token>/poll/closing` | POST | `closes_at` (local; empty: the host closes it) | host, while open: extend or bring forward |
| `/p/<share_token>/poll/nominate` | POST | `film` (title or “Title (Year)” from the catalogue); `name`, `email` (optional) when this browser has no ballot | anyone with the link, while open and when the host allowed nominations: one film each, up to 8 films |
| `/p/<share_token>/poll/pick` | POST | `film` and/or `date` (candidate ids among the tied ones) | host, once a closed vote left a tie |
| `/p/<share_token>/vote/<vote_token>/emails` | GET, POST | — | that voter (the link in each poll email): GET asks, POST stops poll emails to them |

A wrong token is a 404. A vote after the close is refused (409) with the result
shown; a vote naming a removed or another party's candidate is refused (422)
with the current candidates, everything typed kept.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from watchparty import clock
from watchparty.errors import DomainError
from watchparty.extensions import csrf, db
from watchparty.forms import EmptyForm
from watchparty.parties import service as parties_service
from watchparty.party_page import (
    current_viewer,
    guest_rate_limit,
    is_host,
    party_by_token,
    remember,
    remember_vote,
    remembered_vote,
    render_party_page,
    render_poll_page,
    vote_by_token,
)
from watchparty.polls import service
from watchparty.polls.forms import ClosingForm, NominateForm, OptionForm, PickForm, VoteForm
from watchparty.views import show_error

bp = Blueprint("polls", __name__)


def _poll_or_404(party):
    poll = service.poll_of(party)
    if poll is None:
        abort(404)
    return poll


@bp.post("/<token>/vote")
@guest_rate_limit()
def vote(token: str):
    party = party_by_token(token)
    poll = _poll_or_404(party)
    viewer = current_viewer(party)
    earlier = remembered_vote(party, poll)
    form = VoteForm()
    fields_ok = form.validate_on_submit()
    answers_ok = form.read_answers(poll, request.form)
    if not (fields_ok and answers_ok):
        return render_poll_page(party, viewer, poll=poll, vote=earlier, form=form, status=422)
    try:
        ballot = service.cast_vote(poll, form.ballot(), vote=earlier, now=clock.now())
    except service.PollClosed as error:
        # Decided meanwhile: the party page (with the result) says why the answers were not counted.
        db.session.rollback()
        flash(error.message, "error")
        return render_party_page(party, current_viewer(party), status=error.status)
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        return render_poll_page(party, viewer, poll=poll, vote=earlier, form=form, status=error.status)
    response = remember_vote(redirect(url_for("rsvp.party", token=party.share_token) + "#poll"), party, ballot)
    db.session.commit()
    flash("Thanks — your vote is in. You can change it until the vote closes." if earlier is None
          else "Saved: your vote is changed.", "success")
    return response


@bp.get("/<token>/vote/<vote_token>")
def manage(token: str, vote_token: str):
    """The voter's personal link: this browser remembers their ballot."""
    party = party_by_token(token)
    ballot = vote_by_token(party, service.poll_of(party), vote_token)
    return remember_vote(redirect(url_for("rsvp.party", token=party.share_token) + "#poll"), party, ballot)


@bp.post("/<token>/poll/close")
def close(token: str):
    party = party_by_token(token)
    if not is_host(party):
        abort(403)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    poll = _poll_or_404(party)
    try:
        decision = service.close_poll(poll, now=clock.now())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("rsvp.party", token=party.share_token))
    db.session.commit()
    if decision.waits_for_host:
        flash(f"The vote is closed, and it's a tie: pick the {_tied_kinds(decision)} below.", "success")
        return redirect(url_for("rsvp.party", token=party.share_token) + "#poll-pick")
    flash(f"Decided by {decision.votes} vote{'s' if decision.votes != 1 else ''}. "
          f"We've emailed the {decision.emailed} voter{'s' if decision.emailed != 1 else ''} who gave an address.", "success")
    return redirect(url_for("rsvp.party", token=party.share_token))


def _tied_kinds(decision) -> str:
    return " and the ".join(kind for kind, tied in (("film", decision.tied_films), ("date", decision.tied_dates))
                            if len(tied) > 1)


@bp.post("/<token>/poll/pick")
def pick(token: str):
    """The host's pick among the candidates a closed vote left tied."""
    party = party_by_token(token)
    if not is_host(party):
        abort(403)
    poll = _poll_or_404(party)
    form = PickForm()
    status = 422
    if form.validate_on_submit():
        try:
            decision = service.pick_winners(poll, party, form.film.data, form.date.data, now=clock.now())
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
            status = error.status
        else:
            db.session.commit()
            flash(f"Decided. We've emailed the {decision.emailed} voter{'s' if decision.emailed != 1 else ''} "
                  "who gave an address.", "success")
            return redirect(url_for("rsvp.party", token=party.share_token))
    results = service.poll_results(poll)
    return render_template("polls/pick.html", party=party, poll=poll, results=results, pick_form=form), status


@bp.post("/<token>/poll/nominate")
@guest_rate_limit()
def nominate(token: str):
    """A guest adds one film to the vote; a browser with no ballot yet gets one (and keeps it)."""
    party = party_by_token(token)
    poll = _poll_or_404(party)
    voter = remembered_vote(party, poll)
    form = NominateForm()
    valid = form.validate_on_submit()
    if voter is None:
        form.needs_name()
        valid = valid and not form.name.errors
    if valid:
        try:
            film = parties_service.find_film(form.film.data or "")
            candidate, voter = service.nominate(poll, film, voter, form.name.data or "", form.email.data, clock.now())
        except parties_service.FilmNotFound as missing:
            # The host's wording offers to add a new film; a guest picks from the catalogue.
            db.session.rollback()
            form.film.errors = [*form.film.errors, _not_in_catalogue(missing)]
            return render_template("polls/nominate.html", party=party, poll=poll, voter=voter, form=form), 422
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
            return render_template("polls/nominate.html", party=party, poll=poll, voter=voter,
                                   form=form), error.status
        response = remember_vote(redirect(url_for("rsvp.party", token=party.share_token) + "#poll"), party, voter)
        db.session.commit()
        flash(f"{candidate.film.title} is in the vote, with your tick.", "success")
        return response
    return render_template("polls/nominate.html", party=party, poll=poll, voter=voter, form=form), 422


def _not_in_catalogue(missing) -> str:
    if missing.matches:
        return "Did you mean " + " or ".join(match.label for match in missing.matches[:3]) + "? Type it as shown."
    return f"No film called “{missing.text[:80]}” in the catalogue: try another title."


# GET asks, POST stops (a mail scanner that follows links stops nothing); no CSRF token:
# the secret token in the URL is the authority, as for the other stop links (watchparty.notifications).
@bp.route("/<token>/vote/<vote_token>/emails", methods=["GET", "POST"])
@csrf.exempt
def stop_emails(token: str, vote_token: str):
    stopping = request.method == "POST" and request.form is not None
    party = party_by_token(token)
    ballot = vote_by_token(party, service.poll_of(party), vote_token)
    if stopping:
        service.stop_emails(ballot)
        db.session.commit()
    return render_template("polls/stop.html", party=party, vote=ballot, form=EmptyForm(formdata=None),
                           action=url_for("polls.stop_emails", token=token, vote_token=vote_token))


@bp.route("/<token>/poll/going/<vote_token>", methods=["GET", "POST"])
@guest_rate_limit()
def confirm(token: str, vote_token: str):
    """The result email's "I'm going": a page with one button (a mail scanner that
    follows links replies nothing), whose POST replies going for the voter."""
    party = party_by_token(token)
    ballot = vote_by_token(party, service.poll_of(party), vote_token)
    form = EmptyForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            rsvp = service.confirm_going(party, ballot, now=clock.now())
        except DomainError as refused:
            db.session.rollback()
            error = refused.message
        else:
            response = remember(
                redirect(url_for("rsvp.manage", token=party.share_token, manage_token=rsvp.manage_token)), party, rsvp
            )
            db.session.commit()
            flash("You're on the list." if not rsvp.is_waitlisted else "The party is full, so you're on the waitlist.",
                  "success")
            return response
    return render_template("polls/confirm.html", party=party, vote=ballot, form=form, error=error), 409 if error else 200


# ---------------------------------------------------------------- the host's changes while the vote is open


def _host_party(token: str):
    party = party_by_token(token)
    if not is_host(party):
        abort(403)
    return party, _poll_or_404(party)


def _refused(party, poll, error: DomainError, **forms):
    db.session.rollback()
    return render_poll_page(party, current_viewer(party), poll=poll, status=error.status, **forms)


@bp.post("/<token>/poll/options")
def add_option(token: str):
    party, poll = _host_party(token)
    form = OptionForm()
    if not form.validate_on_submit():
        return render_poll_page(party, current_viewer(party), poll=poll, option_form=form, status=422)
    try:
        service.add_options(party, poll, form.film.data or "", form.starts_at.data, clock.now(),
                            lambda text: parties_service.find_film(text, party.host))
    except DomainError as error:
        show_error(form, error)
        return _refused(party, poll, error, option_form=form)
    db.session.commit()
    flash("Added to the vote.", "success")
    return redirect(url_for("rsvp.party", token=party.share_token) + "#poll-host")


@bp.post("/<token>/poll/options/<any(film, date):kind>/<int:candidate_id>/remove")
def remove_option(token: str, kind: str, candidate_id: int):
    party, poll = _host_party(token)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        told = service.remove_candidate(poll, party, kind, candidate_id)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("rsvp.party", token=party.share_token) + "#poll-host")
    db.session.commit()
    flash(f"Removed from the vote; its answers are gone. We emailed {told} voter{'s' if told != 1 else ''} who had picked it.",
          "success")
    return redirect(url_for("rsvp.party", token=party.share_token) + "#poll-host")


@bp.post("/<token>/poll/closing")
def change_closing(token: str):
    party, poll = _host_party(token)
    form = ClosingForm()
    if not form.validate_on_submit():
        return render_poll_page(party, current_viewer(party), poll=poll, closing_form=form, status=422)
    try:
        service.change_closing(poll, party, form.closes_at.data, now=clock.now())
    except DomainError as error:
        show_error(form, error)
        return _refused(party, poll, error, closing_form=form)
    db.session.commit()
    flash("Saved the closing time.", "success")
    return redirect(url_for("rsvp.party", token=party.share_token) + "#poll-host")
