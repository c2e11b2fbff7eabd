"""The party page and the host's dashboard: what they read, and how they are rendered.

Any blueprint that refuses a form posted from one of these pages renders the
page again through here, with the refused form passed in. The party page is
kept whole per viewer (watchparty.cache): its key is what a render reads
besides its stamped rows — the viewer, the countdown's words and the party's
phase — taken from the same `PageInputs` the render uses.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import render_template
from flask_login import current_user
from sqlalchemy.orm import joinedload

from watchparty import clock
from watchparty.cache import PageStamp, PartyHead, cached_fragment, cached_page, reading_under, signed_in_as
from watchparty.extensions import db
from watchparty.forms import EmptyForm
from watchparty.models import Party, Rsvp
from watchparty.notifications import host as host_updates
from watchparty.notifications.forms import HostUpdatesForm, InviteForm
from watchparty.parties import service as parties_service
from watchparty.party_clock import party_phase
from watchparty.party_page.poll import render_poll_page
from watchparty.party_page.recap import recap
from watchparty.party_page.sharing import share_links
from watchparty.party_page.visitors import is_host, viewer_with_reply
from watchparty.polls import service as polls_service
from watchparty.reviews import companion as reviews_companion
from watchparty.reviews import service as reviews_service
from watchparty.reviews.forms import VerdictForm
from watchparty.rsvp import service as rsvp_service
from watchparty.rsvp import summary as rsvp_summary
from watchparty.rsvp.forms import RsvpForm
from watchparty.signups import board as signup_board
from watchparty.signups.forms import ClaimForm, ItemForm
from watchparty.talk import service as talk_service
from watchparty.talk.forms import CommentForm
from watchparty.templating import local_time


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


@dataclass
class SignupRefusal:
    """A refused sign-up form, shown again beside its item on the party page (signups/_board.html)."""

    claim_form: ClaimForm | None = None
    item_form: ItemForm | None = None
    # A refusal about who or when, shown at the top of the list.
    message: str | None = None


def new_reply_form(party: Party, formdata=None) -> RsvpForm:
    """The reply form, filled with a signed-in guest's name and address."""
    form = RsvpForm(formdata=formdata, max_plus_ones=party.max_plus_ones)
    if formdata is None and current_user.is_authenticated:
        form.name.data = current_user.display_name
        form.email.data = current_user.email
    return form


def page_context(party: Party, viewer: rsvp_service.Viewer, now: datetime) -> dict:
    """What the party page (and a guest's manage page) shows, for this viewer at `now`."""
    phase = party_phase(party, now)
    summary = rsvp_summary.party_summary(party, viewer)
    companion = reviews_companion.party_companion(party, viewer, now)
    card = rsvp_summary.film_card(party, companion.critics, companion.verdict)
    guests = tuple(summary.guests)
    signups = signup_board.signup_board(party, viewer, now)
    return {
        "party": party,
        "viewer": viewer,
        "summary": summary,
        "closed_reason": phase.closed_reason("replies"),
        # Once the film is over the page looks back (rsvp/_after.html); what it shows comes from
        # the rows read here anyway. The phase is part of a kept page's key (PageInputs).
        "after_film": phase.after_film,
        "recap": recap(viewer, summary, signups, companion) if phase.after_film else None,
        "countdown": countdown(party.starts_at, now),
        "decided_note": polls_service.decided_note(party),
        # The countdown script counts from the server's clock, not the phone's (cut out of kept pages).
        "countdown_now": countdown_now(now),
        "ends_at": party.ends_at,
        "share_link": rsvp_service.share_url(party),
        "place": rsvp_service.waitlist_place(viewer.rsvp) if viewer.rsvp else None,
        "signups": signups,
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


def _verdict_form(companion: reviews_companion.PartyCompanion) -> VerdictForm | None:
    """The rating form for a rater once rating is open, filled with the verdict they already gave."""
    if not companion.may_rate or not companion.rating_open:
        return None
    mine = companion.mine
    if mine is None:
        return VerdictForm(formdata=None)
    return VerdictForm(formdata=None, score=str(mine.score), text=mine.text, is_spoiler=mine.is_spoiler)


@dataclass(frozen=True)
class PageInputs:
    """Everything a party page shows besides its stamped rows: who is looking and where
    the clock stands. A kept page's key is exactly this, so a render can depend on
    nothing the key leaves out."""

    is_host: bool
    reply_id: int | None
    signed_in_as: tuple | None
    countdown: str
    phase: tuple[bool, ...]


def render_party_page(
    party: Party,
    viewer: rsvp_service.Viewer,
    *,
    status: int = 200,
    reply_form: RsvpForm | None = None,
    verdict_form: VerdictForm | None = None,
    signup_refusal: SignupRefusal | None = None,
    comment_form: CommentForm | None = None,
):
    """The party page for `viewer`, rendered now, with any refused form filled in beside its field."""
    if party.undecided:
        # The vote comes first, and nothing may show the placeholder film or start (polls).
        return render_poll_page(party, viewer, status=status)
    html = _render(
        party, viewer, clock.now(), None, reply_form=reply_form, verdict_form=verdict_form,
        signup_refusal=signup_refusal, comment_form=comment_form,
    )
    return html, status


def show_party_page(head: PartyHead):
    """The party page as the share link shows it (GET): kept per viewer under the
    stamps read with the head (watchparty.cache), so that a view of a kept page
    runs one statement (the head, with the viewer's reply id) and builds no ORM object."""
    reply_id = rsvp_service.preferred_reply_id(head.users_reply_id, head.remembered_reply_id)
    if head.stamp is None or head.undecided:
        return render_party_page(*_party_and_viewer(head.party_id, reply_id))
    now = clock.now()
    inputs = PageInputs(
        is_host=is_host(head),
        reply_id=reply_id,
        signed_in_as=signed_in_as(),
        countdown=countdown(head.starts_at, now),
        phase=party_phase(head, now).moments,
    )

    def render() -> str:
        return _render(*_party_and_viewer(head.party_id, reply_id), now, head.stamp)

    return cached_page(("rsvp/party.html", head.stamp, inputs), render, countdown_now(now)), 200


_PARTY_AND_REPLY = (
    sa.select(Party, Rsvp)
    .outerjoin(Rsvp, sa.and_(Rsvp.party_id == Party.id, Rsvp.id == sa.bindparam("reply_id")))
    .where(Party.id == sa.bindparam("party_id"))
    .options(joinedload(Party.host), joinedload(Party.film))
)


def _party_and_viewer(party_id: int, reply_id: int | None) -> tuple[Party, rsvp_service.Viewer]:
    """The party with its host and film (the page shows both) and the viewer's reply, in one statement."""
    party, rsvp = db.session.execute(_PARTY_AND_REPLY, {"party_id": party_id, "reply_id": reply_id}).one()
    return party, viewer_with_reply(party, rsvp)


def _render(
    party: Party,
    viewer: rsvp_service.Viewer,
    now: datetime,
    stamp: PageStamp | None,
    *,
    reply_form: RsvpForm | None = None,
    verdict_form: VerdictForm | None = None,
    signup_refusal: SignupRefusal | None = None,
    comment_form: CommentForm | None = None,
) -> str:
    """The party page's HTML; with a `stamp`, rows are read through what is kept under it."""
    with reading_under(stamp):
        context = page_context(party, viewer, now)
        # Announcements and comments: what this viewer may see depends on their reply's
        # status, seen-it and id, which a kept page's key holds (reply_id) or the party's stamp does.
        talk = talk_service.party_talk(party, viewer, now)
    form = reply_form if reply_form is not None or viewer.rsvp is not None else new_reply_form(party)
    rating_form = verdict_form if verdict_form is not None else _verdict_form(context["companion"])
    return render_template(
        "rsvp/party.html", form=form, verdict_form=rating_form, signup_refusal=signup_refusal, talk=talk,
        comment_form=comment_form or CommentForm(formdata=None), **context
    )


def render_dashboard(
    party: Party,
    *,
    status: int = 200,
    invite_form: InviteForm | None = None,
    review_form=None,
    item_form: ItemForm | None = None,
    signup_error: str | None = None,
    activity: host_updates.ActivityPanel | None = None,
):
    """The host's dashboard, with any refused form (from any blueprint) filled in."""
    return (
        render_template(
            "parties/dashboard.html",
            party=party,
            overview=parties_service.guest_overview(party),
            share_link=rsvp_service.share_url(party),
            share=share_links(party, rsvp_service.share_url(party)),
            closed_reason=party_phase(party, clock.now()).closed_reason("replies"),
            invite_form=invite_form or InviteForm(formdata=None),
            button_form=EmptyForm(formdata=None),
            signup_overview=signup_board.signup_overview(party),
            review_choice=reviews_service.review_choice(party),
            review_form=review_form,
            item_form=item_form or ItemForm(formdata=None, prefix="item"),
            signup_error=signup_error,
            activity=activity or host_updates.activity_panel(party, HostUpdatesForm(formdata=None, host_updates=party.host_updates)),
            talk=talk_service.dashboard_talk(party),
            poll=polls_service.poll_of(party) if party.undecided else None,
        ),
        status,
    )
