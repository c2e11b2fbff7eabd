"""The movie-night starter list, and quantities that scale with the headcount.

The rates are rules of thumb for a film night (a sharing bag of popcorn goes
round about four people): they only ever fill in a suggestion the host edits.
"""

import math
from dataclasses import dataclass

from watchparty.models import Party
from watchparty.models.signup import ITEM_QUANTITY_MAX

# When nobody has replied yet and the party has no capacity, plan for this many.
DEFAULT_HEADCOUNT = 8


@dataclass(frozen=True)
class StarterItem:
    name: str
    category: str
    unit: str
    units: str
    people_per_unit: int
    note: str = ""

    def quantity_for(self, people: int) -> int:
        """How many to ask for: at least one, never more than an item may need."""
        return min(ITEM_QUANTITY_MAX, max(1, math.ceil(max(people, 1) / self.people_per_unit)))

    def hint(self, people: int) -> str:
        """"about 3 bags for 12 people" — shown beside the quantity, never forced."""
        quantity = self.quantity_for(people)
        unit = self.unit if quantity == 1 else self.units
        return f"about {quantity} {unit} for {people} {'person' if people == 1 else 'people'}"


STARTER_LIST = (
    StarterItem("Popcorn", "snack", "bag", "bags", 4),
    StarterItem("Sweets", "snack", "bag", "bags", 5),
    StarterItem("Crisps", "snack", "bag", "bags", 4),
    StarterItem("Soft drinks", "drink", "big bottle", "big bottles", 3, "1.5 litre bottles"),
    StarterItem("Sparkling water", "drink", "big bottle", "big bottles", 4, "1.5 litre bottles"),
    StarterItem("Something to toast with", "drink", "bottle", "bottles", 6, "Fizz, or alcohol-free"),
    StarterItem("Ice", "supplies", "bag", "bags", 8),
    StarterItem("Cups", "supplies", "pack of 10", "packs of 10", 5),
)

_BY_NAME = {item.name.casefold(): item for item in STARTER_LIST}


def starter_item(name: str | None) -> StarterItem | None:
    """The starter entry an item is named after (any case), if any."""
    return _BY_NAME.get(" ".join((name or "").split()).casefold())


# ---------------------------------------------------------------- for a party


def expected_headcount(party: Party | None = None, capacity: int | None = None) -> int:
    """Whom the suggestions are for: going guests and their plus-ones once there
    are any, else the capacity, else a film night's usual size."""
    if party is not None and party.seats_taken:
        return party.seats_taken
    if party is not None and party.capacity:
        return party.capacity
    return capacity or DEFAULT_HEADCOUNT


def starter_rows(people: int, skip_names: list[str] | tuple[str, ...] = ()) -> list[dict]:
    """The movie-night starter list as form rows, quantities scaled to `people`;
    items already listed (any case) are left out."""
    skip = {" ".join(name.split()).casefold() for name in skip_names if name}
    return [
        {"name": item.name, "category": item.category, "quantity": item.quantity_for(people), "note": item.note}
        for item in STARTER_LIST
        if item.name.casefold() not in skip
    ]


def quantity_hint(name: str | None, people: int) -> str | None:
    """"about 3 bags for 12 people" for an item named like one of the starter list."""
    item = starter_item(name)
    return item.hint(people) if item is not None else None


def suggested_quantity(name: str | None, people: int) -> int | None:
    """The starter list's quantity for `people`, for an item named like one of it."""
    item = starter_item(name)
    return item.quantity_for(people) if item is not None else None
