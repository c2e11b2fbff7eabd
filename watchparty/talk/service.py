"""Announcements (the host writes to some of the guests) and comments (the guests talk).

Announcements
    Each goes to an audience chosen by status: seated going, maybe, waitlisted,
    declined, and addresses invited by email that have not replied. It goes out
    at once, or at `send_at` (the "announcements" timed job): going out means
    its emails are queued for the audience as it is then (opt-outs respected,
    every email with its stop link) and it shows on the party page, under
    "From the host", to the guests whose status is in its audience when they
    look. `sent_at` is set once by a guarded update, so a job running twice, or
    beside the host's own "send now", sends it once.

    An edit before it goes out changes what will be sent; after, it changes
    the page only (the emails said what they said). A delete hides it
    everywhere and drops its emails still waiting in the outbox; it still
    counts in the day's allowance, so deleting is no way around the limit.
    Only a host whose address is verified writes one, and an account writes at
    most ANNOUNCEMENTS_PER_ACCOUNT_PER_DAY across all its parties (#22).

Comments
    Guests who replied (any answer) and the host read them; anonymous visitors
    see none. Guests who replied going or maybe (seated or waitlisted) and the
    host post them; declined guests only read. One level of replies. A
    comment's author or the host deletes it (its text is gone); the host hides
    one (still shown to the host, marked). Spoiler comments are folded as
    review sections are (reviews.service.spoilers_open).
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from watchparty import activity, mail
from watchparty.cache import page_rows
from watchparty.errors import DomainError, NotAllowed
from watchparty.extensions import changed_rows, db
from watchparty.models import Announcement, Comment, Invitation, OutboundEmail, Party, Rsvp
from watchparty.models.talk import ANNOUNCEMENT_MAX, AUDIENCES, COMMENT_MAX
from watchparty.notifications.service import check_sender, hosted_by, invitation_stop_url, lock_sender
from watchparty.party_clock import party_phase
from watchparty.reviews.service import spoilers_open
from watchparty.rsvp.service import Viewer, email_guest, film_url, share_url

ANNOUNCEMENTS_PER_DAY = 10
COMMENTS_PER_MINUTE = 5  # per guest (or host), whatever their address; the limiter counts per client too
COMMENT_LINKS_MAX = 2
# The party page shows the newest conversations; the rest are one link away (its size stays bounded).
PAGE_THREADS = 30
# A scheduled time within this much of now (a minute picked on a form) means "now".
SEND_AT_GRACE = timedelta(minutes=1)

AUDIENCE_LABELS = {
    "going": "going",
    "maybe": "maybe",
    "waitlisted": "on the waitlist",
    "declined": "can't make it",
    "invited": "invited, not replied yet",
}

_LINK_START = re.compile(r"https?://", re.IGNORECASE)


class AnnouncementRefused(DomainError):
    status = 422
    field = "message"


class TooManyAnnouncements(DomainError):
    status = 429
    field = "message"


class CommentRefused(DomainError):
    status = 422
    field = "body"


class ReplyTargetGone(CommentRefused):
    """The comment replied to was deleted or hidden meanwhile."""


class TooManyComments(DomainError):
    status = 429
    field = "body"


class NoSuchThing(DomainError):
    status = 404


# ---------------------------------------------------------------- announcements


@dataclass(frozen=True)
class AnnouncementFields:
    message: str
    audience: tuple[str, ...]
    send_at: datetime | None = None  # aware UTC; None: at once


def _audience_condition(audience: tuple[str, ...]) -> sa.ColumnElement[bool]:
    """Replies whose status is in `audience` (invitations are counted apart)."""
    conditions = []
    if "going" in audience:
        conditions.append(sa.and_(Rsvp.response == "going", Rsvp.state == "confirmed"))
    if "waitlisted" in audience:
        conditions.append(Rsvp.state == "waitlisted")
    if "maybe" in audience:
        conditions.append(Rsvp.response == "maybe")
    if "declined" in audience:
        conditions.append(Rsvp.response == "declined")
    return sa.or_(*conditions) if conditions else sa.false()


def _replied_emails(party: Party) -> sa.Select:
    return sa.select(Rsvp.email).where(Rsvp.party_id == party.id, Rsvp.email.is_not(None))


def _open_invitations(party: Party) -> sa.Select:
    """Addresses invited by email that have not replied (with any address of a reply)."""
    return sa.select(Invitation).where(
        Invitation.party_id == party.id, Invitation.email.not_in(_replied_emails(party))
    )


def _count(statement: sa.Select[Any]) -> int:
    """A COUNT(*) query's answer (never NULL; scalar() is typed as if it could be)."""
    return db.session.scalar(statement) or 0


def audience_size(party: Party, audience: tuple[str, ...]) -> int:
    """How many people an audience holds now, mailable or not."""
    guests = _count(
        sa.select(sa.func.count()).select_from(Rsvp).where(Rsvp.party_id == party.id, _audience_condition(audience))
    )
    invited = 0
    if "invited" in audience:
        invited = _count(sa.select(sa.func.count()).select_from(_open_invitations(party).subquery()))
    return guests + invited


def _describe(audience: tuple[str, ...]) -> str:
    return " or ".join(AUDIENCE_LABELS[name] for name in audience)


def _check_announcement(party: Party, fields: AnnouncementFields, now: datetime, *, schedule: bool) -> datetime | None:
    """The fields' problems as a refusal; returns the send time to keep (None: at once).
    Only a host whose address is verified writes to guests (#22, as for invitations);
    an edit of one already sent changes the page only, and needs no email proved."""
    if schedule:
        check_sender(party, "announcements", field="message")
    message = fields.message.strip()
    if not message:
        raise AnnouncementRefused("Write a message first.")
    if len(message) > ANNOUNCEMENT_MAX:
        raise AnnouncementRefused(f"Keep it under {ANNOUNCEMENT_MAX:,} characters (this one has {len(message):,}).")
    audience = tuple(name for name in AUDIENCES if name in fields.audience)
    if not audience:
        raise AnnouncementRefused("Choose who it is for.", field="audience")
    if party.is_cancelled:
        raise AnnouncementRefused("The party is cancelled: your cancellation note already went to the guests.")
    if audience_size(party, audience) == 0:
        raise AnnouncementRefused(
            f"Nobody is {_describe(audience)} at the moment, so no one would get this. Choose another group.",
            field="audience",
        )
    if not schedule or fields.send_at is None:
        return None
    if fields.send_at < now - SEND_AT_GRACE:
        raise AnnouncementRefused("That time has passed: pick a later one, or leave it empty to send now.",
                                  field="send_at")
    if fields.send_at > party.ends_at:
        raise AnnouncementRefused("Pick a time before the party ends.", field="send_at")
    return fields.send_at if fields.send_at > now else None


def _lock_party(party_id: int) -> None:
    # The day's count and the new row in one guarded step: on PostgreSQL the party row's
    # lock makes a second host tab wait for the first; SQLite's write transaction does already.
    db.session.execute(sa.select(Party.id).where(Party.id == party_id).with_for_update())


def post_announcement(party: Party, fields: AnnouncementFields, now: datetime) -> Announcement:
    """Write an announcement; it goes out at once (its emails queued now) or at its time."""
    send_at = _check_announcement(party, fields, now, schedule=True)
    _lock_party(party.id)
    lock_sender(party)
    todays = sa.select(sa.func.count()).select_from(Announcement).where(Announcement.created_at > now - timedelta(days=1))
    if _count(todays.where(Announcement.party_id == party.id)) >= ANNOUNCEMENTS_PER_DAY:
        raise TooManyAnnouncements(
            f"A party can send {ANNOUNCEMENTS_PER_DAY} announcements a day. Try again tomorrow, "
            "or edit one you sent."
        )
    per_account = current_app.config["ANNOUNCEMENTS_PER_ACCOUNT_PER_DAY"]
    if party.host_id is not None and _count(todays.where(Announcement.party_id.in_(hosted_by(party)))) >= per_account:
        raise TooManyAnnouncements(
            f"Your account can send {per_account} announcements a day across all your parties: none left "
            "today. Try again tomorrow, or edit one you sent."
        )
    announcement = Announcement(
        party_id=party.id, message=fields.message.strip(), send_at=send_at, created_at=now, updated_at=now,
        **{f"to_{name}": name in fields.audience for name in AUDIENCES},
    )
    db.session.add(announcement)
    db.session.flush()
    if send_at is None:
        send_announcement(party, announcement, now)
    return announcement


def announcement_of(party: Party, announcement_id: int) -> Announcement:
    found = db.session.scalar(
        sa.select(Announcement).where(
            Announcement.id == announcement_id, Announcement.party_id == party.id, Announcement.deleted_at.is_(None)
        )
    )
    if found is None:
        raise NoSuchThing("No such announcement.")
    return found


def edit_announcement(party: Party, announcement: Announcement, fields: AnnouncementFields, now: datetime) -> None:
    """Change an announcement: before it goes out, everything (sending it now if its
    time is cleared); after, its text and audience on the page only."""
    already_sent = announcement.sent_at is not None
    send_at = _check_announcement(party, fields, now, schedule=not already_sent)
    announcement.message = fields.message.strip()
    for name in AUDIENCES:
        setattr(announcement, f"to_{name}", name in fields.audience)
    announcement.updated_at = now
    if not already_sent:
        announcement.send_at = send_at
    db.session.flush()
    if not already_sent and send_at is None:
        send_announcement(party, announcement, now)


def delete_announcement(announcement: Announcement, now: datetime) -> int:
    """Hide it everywhere; its emails not yet sent are dropped. Returns how many."""
    announcement.deleted_at = now
    db.session.flush()
    outbox = OutboundEmail.__table__
    dropped = db.session.execute(
        sa.update(outbox)
        .where(outbox.c.dedupe_key.like(f"announcement:{announcement.id}:%"), outbox.c.status == "pending")
        .values(status="dropped")
    )
    return changed_rows(dropped)


def _subject(party: Party) -> str:
    return f"From the host: {party.title}"


def send_announcement(party: Party, announcement: Announcement, now: datetime) -> int:
    """Mark it gone out and queue its emails to the audience as it is now, once: the
    guarded update decides between two senders. Returns how many were queued."""
    marked = db.session.execute(
        sa.update(Announcement)
        .where(Announcement.id == announcement.id, Announcement.sent_at.is_(None), Announcement.deleted_at.is_(None))
        # updated_at stays: going out is not an edit (its onupdate would mark every one "edited").
        .values(sent_at=now, updated_at=Announcement.updated_at)
        .execution_options(synchronize_session=False)
    )
    if changed_rows(marked) != 1:
        return 0
    db.session.refresh(announcement)
    audience = announcement.audience
    host_name = party.host.display_name if party.host else "The host"
    queued = 0
    guests = db.session.scalars(
        sa.select(Rsvp).where(Rsvp.party_id == party.id, _audience_condition(audience)).order_by(Rsvp.id)
    )
    for rsvp in guests:
        # email_guest skips guests with no address or who pressed "stop emails".
        if email_guest(rsvp, _subject(party), "announcement", once_key=f"announcement:{announcement.id}:r{rsvp.id}",
                       announcement=announcement, host_name=host_name):
            queued += 1
    if "invited" in audience:
        invitations = db.session.scalars(
            _open_invitations(party).where(Invitation.emails_stopped.is_(False)).order_by(Invitation.id)
        )
        for invitation in invitations:
            new_id = mail.queue_once(
                f"announcement:{announcement.id}:i{invitation.id}", invitation.email, _subject(party), "announcement",
                party_id=party.id, party=party, rsvp=None, viewer=Viewer(party), announcement=announcement,
                host_name=host_name, share_link=share_url(party), film_link=film_url(party),
                stop_link=invitation_stop_url(party, invitation),
            )
            queued += new_id is not None
    return queued


def send_due_announcements(now: datetime) -> int:
    """Send every scheduled announcement whose time has come; returns the emails queued."""
    due = db.session.scalars(
        sa.select(Announcement)
        .where(Announcement.sent_at.is_(None), Announcement.deleted_at.is_(None), Announcement.send_at <= now)
        .order_by(Announcement.send_at, Announcement.id)
    ).all()
    queued = 0
    for announcement in due:
        party = db.session.get(Party, announcement.party_id)
        if party is None or party.is_cancelled or party.host is None or not party.host.email_verified:
            continue  # a host whose address is no longer verified (changed since) sends nothing
        queued += send_announcement(party, announcement, now)
    return queued


@mail.timed_job("announcements")
def _announcements_job(now: datetime) -> int:
    return send_due_announcements(now)


@dataclass(frozen=True)
class AnnouncementLine:
    """One announcement as the host's list shows it."""

    id: int
    message: str
    audience: tuple[str, ...]
    send_at: datetime | None
    sent_at: datetime | None
    created_at: datetime
    edited: bool

    @property
    def audience_label(self) -> str:
        return ", ".join(AUDIENCE_LABELS[name] for name in self.audience)


def _line(announcement: Announcement) -> AnnouncementLine:
    return AnnouncementLine(
        announcement.id, announcement.message, announcement.audience, announcement.send_at, announcement.sent_at,
        announcement.created_at, announcement.updated_at > announcement.created_at,
    )


def announcements_for_host(party: Party) -> list[AnnouncementLine]:
    """Every announcement of the party but the deleted, newest first."""
    rows = db.session.scalars(
        sa.select(Announcement)
        .where(Announcement.party_id == party.id, Announcement.deleted_at.is_(None))
        .order_by(Announcement.created_at.desc(), Announcement.id.desc())
    )
    return [_line(row) for row in rows]


@dataclass(frozen=True)
class DashboardTalk:
    sent: int
    scheduled: int
    latest: AnnouncementLine | None
    comments: int


def dashboard_talk(party: Party) -> DashboardTalk:
    lines = announcements_for_host(party)
    comments = _count(
        sa.select(sa.func.count()).select_from(Comment).where(Comment.party_id == party.id, Comment.status == "shown")
    )
    return DashboardTalk(
        sent=sum(1 for line in lines if line.sent_at is not None),
        scheduled=sum(1 for line in lines if line.sent_at is None),
        latest=lines[0] if lines else None,
        comments=comments,
    )


# ---------------------------------------------------------------- comments


def may_read_comments(viewer: Viewer) -> bool:
    return viewer.is_host or viewer.rsvp is not None


def why_not_comment(viewer: Viewer) -> str | None:
    """Why this viewer may not post a comment, or None when they may."""
    if viewer.is_host:
        return None
    if viewer.rsvp is None:
        return "Reply to the party first, then join the conversation."
    if viewer.rsvp.response == "declined":
        return "You said you can't make it, so you can read along but not post. Changed your mind? Change your reply."
    return None


def offers_spoiler_tick(party: Party, now: datetime) -> bool:
    """The "spoiler" tick folds a comment until the film's reveal time; after it, there
    is nothing left to fold for."""
    return not party_phase(party, now).film_over


@dataclass(frozen=True)
class CommentFields:
    body: str
    is_spoiler: bool = False
    reply_to: int | None = None


def _check_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise CommentRefused("Write something first.")
    if len(body) > COMMENT_MAX:
        raise CommentRefused(f"Keep it under {COMMENT_MAX:,} characters (this one has {len(body):,}).")
    if len(_LINK_START.findall(body)) > COMMENT_LINKS_MAX:
        raise CommentRefused(f"At most {COMMENT_LINKS_MAX} links in a comment.")
    return body


def _author_condition(viewer: Viewer) -> sa.ColumnElement[bool]:
    if viewer.is_host:
        return Comment.by_host.is_(True)
    assert viewer.rsvp is not None
    return Comment.rsvp_id == viewer.rsvp.id


def post_comment(party: Party, viewer: Viewer, fields: CommentFields, now: datetime) -> Comment:
    reason = why_not_comment(viewer)
    if reason:
        raise NotAllowed(reason)
    body = _check_body(fields.body)
    recent = _count(
        sa.select(sa.func.count())
        .select_from(Comment)
        .where(Comment.party_id == party.id, _author_condition(viewer), Comment.created_at > now - timedelta(minutes=1))
    )
    if recent >= COMMENTS_PER_MINUTE:
        raise TooManyComments("That's a lot of comments in a minute: take a breath and try again shortly.")
    reply_to_id = None
    if fields.reply_to is not None:
        parent = db.session.scalar(
            sa.select(Comment).where(Comment.id == fields.reply_to, Comment.party_id == party.id)
        )
        if parent is None or parent.status == "deleted" or (parent.status == "hidden" and not viewer.is_host):
            raise ReplyTargetGone("That comment is no longer there to reply to.")
        reply_to_id = parent.reply_to_id or parent.id  # one level: a reply to a reply joins its thread
    if viewer.is_host:
        author = party.host.display_name if party.host else "The host"
    else:
        assert viewer.rsvp is not None
        author = viewer.rsvp.name
    comment = Comment(
        party_id=party.id, rsvp_id=None if viewer.is_host else viewer.rsvp.id if viewer.rsvp else None,
        by_host=viewer.is_host, author_name=author[:80], reply_to_id=reply_to_id, body=body,
        # After the reveal spoilers are open to everyone: a tick sent anyway (an old form) folds nothing.
        is_spoiler=bool(fields.is_spoiler) and offers_spoiler_tick(party, now), status="shown", created_at=now,
    )
    db.session.add(comment)
    db.session.flush()
    if viewer.rsvp is not None and not viewer.is_host:
        # The host hears that someone commented, never what (it may be a spoiler).
        activity.record(party, "comment", viewer.rsvp, {"reply": reply_to_id is not None}, now)
    return comment


def _comment_of(party: Party, comment_id: int) -> Comment:
    found = db.session.scalar(sa.select(Comment).where(Comment.id == comment_id, Comment.party_id == party.id))
    if found is None or found.status == "deleted":
        raise NoSuchThing("No such comment.")
    return found


def delete_comment(party: Party, viewer: Viewer, comment_id: int) -> None:
    """Its author or the host deletes a comment: its text goes; its replies stay."""
    comment = _comment_of(party, comment_id)
    mine = (comment.by_host and viewer.is_host) or (
        viewer.rsvp is not None and comment.rsvp_id == viewer.rsvp.id and not comment.by_host
    )
    if not (mine or viewer.is_host):
        raise NotAllowed("Only its author or the host can delete a comment.")
    comment.status = "deleted"
    comment.body = ""
    db.session.flush()


def hide_comment(party: Party, viewer: Viewer, comment_id: int) -> None:
    """The host hides a comment from the guests (the host still sees it)."""
    if not viewer.is_host:
        raise NotAllowed("Only the host can hide a comment.")
    comment = _comment_of(party, comment_id)
    comment.status = "hidden"
    db.session.flush()


# ---------------------------------------------------------------- the party page


@dataclass(frozen=True)
class ShownComment:
    id: int
    author_name: str
    by_host: bool
    body: str
    is_spoiler: bool
    created_at: datetime
    status: str  # shown, hidden (the host's view), deleted (a removed comment that has replies)
    may_delete: bool
    may_hide: bool
    replies: tuple["ShownComment", ...] = ()


@dataclass
class PartyTalk:
    """What the party page shows of the talk to this viewer."""

    announcements: list[AnnouncementLine] = field(default_factory=list)
    comments: list[ShownComment] = field(default_factory=list)
    may_read: bool = False
    may_post: bool = False
    why_not: str | None = None
    spoilers_open: bool = False
    spoiler_tick: bool = True  # the comment form offers "contains spoilers" (offers_spoiler_tick)
    is_host: bool = False
    older_threads: int = 0  # conversations left off the party page (see PAGE_THREADS)


def _none(type_: sa.types.TypeEngine) -> sa.ColumnElement:
    return sa.cast(sa.null(), type_)


# The party page reads both in one statement (the page's queries are counted: DESIGN.md §4):
# announcements ("a") and comments ("c") in one shape, oldest first.
_TALK_ROWS = sa.union_all(
    sa.select(
        sa.literal("a").label("kind"), Announcement.id, Announcement.message.label("body"),
        _none(sa.Integer()).label("rsvp_id"), _none(sa.Boolean()).label("by_host"),
        _none(sa.String()).label("author_name"), _none(sa.Integer()).label("reply_to_id"),
        _none(sa.Boolean()).label("is_spoiler"), _none(sa.String()).label("status"),
        Announcement.to_going, Announcement.to_maybe, Announcement.to_waitlisted, Announcement.to_declined,
        Announcement.to_invited, Announcement.send_at, Announcement.sent_at, Announcement.created_at,
        Announcement.updated_at,
    ).where(Announcement.party_id == sa.bindparam("party_id"), Announcement.deleted_at.is_(None)),
    sa.select(
        sa.literal("c"), Comment.id, Comment.body, Comment.rsvp_id, Comment.by_host, Comment.author_name,
        Comment.reply_to_id, Comment.is_spoiler, Comment.status,
        *(_none(sa.Boolean()) for _ in AUDIENCES), _none(Comment.created_at.type), _none(Comment.created_at.type),
        Comment.created_at, Comment.created_at,
    ).where(Comment.party_id == sa.bindparam("party_id")),
).order_by(sa.text("kind"), sa.text("created_at"), sa.text("id"))


def viewer_status(viewer: Viewer) -> str | None:
    """The audience a guest belongs to as they look (None: no reply)."""
    rsvp = viewer.rsvp
    if rsvp is None:
        return None
    if rsvp.is_waitlisted:
        return "waitlisted"
    return rsvp.response


def party_talk(party: Party, viewer: Viewer, now: datetime, threads_shown: int | None = PAGE_THREADS) -> PartyTalk:
    """Announcements meant for this viewer and the discussion, from two statements
    kept under the page's stamps (watchparty.cache.page_rows); nothing for a visitor."""
    talk = PartyTalk(is_host=viewer.is_host, may_read=may_read_comments(viewer))
    if not talk.may_read:
        return talk
    talk.why_not = why_not_comment(viewer)
    talk.may_post = talk.why_not is None
    talk.spoilers_open = spoilers_open(party, viewer.rsvp, now)
    talk.spoiler_tick = offers_spoiler_tick(party, now)
    status = viewer_status(viewer)
    rows = page_rows(_TALK_ROWS, {"party_id": party.id})
    for row in reversed([row for row in rows if row.kind == "a"]):  # newest first
        audience = tuple(name for name, on in zip(AUDIENCES, row[9:14], strict=True) if on)
        if viewer.is_host or (row.sent_at is not None and status in audience):
            talk.announcements.append(
                AnnouncementLine(row.id, row.body, audience, row.send_at, row.sent_at, row.created_at,
                                 row.updated_at > row.created_at)
            )
    mine_id = viewer.rsvp.id if viewer.rsvp is not None else None

    def shown(row: sa.Row, replies: tuple[ShownComment, ...] = ()) -> ShownComment:
        mine = (row.by_host and viewer.is_host) or (mine_id is not None and row.rsvp_id == mine_id and not row.by_host)
        return ShownComment(
            row.id, row.author_name, row.by_host, row.body if row.status != "deleted" else "", row.is_spoiler,
            row.created_at, row.status, may_delete=row.status != "deleted" and (mine or viewer.is_host),
            may_hide=viewer.is_host and row.status == "shown", replies=replies,
        )

    def visible(row: sa.Row) -> bool:
        return row.status == "shown" or (row.status == "hidden" and viewer.is_host)

    rows = [row for row in rows if row.kind == "c"]
    replies: dict[int, list[sa.Row]] = {}
    for row in rows:
        if row.reply_to_id is not None and visible(row):
            replies.setdefault(row.reply_to_id, []).append(row)
    threads = []
    for row in rows:
        if row.reply_to_id is not None:
            continue
        answers = tuple(shown(reply) for reply in replies.get(row.id, ()))
        if visible(row):
            threads.append(shown(row, answers))
        elif answers:  # a removed comment stays as a placeholder while it has replies
            threads.append(ShownComment(row.id, "", False, "", False, row.created_at, "deleted", False, False, answers))
    newest_first = threads[::-1]
    if threads_shown is not None and len(newest_first) > threads_shown:
        talk.older_threads = len(newest_first) - threads_shown
        newest_first = newest_first[:threads_shown]
    talk.comments = newest_first
    return talk
