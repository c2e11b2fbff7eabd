"""Inviting guests from the dashboard, and the "stop emails" links in every email."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from watchparty.errors import DomainError
from watchparty.extensions import csrf, db, limiter
from watchparty.forms import EmptyForm, validated
from watchparty.notifications import service
from watchparty.notifications.forms import InviteForm
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
