"""Comments: the guests talk.

Guests who replied (any answer) and the host read them; anonymous visitors see
none. Guests who replied going or maybe (seated or waitlisted) and the host post
them; declined guests only read. One level of replies. A comment's author or the
host deletes it (its text is gone); the host hides one (still shown to the host,
marked). Spoiler comments are folded as review sections are
(reviews.service.spoilers_open), and the "spoiler" tick goes once the film is over.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from watchparty import activity
from watchparty.errors import NotAllowed
from watchparty.extensions import db
from watchparty.models import Comment, Party
from watchparty.models.talk import COMMENT_MAX
from watchparty.party_clock import party_phase
from watchparty.rsvp.service import Viewer
from watchparty.talk.audience import count_of
from watchparty.talk.errors import CommentRefused, NoSuchThing, ReplyTargetGone, TooManyComments

COMMENTS_PER_MINUTE = 5  # per guest (or host), whatever their address; the limiter counts per client too
COMMENT_LINKS_MAX = 2

_LINK_START = re.compile(r"https?://", re.IGNORECASE)


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
    recent = count_of(
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
