from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from watchparty.films import data, lines
from watchparty.films.posters import POSTER_EXTENSIONS, POSTER_MAX_BYTES
from watchparty.forms import BaseForm, Length, strip, validated

try:  # WTForms 3.3 deprecates (value, label) tuples in favour of SelectChoice.
    # types-WTForms (3.2) predates SelectChoice, which the locked WTForms 3.3 has.
    from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - WTForms < 3.3
    FORMAT_CHOICES = list(data.FORMAT_LABELS.items())
else:
    FORMAT_CHOICES = [SelectChoice(value, label) for value, label in data.FORMAT_LABELS.items()]

CAST_HELP = (
    "One per line, in billing order: actor — character, e.g. "
    'Mikey Madison — Anora "Ani" Mikheeva. The separator may also be \u2013, | or a spaced hyphen.'
)
CREW_HELP = (
    "One role per line: Role: Name, e.g. Director: Sean Baker. Several names: separate them with commas. "
    "Roles: Director, Writer, Producer, Editor, Cinematographer, Composer."
)
AWARDS_HELP = (
    "One per line: ceremony | year | category | nominee | won or nominated, e.g. "
    "97th Academy Awards | 2025 | Best Picture | | won. The nominee may be left empty."
)
SPOILER_ENDING_HELP = (
    "Never shown on any page. A few sentences on how the film ends, with the characters' names: "
    "imported reviews that describe it are folded away until the reveal."
)
SPOILER_TURNS_HELP = "Never shown on any page. One key plot turn per line (a death, a reveal, a betrayal)."
TRIVIA_HELP = "One fact per line. Start a line with [spoiler] to keep it folded away until the reader asks."


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class YearInRange:
    """1888 to next year, with "next year" worked out when the form is checked."""

    def __call__(self, form, field):
        if field.data is not None and not data.FIRST_FILM_YEAR <= field.data <= data.next_year():
            raise ValidationError(f"Enter a year between {data.FIRST_FILM_YEAR} and {data.next_year()}.")


def lines_field(label: str, help_text: str) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[Length(max=50_000, message="This list is too long.")],
        description=help_text,
        render_kw={"rows": 6, "spellcheck": "false"},
    )


class FilmForm(BaseForm):
    title = StringField(
        "Title",
        filters=[strip],
        validators=[DataRequired("Enter the film's title."), Length(max=data.TITLE_MAX)],
    )
    year = IntegerField(
        "Year",
        validators=[InputRequired("Enter the year the film came out."), YearInRange()],
        render_kw={"inputmode": "numeric"},
    )
    runtime_minutes = IntegerField(
        "Runtime in minutes",
        validators=[
            Optional(),
            NumberRange(data.RUNTIME_MIN, data.RUNTIME_MAX, "Enter a runtime between 1 and 1000 minutes."),
        ],
        description="Optional. 139 is shown as “2 h 19 min”.",
        render_kw={"inputmode": "numeric"},
    )
    tagline = StringField("Tagline", filters=[strip], validators=[Length(max=data.TAGLINE_MAX)])
    synopsis = TextAreaField(
        "Synopsis",
        filters=[strip],
        validators=[Length(max=data.SYNOPSIS_MAX)],
        description="No spoilers: this is what guests read before the night.",
        render_kw={"rows": 5},
    )
    genres = StringField(
        "Genres",
        filters=[strip],
        validators=[Length(max=data.GENRES_MAX)],
        description="Separated by commas, e.g. Comedy, Drama, Romance.",
    )
    formats = MultiCheckboxField("Where to watch", choices=FORMAT_CHOICES, validate_choice=True, default=[])
    streaming_services = StringField(
        "Streaming services",
        filters=[strip],
        validators=[Length(max=data.SERVICES_MAX)],
        description="Separated by commas, e.g. Hulu, Mubi.",
    )
    poster = FileField(
        "Upload a poster",
        validators=[FileAllowed(POSTER_EXTENSIONS, "Upload a JPEG, PNG or WebP image.")],
        description="JPEG, PNG or WebP, at most 5 MB. Without one, the film gets a generated poster.",
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )
    remove_poster = BooleanField("Remove the current poster")
    cast = lines_field("Cast", CAST_HELP)
    crew = lines_field("Crew", CREW_HELP)
    awards = lines_field("Awards", AWARDS_HELP)
    trivia = lines_field("Trivia", TRIVIA_HELP)
    spoiler_ending = TextAreaField(
        "How it ends",
        filters=[strip],
        validators=[Length(max=data.SPOILER_ENDING_MAX, message="Keep it under 3000 characters.")],
        description=SPOILER_ENDING_HELP,
        render_kw={"rows": 4},
    )
    spoiler_turns = lines_field("Key turns", SPOILER_TURNS_HELP)
    # Shown on a new film's form once "Did you mean …?" was asked (service.FilmMayBeThere).
    different_film = BooleanField("None of these: mine is a different film")

    # Each line field is parsed by the service's rules; a bad line is named.
    def _parse(self, field, parser):
        try:
            return parser(field.data)
        except data.FilmDataError as error:
            raise ValidationError(error.message) from None

    def validate_cast(self, field):
        self._parse(field, lines.parse_cast_lines)

    def validate_crew(self, field):
        self._parse(field, lines.parse_crew_lines)

    def validate_awards(self, field):
        self._parse(field, lines.parse_award_lines)

    def validate_trivia(self, field):
        self._parse(field, lines.parse_trivia_lines)

    def film_data(self) -> data.FilmData:
        """The validated form as plain values for the service."""
        return data.FilmData(
            title=validated(self.title.data),
            year=validated(self.year.data),
            runtime_minutes=self.runtime_minutes.data,
            tagline=self.tagline.data or "",
            synopsis=self.synopsis.data or "",
            genres=data.split_list(self.genres.data),
            formats=list(self.formats.data or []),
            streaming_services=data.split_list(self.streaming_services.data),
            cast=lines.parse_cast_lines(self.cast.data),
            crew=lines.parse_crew_lines(self.crew.data),
            awards=lines.parse_award_lines(self.awards.data),
            trivia=lines.parse_trivia_lines(self.trivia.data),
            spoiler_ending=self.spoiler_ending.data or "",
            spoiler_turns=lines.parse_spoiler_turn_lines(self.spoiler_turns.data),
        )

    def poster_bytes(self) -> bytes | None:
        """The uploaded poster's bytes, read no further than one byte past the limit."""
        upload = self.poster.data
        if not upload or not getattr(upload, "filename", ""):
            return None
        return upload.read(POSTER_MAX_BYTES + 1)
