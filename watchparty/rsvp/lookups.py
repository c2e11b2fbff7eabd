"""Reads of replies: the party behind a share link, the reply behind a manage link,
a cookie or an account (ids only where a kept page must load no reply), a place on
the waitlist, and who a viewer is (Viewer: what they may see)."""

import hmac
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from watchparty.extensions import db
from watchparty.models import Party, Rsvp, User

# The statements of the hottest pages are built once: building one costs more than running it.
# The host and the film come with the party: every page behind the link names them.
_PARTY_BY_SHARE_TOKEN = (
    sa.select(Party)
    .where(Party.share_token == sa.bindparam("token"))
    .options(joinedload(Party.host), joinedload(Party.film))
)
_RSVP_BY_MANAGE_TOKEN = sa.select(Rsvp).where(Rsvp.manage_token == sa.bindparam("token"))
_REPLY_OF_USER = sa.select(Rsvp).where(Rsvp.party_id == sa.bindparam("party_id"), Rsvp.user_id == sa.bindparam("user_id"))


def party_by_share_token(token: str) -> Party | None:
    """The party behind a share link, or None (wrong, revoked or malformed token)."""
    party = db.session.scalar(_PARTY_BY_SHARE_TOKEN, {"token": token})
    if party is None or not hmac.compare_digest(party.share_token.encode(), token.encode()):
        return None
    return party


def rsvp_by_manage_token(party: Party, token: str) -> Rsvp | None:
    """The reply behind a manage link, only if it belongs to this party."""
    rsvp = db.session.scalar(_RSVP_BY_MANAGE_TOKEN, {"token": token})
    if rsvp is None or not hmac.compare_digest(rsvp.manage_token.encode(), token.encode()):
        return None
    if rsvp.party_id != party.id:
        return None
    return rsvp


def reply_of_user(party: Party, user: User | None) -> Rsvp | None:
    """A logged-in user's reply to this party, if any."""
    if user is None:
        return None
    return db.session.scalar(_REPLY_OF_USER, {"party_id": party.id, "user_id": user.id})


_USERS_REPLY_ID = sa.select(Rsvp.id).where(
    Rsvp.party_id == sa.bindparam("party_id"), Rsvp.user_id == sa.bindparam("user_id")
)
_REPLY_ID_BY_MANAGE_TOKEN = sa.select(Rsvp.id, Rsvp.manage_token).where(
    Rsvp.party_id == sa.bindparam("party_id"), Rsvp.manage_token == sa.bindparam("token")
)


def users_reply_id(party_id: int, user_id: int | None) -> int | None:
    """The id of a signed-in user's reply to the party, if any."""
    if user_id is None:
        return None
    return db.session.scalar(_USERS_REPLY_ID, {"party_id": party_id, "user_id": user_id})


def viewers_reply_id(party_id: int, users_reply: int | None, remembered_token: str | None) -> int | None:
    """Which reply a viewer sees as theirs: the signed-in user's own (`users_reply`,
    users_reply_id), else the one their browser remembers (its manage token).
    The rule, once; ids only, so that a view served from a kept page loads no reply."""
    if users_reply is not None or remembered_token is None:
        return users_reply
    row = db.session.execute(_REPLY_ID_BY_MANAGE_TOKEN, {"party_id": party_id, "token": remembered_token}).first()
    if row is None or not hmac.compare_digest(row.manage_token.encode(), remembered_token.encode()):
        return None
    return preferred_reply_id(users_reply, row.id)


def preferred_reply_id(users_reply: int | None, remembered_reply: int | None) -> int | None:
    """The rule itself: a signed-in user's own reply comes before the one their browser remembers."""
    return users_reply if users_reply is not None else remembered_reply


def existing_reply(party: Party, email: str | None, user: User | None) -> Rsvp | None:
    """The reply a duplicate collided with: the same account first, then the same email."""
    rsvp = reply_of_user(party, user)
    if rsvp is None and email:
        rsvp = db.session.scalar(
            sa.select(Rsvp).where(Rsvp.party_id == party.id, Rsvp.email == email.strip().lower())
        )
    return rsvp


def waitlist_place(rsvp: Rsvp) -> int | None:
    """1 for the head of the waitlist; None when the reply is not waiting."""
    if not rsvp.is_waitlisted:
        return None
    ahead = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Rsvp)
        .where(
            Rsvp.party_id == rsvp.party_id,
            Rsvp.state == "waitlisted",
            sa.or_(
                Rsvp.queued_at < rsvp.queued_at,
                sa.and_(Rsvp.queued_at == rsvp.queued_at, Rsvp.id < rsvp.id),
            ),
        )
    )
    return (ahead or 0) + 1  # a count is never NULL; scalar() is typed as if it could be


@dataclass
class Viewer:
    """Who is looking at a party: its host, a guest who replied, or a visitor."""

    party: Party
    is_host: bool = False
    rsvp: Rsvp | None = None

    @property
    def is_seated_or_maybe(self) -> bool:
        return self.rsvp is not None and self.rsvp.is_seated_or_maybe

    @property
    def sees_exact_place(self) -> bool:
        """The address and online link: the host, and seated or maybe guests if allowed."""
        return self.is_host or (self.party.show_address_to_guests and self.is_seated_or_maybe)

    @property
    def sees_guest_list(self) -> bool:
        return self.is_host or (self.party.guest_list_visible and self.rsvp is not None)

    def location(self) -> str:
        """One line for calendars: the exact place when allowed, else the area."""
        party = self.party
        if self.sees_exact_place:
            exact = ", ".join(line.strip() for line in party.address.splitlines() if line.strip())
            return exact or party.online_url or party.area
        return party.area
