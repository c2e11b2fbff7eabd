"""The talk's read side: the host's list of announcements, the dashboard's summary,
and what the party page (and the thread pages) show of the talk to one viewer."""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from watchparty.cache import page_rows
from watchparty.extensions import db
from watchparty.models import Announcement, Comment, Party
from watchparty.models.talk import AUDIENCES
from watchparty.reviews.service import spoilers_open
from watchparty.rsvp.service import Viewer
from watchparty.talk.audience import AUDIENCE_LABELS, count_of, viewer_status
from watchparty.talk.comments import may_read_comments, offers_spoiler_tick, why_not_comment

# The party page shows the newest conversations; the rest are one link away (its size stays bounded).
PAGE_THREADS = 30


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
    comments = count_of(
        sa.select(sa.func.count()).select_from(Comment).where(Comment.party_id == party.id, Comment.status == "shown")
    )
    return DashboardTalk(
        sent=sum(1 for line in lines if line.sent_at is not None),
        scheduled=sum(1 for line in lines if line.sent_at is None),
        latest=lines[0] if lines else None,
        comments=comments,
    )


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
