"""Inviting guests from the dashboard, how the host hears, the nudges, and the
"stop emails" links in every email.

Routes and who may use them (tests/test_authorisation.py holds the same table):

    POST      /parties/<id>/invitations                      host (a verified address)
    POST      /parties/<id>/updates                          host: each change / digest / nothing
    POST      /parties/<id>/nudges/<which>                   host (which: unreplied, unclaimed)
    GET, POST /p/<token>/rsvp/<manage_token>/emails          whoever holds the guest's manage link
    GET, POST /p/<token>/invitations/<invitation_token>/stop whoever holds the invitation's link
    GET, POST /parties/<id>/updates/stop/<signed token>      whoever holds the host's email (signed link)
    GET, POST /emails/never/<signed token>                   whoever holds the email (signed link)

The host's routes send visitors to log in and give any other account a 404. The
stop links are bearer links: no sign-in and no CSRF token (a mail client's
one-click unsubscribe posts them); a GET only asks, so a mail scanner that
follows links stops nothing.
"""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from watchparty import clock
from watchparty.errors import DomainError
from watchparty.extensions import csrf, db, limiter
from watchparty.forms import EmptyForm, validated
from watchparty.models import Party
from watchparty.notifications import host, nudges, service
from watchparty.notifications.forms import MODE_CHOICES, HostUpdatesForm, InviteForm
from watchparty.party_page import is_token, party_by_token, party_for_host, render_dashboard, rsvp_by_token

bp = Blueprint("notifications", __name__)


def _dashboard_with(party, form, status):
    return render_dashboard(party, invite_form=form, status=status)


@bp.post("/parties/<int:party_id>/invitations")
@login_required
@limiter.limit(lambda: current_app.config["RATELIMIT_INVITE"])
def invite(party_id: int):
    party = party_for_host(party_id)
    form = InviteForm()
    if party.is_cancelled:
        abort(409)
    if not form.validate_on_submit():
        return _dashboard_with(party, form, 422)
    try:
        result = service.invite(party, validated(form.emails.data))
    except DomainError as error:
        db.session.rollback()
        form.emails.errors = [*form.emails.errors, error.message]
        return _dashboard_with(party, form, error.status)
    db.session.commit()
    message = f"Invited {len(result.invited)}." if result.invited else "Nobody new to invite."
    if result.skipped:
        message += f" Skipped {len(result.skipped)} already invited or replied: {', '.join(result.skipped[:10])}"
        message += "…" if len(result.skipped) > 10 else "."
    flash(message, "success" if result.invited else "info")
    return redirect(url_for("parties.dashboard", party_id=party.id) + "#invite")


# ---------------------------------------------------------------- the host hears, and nudges


@bp.post("/parties/<int:party_id>/updates")
@login_required
def host_updates(party_id: int):
    """How the host hears about replies and sign-ups: each change, a digest, or nothing."""
    party = party_for_host(party_id)
    form = HostUpdatesForm()
    if not form.validate_on_submit():
        return render_dashboard(party, activity=host.activity_panel(party, form), status=422)
    host.set_host_updates(party, form.host_updates.data)
    db.session.commit()
    flash("Saved: " + MODE_CHOICES[form.host_updates.data].lower() + ".", "success")
    return redirect(url_for("parties.dashboard", party_id=party.id) + "#activity")


@bp.post("/parties/<int:party_id>/nudges/<which>")
@login_required
def nudge(party_id: int, which: str):
    party = party_for_host(party_id)
    if which not in nudges.NUDGES:
        abort(404)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        sent = nudges.nudge(party, which, clock.now())
    except DomainError as error:
        db.session.rollback()
        panel = host.activity_panel(party, HostUpdatesForm(formdata=None, host_updates=party.host_updates), error.message)
        return render_dashboard(party, activity=panel, status=error.status)
    db.session.commit()
    flash(f"Nudge sent to {sent} {'person' if sent == 1 else 'people'}.", "success")
    return redirect(url_for("parties.dashboard", party_id=party.id) + "#activity")


# ---------------------------------------------------------------- stop emails


def _stopping() -> bool:
    """A POST, with its body read: an oversized one is refused (413) as any form's is."""
    return request.method == "POST" and request.form is not None


def _stop_page(party, who: str, stopped: bool, action: str):
    return render_template(
        "notifications/stop.html", party=party, who=who, stopped=stopped, action=action, form=EmptyForm(formdata=None)
    )


# GET asks, POST stops: mail scanners follow links, and must not opt anyone out. The POST
# needs no CSRF token: the secret token in the URL is the authority, and mail clients'
# one-click unsubscribe (RFC 8058: "List-Unsubscribe=One-Click") posts from outside the site.


@bp.route("/p/<token>/rsvp/<manage_token>/emails", methods=["GET", "POST"])
@csrf.exempt
def stop_guest(token: str, manage_token: str):
    stopping = _stopping()
    party = party_by_token(token)
    rsvp = rsvp_by_token(party, manage_token)
    action = url_for("notifications.stop_guest", token=token, manage_token=manage_token)
    if stopping:
        service.stop_emails_for_guest(rsvp)
        db.session.commit()
    return _stop_page(party, rsvp.email or rsvp.name, rsvp.emails_stopped, action)


@bp.route("/p/<token>/invitations/<invitation_token>/stop", methods=["GET", "POST"])
@csrf.exempt
def stop_invitation(token: str, invitation_token: str):
    stopping = _stopping()
    party = party_by_token(token)
    invitation = service.invitation_by_token(party, invitation_token) if is_token(invitation_token) else None
    if invitation is None:
        abort(404)
    action = url_for("notifications.stop_invitation", token=token, invitation_token=invitation_token)
    if stopping:
        service.stop_emails_for_invitation(invitation)
        db.session.commit()
    return _stop_page(party, invitation.email, invitation.emails_stopped, action)


@bp.route("/parties/<int:party_id>/updates/stop/<token>", methods=["GET", "POST"])
@csrf.exempt
def stop_host(party_id: int, token: str):
    """The host's "stop these emails" in every update email: a signed link for this party
    and its host, no sign-in needed (One-Click, as the guests' links are)."""
    stopping = _stopping()
    party = db.session.get(Party, party_id) if party_id <= 2**31 - 1 else None
    if party is None or not host.host_stop_token_fits(party, token):
        abort(404)
    if stopping:
        host.stop_host_updates(party)
        db.session.commit()
    return render_template(
        "notifications/stop_host.html", party=party, stopped=party.host_updates == "off",
        action=url_for("notifications.stop_host", party_id=party.id, token=token), form=EmptyForm(formdata=None),
    )


@bp.route("/emails/never/<token>", methods=["GET", "POST"])
@csrf.exempt
def never_email(token: str):
    """Any address, account or not, can stop all email from the site (the link in
    every email's footer; One-Click as the party stop links are)."""
    stopping = _stopping()
    address = service.never_email_address(token)
    if address is None:
        abort(404)
    if stopping:
        service.never_email(address)
        db.session.commit()
    return render_template(
        "notifications/never.html", address=address, stopped=stopping or service.is_never_emailed(address),
        action=url_for("notifications.never_email", token=token), form=EmptyForm(formdata=None),
    )
