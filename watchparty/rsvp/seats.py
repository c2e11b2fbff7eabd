"""Seats and the waitlist of a party.

Seats are decided by the database. `party.seats_taken` only ever changes in
one guarded UPDATE (`seats_taken + n <= capacity`); its row count says
whether the reply is seated or waitlisted, so two replies for the last seat
cannot both get it, on SQLite or PostgreSQL, in one process or many.
"""

import sqlalchemy as sa

from watchparty import activity, clock
from watchparty.extensions import changed_rows, db
from watchparty.models import Party, Rsvp

_party = Party.__table__


def take_seats(party_id: int, seats: int) -> bool:
    """Take `seats` if they fit: one guarded UPDATE, decided by its row count."""
    result = db.session.execute(
        sa.update(_party)
        .where(
            _party.c.id == party_id,
            sa.or_(_party.c.capacity.is_(None), _party.c.seats_taken + seats <= _party.c.capacity),
        )
        .values(seats_taken=_party.c.seats_taken + seats)
    )
    return changed_rows(result) == 1


def release_seats(party_id: int, seats: int) -> None:
    if seats:
        db.session.execute(
            sa.update(_party).where(_party.c.id == party_id).values(seats_taken=_party.c.seats_taken - seats)
        )


def lock_party(party_id: int) -> None:
    # PostgreSQL: a failed guarded UPDATE takes no lock, so a seat released at
    # the same moment could be walked past this reply before it is saved.
    # Holding the row lock while waitlisting closes that gap. SQLite ignores
    # FOR UPDATE; there the write transaction (BEGIN IMMEDIATE) already holds
    # the database lock.
    db.session.execute(sa.select(_party.c.id).where(_party.c.id == party_id).with_for_update())


def seat(party_id: int, seats: int) -> bool:
    """Seat a whole reply or nothing; False means it goes to the waitlist."""
    if take_seats(party_id, seats):
        return True
    lock_party(party_id)
    return take_seats(party_id, seats)


def refresh_seats(party: Party) -> None:
    db.session.expire(party, ["seats_taken"])


def seat_waitlisted(party: Party) -> list[Rsvp]:
    """Walk the waitlist in order and seat every reply that now fits, whole.

    Runs after seats were released or the capacity changed, in the same
    transaction (which holds the party row: the release or the edit updated
    it). A large reply that still does not fit keeps its place while smaller
    ones behind it are seated. Returns the replies seated.
    """
    db.session.flush()
    waiting = db.session.scalars(
        sa.select(Rsvp)
        .where(Rsvp.party_id == party.id, Rsvp.state == "waitlisted")
        .order_by(Rsvp.queued_at, Rsvp.id)
        .execution_options(populate_existing=True)
    ).all()
    seated: list[Rsvp] = []
    if waiting:
        capacity, taken = db.session.execute(
            sa.select(_party.c.capacity, _party.c.seats_taken).where(_party.c.id == party.id)
        ).one()
        free = None if capacity is None else capacity - taken
        for rsvp in waiting:
            seats = 1 + rsvp.plus_ones
            # `free` only saves pointless statements; the guarded UPDATE decides.
            if free is not None and seats > free:
                continue
            if take_seats(party.id, seats):
                rsvp.state = "confirmed"
                rsvp.queued_at = None
                seated.append(rsvp)
                activity.record(party, "promotion", rsvp, {"plus_ones": rsvp.plus_ones}, clock.now())
                if free is not None:
                    free -= seats
    db.session.flush()
    refresh_seats(party)
    return seated
