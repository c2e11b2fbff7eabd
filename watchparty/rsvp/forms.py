from wtforms import BooleanField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, ValidationError

from watchparty.forms import BaseForm, Length, guest_email_field, strip
from watchparty.models.party import DEFAULT_PLUS_ONES, PLUS_ONES_MAX
from watchparty.rsvp.service import plus_ones_problem

RESPONSE_CHOICES = {"going": "Going", "maybe": "Maybe", "declined": "Can't make it"}


def _text(value):
    return value or ""


class RsvpForm(BaseForm):
    name = StringField(
        "Your name",
        filters=[strip],
        validators=[DataRequired("Tell the host who you are."), Length(max=80)],
        render_kw={"autocomplete": "name"},
    )
    email = guest_email_field("We send your personal link to change your reply. Never shown to other guests.")
    response = RadioField(
        "Are you coming?",
        choices=RESPONSE_CHOICES,
        validators=[InputRequired("Choose going, maybe or can't make it.")],
    )
    plus_ones = IntegerField(
        "Plus-ones",
        default=0,
        validators=[Optional(), NumberRange(0, PLUS_ONES_MAX, "Enter how many people you bring along.")],
        render_kw={"inputmode": "numeric", "min": 0},
    )
    seen_it = BooleanField("I've seen this film (show me spoilers)")
    dietary = StringField(
        "Dietary needs",
        filters=[strip, _text],
        validators=[Length(max=200)],
        description="Vegetarian, allergies, no alcohol …",
    )
    note = TextAreaField(
        "Note to the host",
        filters=[strip, _text],
        validators=[Length(max=1000)],
        render_kw={"rows": 2},
    )

    def __init__(self, *args, max_plus_ones: int = DEFAULT_PLUS_ONES, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_plus_ones = max_plus_ones
        self.plus_ones.render_kw = {**(self.plus_ones.render_kw or {}), "max": max_plus_ones}

    def validate_plus_ones(self, field):
        problem = plus_ones_problem(self.max_plus_ones, field.data or 0)
        if problem:
            raise ValidationError(problem)
