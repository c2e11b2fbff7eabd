from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired

from watchparty.forms import BaseForm, Length

# How the host hears (party.host_updates), as the dashboard offers it.
MODE_CHOICES = {
    "auto": "Each change for the first 10 replies, then an hourly digest",
    "each": "An email for each change (changes a few minutes apart come together)",
    "digest": "An hourly digest, only when something happened",
    "off": "No emails: I'll look here",
}


class InviteForm(BaseForm):
    emails = TextAreaField(
        "Email addresses",
        validators=[
            InputRequired("Paste at least one email address."),
            Length(max=50_000, message="That's too long to be a list of addresses."),
        ],
        description="Paste addresses separated by commas, spaces or new lines. "
        "Each gets the party, the film and the link.",
        render_kw={"rows": 4, "autocomplete": "off", "spellcheck": "false"},
    )


class HostUpdatesForm(BaseForm):
    host_updates = RadioField(
        "Email me about replies and sign-ups",
        choices=MODE_CHOICES,
        validators=[InputRequired("Choose how you hear about this party.")],
    )
