"""Who is looking at a party: the share link's party, a guest's reply (by their
manage link, their account, or the signed cookie this browser keeps), the host.

View helpers: they read the request and answer a wrong, revoked or malformed
token with a plain 404, never a hint.
"""

import re

from flask import abort, current_app, request
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response as BaseResponse

from watchparty.cache import PartyHead, party_head
from watchparty.extensions import db, limiter
from watchparty.models import Party, Poll, PollVote, Rsvp
from watchparty.polls import service as polls_service
from watchparty.rsvp import service
from watchparty.security import GUEST_COOKIE_PREFIX

# token_urlsafe output; anything else is a 404 without touching the database.
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
REMEMBER_DAYS = 180
DEFAULT_RSVP_LIMIT = "20 per minute;200 per hour"
# The cookie goes to the party's pages, and to the film pages too: a review
# opened from the party (?party=<token>) follows the guest's "I've seen it".
REMEMBER_PATHS = ("/p/", "/films/")


def guest_rate_limit():
    """The limit on what guests post through a share link (RATELIMIT_RSVP), per client address."""
    return limiter.limit(
        lambda: current_app.config.get("RATELIMIT_RSVP", DEFAULT_RSVP_LIMIT), methods=["POST"]
    )


def is_token(text: object) -> bool:
    return isinstance(text, str) and TOKEN.fullmatch(text) is not None


def party_by_token(token: str) -> Party:
    """The party behind a share link; a wrong, revoked or malformed token is a plain 404."""
    party = service.party_by_share_token(token) if is_token(token) else None
    if party is None:
        abort(404)
    return party


def party_head_by_token(token: str) -> PartyHead:
    """The party page's head (cache.party_head) for the signed-in user and the replies
    this browser remembers; 404 as party_by_token."""
    user_id = current_user.id if current_user.is_authenticated else None
    head = party_head(token, user_id, remembered_tokens()) if is_token(token) else None
    if head is None:
        abort(404)
    return head


def rsvp_by_token(party: Party, manage_token: str) -> Rsvp:
    rsvp = service.rsvp_by_manage_token(party, manage_token) if is_token(manage_token) else None
    if rsvp is None:
        abort(404)
    return rsvp


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="watchparty.rsvp-remember")


def _cookie_name(party_id: int) -> str:
    return f"{GUEST_COOKIE_PREFIX}{party_id}"


def guest_cookie(party: Party, rsvp: Rsvp) -> tuple[str, str]:
    """The name and value of the cookie that makes a browser remember `rsvp`."""
    return _cookie_name(party.id), _serializer().dumps(rsvp.manage_token)


def _remembered_token(party_id: int) -> str | None:
    """The manage token this browser keeps for the party (a signed cookie), if any."""
    raw = request.cookies.get(_cookie_name(party_id))
    if not raw:
        return None
    try:
        token = _serializer().loads(raw)
    except BadSignature:
        return None
    return token if is_token(token) else None


def remembered_tokens() -> list[str]:
    """Every manage token this browser keeps (one signed cookie per party it replied to).

    Read before the party is known, so that the party page's head finds the
    viewer's reply in its one statement: a token matches only its own party's reply.
    """
    serializer, tokens = _serializer(), []
    for name, raw in request.cookies.items():
        if name.startswith(GUEST_COOKIE_PREFIX) and name[len(GUEST_COOKIE_PREFIX):].isdigit():
            try:
                token = serializer.loads(raw)
            except BadSignature:
                continue
            if is_token(token):
                tokens.append(token)
    return tokens


def viewer_reply_id(party_id: int, users_reply: int | None) -> int | None:
    """The id of the reply the viewer sees as theirs (rsvp.service.viewers_reply_id),
    given the signed-in user's own reply (`users_reply`), already read."""
    return service.viewers_reply_id(party_id, users_reply, _remembered_token(party_id))


def remember(response: BaseResponse, party: Party, rsvp: Rsvp) -> BaseResponse:
    """This browser remembers the guest: the party page shows their reply from now on."""
    name, value = guest_cookie(party, rsvp)
    for path in REMEMBER_PATHS:
        response.set_cookie(
            name,
            value,
            max_age=REMEMBER_DAYS * 24 * 3600,
            path=path,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
    return response


def forget_guest(response: BaseResponse, party: Party) -> BaseResponse:
    """"Not you?": this browser stops remembering the reply (the reply itself stays)."""
    for path in REMEMBER_PATHS:
        response.delete_cookie(_cookie_name(party.id), path=path)
    return response


def party_for_host(party_id: int) -> Party:
    """The current user's party, or 404 (another host's party looks like no party)."""
    party = db.session.get(Party, party_id)
    if party is None or party.host_id is None or not current_user.is_authenticated or party.host_id != current_user.id:
        abort(404)
    return party


def is_host(party: Party | PartyHead) -> bool:
    return current_user.is_authenticated and party.host_id == current_user.id


def current_viewer(party: Party) -> service.Viewer:
    """Who is looking at `party`."""
    user_id = current_user.id if current_user.is_authenticated else None
    reply_id = viewer_reply_id(party.id, service.users_reply_id(party.id, user_id))
    return viewer_with_reply(party, db.session.get(Rsvp, reply_id) if reply_id is not None else None)


def viewer_with_reply(party: Party, rsvp: Rsvp | None) -> service.Viewer:
    """The viewer whose reply is `rsvp` (found by viewer_reply_id)."""
    return service.Viewer(party, is_host=is_host(party), rsvp=rsvp)


# ---------------------------------------------------------------- a poll's voter (watchparty.polls)


def _vote_cookie_name(party: Party) -> str:
    # Under the guest prefix, so that the cache policy treats a voter as a known guest.
    return f"{GUEST_COOKIE_PREFIX}vote{party.id}"


def _vote_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="watchparty.poll-vote")


def remembered_vote(party: Party, poll: Poll) -> PollVote | None:
    """The ballot this browser cast in the party's poll (a signed cookie holding its manage token)."""
    raw = request.cookies.get(_vote_cookie_name(party))
    if not raw:
        return None
    try:
        token = _vote_serializer().loads(raw)
    except BadSignature:
        return None
    return polls_service.vote_by_token(poll, token) if is_token(token) else None


def remember_vote(response: BaseResponse, party: Party, vote: PollVote) -> BaseResponse:
    """This browser remembers the voter: the poll shows their answers and the counts from now on."""
    response.set_cookie(
        _vote_cookie_name(party), _vote_serializer().dumps(vote.manage_token), max_age=REMEMBER_DAYS * 24 * 3600,
        path="/p/", secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Lax",
    )
    return response


def vote_by_token(party: Party, poll: Poll | None, token: str) -> PollVote:
    """A voter's ballot by its manage link; a wrong token is a plain 404."""
    vote = polls_service.vote_by_token(poll, token) if poll is not None and is_token(token) else None
    if vote is None:
        abort(404)
    return vote
