"""The talk's views: the host's announcements and the guests' comments.

Routes and who may use them (tests/test_authorisation.py holds the same table):

    GET, POST /parties/<id>/announcements                  host (compose, list; POST writes one)
    GET, POST /parties/<id>/announcements/<aid>/edit       host
    POST      /parties/<id>/announcements/<aid>/delete     host
    GET       /p/<token>/comments                          the crew: every conversation
    GET       /p/<token>/comments/<cid>/reply              the crew: one thread, with the reply form
    POST      /p/<token>/comments                          the crew who may post (declined guests: 403)
    POST      /p/<token>/comments/<cid>/delete             its author, or the host
    POST      /p/<token>/comments/<cid>/hide               host (a guest: 403)

"The crew": the host, and guests who replied to this party (known by their reply
cookie, manage link or account). Anyone else, signed in or not, gets a 404 from
the crew's pages (a 403 when posting), and the host's routes send visitors to
log in and give any other account a 404.
"""

from collections.abc import Callable
from datetime import datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from watchparty import clock
from watchparty.errors import DomainError
from watchparty.extensions import db, limiter
from watchparty.forms import EmptyForm, validated
from watchparty.models import Party
from watchparty.parties.service import to_local, to_utc
from watchparty.party_page import current_viewer, guest_rate_limit, party_by_token, party_for_host, render_party_page
from watchparty.rsvp.service import Viewer
from watchparty.talk import service
from watchparty.talk.forms import AnnouncementForm, CommentForm
from watchparty.views import show_error

bp = Blueprint("talk", __name__)



# ---------------------------------------------------------------- announcements (the host's)


def _announcement_fields(party: Party, form: AnnouncementForm) -> service.AnnouncementFields:
    send_at = to_utc(form.send_at.data, party.timezone, "send_at") if form.send_at.data else None
    return service.AnnouncementFields(
        message=validated(form.message.data), audience=tuple(form.audience.data or ()), send_at=send_at
    )


def _announcements_page(
    party: Party, form: AnnouncementForm, status: int = 200, editing: int | None = None
) -> tuple[str, int]:
    return (
        render_template(
            "talk/announcements.html", party=party, form=form, editing=editing,
            announcements=service.announcements_for_host(party), button_form=EmptyForm(formdata=None),
            audience_labels=service.AUDIENCE_LABELS,
        ),
        status,
    )


def _save(
    party: Party, form: AnnouncementForm, save: Callable[[service.AnnouncementFields, datetime], object],
    editing: int | None = None,
) -> tuple[str, int] | None:
    if not form.validate_on_submit():
        return _announcements_page(party, form, 422, editing)
    try:
        save(_announcement_fields(party, form), clock.now())
    except DomainError as error:  # parties.service.InvalidParty too: a time the clocks skip
        db.session.rollback()
        show_error(form, error)
        return _announcements_page(party, form, error.status, editing)
    return None


def _sent_message(when: datetime | None, party: Party) -> str:
    if when is None:
        return "Sent. It's on the party page for them, and on its way by email."
    return f"Scheduled for {to_local(when, party.timezone):%a %-d %b, %H:%M}: it goes out then."


@bp.route("/parties/<int:party_id>/announcements", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["RATELIMIT_ANNOUNCE"], methods=["POST"])
def announcements(party_id: int) -> ResponseReturnValue:
    party = party_for_host(party_id)
    form = AnnouncementForm()
    if request.method == "GET":
        form.audience.data = ["going"]
        return _announcements_page(party, form)
    made = []
    refused = _save(party, form, lambda fields, now: made.append(service.post_announcement(party, fields, now)))
    if refused is not None:
        return refused
    send_at = made[0].sent_at is None and made[0].send_at
    db.session.commit()
    flash(_sent_message(send_at or None, party), "success")
    return redirect(url_for("talk.announcements", party_id=party.id))


@bp.route("/parties/<int:party_id>/announcements/<int:announcement_id>/edit", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["RATELIMIT_ANNOUNCE"], methods=["POST"])
def edit_announcement(party_id: int, announcement_id: int) -> ResponseReturnValue:
    party = party_for_host(party_id)
    try:
        announcement = service.announcement_of(party, announcement_id)
    except DomainError:
        abort(404)
    if request.method == "GET":
        form = AnnouncementForm(formdata=None, message=announcement.message, audience=list(announcement.audience),
                                send_at=to_local(announcement.send_at, party.timezone) if announcement.sent_at is None
                                else None)
        return _announcements_page(party, form, editing=announcement.id)
    form = AnnouncementForm()
    refused = _save(
        party, form, lambda fields, now: service.edit_announcement(party, announcement, fields, now), announcement.id
    )
    if refused is not None:
        return refused
    db.session.commit()
    flash("Announcement saved.", "success")
    return redirect(url_for("talk.announcements", party_id=party.id))


@bp.post("/parties/<int:party_id>/announcements/<int:announcement_id>/delete")
@login_required
def delete_announcement(party_id: int, announcement_id: int) -> ResponseReturnValue:
    party = party_for_host(party_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        announcement = service.announcement_of(party, announcement_id)
    except DomainError:
        abort(404)
    service.delete_announcement(announcement, clock.now())
    db.session.commit()
    flash("Announcement deleted: it is off the party page, and emails not yet sent will not go.", "success")
    return redirect(url_for("talk.announcements", party_id=party.id))


# ---------------------------------------------------------------- comments (the party page's)


def _comment_limit() -> Callable:
    return limiter.limit(lambda: current_app.config["RATELIMIT_COMMENT"], methods=["POST"])


def _back(party: Party, anchor: str = "talk") -> str:
    return url_for("rsvp.party", token=party.share_token) + f"#{anchor}"


def _reply_page(party: Party, viewer: Viewer, comment_id: int, form: CommentForm, status: int = 200) -> tuple[str, int]:
    """A thread and the form to answer it (a page of its own: the party page stays light)."""
    talk = service.party_talk(party, viewer, clock.now(), threads_shown=None)
    thread = next((comment for comment in talk.comments if comment.id == comment_id and comment.status != "deleted"),
                  None)
    if thread is None:
        abort(404)
    return render_template("talk/reply.html", party=party, talk=talk, thread=thread, form=form), status


def _form_again(party: Party, viewer: Viewer, form: CommentForm, status: int) -> ResponseReturnValue:
    """A refused comment again: a reply on its thread's page, a new comment on the party page."""
    reply_to = form.reply_to_id()
    if reply_to is not None:
        return _reply_page(party, viewer, reply_to, form, status)
    return render_party_page(party, viewer, status=status, comment_form=form)


def _refuse(party: Party, form: CommentForm, error: DomainError) -> ResponseReturnValue:
    db.session.rollback()
    if error.status == 404:
        abort(404)
    if isinstance(error, service.ReplyTargetGone):
        form.reply_to.data = ""  # shown with the new-comment form: the thread is gone
    show_error(form, error)
    return _form_again(party, current_viewer(party), form, error.status)


@bp.get("/p/<token>/comments")
def all_comments(token: str) -> ResponseReturnValue:
    """Every conversation (the party page shows the newest service.PAGE_THREADS)."""
    party = party_by_token(token)
    viewer = current_viewer(party)
    if not service.may_read_comments(viewer):
        abort(404)
    talk = service.party_talk(party, viewer, clock.now(), threads_shown=None)
    return render_template("talk/all.html", party=party, talk=talk)


@bp.get("/p/<token>/comments/<int:comment_id>/reply")
def reply(token: str, comment_id: int) -> ResponseReturnValue:
    party = party_by_token(token)
    viewer = current_viewer(party)
    if not service.may_read_comments(viewer):
        abort(404)  # to someone who cannot read the comments, one looks like no comment
    return _reply_page(party, viewer, comment_id, CommentForm(formdata=None, reply_to=str(comment_id)))


@bp.post("/p/<token>/comments")
@guest_rate_limit()
@_comment_limit()
def comment(token: str) -> ResponseReturnValue:
    party = party_by_token(token)
    viewer = current_viewer(party)
    form = CommentForm()
    if not service.may_read_comments(viewer):
        abort(403)
    if not form.validate_on_submit():
        return _form_again(party, viewer, form, 422)
    fields = service.CommentFields(validated(form.body.data), bool(form.is_spoiler.data), form.reply_to_id())
    try:
        made = service.post_comment(party, viewer, fields, clock.now())
    except DomainError as error:
        return _refuse(party, form, error)
    comment_id = made.id
    db.session.commit()
    return redirect(_back(party, f"comment-{comment_id}"))


def _moderate(token: str, comment_id: int, act: Callable[[Party, Viewer, int], None]) -> Party:
    party = party_by_token(token)
    viewer = current_viewer(party)
    if not service.may_read_comments(viewer):
        abort(404)  # to someone who cannot read the comments, one looks like no comment
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        act(party, viewer, comment_id)
    except DomainError as error:
        db.session.rollback()
        abort(error.status)
    db.session.commit()
    return party


@bp.post("/p/<token>/comments/<int:comment_id>/delete")
@guest_rate_limit()
def delete_comment(token: str, comment_id: int) -> ResponseReturnValue:
    party = _moderate(token, comment_id, service.delete_comment)
    flash("Comment deleted.", "success")
    return redirect(_back(party))


@bp.post("/p/<token>/comments/<int:comment_id>/hide")
@guest_rate_limit()
def hide_comment(token: str, comment_id: int) -> ResponseReturnValue:
    party = _moderate(token, comment_id, service.hide_comment)
    flash("Comment hidden from the guests.", "success")
    return redirect(_back(party))
