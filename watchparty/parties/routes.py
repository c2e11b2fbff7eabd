"""Hosting: create, edit and cancel a party; its dashboard and guest export; host again.

Every route here is the host's alone: anonymous visitors are sent to log in,
and any other account gets a 404, so a party's id reveals nothing. The form
itself (`/parties/new`) is open to anyone: a host who is not signed in (or
whose email is not verified) gives a name and an email at "Create"
(`/parties/new/confirm`) and publishes by entering the emailed code
(`POST /accounts/code/verify`, or the one-click link `/accounts/code/link/<token>`).

The two steps that cannot be undone answer GET with a page that says what will
happen and POST with the change: `/parties/<id>/share-link` (a new share link;
the old one then answers "link not found") and `/parties/<id>/cancel`.
`GET, POST /parties/<id>/again` (the host's alone, as the rest) is a new party
form filled from this one, with "invite the same guests"; `POST
/parties/<id>/guests/<rsvp_id>/remove` takes a guest off the list (the
activity says so; see watchparty.activity).
"""

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from watchparty.errors import DomainError
from watchparty.extensions import db, limiter
from watchparty.forms import EmptyForm, validated
from watchparty.models import Party
from watchparty.models.party import DEFAULT_PLUS_ONES
from watchparty.models.user import User
from watchparty.notifications.after_film import guests_who_came
from watchparty.parties import again as hosting_again
from watchparty.parties import drafts, service
from watchparty.parties.forms import CancelForm, HostAgainForm, HostContactForm, PartyForm
from watchparty.parties.links import new_film_url
from watchparty.party_page import party_for_host, render_dashboard
from watchparty.polls import service as polls
from watchparty.reviews import service as reviews_service
from watchparty.reviews.forms import ReviewChoiceForm
from watchparty.rsvp import service as rsvp_service
from watchparty.signups import items as signup_items
from watchparty.signups import starter
from watchparty.signups.forms import fill_rows, row_values
from watchparty.views import refuse, render_form, show_error

bp = Blueprint("parties", __name__)


def _fields(form: PartyForm) -> service.PartyFields:
    return service.PartyFields(
        title=validated(form.title.data),
        film=form.film.data or "",
        starts_at=form.starts_at.data,
        timezone=form.timezone.data,
        area=form.area.data,
        address=form.address.data,
        online_url=form.online_url.data or "",
        screening_notes=form.screening_notes.data,
        capacity=form.capacity.data,
        rsvp_deadline=form.rsvp_deadline.data,
        max_plus_ones=form.max_plus_ones.data if form.max_plus_ones.data is not None else DEFAULT_PLUS_ONES,
        description=form.description.data,
        guest_list_visible=form.guest_list_visible.data,
        show_address_to_guests=form.show_address_to_guests.data,
        new_film_year=form.new_film_year.data,
        film_slug=(form.film_slug.data or "") if form.film_choice.data in (None, "", "new") else form.film_choice.data,
        add_new_film=form.film_choice.data == "new",
        poll=polls.PollFields(
            films=form.film_list,
            dates=[entry.data for entry in form.poll_dates.entries],
            closes_at=form.poll_closes_at.data,
            yes_means_going=form.poll_yes_going.data,
            guests_nominate=form.poll_nominate.data,
        ) if form.wants_poll else None,
    )


def _form_page(
    form: PartyForm, party: Party | None = None, error: DomainError | None = None, again_from: Party | None = None
):
    """The party form, with a domain error (if any) beside its field; `again_from`: hosting that party again."""
    status = 422 if form.errors else 200
    missing_film = None
    film_matches = []
    if error is not None:
        db.session.rollback()
        show_error(form, error)
        status = error.status
        if isinstance(error, service.FilmNotFound):
            back = request.path
            missing_film = {"title": error.text, "url": new_film_url(error.text, back)}
            film_matches = error.matches
    if not film_matches and form.is_submitted():
        if form.film_choice.data == "new":
            # Refused for another reason after choosing to add the film: ask the same question again.
            film_matches = service.close_films(form.film.data or "", _host())
        elif form.film_choice.data:
            # A film was chosen: show it by its title, which finds it again without doubt.
            form.film.data = service.film_label(form.film_choice.data, _host())
            form.film_choice.data = ""
    return (
        render_template(
            "parties/form.html", form=form, party=party,
            film_matches=film_matches, missing_film=missing_film,
            item_hints=_item_hints(form, party),
            listed_items=signup_items.listed_names(party) if party is not None else [],
            again_from=again_from,
            invitable=len(guests_who_came(again_from)) if again_from is not None else 0,
        ),
        status,
    )


def _item_hints(form: PartyForm, party: Party | None) -> list[str | None]:
    """"about 3 bags for 12 people" beside each row named like a starter item."""
    capacity = form.capacity.data if isinstance(form.capacity.data, int) else None
    people = starter.expected_headcount(party, capacity=capacity)
    return [starter.quantity_hint(entry.form.name.data, people) for entry in form.items]


def _more_rows(form: PartyForm, party: Party | None = None, again_from: Party | None = None):
    """The starter list (scaled to the expected headcount) or blank rows, added to
    the form and shown again: nothing is saved until the form is submitted."""
    extra = []
    if form.add_starter.data:
        capacity = form.capacity.data if isinstance(form.capacity.data, int) else None
        people = starter.expected_headcount(party, capacity=capacity)
        listed = [row["name"] for row in row_values(form.items)]
        if party is not None:
            listed += signup_items.listed_names(party)
        extra = starter.starter_rows(people, listed)
    fill_rows(form.items, extra)
    return _form_page(form, party, again_from=again_from)


def _item_rows(form: PartyForm) -> list[signup_items.ItemFields]:
    return signup_items.rows_to_items(row_values(form.items))


def _host() -> User | None:
    return current_user if current_user.is_authenticated else None


PARTY_DRAFT = "party_draft"  # session: the draft's token (as accounts.routes reads it)
CODE_EMAIL = "code_email"  # session: the address the code went to


def _draft_pairs(form: PartyForm) -> list[tuple[str, str]]:
    """The party form's own fields as posted (item rows too), to fill it again later."""
    names = {field.name for field in form if field.name != "csrf_token" and field.type != "SubmitField"}
    return [(name, value) for name, value in request.form.items(multi=True)
            if name in names or name.startswith("items-")]


def _anonymous_post() -> bool:
    return request.method == "POST" and not current_user.is_authenticated


@bp.route("/new", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_PARTY_DRAFT"], exempt_when=lambda: not _anonymous_post())
def new() -> ResponseReturnValue:
    """The party form, for anyone. A host whose email is verified publishes at once;
    anyone else's party is kept as a draft until they enter an emailed code (parties.drafts)."""
    form = PartyForm()
    if request.method == "GET":
        draft = drafts.draft_by_token(session.get(PARTY_DRAFT))
        if draft is not None:  # back from the next step, or a draft that no longer passes: as typed
            form = PartyForm(formdata=MultiDict(drafts.form_pairs(draft)))
            # Signed in by its code, the host sees why it did not go out (checked just before, otherwise).
            return _form_page(form, error=drafts.problem(draft) if current_user.is_authenticated else None)
        form.timezone.data = current_user.timezone if current_user.is_authenticated else "UTC"
        form.film.data = service.film_label(request.args.get("film", "")[:200], _host())
    elif form.wants_more_rows:
        return _more_rows(form)
    if form.validate_on_submit():
        verified = current_user.is_authenticated and current_user.email_verified
        try:
            if not verified:
                user = current_user._get_current_object() if current_user.is_authenticated else None
                token = drafts.save_draft(_fields(form), _item_rows(form), _draft_pairs(form), user=user)
            else:
                party = drafts.publish(current_user, _fields(form), _item_rows(form), session.get(PARTY_DRAFT))
        except DomainError as error:
            return _form_page(form, error=error)
        db.session.commit()
        if not verified:
            session[PARTY_DRAFT] = token
            if current_user.is_authenticated:
                session[CODE_EMAIL] = current_user.email
                return redirect(url_for("accounts.verify_code"))
            return redirect(url_for("parties.confirm_host"))
        session.pop(PARTY_DRAFT, None)
        flash("Your party is ready. Share the link below with your guests.", "success")
        return redirect(url_for("parties.dashboard", party_id=party.id))
    return _form_page(form)


@bp.route("/new/confirm", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_CODE"], methods=["POST"])
def confirm_host() -> ResponseReturnValue:
    """After "Create", a host who is not signed in gives a name and an email; the code goes there."""
    draft = drafts.draft_by_token(session.get(PARTY_DRAFT))
    form = HostContactForm(data={"display_name": draft.display_name, "email": draft.email}
                           if request.method == "GET" and draft is not None else None)
    title = drafts.title_of(draft) if draft is not None else "Your party"
    if request.method == "POST" and not form.validate_on_submit():
        return render_form("parties/confirm_host.html", form, title=title)
    if draft is None:
        flash("That party was not kept (drafts last a day). Fill it in again, please.", "info")
        return redirect(url_for("parties.new"))
    if request.method == "POST":
        try:
            drafts.ask_for_code(draft, form.display_name.data, form.email.data)
        except DomainError as error:
            return refuse("parties/confirm_host.html", form, error, title=title)
        db.session.commit()
        session[CODE_EMAIL] = form.email.data
        return redirect(url_for("accounts.verify_code"))
    return render_form("parties/confirm_host.html", form, title=title)


@bp.get("/<int:party_id>")
@login_required
def dashboard(party_id: int):
    return render_dashboard(party_for_host(party_id))


@bp.route("/<int:party_id>/edit", methods=["GET", "POST"])
@login_required
def edit(party_id: int):
    party = party_for_host(party_id)
    if party.undecided:
        # Its film and date are placeholders until the vote closes: nothing to edit yet.
        flash("The vote is still open: the film and date are set when it closes. "
              "Change the options here on the dashboard.", "info")
        return redirect(url_for("parties.dashboard", party_id=party.id))
    form = PartyForm(obj=party)
    if request.method == "GET":
        # ?film= comes back from adding a missing film (films.new's `next`).
        form.film.data = service.film_label(request.args.get("film", "")[:200] or party.film.slug, _host())
        form.starts_at.data = service.to_local(party.starts_at, party.timezone)
        form.rsvp_deadline.data = service.to_local(party.rsvp_deadline, party.timezone)
    elif form.wants_more_rows:
        return _more_rows(form, party)
    if form.validate_on_submit():
        try:
            service.update_party(party, _fields(form))
            signup_items.add_host_items(party, _item_rows(form))
        except DomainError as error:
            return _form_page(form, party, error=error)
        db.session.commit()
        flash("Saved. Guests see the changes on the party page.", "success")
        return redirect(url_for("parties.dashboard", party_id=party.id))
    return _form_page(form, party)


@bp.route("/<int:party_id>/again", methods=["GET", "POST"])
@login_required
@limiter.limit(
    lambda: current_app.config["RATELIMIT_INVITE"],
    methods=["POST"],
    # Creating a party is not limited; inviting its guests is, as on the dashboard.
    exempt_when=lambda: not request.form.get("invite_same_guests"),
)
def again(party_id: int):
    """Host again: the party form filled from this party (film and date left to choose),
    with "Invite the same guests"."""
    old = party_for_host(party_id)
    if request.method == "GET":
        form = HostAgainForm(data=hosting_again.form_defaults(old))
        form.film.data = request.args.get("film", "")[:200]
        fill_rows(form.items, [])
        return _form_page(form, again_from=old)
    form = HostAgainForm()
    if form.wants_more_rows:
        return _more_rows(form, again_from=old)
    if not form.validate_on_submit():
        return _form_page(form, again_from=old)
    if not current_user.email_verified:
        # As for a new party: an unverified address confirms by code before anything goes out.
        try:
            token = drafts.save_draft(_fields(form), _item_rows(form), _draft_pairs(form), user=current_user)
        except DomainError as error:
            return _form_page(form, error=error, again_from=old)
        db.session.commit()
        session[PARTY_DRAFT], session[CODE_EMAIL] = token, current_user.email
        return redirect(url_for("accounts.verify_code"))
    try:
        hosted = hosting_again.host_again(
            old, current_user, _fields(form), _item_rows(form), invite_same_guests=form.invite_same_guests.data
        )
    except DomainError as error:
        return _form_page(form, error=error, again_from=old)
    db.session.commit()
    invited = len(hosted.invited)
    flash(
        "Your party is ready. "
        + (f"We're emailing an invitation to the {invited} guest{'s' if invited != 1 else ''} who came last time. "
           if invited else "")
        + "Share the link below with anyone else.",
        "success",
    )
    return redirect(url_for("parties.dashboard", party_id=hosted.party.id))


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
