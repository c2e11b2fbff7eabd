"""Replies to a party, the public face: other packages import the RSVP service from
here. Each concern has its own module:

    changes   replying, changing, withdrawing, removing a guest, forgetting an account
    lookups   reads: the party behind a link, a viewer's reply (users_reply_id,
              viewers_reply_id), a waitlist place, and who a viewer is (Viewer)
    emails    the guest's emails and the links in them

Seats and the waitlist are watchparty.rsvp.seats."""

from watchparty.rsvp.changes import (
    FORMER_GUEST,
    RESPONSE_LABELS,
    AlreadyReplied,
    InvalidReply,
    NotEnoughSeats,
    RepliesClosed,
    ReplyFields,
    anonymise_replies_of,
    change_reply,
    plus_ones_problem,
    remove_guest,
    reply_to_party,
    withdraw_reply,
)
from watchparty.rsvp.emails import (
    MANAGE_LINK_RESEND_WINDOW,
    address_of,
    email_guest,
    film_url,
    is_mailable,
    manage_url,
    send_confirmation,
    send_manage_link,
    send_new_link,
    send_removed,
    send_seated,
    share_url,
    stop_emails_url,
)
from watchparty.rsvp.lookups import (
    Viewer,
    existing_reply,
    party_by_share_token,
    preferred_reply_id,
    reply_of_user,
    rsvp_by_manage_token,
    users_reply_id,
    viewers_reply_id,
    waitlist_place,
)

__all__ = [
    "FORMER_GUEST", "MANAGE_LINK_RESEND_WINDOW", "RESPONSE_LABELS", "AlreadyReplied", "InvalidReply",
    "NotEnoughSeats", "RepliesClosed", "ReplyFields", "Viewer", "address_of", "anonymise_replies_of",
    "change_reply", "email_guest", "existing_reply", "film_url", "is_mailable", "manage_url", "party_by_share_token",
    "plus_ones_problem", "preferred_reply_id", "remove_guest", "reply_of_user", "reply_to_party", "rsvp_by_manage_token",
    "send_confirmation", "send_manage_link", "send_new_link", "send_removed", "send_seated", "share_url",
    "stop_emails_url", "users_reply_id", "viewers_reply_id", "waitlist_place", "withdraw_reply",
]
