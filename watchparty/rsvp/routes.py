"""The party page behind the share link, replies, and the guest's manage link."""

import io
import re
from datetime import datetime, timedelta

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from watchparty import clock
from watchparty.cache import PageStamp, cached_fragment, cached_page, signed_in_as
from watchparty.errors import DomainError
from watchparty.extensions import db, limiter
from watchparty.forms import EmptyForm
from watchparty.models import Party, Rsvp
from watchparty.party_clock import party_phase
from watchparty.reviews import service as reviews_service
from watchparty.reviews.forms import VerdictForm
from watchparty.rsvp import service
from watchparty.rsvp.calendar import party_calendar
from watchparty.rsvp.forms import RsvpForm
from watchparty.signups import service as signups_service
from watchparty.templating import local_time

bp = Blueprint("rsvp", __name__)

# token_urlsafe output; anything else is a 404 without touching the database.
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
REMEMBER_DAYS = 180
DEFAULT_RSVP_LIMIT = "20 per minute;200 per hour"


def rate_limit():
    return limiter.limit(
        lambda: current_app.config.get("RATELIMIT_RSVP", DEFAULT_RSVP_LIMIT), methods=["POST"]
    )


def party_by_token(token: str) -> Party:
    """The party behind a share link; a wrong, revoked or malformed token is a plain 404."""
    party = service.party_by_share_token(token) if TOKEN.fullmatch(token) else None
    if party is None:
        abort(404)
    return party


def party_page_by_token(token: str) -> tuple[Party, PageStamp | None]:
    """The party and its page's stamps (service.party_page_by_share_token); 404 as party_by_token."""
    found = service.party_page_by_share_token(token) if TOKEN.fullmatch(token) else None
    if found is None:
        abort(404)
    return found


def rsvp_by_token(party: Party, manage_token: str) -> Rsvp:
    rsvp = service.rsvp_by_manage_token(party, manage_token) if TOKEN.fullmatch(manage_token) else None
    if rsvp is None:
        abort(404)
    return rsvp


# ---------------------------------------------------------------- remembering a guest


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="watchparty.rsvp-remember")


def _cookie_name(party: Party) -> str:
    return f"wp_guest_{party.id}"


def remembered_rsvp(party: Party) -> Rsvp | None:
    """The reply this browser made to the party (signed cookie holding its manage token)."""
    raw = request.cookies.get(_cookie_name(party))
    if not raw:
        return None
    try:
        token = _serializer().loads(raw)
    except BadSignature:
        return None
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        return None
    return service.rsvp_by_manage_token(party, token)


# The cookie goes to the party's pages, and to the film pages too: a review
# opened from the party (?party=<token>) follows the guest's "I've seen it".
REMEMBER_PATHS = ("/p/", "/films/")


def remember(response: Response, party: Party, rsvp: Rsvp) -> Response:
    for path in REMEMBER_PATHS:
        response.set_cookie(
            _cookie_name(party),
            _serializer().dumps(rsvp.manage_token),
            max_age=REMEMBER_DAYS * 24 * 3600,
            path=path,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
    return response


def current_viewer(party: Party) -> service.Viewer:
    user = current_user if current_user.is_authenticated else None
    is_host = user is not None and party.host_id == user.id
    rsvp = service.reply_of_user(party, user) or remembered_rsvp(party)
    return service.Viewer(party, is_host=is_host, rsvp=rsvp)


# ---------------------------------------------------------------- the party page


def countdown(starts_at: datetime, now: datetime) -> str:
    """"in 3 days" — the text the countdown script keeps up to date."""
    seconds = (starts_at - now).total_seconds()
    if seconds <= 0:
        return "started"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"in {max(minutes, 1)} minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    if hours < 48:
        return f"in {hours} hour{'s' if hours != 1 else ''}"
    days = hours // 24
    return f"in {days} days"


def countdown_now(now: datetime) -> str:
    """The server's time for the countdown (rsvp/_when_where.html's data-now)."""
    return local_time(now, "UTC", "%Y-%m-%dT%H:%M:%SZ")


def _reply_fields(form: RsvpForm) -> service.ReplyFields:
    return service.ReplyFields(
        name=form.name.data,
        email=form.email.data or None,
        response=form.response.data,
        plus_ones=form.plus_ones.data or 0,
        seen_it=form.seen_it.data,
        dietary=form.dietary.data,
        note=form.note.data,
    )


def _new_reply_form(party: Party, formdata=None) -> RsvpForm:
    form = RsvpForm(formdata=formdata, max_plus_ones=party.max_plus_ones)
    if formdata is None and current_user.is_authenticated:
        form.name.data = current_user.display_name
        form.email.data = current_user.email
    return form


def _add_error(form: RsvpForm, error: DomainError) -> None:
    field = form._fields.get(error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def _page_context(party: Party, viewer: service.Viewer, now: datetime, stamp: PageStamp | None = None) -> dict:
    summary = service.party_summary(party, viewer, stamp)
    companion = reviews_service.party_companion(party, viewer, now, stamp)
    card = service.film_card(party, companion.critics, companion.verdict, stamp=stamp)
    guests = tuple(summary.guests)
    return {
        "party": party,
        "viewer": viewer,
        "summary": summary,
        "closed_reason": party_phase(party, now).closed_reason("replies"),
        "countdown": countdown(party.starts_at, now),
        # The countdown script counts from the server's clock, not the phone's (cut out of kept pages).
        "countdown_now": countdown_now(now),
        "ends_at": party.ends_at,
        "share_link": service.share_url(party),
        "place": service.waitlist_place(viewer.rsvp) if viewer.rsvp else None,
        "signups": signups_service.signup_board(party, viewer, now, stamp),
        "companion": companion,
        # The same for every viewer (who may see them): rendered once per worker and content,
        # keyed by what they show (see watchparty.cache).
        "guest_list": cached_fragment(
            # Plain tuples: a hit compares the key in C, where Rows compare in Python (~1 µs each).
            ("rsvp/_guest_list.html", tuple(map(tuple, guests))),
            lambda: render_template("rsvp/_guest_list.html", guests=guests),
        )
        if viewer.sees_guest_list
        else None,
        "film_card": cached_fragment(
            ("parties/_film_card.html", card), lambda: render_template("parties/_film_card.html", card=card)
        ),
        "reviews_panel": cached_fragment(
            ("reviews/_reviews_panel.html", companion.panel),
            lambda: render_template("reviews/_reviews_panel.html", panel=companion.panel),
        ),
    }


def _verdict_form(companion: reviews_service.PartyCompanion | None) -> VerdictForm | None:
    """The rating form for a rater once rating is open, filled with the verdict they already gave."""
    if companion is None or not companion.may_rate or not companion.rating_open:
        return None
    mine = companion.mine
    if mine is None:
        return VerdictForm(formdata=None)
    return VerdictForm(formdata=None, score=str(mine.score), text=mine.text, is_spoiler=mine.is_spoiler)


def _party_page(
    party: Party,
    viewer: service.Viewer,
    form: RsvpForm | None,
    status: int = 200,
    verdict_form: VerdictForm | None = None,
    stamp: PageStamp | None = None,
):
    """The party page; with the `stamp` read with the party (by a request that wrote nothing)
    it may be a page kept under it, or use rows kept under it (watchparty.cache)."""
    now = clock.now()

    def render() -> str:
        reply_form = form if form is not None or viewer.rsvp is not None else _new_reply_form(party)
        context = _page_context(party, viewer, now, stamp)
        rating_form = verdict_form if verdict_form is not None else _verdict_form(context["companion"])
        return render_template("rsvp/party.html", form=reply_form, verdict_form=rating_form, **context)

    key = _page_key(party, viewer, now, stamp) if stamp is not None else None
    return cached_page(key, render, countdown_now(now)), status


def _page_key(party: Party, viewer: service.Viewer, now: datetime, stamp: PageStamp) -> tuple:
    """Everything one viewer's party page shows beyond its stamped rows (see cache.cached_page):
    who is looking, the countdown's words, and the party's phase (deadline, start, film's end)."""
    return (
        "rsvp/party.html",
        stamp,
        viewer.is_host,
        viewer.rsvp.id if viewer.rsvp is not None else None,
        signed_in_as(),
        countdown(party.starts_at, now),
        party_phase(party, now).moments,
    )


@bp.get("/<token>")
def party(token: str):
    party, stamp = party_page_by_token(token)
    return _party_page(party, current_viewer(party), None, stamp=stamp)


@bp.post("/<token>/rsvp")
@rate_limit()
def reply(token: str):
    party = party_by_token(token)
    form = _new_reply_form(party, formdata=request.form)
    if not form.validate_on_submit():
        return _party_page(party, current_viewer(party), form, 422)
    user = current_user._get_current_object() if current_user.is_authenticated else None
    try:
        rsvp = service.reply_to_party(party, _reply_fields(form), user=user)
    except service.AlreadyReplied as error:
        # The service took the duplicate back and queued the owner's own link: keep that.
        db.session.commit()
        viewer = current_viewer(party)
        viewer.rsvp = error.existing or viewer.rsvp
        _add_error(form, error)
        return _party_page(party, viewer, form, error.status)
    except DomainError as error:
        db.session.rollback()
        _add_error(form, error)
        return _party_page(party, current_viewer(party), form, error.status)
    db.session.commit()
    flash(_reply_message(rsvp, emailed=service.is_mailable(rsvp)), "success")
    response = redirect(url_for("rsvp.manage", token=party.share_token, manage_token=rsvp.manage_token))
    return remember(response, party, rsvp)


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
@rate_limit()
def verdict(token: str):
    """The host or a guest seated as going rates the film, from the start of the party on."""
    party = party_by_token(token)
    viewer = current_viewer(party)
    form = VerdictForm()
    now = clock.now()
    try:
        # Who and when first: someone who may not rate hears that, whatever they typed.
        reviews_service.check_may_rate(party, viewer, now)
        if not form.validate_on_submit():
            return _party_page(party, viewer, None, 422, verdict_form=form)
        reviews_service.rate_film(
            party,
            viewer,
            reviews_service.VerdictInput(int(form.score.data), form.text.data, form.is_spoiler.data),
            now=now,
        )
    except DomainError as error:
        db.session.rollback()
        _add_error(form, error)
        return _party_page(party, viewer, None, error.status, verdict_form=form)
    db.session.commit()
    flash("Thanks — your verdict is in. You can change it any time.", "success")
    return redirect(url_for("rsvp.party", token=party.share_token) + "#verdict")


# ---------------------------------------------------------------- the manage link


def _manage_page(party: Party, rsvp: Rsvp, form: RsvpForm, status: int = 200):
    viewer = service.Viewer(party, is_host=_is_host(party), rsvp=rsvp)
    context = _page_context(party, viewer, clock.now())
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
    response.headers["Cache-Control"] = "private, no-store"
    # Opening the bearer link in a browser makes that browser remember the guest.
    return remember(response, party, rsvp)


def _is_host(party: Party) -> bool:
    return current_user.is_authenticated and party.host_id == current_user.id


@bp.route("/<token>/rsvp/<manage_token>", methods=["GET", "POST"])
@rate_limit()
def manage(token: str, manage_token: str):
    party = party_by_token(token)
    rsvp = rsvp_by_token(party, manage_token)
    form = RsvpForm(obj=rsvp, max_plus_ones=max(party.max_plus_ones, rsvp.plus_ones))
    if request.method == "GET":
        form.email.data = rsvp.email or ""
        return _manage_page(party, rsvp, form)
    if not form.validate_on_submit():
        return _manage_page(party, rsvp, form, 422)
    try:
        service.change_reply(rsvp, _reply_fields(form))
    except DomainError as error:
        db.session.rollback()
        _add_error(form, error)
        return _manage_page(party, rsvp, form, error.status)
    db.session.commit()
    flash(_reply_message(rsvp, changed=True), "success")
    return redirect(url_for("rsvp.manage", token=party.share_token, manage_token=rsvp.manage_token))


@bp.post("/<token>/rsvp/<manage_token>/withdraw")
@rate_limit()
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
    response = redirect(url_for("rsvp.party", token=party.share_token))
    for path in REMEMBER_PATHS:
        response.delete_cookie(_cookie_name(party), path=path)
    return response


# ---------------------------------------------------------------- calendar and QR code


@bp.get("/<token>/calendar.ics")
def calendar(token: str):
    party = party_by_token(token)
    body = party_calendar(party, current_viewer(party))
    return Response(
        body,
        headers={
            "Content-Type": "text/calendar; charset=utf-8",
            "Content-Disposition": f'attachment; filename="watchparty-{party.id}.ics"',
            # The location depends on who asks: never from a shared cache.
            "Cache-Control": "private, no-store",
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
