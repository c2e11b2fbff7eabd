"""The party page and the host's dashboard: one home.

Who is looking (`visitors`), what the pages read and how they are rendered,
again with a form that any blueprint refused (`page`), and the page's kept
copies (through watchparty.cache, which only this package and the film page
call for pages). Blueprints import from here, never each other's views.
"""

from watchparty.party_page.page import (
    PageInputs,
    SignupRefusal,
    countdown,
    countdown_now,
    new_reply_form,
    page_context,
    render_dashboard,
    render_party_page,
    show_party_page,
)
from watchparty.party_page.poll import render_poll_page
from watchparty.party_page.visitors import (
    TOKEN,
    current_viewer,
    forget_guest,
    guest_cookie,
    guest_rate_limit,
    is_host,
    is_token,
    party_by_token,
    party_for_host,
    party_head_by_token,
    remember,
    remember_vote,
    remembered_vote,
    rsvp_by_token,
    viewer_reply_id,
    viewer_with_reply,
    vote_by_token,
)

__all__ = [
    "TOKEN",
    "PageInputs",
    "SignupRefusal",
    "countdown",
    "countdown_now",
    "current_viewer",
    "forget_guest",
    "guest_cookie",
    "guest_rate_limit",
    "is_host",
    "is_token",
    "new_reply_form",
    "page_context",
    "party_by_token",
    "party_for_host",
    "party_head_by_token",
    "remember",
    "remember_vote",
    "remembered_vote",
    "render_dashboard",
    "render_party_page",
    "render_poll_page",
    "rsvp_by_token",
    "show_party_page",
    "viewer_reply_id",
    "viewer_with_reply",
    "vote_by_token",
]
