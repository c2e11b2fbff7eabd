"""The dashboard's nudges, each at most once a day per party:

- "remind the invited who haven't replied": every address the host invited by
  email that has no reply yet (and did not stop our emails) gets the party card
  and the share link, where they answer in one tap;
- "ask the going guests who claimed nothing": seated going guests with an
  address and no claim get the party card, what is still needed, and their
  personal link, which opens the list.

The once a day is the database's: one guarded UPDATE of the party's
`nudged_*_at` column (NULL or a day old) decides, so two presses, in two tabs
or two processes, send one nudge. A nudge nobody would receive is refused and
does not count. Only a host whose address is verified nudges (as for invitations),
and an account sends at most NUDGES_PER_ACCOUNT_PER_DAY across all its parties.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from watchparty import clock, mail
from watchparty.errors import DomainError
from watchparty.extensions import changed_rows, db
from watchparty.models import Claim, Invitation, Party, Rsvp, SignupItem
from watchparty.notifications.service import check_sender, invitation_stop_url, lock_sender, subject_title
from watchparty.party_clock import party_phase
from watchparty.rsvp.service import Viewer, email_guest, film_url, share_url

NUDGE_EVERY = timedelta(days=1)
NUDGES = ("unreplied", "unclaimed")


class NudgeRefused(DomainError):
    status = 409


class TooManyNudges(NudgeRefused):
    status = 429


# ---------------------------------------------------------------- who would get one


def unreplied_invitations(party: Party) -> list[Invitation]:
    """Invited by email, not replied (by that address), not opted out."""
    replied = sa.select(Rsvp.email).where(Rsvp.party_id == party.id, Rsvp.email.is_not(None))
    return list(
        db.session.scalars(
            sa.select(Invitation)
            .where(Invitation.party_id == party.id, Invitation.emails_stopped.is_(False), Invitation.email.not_in(replied))
            .order_by(Invitation.id)
        )
    )


def unclaimed_guests(party: Party) -> list[Rsvp]:
    """Seated going guests with an address, not opted out, who signed up for nothing."""
    claimed = sa.select(Claim.rsvp_id).where(Claim.rsvp_id.is_not(None))
    return list(
        db.session.scalars(
            sa.select(Rsvp)
            .where(
                Rsvp.party_id == party.id, Rsvp.response == "going", Rsvp.state == "confirmed",
                Rsvp.email.is_not(None), Rsvp.emails_stopped.is_(False), Rsvp.id.not_in(claimed),
            )
            .order_by(Rsvp.id)
        )
    )


def still_needed(party: Party) -> list[tuple[int, str]]:
    """(units left, name) of every item not fully claimed, in the list's order."""
    rows = db.session.execute(
        sa.select(SignupItem.quantity_needed - SignupItem.claimed, SignupItem.name)
        .where(SignupItem.party_id == party.id, SignupItem.claimed < SignupItem.quantity_needed)
        .order_by(SignupItem.position, SignupItem.id)
    )
    return [(left, name) for left, name in rows]


# ---------------------------------------------------------------- the once a day

_party = Party.__table__
_COLUMNS = {"unreplied": _party.c.nudged_unreplied_at, "unclaimed": _party.c.nudged_unclaimed_at}


def next_nudge_at(party: Party, which: str) -> datetime | None:
    """When this nudge may go again (None: now)."""
    last = party.nudged_unreplied_at if which == "unreplied" else party.nudged_unclaimed_at
    return None if last is None else last + NUDGE_EVERY


def _take_todays_nudge(party: Party, which: str, now: datetime) -> None:
    column = _COLUMNS[which]
    taken = changed_rows(db.session.execute(
        sa.update(_party)
        .where(_party.c.id == party.id, sa.or_(column.is_(None), column <= now - NUDGE_EVERY))
        .values({column.key: now})
    )) == 1
    if not taken:
        raise NudgeRefused("You sent this nudge less than a day ago; it can go again tomorrow.")
    db.session.expire(party, [column.key])


def _check_account_allowance(party: Party, now: datetime) -> None:
    """At most NUDGES_PER_ACCOUNT_PER_DAY nudges a day across all the host's parties,
    counted from the parties' own `nudged_*_at` (each kind goes once a day per party)."""
    if party.host_id is None:
        return
    lock_sender(party)
    since = now - NUDGE_EVERY
    per_account = current_app.config["NUDGES_PER_ACCOUNT_PER_DAY"]
    sent = db.session.scalar(
        sa.select(
            sa.func.coalesce(sa.func.sum(sa.case((_party.c.nudged_unreplied_at > since, 1), else_=0)), 0)
            + sa.func.coalesce(sa.func.sum(sa.case((_party.c.nudged_unclaimed_at > since, 1), else_=0)), 0)
        ).where(_party.c.host_id == party.host_id)
    ) or 0
    if sent >= per_account:
        raise TooManyNudges(
            f"Your account can send {per_account} {'nudge' if per_account == 1 else 'nudges'} a day across all "
            "your parties: none left today. Try again tomorrow."
        )


def _check_open(party: Party, which: str, now: datetime) -> None:
    reason = party_phase(party, now).closed_reason("replies" if which == "unreplied" else "signups", is_host=True)
    if reason:
        raise NudgeRefused(reason)


# ---------------------------------------------------------------- the nudges


def nudge(party: Party, which: str, now: datetime | None = None) -> int:
    """Send one of the dashboard's nudges; returns how many were queued. NudgeRefused
    when it went less than a day ago, when the party is closed, or when nobody would get it."""
    now = now or clock.now()
    if which not in NUDGES:
        raise NudgeRefused("No such nudge.")
    check_sender(party, "nudges")
    _check_open(party, which, now)
    _check_account_allowance(party, now)
    if which == "unreplied":
        invitations = unreplied_invitations(party)
        if not invitations:
            raise NudgeRefused("Everyone you invited by email has replied (or asked for no emails).")
        _take_todays_nudge(party, which, now)
        for invitation in invitations:
            mail.queue_template(
                invitation.email, f"Still coming? {subject_title(party)}", "nudge_unreplied", party_id=party.id,
                party=party, viewer=Viewer(party), share_link=share_url(party), film_link=film_url(party),
                stop_link=invitation_stop_url(party, invitation),
            )
        return len(invitations)
    guests = unclaimed_guests(party)
    needed = still_needed(party)
    if not needed:
        raise NudgeRefused("Everything on the list is taken: nothing to ask for.")
    if not guests:
        raise NudgeRefused("Every going guest with an email has signed up for something (or asked for no emails).")
    _take_todays_nudge(party, which, now)
    return sum(
        email_guest(rsvp, f"Pick something to bring: {subject_title(party)}", "nudge_unclaimed", needed=needed)
        for rsvp in guests
    )


@dataclass
class NudgeState:
    """One nudge as the dashboard offers it."""

    which: str
    recipients: int
    next_at: datetime | None

    def available(self, now: datetime) -> bool:
        return self.recipients > 0 and (self.next_at is None or self.next_at <= now)


def nudge_states(party: Party) -> list[NudgeState]:
    return [
        NudgeState("unreplied", len(unreplied_invitations(party)), next_nudge_at(party, "unreplied")),
        NudgeState("unclaimed", len(unclaimed_guests(party)) if still_needed(party) else 0, next_nudge_at(party, "unclaimed")),
    ]
