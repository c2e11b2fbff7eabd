from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import URL, DataRequired, NumberRange, Optional, StopValidation, ValidationError

from watchparty.forms import BaseForm, Length, strip
from watchparty.models.review import VERDICT_SCORES
from watchparty.reviews.service import (
    ARTICLE_MAX_CHARS,
    ARTICLE_TOO_LONG,
    MAX_SECTIONS,
    SectionInput,
    article_length,
)
from watchparty.reviews.verdicts import VERDICT_TEXT_MAX


class ImportForm(BaseForm):
    text = TextAreaField(
        "Article text",
        validators=[Optional(), Length(max=ARTICLE_MAX_CHARS, message=ARTICLE_TOO_LONG)],
        description="Paste the article as plain text or Markdown. Headings, lists, the author, "
        "the rating and spoiler sections are found for you to check.",
    )
    file = FileField(
        "…or upload a .txt or .md file (up to 200 kB)", render_kw={"accept": ".txt,.md,text/plain,text/markdown"}
    )

    def validate_file(self, field):
        upload = field.data
        if upload and upload.filename and not upload.filename.lower().endswith((".txt", ".md", ".markdown")):
            raise ValidationError("Upload a .txt or .md file.")


class SectionForm(Form):
    """One section on the preview: subform without its own CSRF token."""

    heading = StringField("Heading", filters=[strip], validators=[Length(max=300)])
    body = TextAreaField("Text (Markdown)", validators=[Length(max=ARTICLE_MAX_CHARS, message=ARTICLE_TOO_LONG)])
    is_spoiler = BooleanField("Contains spoilers")


def finite_number(form, field):
    """"NaN", "sNaN" and "Infinity" parse as decimals, but comparing them raises
    (a 500): refuse them before any other check looks at the value."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation("Enter a number, like 4 or 8.5.")


class ReviewForm(BaseForm):
    title = StringField(
        "Title", filters=[strip], validators=[DataRequired("Give the review a title."), Length(max=300)]
    )
    author = StringField("Author", filters=[strip], validators=[Length(max=200)])
    source_name = StringField(
        "Source", filters=[strip], validators=[Length(max=200)], description="Where it was published."
    )
    source_url = URLField(
        "Source link",
        filters=[strip],
        validators=[Optional(), Length(max=500), URL(require_tld=False, message="Enter a full http(s) link.")],
    )
    published_on = DateField("Published on", validators=[Optional()])
    rating_value = DecimalField(
        "Rating", places=1, validators=[Optional(), finite_number, NumberRange(min=0, max=100)]
    )
    rating_scale = IntegerField("out of", validators=[Optional(), NumberRange(min=1, max=100)])
    sections = FieldList(FormField(SectionForm), min_entries=1, max_entries=MAX_SECTIONS)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # The whole article, not just each section, is held to ARTICLE_MAX_CHARS: the message
        # goes beside the section where the total runs over (unless that one has its own).
        sections = []
        for entry in self.sections:
            sections.append(SectionInput(entry.heading.data or "", entry.body.data or "", False))
            if article_length(sections) > ARTICLE_MAX_CHARS:
                if not entry.body.errors:
                    entry.body.errors = [*entry.body.errors, ARTICLE_TOO_LONG]
                return False
        return valid

    def validate_source_url(self, field):
        if field.data and not field.data.lower().startswith(("http://", "https://")):
            raise ValidationError("Only http and https links.")

    def validate_rating_value(self, field):
        if (field.data is None) != (self.rating_scale.data is None):
            raise ValidationError("Give both the rating and its scale, like 4 out of 5, or neither.")
        if field.data is not None and self.rating_scale.data and field.data > self.rating_scale.data:
            raise ValidationError("The rating cannot be above its scale.")


def _text(value):
    return value or ""


class VerdictForm(BaseForm):
    """The crew's verdict on the party page: a score from 1 to 10 and an optional short review."""

    # Radio buttons, checked by hand below: "ten", "0" or "11" get one clear message.
    score = RadioField("Your score", choices={str(n): str(n) for n in VERDICT_SCORES}, validate_choice=False)
    text = TextAreaField(
        "Short review (optional)",
        filters=[strip, _text],
        validators=[Length(max=VERDICT_TEXT_MAX, message=f"Keep it short: at most {VERDICT_TEXT_MAX} characters.")],
        render_kw={"rows": 3, "maxlength": VERDICT_TEXT_MAX},
    )
    is_spoiler = BooleanField(
        # True before and after the film: the party page folds it until the credits, the film page always.
        "My review gives something away (fold it for anyone who hasn't seen the film)"
    )

    def validate_score(self, field):
        if field.data not in {str(n) for n in VERDICT_SCORES}:
            raise ValidationError(f"Choose a score from 1 to {VERDICT_SCORES[-1]}.")


class ReviewChoiceForm(BaseForm):
    """The host's choice of reviews for the party page; ids are checked against the film by the service."""

    shown = SelectMultipleField("Show on the party page", coerce=int, validate_choice=False)
    pinned = IntegerField("Pin to the top", validators=[Optional()])
