"""The party page behind the share link, replies, and the guest's manage link.

"Can't make it after all" asks first: `GET /p/<token>/rsvp/<manage_token>/withdraw`
names the claims and items it releases, and `POST` on the same path withdraws —
both for whoever holds the manage link (a bearer link, as the manage page).
"""

import io
from datetime import timedelta

import segno
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from watchparty import cards, clock
from watchparty.errors import DomainError
from watchparty.extensions import db, reads_before_the_writes
from watchparty.forms import EmptyForm, validated
from watchparty.links import public_url
from watchparty.models import Party, Rsvp
from watchparty.party_page import (
    current_viewer,
    forget_guest,
    guest_rate_limit,
    is_host,
    new_reply_form,
    page_context,
    party_by_token,
    party_head_by_token,
    remember,
    render_party_page,
    rsvp_by_token,
    show_party_page,
)
from watchparty.reviews import verdicts as reviews_verdicts
from watchparty.reviews.forms import VerdictForm
from watchparty.rsvp import service
from watchparty.rsvp.calendar import party_calendar
from watchparty.rsvp.forms import RsvpForm
from watchparty.signups import claims
from watchparty.views import show_error

bp = Blueprint("rsvp", __name__)


def _reply_fields(form: RsvpForm) -> service.ReplyFields:
    return service.ReplyFields(
        name=validated(form.name.data),
        email=form.email.data or None,
        response=form.response.data,
        plus_ones=form.plus_ones.data or 0,
        seen_it=form.seen_it.data,
        dietary=form.dietary.data or "",
        note=form.note.data or "",
    )


@bp.get("/<token>")
def party(token: str):
    return show_party_page(party_head_by_token(token))


@bp.post("/<token>/rsvp")
@guest_rate_limit()
def reply(token: str):
    with reads_before_the_writes():  # the reply's write then holds SQLite's lock for itself only
        party = party_by_token(token)
    form = new_reply_form(party, formdata=request.form)
    if not form.validate_on_submit():
        return render_party_page(party, current_viewer(party), reply_form=form, status=422)
    user = current_user._get_current_object() if current_user.is_authenticated else None
    try:
        rsvp = service.reply_to_party(party, _reply_fields(form), user=user)
    except service.AlreadyReplied as error:
        # The service took the duplicate back and queued the owner's own link: keep that.
        db.session.commit()
        viewer = current_viewer(party)
        viewer.rsvp = error.existing or viewer.rsvp
        show_error(form, error)
        return render_party_page(party, viewer, reply_form=form, status=error.status)
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        return render_party_page(party, current_viewer(party), reply_form=form, status=error.status)
    # The answer is built before the commit: reading the reply after it would begin a
    # second transaction (on SQLite, a second write lock) only to reload what we had.
    message = _reply_message(rsvp, emailed=service.is_mailable(rsvp))
    response = remember(redirect(url_for("rsvp.manage", token=party.share_token, manage_token=rsvp.manage_token)), party, rsvp)
    db.session.commit()
    flash(message, "success")
    return response


def _reply_message(rsvp: Rsvp, emailed: bool = False, changed: bool = False) -> str:
    if rsvp.is_waitlisted:
        message = f"The party is full, so you're #{service.waitlist_place(rsvp)} on the waitlist."
    elif rsvp.response == "going":
        message = "You're going!"
    elif rsvp.response == "maybe":
        message = "You're down as a maybe."
    else:
        message = "You're down as can't make it."
    if changed:
        message = "Saved. " + message
    if emailed:
        message += " We've emailed you your personal link."
    return message


# ---------------------------------------------------------------- the crew's verdict


@bp.post("/<token>/verdict")
@guest_rate_limit()
def verdict(token: str):
    """The host or a guest seated as going rates the film, from the start of the party on."""
    party = party_by_token(token)
    viewer = current_viewer(party)
    form = VerdictForm()
    now = clock.now()
    try:
        # Who and when first: someone who may not rate hears that, whatever they typed.
        reviews_verdicts.check_may_rate(party, viewer, now)
        if not form.validate_on_submit():
            return render_party_page(party, viewer, verdict_form=form, status=422)
        reviews_verdicts.rate_film(
            party,
            viewer,
            reviews_verdicts.VerdictInput(int(form.score.data), form.text.data or "", form.is_spoiler.data),
            now=now,
        )
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        return render_party_page(party, viewer, verdict_form=form, status=error.status)
    db.session.commit()
    flash("Thanks — your verdict is in. You can change it any time.", "success")
    return redirect(url_for("rsvp.party", token=party.share_token) + "#verdict")


# ---------------------------------------------------------------- the manage link


def _manage_page(party: Party, rsvp: Rsvp, form: RsvpForm, status: int = 200):
    viewer = service.Viewer(party, is_host=is_host(party), rsvp=rsvp)
    context = page_context(party, viewer, clock.now())
    response = Response(
        render_template(
            "rsvp/manage.html",
            form=form,
            withdraw_form=EmptyForm(formdata=None),
            manage_link=service.manage_url(rsvp, party),
            **context,
        ),
        status,
    )
    # Opening the bearer link in a browser makes that browser remember the guest.
    return remember(response, party, rsvp)


@bp.route("/<token>/rsvp/<manage_token>", methods=["GET", "POST"])
@guest_rate_limit()
def manage(token: str, manage_token: str):
    party = party_by_token(token)
    rsvp = rsvp_by_token(party, manage_token)
    form = RsvpForm(obj=rsvp, max_plus_ones=max(party.max_plus_ones, rsvp.plus_ones))
    if request.method == "GET":
        if "rate" in request.args:
            # The morning-after email's button (notifications.after_film): one tap, and this browser
            # remembers the guest and opens the party page at "How was it?".
            return remember(redirect(url_for("rsvp.party", token=party.share_token) + "#how-was-it"), party, rsvp)
        form.email.data = rsvp.email or ""
        return _manage_page(party, rsvp, form)
    if not form.validate_on_submit():
        return _manage_page(party, rsvp, form, 422)
    try:
        service.change_reply(rsvp, _reply_fields(form))
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        return _manage_page(party, rsvp, form, error.status)
    db.session.commit()
    flash(_reply_message(rsvp, changed=True), "success")
    return redirect(url_for("rsvp.manage", token=party.share_token, manage_token=rsvp.manage_token))


@bp.get("/<token>/rsvp/<manage_token>/withdraw")
def confirm_withdraw(token: str, manage_token: str):
    """"Can't make it after all" asks first, naming the sign-ups it gives back."""
    party = party_by_token(token)
    rsvp = rsvp_by_token(party, manage_token)
    response = Response(
        render_template(
            "rsvp/withdraw.html", party=party, rsvp=rsvp, releasing=claims.release_preview(rsvp),
            withdraw_form=EmptyForm(formdata=None),
        )
    )
    return remember(response, party, rsvp)


@bp.post("/<token>/rsvp/<manage_token>/withdraw")
@guest_rate_limit()
def withdraw(token: str, manage_token: str):
    party = party_by_token(token)
    rsvp = rsvp_by_token(party, manage_token)
    try:
        service.withdraw_reply(rsvp)
    except DomainError as error:
        db.session.rollback()
        form = RsvpForm(formdata=None, obj=rsvp, max_plus_ones=party.max_plus_ones)
        form.form_errors.append(error.message)
        return _manage_page(party, rsvp, form, error.status)
    db.session.commit()
    flash("You're down as can't make it. Changed your mind? Reply again below.", "info")
    return redirect(url_for("rsvp.manage", token=party.share_token, manage_token=rsvp.manage_token))


@bp.post("/<token>/forget")
def forget(token: str):
    """"Not you?": this browser stops remembering the reply (the reply itself stays)."""
    party = party_by_token(token)
    return forget_guest(redirect(url_for("rsvp.party", token=party.share_token)), party)


# ---------------------------------------------------------------- calendar, QR code and link-preview card


@bp.get("/<token>/calendar.ics")
def calendar(token: str):
    party = party_by_token(token)
    if party.undecided:  # no date or film yet: the guests are voting (watchparty.polls)
        abort(404)
    body = party_calendar(party, current_viewer(party))
    return Response(
        body,
        headers={
            "Content-Type": "text/calendar; charset=utf-8",
            "Content-Disposition": f'attachment; filename="watchparty-{party.id}.ics"',
        },
    )


@bp.get("/<token>/qr.svg")
def qr(token: str):
    party = party_by_token(token)
    buffer = io.BytesIO()
    segno.make(service.share_url(party), error="m").save(
        buffer, kind="svg", scale=6, border=2, dark="#1d1b26", light="#ffffff",
        xmldecl=False, title=f"QR code for {party.title}",
    )
    response = Response(buffer.getvalue(), content_type="image/svg+xml")
    response.cache_control.private = True
    response.cache_control.max_age = int(timedelta(minutes=10).total_seconds())
    return response


# A few minutes, then a revalidation (a 304 while nothing it shows changed): a new
# share link or a changed title reaches a chat app soon. Private like the QR code:
# it answers a token that the host may revoke.
PARTY_CARD_CACHE = "private, max-age=300"


@bp.get("/<token>/card.png")
def card(token: str) -> Response:
    """The link-preview picture (og:image): title, date and area, never the address."""
    return cards.card_response(cards.party_card(party_by_token(token)), PARTY_CARD_CACHE)


@bp.app_template_global()
def party_card_url(party: Party) -> str:
    """The party's card on the public address; `v` changes with what the card shows,
    so that a chat app that keeps pictures by URL fetches the new one."""
    return public_url("rsvp.card", token=party.share_token, v=cards.card_version(cards.party_card(party))[:12])
