"""The sign-up list's views.

Guests and the host sign up from the party page (/p/<token>/items…,
/p/<token>/claims…); the host keeps the list from the dashboard
(/parties/<id>/items…, the host's alone: anyone else gets a 404).
"""


from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from watchparty import clock
from watchparty.errors import DomainError, NotAllowed
from watchparty.extensions import db
from watchparty.forms import validated
from watchparty.models import Party
from watchparty.party_page import (
    SignupRefusal,
    current_viewer,
    guest_rate_limit,
    party_by_token,
    party_for_host,
    render_dashboard,
    render_party_page,
)
from watchparty.rsvp.service import Viewer
from watchparty.security import next_url
from watchparty.signups import items as signup_items
from watchparty.signups import service
from watchparty.signups.claims import item_claims
from watchparty.signups.forms import ClaimForm, ItemForm, MoveForm, RemoveForm, StarterForm, fill_rows, row_values
from watchparty.signups.starter import expected_headcount, quantity_hint, starter_rows
from watchparty.views import show_error

bp = Blueprint("signups", __name__)


def _item_fields(form: ItemForm) -> signup_items.ItemFields:
    return signup_items.ItemFields(
        name=validated(form.name.data), category=form.category.data, quantity=validated(form.quantity.data),
        note=form.note.data,
    )


# ---------------------------------------------------------------- the party page


def _party_page(party: Party, viewer: Viewer, status: int, refusal: SignupRefusal):
    """The party page again, with the refused form filled in beside its item."""
    return render_party_page(party, viewer, status=status, signup_refusal=refusal)


def _refuse(party: Party, error: DomainError, refusal: SignupRefusal):
    """Undo the request's changes; a missing item is a 404, anything else is shown on the page."""
    db.session.rollback()
    if error.status == 404:
        abort(404)
    form = refusal.claim_form or refusal.item_form
    # Beside the field when it is about the value; at the top of the list when
    # it is about who or when (the form may not even be shown to this viewer).
    if form is not None and error.field and error.status != 403:
        show_error(form, error)
    else:
        refusal.message = error.message
    return _party_page(party, current_viewer(party), error.status, refusal)


def _back_to(party: Party, anchor: str = "signups") -> str:
    """Where the form came from (the party page or the guest's manage page), else the party page."""
    return next_url(url_for("rsvp.party", token=party.share_token)).split("#")[0] + f"#{anchor}"


@bp.post("/p/<token>/items")
@guest_rate_limit()
def add_item(token: str):
    party = party_by_token(token)
    viewer = current_viewer(party)
    form = ItemForm()
    refusal = SignupRefusal(item_form=form)
    reason = service.why_not(viewer)
    if reason:
        return _refuse(party, NotAllowed(reason), refusal)
    if not form.validate_on_submit():
        return _party_page(party, viewer, 422, refusal)
    try:
        item = signup_items.add_item(party, viewer, _item_fields(form), now=clock.now())
    except DomainError as error:
        return _refuse(party, error, refusal)
    # Read before the commit: once committed, the host may remove the item at any moment.
    item_id, name, quantity = item.id, item.name, item.quantity_needed
    db.session.commit()
    if viewer.is_host:
        flash(f"{name} is on the list.", "success")
    else:
        flash(f"{name} is on the list as yours ({quantity}). Thank you!", "success")
    return redirect(_back_to(party, f"item-{item_id}"))


@bp.post("/p/<token>/items/<int:item_id>/claim")
@guest_rate_limit()
def claim(token: str, item_id: int):
    party = party_by_token(token)
    if not signup_items.has_item(party, item_id):
        abort(404)
    viewer = current_viewer(party)
    form = ClaimForm()
    form.item_id = item_id
    refusal = SignupRefusal(claim_form=form)
    reason = service.why_not(viewer)
    if reason:
        return _refuse(party, NotAllowed(reason), refusal)
    if not form.validate_on_submit():
        return _party_page(party, viewer, 422, refusal)
    try:
        claim = service.claim_item(party, viewer, item_id, validated(form.quantity.data), form.note.data, now=clock.now())
    except DomainError as error:
        return _refuse(party, error, refusal)
    # Read before the commit: once committed, the host may remove the item at any moment.
    quantity, name = claim.quantity, claim.item.name
    db.session.commit()
    flash(f"You're bringing {quantity} \N{MULTIPLICATION SIGN} {name}. Thank you!", "success")
    return redirect(_back_to(party, f"item-{item_id}"))


@bp.post("/p/<token>/claims/<int:claim_id>/delete")
@guest_rate_limit()
def release(token: str, claim_id: int):
    party = party_by_token(token)
    viewer = current_viewer(party)
    try:
        name = service.release_claim(party, viewer, claim_id, now=clock.now())
    except DomainError as error:
        return _refuse(party, error, SignupRefusal())
    db.session.commit()
    flash(f"Done: {name} is back on the list.", "info")
    return redirect(_back_to(party))


# ---------------------------------------------------------------- the host's list


def _dashboard_again(party: Party, status: int, item_form: ItemForm | None = None, error: str | None = None):
    return render_dashboard(party, status=status, item_form=item_form, signup_error=error)


def _to_dashboard(party: Party, anchor: str = "signups"):
    return redirect(url_for("parties.dashboard", party_id=party.id) + f"#{anchor}")


@bp.post("/parties/<int:party_id>/items")
@login_required
def host_add_item(party_id: int):
    party = party_for_host(party_id)
    form = ItemForm(prefix="item")
    if not form.validate_on_submit():
        return _dashboard_again(party, 422, item_form=form)
    try:
        (item,) = signup_items.add_host_items(party, [_item_fields(form)], now=clock.now())
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        return _dashboard_again(party, error.status, item_form=form)
    item_id, name = item.id, item.name
    db.session.commit()
    flash(f"{name} is on the list.", "success")
    return _to_dashboard(party, f"item-{item_id}")


def _item_page(party: Party, item, form: ItemForm, status: int = 200):
    people = expected_headcount(party)
    return (
        render_template(
            "signups/edit_item.html", party=party, item=item, form=form,
            claims=item_claims(party, item.id), hint=quantity_hint(form.name.data, people),
        ),
        status,
    )


def host_item(party_id: int, item_id: int):
    """The current user's party and one item on its list, or 404 (as party_for_host)."""
    party = party_for_host(party_id)
    try:
        return party, signup_items.item_for_host(party, item_id)
    except service.ItemNotFound:
        abort(404)


@bp.route("/parties/<int:party_id>/items/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def edit_item(party_id: int, item_id: int):
    party, item = host_item(party_id, item_id)
    if request.method == "GET":
        form = ItemForm(formdata=None, name=item.name, category=item.category, quantity=item.quantity_needed,
                        note=item.note)
        return _item_page(party, item, form)
    form = ItemForm()
    if not form.validate_on_submit():
        return _item_page(party, item, form, 422)
    try:
        signup_items.update_item(party, item.id, _item_fields(form), now=clock.now())
    except DomainError as error:
        db.session.rollback()
        if error.status == 404:
            abort(404)
        show_error(form, error)
        return _item_page(party, signup_items.item_for_host(party, item_id), form, error.status)
    db.session.commit()
    flash(f"Saved {form.name.data}.", "success")
    return _to_dashboard(party, f"item-{item_id}")


@bp.post("/parties/<int:party_id>/items/<int:item_id>/move")
@login_required
def move_item(party_id: int, item_id: int):
    party = party_for_host(party_id)
    form = MoveForm()
    if not form.validate_on_submit():
        return _dashboard_again(party, 422, error="Move an item up or down.")
    try:
        signup_items.move_item(party, item_id, form.direction.data, now=clock.now())
    except DomainError as error:
        db.session.rollback()
        if error.status == 404:
            abort(404)
        return _dashboard_again(party, error.status, error=error.message)
    db.session.commit()
    return _to_dashboard(party, f"item-{item_id}")


def _remove_page(party: Party, item, form: RemoveForm, status: int = 200, message: str | None = None):
    return (
        render_template(
            "signups/remove_item.html", party=party, item=item, form=form,
            claims=item_claims(party, item.id), message=message,
        ),
        status,
    )


@bp.route("/parties/<int:party_id>/items/<int:item_id>/remove", methods=["GET", "POST"])
@login_required
def remove_item(party_id: int, item_id: int):
    """GET asks for confirmation; POST removes (a claimed item only with `confirm=yes`)."""
    party, item = host_item(party_id, item_id)
    if request.method == "GET":
        return _remove_page(party, item, RemoveForm(formdata=None))
    form = RemoveForm()
    if not form.validate_on_submit():
        return _remove_page(party, item, form, 422)
    try:
        removed = signup_items.remove_item(party, item.id, confirmed=form.confirm.data == "yes", now=clock.now())
    except signup_items.ConfirmRemoval as error:
        db.session.rollback()
        return _remove_page(party, signup_items.item_for_host(party, item_id), RemoveForm(formdata=None), 409,
                            message=error.message)
    except DomainError as error:
        db.session.rollback()
        if error.status == 404:
            abort(404)
        return _dashboard_again(party, error.status, error=error.message)
    db.session.commit()
    message = f"{removed.name} is off the list."
    if removed.told:
        told = removed.told
        message += f" We emailed the {told} guest{'s' if told != 1 else ''} who had signed up for it."
    flash(message, "info")
    return _to_dashboard(party)


def _starter_page(party: Party, form: StarterForm, status: int = 200):
    people = expected_headcount(party)
    hints = [quantity_hint(entry.form.name.data, people) for entry in form.items]
    return (
        render_template("signups/starter.html", party=party, form=form, people=people, hints=hints),
        status,
    )


@bp.route("/parties/<int:party_id>/items/starter", methods=["GET", "POST"])
@login_required
def starter(party_id: int):
    """The movie-night starter list, scaled to the headcount, for the host to edit before saving."""
    party = party_for_host(party_id)
    if request.method == "GET":
        form = StarterForm(formdata=None)
        people = expected_headcount(party)
        fill_rows(form.items, starter_rows(people, signup_items.listed_names(party)))
        return _starter_page(party, form)
    form = StarterForm()
    if form.add_rows.data:
        fill_rows(form.items, [])
        return _starter_page(party, form)
    if not form.validate_on_submit():
        return _starter_page(party, form, 422)
    rows = signup_items.rows_to_items(row_values(form.items))
    if not rows:
        form.form_errors.append("Every row is empty: name at least one item, or go back to the dashboard.")
        return _starter_page(party, form, 422)
    try:
        items = signup_items.add_host_items(party, rows, now=clock.now())
    except DomainError as error:
        db.session.rollback()
        form.form_errors.append(error.message)
        return _starter_page(party, form, error.status)
    db.session.commit()
    flash(f"Added {len(items)} item{'s' if len(items) != 1 else ''} to the list.", "success")
    return _to_dashboard(party)

