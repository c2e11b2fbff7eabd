from urllib.parse import urlsplit

from wtforms import BooleanField, IntegerField, SelectField, StringField, SubmitField, TextAreaField, URLField
from wtforms.fields import DateTimeLocalField, FieldList
from wtforms.validators import NumberRange, Optional, ValidationError

from watchparty.accounts.forms import display_name_field, email_field
from watchparty.forms import BaseForm, Length, strip
from watchparty.models.party import (
    CAPACITY_MAX,
    DEFAULT_GUEST_LIST_VISIBLE,
    DEFAULT_PLUS_ONES,
    PLUS_ONES_MAX,
    TITLE_MAX,
)
from watchparty.models.poll import DATES_MAX
from watchparty.signups.forms import item_rows_field, refresh_row_errors
from watchparty.timezones import canonical_or_same, timezone_choices

LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class LocalDateTimeField(DateTimeLocalField):
    """`YYYY-MM-DDTHH:MM` wall-clock time (the zone is a separate field)."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format=LOCAL_FORMATS, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Enter a date and time like 2026-03-14T20:00.") from None


def http_url(form, field):
    """Online links must be ordinary web links: no javascript:, data: or the like."""
    if not field.data:
        return
    parts = urlsplit(field.data)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or " " in field.data:
        raise ValidationError("Use a web link starting with https:// (or http://).")


def optional_text(label, max_length, area=False, **kwargs):
    field_class = TextAreaField if area else StringField
    return field_class(
        label,
        filters=[strip, lambda value: value or ""],
        validators=[Length(max=max_length, message=f"Keep it under {max_length} characters.")],
        **kwargs,
    )


class MarkedRequired:
    """Marks a field required on the page (most hosts fill it) while validate() decides:
    the film and the start may instead be left to a vote of the guests (#23). The form
    is `novalidate`, so the browser does not refuse it empty."""

    field_flags = {"required": True}

    def __call__(self, form, field) -> None:
        return None


class PartyForm(BaseForm):
    """The party form: the film and the start first (the only required fields, marked),
    everything else in optional sections (SECTIONS) that open when they hold something."""

    class Meta:
        mark_required = True

    # The optional sections of the form, each a <details> (parties/form.html).
    SECTIONS: dict[str, tuple[str, ...]] = {
        "place": ("area", "address", "online_url", "show_address_to_guests", "screening_notes"),
        "guests": ("capacity", "max_plus_ones", "rsvp_deadline", "guest_list_visible"),
        "about": ("description",),
        "items": ("items",),
        "poll": ("poll_films", "poll_dates", "poll_closes_at", "poll_yes_going"),
    }

    title = StringField(
        "Title",
        filters=[strip, lambda value: value or ""],
        validators=[Length(max=TITLE_MAX)],
        description="Optional: left empty, the party is named after the film, like “Anora night”.",
    )
    film = StringField(
        "Film",
        filters=[strip],
        # Required unless the guests vote on the film (validate, below).
        validators=[MarkedRequired(), Length(max=200)],
        description="Type its title; if it could be more than one film, we ask which.",
        render_kw={"autocomplete": "off"},
    )
    # The film picked from a list: by the film picker's script (film_slug), or from
    # "Did you mean …?" (film_choice: a slug, or "new" to add the typed title).
    film_slug = StringField(filters=[strip], validators=[Optional(), Length(max=130)])  # rendered hidden, always empty
    film_choice = StringField(filters=[strip], validators=[Optional(), Length(max=130)])
    # Shown when the film typed is not in the catalogue: with a year, saving
    # the party adds the film too (parties.service.film_for_party).
    new_film_year = IntegerField(
        "Year it came out",
        validators=[Optional()],
        description="Give its year and the film is added to the catalogue when you save; "
        "you can add the cast, a poster and more on its page later.",
        render_kw={"inputmode": "numeric", "min": 1888},
    )
    # Required unless the guests vote on the date (validate, below).
    starts_at = LocalDateTimeField("Starts at", validators=[MarkedRequired(), Optional()])
    # No zone chosen by the server (a host without settings): static/js/forms.js picks the browser's.
    timezone = SelectField(
        "Time zone", choices=timezone_choices, validate_choice=True, filters=[canonical_or_same],
        render_kw={"data-guess-timezone": True},
    )
    area = optional_text(
        "Area", 120, description="Shown to everyone with the link, like “Hackney, London” or “Online”."
    )
    address = optional_text(
        "Exact address", 500, area=True,
        description="Shown only to you and to guests who reply going or maybe.",
        render_kw={"rows": 2, "autocomplete": "street-address"},
    )
    online_url = URLField(
        "Online link",
        filters=[strip, lambda value: value or ""],
        validators=[Length(max=500), http_url],
        description="For a watch-along call or stream; shown like the address.",
    )
    screening_notes = optional_text(
        "Screening notes", 1000, area=True,
        description="Subtitles or captions, language, step-free access, content notes.",
        render_kw={"rows": 2},
    )
    capacity = IntegerField(
        "Capacity",
        validators=[
            Optional(),
            NumberRange(1, CAPACITY_MAX, f"Enter a number from 1 to {CAPACITY_MAX:,}, or leave it empty."),
        ],
        description="Seats including plus-ones; empty for no limit. Further replies join a waitlist. "
        "Lowering it below the headcount moves nobody out — it only stops new seats.",
        render_kw={"inputmode": "numeric", "min": 1, "max": CAPACITY_MAX},
    )
    rsvp_deadline = LocalDateTimeField(
        "RSVP deadline",
        validators=[Optional()],
        description="Optional, in the party's time zone; replies close then. Must be before the start.",
    )
    max_plus_ones = IntegerField(
        "Plus-ones per guest",
        default=DEFAULT_PLUS_ONES,
        validators=[Optional(), NumberRange(0, PLUS_ONES_MAX, f"Enter a number from 0 to {PLUS_ONES_MAX}.")],
        render_kw={"inputmode": "numeric", "min": 0, "max": PLUS_ONES_MAX},
    )
    description = optional_text(
        "Description", 5000, area=True,
        description="Plain text; links starting with https:// become clickable.",
        render_kw={"rows": 5},
    )
    guest_list_visible = BooleanField(
        "Guests who replied can see who else is coming", default=DEFAULT_GUEST_LIST_VISIBLE
    )
    show_address_to_guests = BooleanField(
        "Show the exact address and online link to guests who reply going or maybe", default=True
    )
    # The snack and drink list: rows without a name are left out. The two
    # buttons show the form again with more rows; nothing is saved by them.
    items = item_rows_field()
    add_starter = SubmitField("Add the movie-night starter list")
    add_rows = SubmitField("More rows")

    # "Not decided yet?": the film and/or the date left to a vote of the guests (watchparty.polls).
    poll_films = TextAreaField(
        "Titles to vote on",
        filters=[strip, lambda value: value or ""],
        validators=[Length(max=2000, message="Keep the list under 2,000 characters.")],
        description="2 to 8 films from the catalogue, one per line (a title, or “Title (Year)”). "
        "Leave “Film” above empty. Guests tick every film they'd happily watch.",
        render_kw={"rows": 4},
    )
    poll_dates = FieldList(
        LocalDateTimeField("Date option", validators=[Optional()]), min_entries=DATES_MAX, max_entries=DATES_MAX
    )
    poll_closes_at = LocalDateTimeField(
        "Vote closes at",
        validators=[Optional()],
        description="Optional, in the party's time zone. Before the first date; you can also close it yourself.",
    )
    poll_yes_going = BooleanField("When it's decided, make everyone who said yes to the date “going”")

    @property
    def wants_poll(self) -> bool:
        return bool(self.poll_films.data or any(entry.data for entry in self.poll_dates.entries))

    @property
    def film_list(self) -> list[str]:
        return [line.strip() for line in (self.poll_films.data or "").splitlines() if line.strip()]

    @property
    def wants_more_rows(self) -> bool:
        return bool(self.add_starter.data or self.add_rows.data)

    def open_sections(self) -> set[str]:
        """The optional sections shown open: those with an error or a value of their own
        (anything but a field's default), and the item list when rows were just added."""
        opened = {name for name, fields in self.SECTIONS.items() if any(map(self._holds_something, fields))}
        if self.wants_more_rows:
            opened.add("items")
        return opened

    def _holds_something(self, name: str) -> bool:
        field = self[name]
        if field.errors:
            return True
        if isinstance(field, FieldList) and name == "poll_dates":
            return any(entry.data or entry.errors for entry in field.entries)
        if isinstance(field, FieldList):
            return any(not entry.form.is_blank for entry in field.entries)
        return (field.data or None) != (field.default or None)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        refresh_row_errors(self.items)
        if not self.film.data and not self.poll_films.data and not self.film.errors:
            self.film.errors = [*self.film.errors, "Type the title of the film, or pick it from the list."]
            valid = False
        dates_given = any(entry.data for entry in self.poll_dates.entries)
        if self.starts_at.data is None and not dates_given and not self.starts_at.errors:
            self.starts_at.errors = [*self.starts_at.errors, "Enter the date and time the film starts."]
            valid = False
        return valid


class HostAgainForm(PartyForm):
    """The party form filled from an earlier party (parties.again), with the choice to
    invite everyone who came to it."""

    invite_same_guests = BooleanField("Invite the same guests")


class CancelForm(BaseForm):
    message = optional_text(
        "Message to your guests (optional)", 1000, area=True,
        description="Shown on the party page, e.g. “Sorry — I'm ill. Rain check next week?”",
        render_kw={"rows": 2},
    )


class HostContactForm(BaseForm):
    """What a host who is not signed in gives at "Create": we email them a code."""

    display_name = display_name_field()
    email = email_field("Your email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.display_name.label.text = "Your name"
        self.email.description = "We email you a 6-digit code to publish the party. No password needed."
