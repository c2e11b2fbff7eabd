"""The announcement form (the host's, on its own page) and the comment form (the party page's)."""

from wtforms import BooleanField, HiddenField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from watchparty.forms import BaseForm, Length, strip
from watchparty.models.talk import ANNOUNCEMENT_MAX, AUDIENCES, COMMENT_MAX
from watchparty.parties.forms import LocalDateTimeField

# The largest id a 32-bit integer column holds (as the <int:…> routes, watchparty.security).
MAX_DB_ID = 2**31 - 1

AUDIENCE_CHOICES = {
    "going": "Going (seated)",
    "maybe": "Maybe",
    "waitlisted": "On the waitlist",
    "declined": "Can't make it",
    "invited": "Invited by email, not replied yet",
}
assert tuple(AUDIENCE_CHOICES) == AUDIENCES


def _chosen(form: BaseForm, field: SelectMultipleField) -> None:
    # Not DataRequired: its `required` flag would mark every checkbox as required.
    if not field.data:
        raise ValidationError("Choose who it is for.")


class AnnouncementForm(BaseForm):
    message = TextAreaField(
        "Message",
        filters=[strip],
        validators=[
            DataRequired("Write a message first."),
            Length(max=ANNOUNCEMENT_MAX, message=f"Keep it under {ANNOUNCEMENT_MAX:,} characters."),
        ],
        render_kw={"rows": 6, "maxlength": ANNOUNCEMENT_MAX},
    )
    audience = SelectMultipleField(
        "Who is it for?",
        choices=AUDIENCE_CHOICES,
        validate_choice=True,
        validators=[_chosen],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    send_at = LocalDateTimeField(
        "Send at (optional)",
        validators=[Optional()],
        description="In the party's time zone. Leave it empty to send now.",
    )


class CommentForm(BaseForm):
    body = TextAreaField(
        "Your comment",
        filters=[strip],
        validators=[
            DataRequired("Write something first."),
            Length(max=COMMENT_MAX, message=f"Keep it under {COMMENT_MAX:,} characters."),
        ],
        render_kw={"rows": 3, "maxlength": COMMENT_MAX},
    )
    is_spoiler = BooleanField("Contains spoilers (folded until the film is over)")
    reply_to = HiddenField(filters=[strip])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.reply_to.data and self.reply_to_id() is None:
            self.body.errors = [*self.body.errors, "That comment is no longer there to reply to."]
            valid = False
        return valid

    def reply_to_id(self) -> int | None:
        value = self.reply_to.data
        if isinstance(value, str) and value.isascii() and value.isdigit() and 0 < int(value) <= MAX_DB_ID:
            return int(value)
        return None
