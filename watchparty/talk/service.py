"""Announcements (the host writes to some of the guests) and comments (the guests talk),
the public face: other packages import the talk service from here. Each concern has
its own module:

    audience        who an announcement reaches, and a viewer's status
    announcements   writing, editing, deleting and sending them (the timed job)
    comments        who may read and post, posting, deleting, hiding
    listing         the read side: the party page's talk and the dashboard's
    errors          the refusals

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

from watchparty.talk.announcements import (
    ANNOUNCEMENTS_PER_DAY,
    SEND_AT_GRACE,
    AnnouncementFields,
    announcement_of,
    delete_announcement,
    edit_announcement,
    post_announcement,
    send_announcement,
    send_due_announcements,
)
from watchparty.talk.audience import AUDIENCE_LABELS, audience_size, viewer_status
from watchparty.talk.comments import (
    COMMENT_LINKS_MAX,
    COMMENTS_PER_MINUTE,
    CommentFields,
    delete_comment,
    hide_comment,
    may_read_comments,
    offers_spoiler_tick,
    post_comment,
    why_not_comment,
)
from watchparty.talk.errors import (
    AnnouncementRefused,
    CommentRefused,
    NoSuchThing,
    ReplyTargetGone,
    TooManyAnnouncements,
    TooManyComments,
)
from watchparty.talk.listing import (
    PAGE_THREADS,
    AnnouncementLine,
    DashboardTalk,
    PartyTalk,
    ShownComment,
    announcements_for_host,
    dashboard_talk,
    party_talk,
)

__all__ = [
    "ANNOUNCEMENTS_PER_DAY", "AUDIENCE_LABELS", "COMMENTS_PER_MINUTE", "COMMENT_LINKS_MAX", "PAGE_THREADS",
    "SEND_AT_GRACE", "AnnouncementFields", "AnnouncementLine", "AnnouncementRefused", "CommentFields",
    "CommentRefused", "DashboardTalk", "NoSuchThing", "PartyTalk", "ReplyTargetGone", "ShownComment",
    "TooManyAnnouncements", "TooManyComments", "announcement_of", "announcements_for_host", "audience_size",
    "dashboard_talk", "delete_announcement", "delete_comment", "edit_announcement", "hide_comment",
    "may_read_comments", "offers_spoiler_tick", "party_talk", "post_announcement", "post_comment",
    "send_announcement", "send_due_announcements", "viewer_status", "why_not_comment",
]
