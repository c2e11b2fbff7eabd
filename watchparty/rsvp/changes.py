"""Changes to replies: replying, changing and withdrawing (the guest's), removing a
guest (the host's), and forgetting an account's replies. Seats and the waitlist are
watchparty.rsvp.seats; each change queues the emails it implies (watchparty.rsvp.emails)."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from watchparty import activity, clock
from watchparty.errors import DomainError
from watchparty.extensions import conflict_insert, db
from watchparty.models import Invitation, Party, Rsvp, User, utcnow
from watchparty.party_clock import party_phase
from watchparty.rsvp import seats
from watchparty.rsvp.emails import send_confirmation, send_manage_link, send_removed, send_seated
from watchparty.rsvp.lookups import existing_reply
from watchparty.signups import claims

RESPONSE_LABELS = {"going": "Going", "maybe": "Maybe", "declined": "Can't make it"}
FORMER_GUEST = "Former guest"


class RepliesClosed(DomainError):
    status = 409


class AlreadyReplied(DomainError):
    status = 409
    field: str | None = "email"

    def __init__(self, message: str, field: str | None = None, existing: Rsvp | None = None):
        super().__init__(message, field)
        # The signed-in guest's own earlier reply: the page shows it, with the message above the form.
        self.existing = existing
        if existing is not None:
            self.field = None


class InvalidReply(DomainError):
    status = 422


class NotEnoughSeats(DomainError):
    status = 409
    field = "plus_ones"


def _stamp(now: datetime | None) -> datetime:
    # Taken after the seat decision, so reply order follows the database's order.
    return now if now is not None else utcnow()


def _check_open(party: Party, now: datetime | None) -> None:
    reason = party_phase(party, now or utcnow()).closed_reason("replies")
    if reason:
        raise RepliesClosed(reason)


def plus_ones_problem(allowed: int, plus_ones: int, already: int = 0) -> str | None:
    """What is wrong with bringing `plus_ones` to a party allowing `allowed`, or None.
    A guest keeps plus-ones they were allowed before the host lowered the limit (`already`).
    The rule's one home: the reply form asks it too."""
    if plus_ones < 0:
        return "Plus-ones cannot be negative."
    if plus_ones > max(allowed, already):
        return "This party has no plus-ones, sorry." if allowed == 0 else f"Bring at most {allowed} plus-ones."
    return None


def _check_plus_ones(party: Party, plus_ones: int, already: int = 0) -> None:
    problem = plus_ones_problem(party.max_plus_ones, plus_ones, already)
    if problem:
        raise InvalidReply(problem, field="plus_ones")


# ---------------------------------------------------------------- guests' actions


@dataclass
class ReplyFields:
    name: str
    response: str
    email: str | None = None
    plus_ones: int = 0
    seen_it: bool = False
    dietary: str = ""
    note: str = ""


def _normalise(fields: ReplyFields) -> ReplyFields:
    if fields.response not in RESPONSE_LABELS:
        raise InvalidReply("Choose going, maybe or can't make it.", field="response")
    email = (fields.email or "").strip().lower() or None
    plus_ones = 0 if fields.response == "declined" else fields.plus_ones
    return ReplyFields(
        name=fields.name.strip(),
        response=fields.response,
        email=email,
        plus_ones=plus_ones,
        seen_it=fields.seen_it,
        dietary=fields.dietary.strip(),
        note=fields.note.strip(),
    )


# The reply's INSERT, built once per database (building it costs more than running it).
_INSERT_REPLY: dict[str, sa.Executable] = {}


def _insert_reply() -> sa.Executable:
    """One reply, or nothing: the unique keys (one reply per address, one per account)
    decide a duplicate, and the insert then writes nothing and returns no reply."""
    dialect = db.session.get_bind().dialect.name
    if dialect not in _INSERT_REPLY:
        # A table INSERT read back as a reply: the ORM's own INSERT … RETURNING (its bulk
        # path) cost about 0.2 ms more per reply, a tenth of the whole reply POST.
        table = Rsvp.__table__
        insert = conflict_insert(table).on_conflict_do_nothing().returning(*table.c)
        _INSERT_REPLY[dialect] = sa.select(Rsvp).from_statement(insert)
    return _INSERT_REPLY[dialect]


def reply_to_party(
    party: Party, fields: ReplyFields, user: User | None = None, now: datetime | None = None
) -> Rsvp:
    """A new reply. Going takes 1 + plus-ones seats or joins the waitlist whole.
    The guest is emailed their copy with their personal link.

    Raises RepliesClosed or InvalidReply (the caller rolls back), or
    AlreadyReplied when this email or account already replied: then the reply
    and any seat it took are already undone, and the owner of the earlier reply
    has been sent their own link again, so the caller commits.
    """
    _check_open(party, now)
    fields = _normalise(fields)
    _check_plus_ones(party, fields.plus_ones)
    seated = fields.response == "going" and seats.seat(party.id, 1 + fields.plus_ones)
    state = "waitlisted" if fields.response == "going" and not seated else "confirmed"
    stamp = _stamp(now)
    rsvp = db.session.scalar(
        _insert_reply(),
        {
            "party_id": party.id,
            "user_id": user.id if user is not None else None,
            "name": fields.name,
            "email": fields.email,
            "response": fields.response,
            "state": state,
            "plus_ones": fields.plus_ones,
            "seen_it": fields.seen_it,
            "dietary": fields.dietary,
            "note": fields.note,
            "queued_at": stamp if state == "waitlisted" else None,
            "created_at": stamp,
            "updated_at": stamp,
        },
    )
    if rsvp is None:
        if seated:
            seats.release_seats(party.id, 1 + fields.plus_ones)
        seats.refresh_seats(party)
        raise _already_replied(party, fields.email, user, now)
    seats.refresh_seats(party)
    send_confirmation(rsvp)
    activity.record_reply(rsvp, now)
    return rsvp


def _already_replied(party: Party, email: str | None, user: User | None, now: datetime | None) -> AlreadyReplied:
    """A second reply with the same account or address changes nothing. A signed-in
    guest is shown their own reply; anyone else is told that the owner of the earlier
    reply got their personal link by email (and it is sent), so nobody takes over
    a reply by typing someone's address."""
    existing = existing_reply(party, email, user)
    if existing is not None and user is not None and existing.user_id == user.id:
        return AlreadyReplied(
            "You already replied to this party — change your reply below.", existing=existing
        )
    if existing is not None and not send_manage_link(existing, now):
        # Sent a few minutes ago already (or the guest stopped our emails): not again.
        return AlreadyReplied("You already replied with that address. Its personal link was sent there; check that inbox.")
    return AlreadyReplied("You already replied — we've emailed your personal link to that address.")


def change_reply(rsvp: Rsvp, fields: ReplyFields, now: datetime | None = None) -> list[Rsvp]:
    """Change a reply through its manage link; returns waitlisted replies seated as a result.

    A seated guest asking for more plus-ones than there is room for keeps the
    seats they have (NotEnoughSeats); a guest who stops going frees their seats
    for the waitlist; a guest who starts going while the party is full joins
    the end of the waitlist. The guest gets a new copy when their response,
    seat or address changed; everyone seated from the waitlist is told.
    """
    before = (rsvp.response, rsvp.state, rsvp.email)
    was = activity.ReplyState.of(rsvp)
    released = claims.release_preview(rsvp).labels if fields.response == "declined" != rsvp.response else []
    seated = _apply_change(rsvp, fields, now)
    activity.record_change(rsvp, was, released, now)
    if (rsvp.response, rsvp.state, rsvp.email) != before:
        send_confirmation(rsvp)
    for other in seated:
        send_seated(other)
    return seated


def _apply_change(rsvp: Rsvp, fields: ReplyFields, now: datetime | None) -> list[Rsvp]:
    party = rsvp.party
    _check_open(party, now)
    fields = _normalise(fields)
    # Seats held are read from the reply, so read it under the party's lock:
    # two changes of one reply at once (a double submit) then run one after
    # the other, and the second sees what the first did.
    seats.lock_party(party.id)
    db.session.refresh(rsvp)
    _check_plus_ones(party, fields.plus_ones, already=rsvp.plus_ones)
    held = rsvp.seats
    needed = 1 + fields.plus_ones if fields.response == "going" else 0
    release = 0
    if held and needed:
        if needed > held and not seats.take_seats(party.id, needed - held):
            seats.refresh_seats(party)
            free = max(0, (party.capacity or 0) - party.seats_taken)
            raise NotEnoughSeats(
                f"Only {free} more seat{'s' if free != 1 else ''} free — "
                f"your reply still counts you with {rsvp.plus_ones} plus-one{'s' if rsvp.plus_ones != 1 else ''}."
            )
        release = max(0, held - needed)
        state = "confirmed"
    elif held:
        release = held
        state = "confirmed"
    elif needed:
        state = "confirmed" if seats.seat(party.id, needed) else "waitlisted"
    else:
        state = "confirmed"
    stamp = _stamp(now)
    if state == "waitlisted":
        # Already waiting: keep the place in the queue. Newly waiting: join the end.
        rsvp.queued_at = rsvp.queued_at if rsvp.is_waitlisted else stamp
    else:
        rsvp.queued_at = None
    rsvp.state = state
    rsvp.response = fields.response
    rsvp.plus_ones = fields.plus_ones
    rsvp.name = fields.name
    rsvp.seen_it = fields.seen_it
    rsvp.dietary = fields.dietary
    rsvp.note = fields.note
    rsvp.email = fields.email
    rsvp.updated_at = stamp
    try:
        db.session.flush()
    except IntegrityError:
        raise AlreadyReplied("Another reply to this party uses that email address.") from None
    _settle_signups(rsvp)
    if release:
        seats.release_seats(party.id, release)
        return seats.seat_waitlisted(party)
    seats.refresh_seats(party)
    return []


def withdraw_reply(rsvp: Rsvp, now: datetime | None = None) -> list[Rsvp]:
    """"Can't make it after all": the reply becomes declined and its seats go to the waitlist."""
    fields = ReplyFields(
        name=rsvp.name, response="declined", email=rsvp.email, plus_ones=0,
        seen_it=rsvp.seen_it, dietary=rsvp.dietary, note=rsvp.note,
    )
    return change_reply(rsvp, fields, now)


def remove_guest(party: Party, rsvp_id: int) -> list[Rsvp] | None:
    """The host removes a reply; its seats go to the waitlist, whose guests seated
    by it are told, and its sign-ups go back on the list. The activity says so
    (a "removed" line: the reason for the seats that follow). The guest gets one
    kind email with the event's cancellation (send_removed), and the host's
    invitation to their address stops, so no announcement or nudge finds them
    afterwards. Returns those seated; None if no such guest."""
    # Party row first, reply rows second: the order every seat change locks in,
    # so a guest editing their reply at this moment cannot deadlock with us.
    seats.lock_party(party.id)
    rsvp = db.session.scalar(
        sa.select(Rsvp)
        .where(Rsvp.id == rsvp_id, Rsvp.party_id == party.id)
        .execution_options(populate_existing=True)
    )
    if rsvp is None:
        return None
    held = rsvp.seats
    released = claims.release_preview(rsvp).labels
    # By name, not by reply: the reply row goes below, and the line stays on the dashboard.
    now = clock.now()
    activity.record(party, "removed", rsvp.name, {"response": rsvp.response, "seats": held, "released": released},
                    now)
    send_removed(rsvp, bool(released), now)
    _stop_invitation(party, rsvp.email)
    _release_signups(rsvp)
    db.session.delete(rsvp)
    db.session.flush()
    if not held:
        return []
    seats.release_seats(party.id, held)
    seated = seats.seat_waitlisted(party)
    for other in seated:
        send_seated(other)
    return seated


def _stop_invitation(party: Party, email: str | None) -> None:
    # The invitation's "stop emails" flag, set for them: "invited, not replied" (announcements,
    # the unreplied nudge) would otherwise find the address again once its reply is gone.
    if email:
        db.session.execute(
            sa.update(Invitation).where(Invitation.party_id == party.id, Invitation.email == email)
            .values(emails_stopped=True)
        )


def _settle_signups(rsvp: Rsvp) -> None:
    # Only guests seated as going, or maybe, bring things: anyone else's claims go back on the list.
    claims.settle_claims(rsvp)


def _release_signups(rsvp: Rsvp) -> None:
    # Before the reply row goes, so that the items' claimed counters stay right.
    claims.release_claims_of(rsvp)


def anonymise_replies_of(user: User) -> None:
    """Before an account is deleted: its replies stay (the host still counts on
    them) but lose the name, email and link to the account."""
    activity.anonymise(sa.select(Rsvp.id).where(Rsvp.user_id == user.id), FORMER_GUEST)
    db.session.execute(
        sa.update(Rsvp)
        .where(Rsvp.user_id == user.id)
        .values(user_id=None, name=FORMER_GUEST, email=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
