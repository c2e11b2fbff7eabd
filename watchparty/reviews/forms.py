from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, ValidationError

from watchparty.forms import BaseForm, strip


class ImportForm(BaseForm):
    text = TextAreaField(
        "Article text",
        validators=[Optional(), Length(max=1_000_000, message="Paste at most 1 MB of text.")],
        description="Paste the article as plain text or Markdown. Headings, lists, the author, "
        "the rating and spoiler sections are found for you to check.",
    )
    file = FileField(
        "…or upload a .txt or .md file (up to 1 MB)", render_kw={"accept": ".txt,.md,text/plain,text/markdown"}
    )

    def validate_file(self, field):
        upload = field.data
        if upload and upload.filename and not upload.filename.lower().endswith((".txt", ".md", ".markdown")):
            raise ValidationError("Upload a .txt or .md file.")


class SectionForm(Form):
    """One section on the preview: subform without its own CSRF token."""

    heading = StringField("Heading", filters=[strip], validators=[Length(max=300)])
    body = TextAreaField("Text (Markdown)", validators=[Length(max=200_000)])
    is_spoiler = BooleanField("Contains spoilers")


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
    rating_value = DecimalField("Rating", places=1, validators=[Optional(), NumberRange(min=0, max=100)])
    rating_scale = IntegerField("out of", validators=[Optional(), NumberRange(min=1, max=100)])
    sections = FieldList(FormField(SectionForm), min_entries=1, max_entries=200)

    def validate_source_url(self, field):
        if field.data and not field.data.lower().startswith(("http://", "https://")):
            raise ValidationError("Only http and https links.")

    def validate_rating_value(self, field):
        if (field.data is None) != (self.rating_scale.data is None):
            raise ValidationError("Give both the rating and its scale, like 4 out of 5, or neither.")
        if field.data is not None and self.rating_scale.data and field.data > self.rating_scale.data:
            raise ValidationError("The rating cannot be above its scale.")
