"""After the film: what the party page shows once the night is over (PartyPhase.after_film).

Built from what the page has already read — the replies' summary, the
sign-up board and the reviews companion — so looking back costs no query.
"""

from dataclasses import dataclass

from watchparty.reviews.companion import PartyCompanion, Score
from watchparty.rsvp.service import Viewer
from watchparty.rsvp.summary import PartySummary
from watchparty.signups.board import SignupBoard

# Closer than this (out of 10) and the crew and the critics agree.
AGREEMENT = 0.5


@dataclass(frozen=True)
class Came:
    """One guest who came (seated as going), as this viewer may see them."""

    name: str
    plus_ones: int


@dataclass(frozen=True)
class Brought:
    """One thing on the list that someone brought: how many in all, and by whom."""

    name: str
    quantity: int
    names: tuple[str, ...]  # the claimers this viewer may see by name
    others: int  # claimers this viewer may not see by name


@dataclass(frozen=True)
class Recap:
    """The night, looking back."""

    people: int  # seats taken: the guests who came with their plus-ones
    came: tuple[Came, ...] | None  # None: this viewer may not see the guest list
    brought: tuple[Brought, ...]
    crew: Score
    critics: Score
    comparison: str | None  # the crew's verdict against the critics', in words


def crew_against_critics(crew: Score, critics: Score) -> str | None:
    """"The crew liked it more than the critics did", or None while either side has no score."""
    if crew.average is None or critics.average is None:
        return None
    gap = crew.average - critics.average
    if abs(gap) < AGREEMENT:
        return "The crew and the critics agree."
    much = "much " if abs(gap) >= 2 else ""
    return f"The crew liked it {much}{'more' if gap > 0 else 'less'} than the critics did."


def recap(
    viewer: Viewer, summary: PartySummary, board: SignupBoard | None, companion: PartyCompanion | None
) -> Recap:
    """Who came, what was brought and the crew's verdict against the critics', for one viewer:
    names only for a viewer who may see the guest list (the claims on the board follow the same rule)."""
    came = None
    if viewer.sees_guest_list:
        came = tuple(Came(guest.name, guest.plus_ones) for guest in summary.guests if guest.response == "going")
    brought = []
    for group in board.groups if board is not None else ():
        for item in group.items:
            if item.claimed:
                brought.append(
                    Brought(item.name, item.claimed, tuple(claim.name for claim in item.claims), item.hidden_claims)
                )
    crew = companion.verdict if companion is not None else Score()
    critics = companion.critics if companion is not None else Score()
    return Recap(
        people=summary.seats_taken,
        came=came,
        brought=tuple(brought),
        crew=crew,
        critics=critics,
        comparison=crew_against_critics(crew, critics),
    )
