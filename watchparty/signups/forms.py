"""Forms of the sign-up list: claiming, adding and editing items, the host's rows."""

from wtforms import Form, HiddenField, IntegerField, SelectField, StringField, SubmitField
from wtforms.fields import FieldList, FormField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from watchparty.forms import BaseForm, Length, strip
from watchparty.models.signup import CLAIM_NOTE_MAX, ITEM_NAME_MAX, ITEM_NOTE_MAX, ITEM_QUANTITY_MAX

CATEGORY_CHOICES = {"snack": "Snack", "drink": "Drink", "supplies": "Supplies", "other": "Other"}
# Rows on the host's forms: enough for the starter list plus a few of one's own.
MAX_ROWS = 40
BLANK_ROWS = 3


def _text(value):
    return value or ""


class QuantityField(IntegerField):
    """A whole number of units, with a message a guest understands."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Enter a whole number, like 2.") from None


def quantity_range():
    return NumberRange(1, ITEM_QUANTITY_MAX, f"Enter a number from 1 to {ITEM_QUANTITY_MAX}.")


def note_field(label, limit, **kwargs):
    return StringField(
        label,
        filters=[strip, _text],
        validators=[Length(max=limit, message=f"Keep it under {limit} characters.")],
        **kwargs,
    )


class ClaimForm(BaseForm):
    """`quantity`: how many this guest brings in all (a second claim changes the first)."""

    quantity = QuantityField(
        "How many", validators=[InputRequired("How many will you bring?"), quantity_range()],
        render_kw={"inputmode": "numeric", "min": 1},
    )
    note = note_field("Note (optional)", CLAIM_NOTE_MAX)

    # Which item the form was for, so a refused form shows up beside that item.
    item_id: int | None = None


class ItemForm(BaseForm):
    """An item from the party page or the dashboard, and the host's edit form."""

    name = StringField(
        "Item",
        filters=[strip],
        validators=[DataRequired("Say what it is, like “Popcorn”."), Length(max=ITEM_NAME_MAX)],
        render_kw={"maxlength": ITEM_NAME_MAX},
    )
    category = SelectField("Category", choices=CATEGORY_CHOICES, default="snack", validate_choice=True)
    quantity = QuantityField(
        "How many", default=1, validators=[InputRequired("How many?"), quantity_range()],
        render_kw={"inputmode": "numeric", "min": 1, "max": ITEM_QUANTITY_MAX},
    )
    note = note_field(
        "Note (optional)", ITEM_NOTE_MAX, render_kw={"placeholder": "e.g. vegan, no nuts", "maxlength": ITEM_NOTE_MAX}
    )


class ItemRowForm(Form):
    """One row of the host's list on the party form and the starter page.

    A row without a name is left out, whatever else it holds: that is how a
    host drops a starter item before saving.
    """

    name = StringField(
        "Item", filters=[strip, _text], validators=[Length(max=ITEM_NAME_MAX)],
        render_kw={"maxlength": ITEM_NAME_MAX},
    )
    category = SelectField("Category", choices=CATEGORY_CHOICES, default="snack", validate_choice=True)
    quantity = QuantityField(
        "How many", validators=[Optional(), quantity_range()],
        render_kw={"inputmode": "numeric", "min": 1, "max": ITEM_QUANTITY_MAX},
    )
    note = note_field("Note", ITEM_NOTE_MAX, render_kw={"maxlength": ITEM_NOTE_MAX})

    def validate(self, extra_validators=None) -> bool:
        if not self.name.data:
            return True
        return super().validate(extra_validators)

    @property
    def is_blank(self) -> bool:
        return not self.name.data


def item_rows_field(min_entries: int = BLANK_ROWS):
    return FieldList(FormField(ItemRowForm), "Items", min_entries=min_entries, max_entries=MAX_ROWS)


def refresh_row_errors(rows: FieldList) -> None:
    """BaseForm finds control characters after the rows were validated: let the
    list's own errors (and so `form.errors`) count them too."""
    errors = [entry.errors for entry in rows.entries]
    rows.errors = errors if any(errors) else []


class StarterForm(BaseForm):
    """The dashboard's starter list: rows the host edits before saving."""

    items = item_rows_field(0)
    add_rows = SubmitField("More rows")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        refresh_row_errors(self.items)
        return valid


class MoveForm(BaseForm):
    direction = SelectField(choices={"up": "Up", "down": "Down"}, validate_choice=True)


class RemoveForm(BaseForm):
    # Set by the confirmation page: the host has seen who signed up for it.
    confirm = HiddenField()


def fill_rows(rows: FieldList, extra: list[dict], blank: int = BLANK_ROWS) -> None:
    """Keep the named rows, append `extra` rows, then a few blank ones (never past MAX_ROWS)."""
    kept = [entry.form.data for entry in rows.entries if not entry.form.is_blank]
    while rows.entries:
        rows.pop_entry()
    for data in [*kept, *extra, *({} for _ in range(blank))][:MAX_ROWS]:
        rows.append_entry({key: value for key, value in data.items() if key != "csrf_token"} or None)


def row_values(rows: FieldList) -> list[dict]:
    """The named rows' values, in order."""
    return [entry.form.data for entry in rows.entries if not entry.form.is_blank]
