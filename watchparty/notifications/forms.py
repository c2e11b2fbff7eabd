from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from watchparty.forms import BaseForm


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
