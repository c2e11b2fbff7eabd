"""The sign-up list as pages show it: the party page's board (for one viewer),
the host's overview, and what each guest brings (for reminders), each in one
query whatever the list's length."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from watchparty.cache import page_rows
from watchparty.extensions import db
from watchparty.models import ITEM_CATEGORIES, Claim, Party, Rsvp, SignupItem, utcnow
from watchparty.party_clock import party_phase
from watchparty.rsvp import service as rsvp_service
from watchparty.signups.claims import ClaimLine, claims_table, host_name, items_table
from watchparty.signups.items import CATEGORY_LABELS
from watchparty.signups.service import why_not
from watchparty.signups.starter import expected_headcount, quantity_hint, suggested_quantity


@dataclass(slots=True)
class ItemLine:
    id: int
    name: str
    category: str
    quantity_needed: int
    claimed: int
    note: str = ""
    # The guest who added it (None: the host's list); "a guest" when names are hidden.
    added_by: str | None = None
    added_by_me: bool = False
    claims: list[ClaimLine] = field(default_factory=list)
    # Claims by others that this viewer may not see by name.
    hidden_claims: int = 0
    my_claim: ClaimLine | None = None
    # Dashboard only: the suggestion for the current headcount, and moves.
    hint: str | None = None
    suggested: int | None = None
    first_in_group: bool = False
    last_in_group: bool = False
    # What the row shows, when it looks the same to every viewer who may see the
    # same names (none of it theirs; not the host): its rendered HTML is cached
    # under this key (signups/_board.html). None: rendered for this viewer alone.
    shared_key: tuple | None = None

    @property
    def left(self) -> int:
        return max(0, self.quantity_needed - self.claimed)

    @property
    def is_full(self) -> bool:
        return self.left == 0

    @property
    def most_i_can_bring(self) -> int:
        return self.left + (self.my_claim.quantity if self.my_claim else 0)


@dataclass
class CategoryGroup:
    category: str
    label: str
    items: list[ItemLine] = field(default_factory=list)


@dataclass
class NeededLine:
    item_id: int
    name: str
    left: int


@dataclass
class SignupBoard:
    """The sign-up list as one viewer sees it."""

    groups: list[CategoryGroup] = field(default_factory=list)
    still_needed: list[NeededLine] = field(default_factory=list)
    item_count: int = 0
    needed_total: int = 0
    claimed_total: int = 0
    shows_names: bool = False
    is_host: bool = False
    # May this viewer claim and add right now? If not, `notice` says why.
    can_sign_up: bool = False
    notice: str | None = None
    closed: bool = False
    # Dashboard only: the headcount the hints are for.
    people: int = 0


_rsvps = Rsvp.__table__
_added_by = _rsvps.alias("added_by")
_claimer_rsvp = _rsvps.alias("claimer")
# Every item of a party with its claims, in one statement built once (building
# it, with its two aliases, cost more than running it).
_BOARD_ROWS = (
    sa.select(
        items_table.c.id, items_table.c.name, items_table.c.category, items_table.c.quantity_needed, items_table.c.claimed,
        items_table.c.note, items_table.c.added_by_rsvp_id, _added_by.c.name,
        claims_table.c.id, claims_table.c.quantity, claims_table.c.note, claims_table.c.rsvp_id, _claimer_rsvp.c.name,
    )
    .select_from(items_table)
    .outerjoin(_added_by, items_table.c.added_by_rsvp_id == _added_by.c.id)
    .outerjoin(claims_table, claims_table.c.item_id == items_table.c.id)
    .outerjoin(_claimer_rsvp, claims_table.c.rsvp_id == _claimer_rsvp.c.id)
    .where(items_table.c.party_id == sa.bindparam("party_id"))
    .order_by(items_table.c.position, items_table.c.id, claims_table.c.created_at, claims_table.c.id)
)


def _load(party: Party, viewer: rsvp_service.Viewer) -> tuple[list[ItemLine], bool]:
    """Every item of the party with its claims, in one query, as this viewer may see them."""
    rows = page_rows(_BOARD_ROWS, {"party_id": party.id})
    shows_names = viewer.sees_guest_list
    my_rsvp_id = viewer.rsvp.id if viewer.rsvp is not None and not viewer.is_host else None
    hosts_name = host_name(party) if rows and any(row[8] is not None and row[11] is None for row in rows) else ""
    items: dict[int, ItemLine] = {}
    rows_of: dict[int, list] = defaultdict(list)
    for row in rows:
        (item_id, name, category, needed, claimed, note, added_by_id, added_by_name,
         claim_id, quantity, claim_note, claim_rsvp_id, claimer_name) = row
        rows_of[item_id].append(tuple(row))  # plain tuples compare in C; Rows in Python (shared_key)
        item = items.get(item_id)
        if item is None:
            item = items[item_id] = ItemLine(
                id=item_id, name=name, category=category, quantity_needed=needed, claimed=claimed, note=note,
                added_by_me=added_by_id is not None and added_by_id == my_rsvp_id,
            )
            if item.added_by_me:
                item.added_by = "you"
            elif added_by_id is not None:
                item.added_by = added_by_name if shows_names else "a guest"
        if claim_id is None:
            continue
        is_hosts = claim_rsvp_id is None
        is_mine = (is_hosts and viewer.is_host) or (my_rsvp_id is not None and claim_rsvp_id == my_rsvp_id)
        if not (is_mine or shows_names or is_hosts):
            item.hidden_claims += 1
            continue
        line = ClaimLine(
            id=claim_id,
            name="You" if is_mine else (hosts_name if is_hosts else claimer_name),
            quantity=quantity,
            note=claim_note,
            is_mine=is_mine,
            is_hosts=is_hosts,
            can_release=is_mine or viewer.is_host,
        )
        item.claims.append(line)
        if is_mine:
            item.my_claim = line
    if not viewer.is_host:
        for item in items.values():
            if not (item.my_claim or item.added_by_me):
                item.shared_key = (shows_names, hosts_name, tuple(rows_of[item.id]))
    return list(items.values()), shows_names


def _group(items: list[ItemLine]) -> list[CategoryGroup]:
    """Items by category (snacks, drinks, supplies, other), each keeping the list's order."""
    by_category: dict[str, list[ItemLine]] = defaultdict(list)
    for item in items:
        by_category[item.category].append(item)
    groups = []
    for category in ITEM_CATEGORIES:
        members = by_category.get(category)
        if members:
            members[0].first_in_group = True
            members[-1].last_in_group = True
            groups.append(CategoryGroup(category, CATEGORY_LABELS[category], members))
    return groups


def _board(
    party: Party, viewer: rsvp_service.Viewer, now: datetime | None
) -> SignupBoard:
    """The list as this viewer sees it, with whether (and why not) they may sign up."""
    items, shows_names = _load(party, viewer)
    groups = _group(items)
    ordered = [item for group in groups for item in group.items]
    closed = party_phase(party, now or utcnow()).closed_reason("signups", viewer.is_host)
    refusal = why_not(viewer)
    return SignupBoard(
        groups=groups,
        still_needed=[NeededLine(item.id, item.name, item.left) for item in ordered if item.left],
        item_count=len(items),
        needed_total=sum(item.quantity_needed for item in items),
        claimed_total=sum(item.claimed for item in items),
        shows_names=shows_names,
        is_host=viewer.is_host,
        can_sign_up=closed is None and refusal is None,
        notice=closed or refusal,
        closed=closed is not None,
    )


def signup_board(
    party: Party, viewer: rsvp_service.Viewer, now: datetime | None = None
) -> SignupBoard:
    """What the party page shows of the sign-up list, in one query whatever its length:
    still needed, items by category with who brings them (names only when this
    viewer may see the guest list; the host sees all), and whether they may sign up.
    Its rows are read through watchparty.cache.page_rows."""
    return _board(party, viewer, now)


def signup_overview(party: Party, now: datetime | None = None) -> SignupBoard:
    """The host's dashboard view: every claim with the guest's name, what is
    still missing, and quantity hints for the current headcount."""
    board = _board(party, rsvp_service.Viewer(party, is_host=True), now)
    board.people = expected_headcount(party)
    for group in board.groups:
        for item in group.items:
            item.suggested = suggested_quantity(item.name, board.people)
            item.hint = quantity_hint(item.name, board.people)
    return board


@dataclass
class Bringing:
    """One thing a guest said they would bring (for their reminder email)."""

    item_name: str
    quantity: int
    note: str = ""


def claims_by_rsvp(party: Party) -> dict[int, list[Bringing]]:
    """What each guest of the party signed up to bring, by reply id, in the list's order (one query)."""
    rows = db.session.execute(
        sa.select(Claim.rsvp_id, SignupItem.name, Claim.quantity, Claim.note)
        .join(SignupItem, Claim.item_id == SignupItem.id)
        .where(SignupItem.party_id == party.id, Claim.rsvp_id.is_not(None))
        .order_by(SignupItem.position, SignupItem.id)
    )
    bringing: dict[int, list[Bringing]] = defaultdict(list)
    for rsvp_id, name, quantity, note in rows:
        if rsvp_id is not None:  # always: the query asks for guests' claims
            bringing[rsvp_id].append(Bringing(name, quantity, note))
    return dict(bringing)


