"""Hosting: create, edit and cancel a party; its dashboard and guest export.

Every route here is the host's alone: anonymous visitors are sent to log in,
and any other account gets a 404, so a party's id reveals nothing.

The two steps that cannot be undone answer GET with a page that says what will
happen and POST with the change: `/parties/<id>/share-link` (a new share link;
the old one then answers "link not found") and `/parties/<id>/cancel`.
"""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from watchparty.errors import DomainError
from watchparty.extensions import db
from watchparty.forms import EmptyForm
from watchparty.models import Party
from watchparty.models.party import DEFAULT_PLUS_ONES
from watchparty.parties import service
from watchparty.parties.forms import CancelForm, PartyForm
from watchparty.parties.links import new_film_url
from watchparty.party_page import party_for_host, render_dashboard
from watchparty.reviews import service as reviews_service
from watchparty.reviews.forms import ReviewChoiceForm
from watchparty.rsvp import service as rsvp_service
from watchparty.signups import service as signups_service
from watchparty.signups.forms import fill_rows, row_values
from watchparty.views import show_error

bp = Blueprint("parties", __name__)


def _fields(form: PartyForm) -> service.PartyFields:
    return service.PartyFields(
        title=form.title.data,
        film=form.film.data,
        starts_at=form.starts_at.data,
        timezone=form.timezone.data,
        area=form.area.data,
        address=form.address.data,
        online_url=form.online_url.data,
        screening_notes=form.screening_notes.data,
        capacity=form.capacity.data,
        rsvp_deadline=form.rsvp_deadline.data,
        max_plus_ones=form.max_plus_ones.data if form.max_plus_ones.data is not None else DEFAULT_PLUS_ONES,
        description=form.description.data,
        guest_list_visible=form.guest_list_visible.data,
        show_address_to_guests=form.show_address_to_guests.data,
        new_film_year=form.new_film_year.data,
    )


def _form_page(form: PartyForm, party: Party | None = None, error: DomainError | None = None):
    """The party form, with a domain error (if any) beside its field."""
    status = 422 if form.errors else 200
    missing_film = None
    if error is not None:
        db.session.rollback()
        show_error(form, error)
        status = error.status
        if isinstance(error, service.FilmNotFound):
            back = request.path
            missing_film = {"title": error.text, "url": new_film_url(error.text, back)}
    return (
        render_template(
            "parties/form.html", form=form, party=party,
            film_options=service.film_options(), missing_film=missing_film,
            item_hints=_item_hints(form, party),
            listed_items=signups_service.listed_names(party) if party is not None else [],
        ),
        status,
    )


def _item_hints(form: PartyForm, party: Party | None) -> list[str | None]:
    """"about 3 bags for 12 people" beside each row named like a starter item."""
    capacity = form.capacity.data if isinstance(form.capacity.data, int) else None
    people = signups_service.expected_headcount(party, capacity=capacity)
    return [signups_service.quantity_hint(entry.form.name.data, people) for entry in form.items]


def _more_rows(form: PartyForm, party: Party | None = None):
    """The starter list (scaled to the expected headcount) or blank rows, added to
    the form and shown again: nothing is saved until the form is submitted."""
    extra = []
    if form.add_starter.data:
        capacity = form.capacity.data if isinstance(form.capacity.data, int) else None
        people = signups_service.expected_headcount(party, capacity=capacity)
        listed = [row["name"] for row in row_values(form.items)]
        if party is not None:
            listed += signups_service.listed_names(party)
        extra = signups_service.starter_rows(people, listed)
    fill_rows(form.items, extra)
    return _form_page(form, party)


def _item_rows(form: PartyForm) -> list[signups_service.ItemFields]:
    return signups_service.rows_to_items(row_values(form.items))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = PartyForm()
    if request.method == "GET":
        form.timezone.data = current_user.timezone
        form.film.data = request.args.get("film", "")[:200]
    elif form.wants_more_rows:
        return _more_rows(form)
    if form.validate_on_submit():
        try:
            party = service.create_party(current_user, _fields(form))
            signups_service.add_host_items(party, _item_rows(form))
        except DomainError as error:
            return _form_page(form, error=error)
        db.session.commit()
        flash("Your party is ready. Share the link below with your guests.", "success")
        return redirect(url_for("parties.dashboard", party_id=party.id))
    return _form_page(form)


@bp.get("/<int:party_id>")
@login_required
def dashboard(party_id: int):
    return render_dashboard(party_for_host(party_id))


@bp.route("/<int:party_id>/edit", methods=["GET", "POST"])
@login_required
def edit(party_id: int):
    party = party_for_host(party_id)
    form = PartyForm(obj=party)
    if request.method == "GET":
        # ?film= comes back from adding a missing film (films.new's `next`).
        form.film.data = request.args.get("film", "")[:200] or party.film.slug
        form.starts_at.data = service.to_local(party.starts_at, party.timezone)
        form.rsvp_deadline.data = service.to_local(party.rsvp_deadline, party.timezone)
    elif form.wants_more_rows:
        return _more_rows(form, party)
    if form.validate_on_submit():
        try:
            service.update_party(party, _fields(form))
            signups_service.add_host_items(party, _item_rows(form))
        except DomainError as error:
            return _form_page(form, party, error=error)
        db.session.commit()
        flash("Saved. Guests see the changes on the party page.", "success")
        return redirect(url_for("parties.dashboard", party_id=party.id))
    return _form_page(form, party)


@bp.route("/<int:party_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(party_id: int) -> ResponseReturnValue:
    """A page that says what cancelling does, with the message field and the button (works without JS)."""
    party = party_for_host(party_id)
    form = CancelForm()
    if request.method == "GET":
        return _cancel_page(party, form)
    if not form.validate_on_submit():
        return _cancel_page(party, form, status=422)
    service.cancel_party(party, form.message.data)
    db.session.commit()
    flash("The party is cancelled. Its page says so, and replies are closed.", "info")
    return redirect(url_for("parties.dashboard", party_id=party.id))


def _cancel_page(party: Party, form: CancelForm, status: int = 200) -> tuple[str, int]:
    return render_template("parties/confirm_cancel.html", party=party, form=form), status


@bp.route("/<int:party_id>/share-link", methods=["GET", "POST"])
@login_required
def regenerate_link(party_id: int) -> ResponseReturnValue:
    """GET: what a new link does (the shared one stops working); POST: make it."""
    party = party_for_host(party_id)
    form = EmptyForm()
    if request.method == "GET":
        return render_template(
            "parties/confirm_new_link.html", party=party, form=form,
            emailed=service.guests_with_email(party), share_link=rsvp_service.share_url(party),
        )
    if not form.validate_on_submit():
        abort(400)
    sent = service.regenerate_share_link(party)
    db.session.commit()
    flash(
        "New link made: the old one no longer works. "
        + (f"{sent} guest{'s' if sent != 1 else ''} with an email got their new personal link. " if sent else "")
        + "Send the new link to everyone else.",
        "success",
    )
    return redirect(url_for("parties.dashboard", party_id=party.id) + "#share")


@bp.post("/<int:party_id>/guests/<int:rsvp_id>/remove")
@login_required
def remove_guest(party_id: int, rsvp_id: int):
    party = party_for_host(party_id)
    seated = rsvp_service.remove_guest(party, rsvp_id)
    if seated is None:
        abort(404)
    db.session.commit()
    message = "Guest removed."
    if seated:
        message += f" {len(seated)} from the waitlist got a seat."
    flash(message, "info")
    return redirect(url_for("parties.dashboard", party_id=party.id) + "#guests")


@bp.post("/<int:party_id>/reviews")
@login_required
def choose_reviews(party_id: int):
    """The host picks which of the film's reviews the party page shows, and pins one."""
    party = party_for_host(party_id)
    form = ReviewChoiceForm()
    if not form.validate_on_submit():
        return render_dashboard(party, review_form=form, status=422)
    try:
        reviews_service.choose_reviews(party, form.shown.data or [], form.pinned.data)
    except DomainError as error:
        db.session.rollback()
        form[error.field or "shown"].errors.append(error.message)
        return render_dashboard(party, review_form=form, status=error.status)
    db.session.commit()
    flash("Saved: the party page shows the reviews you chose.", "success")
    return redirect(url_for("parties.dashboard", party_id=party.id) + "#reviews")


@bp.get("/<int:party_id>/guests.csv")
@login_required
def guests_csv(party_id: int):
    party = party_for_host(party_id)
    return Response(
        service.guests_csv(party),
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="party-{party.id}-guests.csv"',
        },
    )


@bp.app_template_global()
def my_parties():
    """The logged-in user's parties for the home page (None for visitors)."""
    if not current_user.is_authenticated:
        return None
    return service.parties_for_user(current_user)
