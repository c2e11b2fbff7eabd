"""What every form shares: the base class, its text checks and small field helpers."""

import re
from collections.abc import Iterable, Iterator
from typing import TypeVar

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from wtforms import Field, SubmitField, validators
from wtforms.fields import EmailField, FieldList, FormField, StringField, TextAreaField
from wtforms.validators import Email, Optional, StopValidation, ValidationError
from wtforms.widgets import HiddenInput

# Control characters (and NUL, which PostgreSQL cannot store). Long text may
# keep tabs and newlines; one-line fields may not.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f]")


def strip(value):
    return value.strip() if isinstance(value, str) else value


def lower(value):
    return value.lower() if isinstance(value, str) else value


T = TypeVar("T")


def validated(value: T | None) -> T:
    """The data of a field its validators require, once the form has validated
    (WTForms types every field's data as optional: None before any input)."""
    if value is None:
        raise ValueError("a required field has no data: was the form validated?")
    return value


class Length(validators.Length):
    """WTForms' Length, except that a value over the maximum ends the field's checks
    with its message: the checks after it (an email address's, a link's) never read
    a megabyte only to refuse it too (Email took ~0.3 s of CPU on 1 MB). Every form
    takes its Length from here."""

    def __call__(self, form, field):
        try:
            super().__call__(form, field)
        except ValidationError as error:
            if self.max != -1 and len(field.data or "") > self.max:
                raise StopValidation(*error.args) from None
            raise


class BaseForm(FlaskForm):
    """FlaskForm that refuses control characters in every text field.

    CSRF has one home: CSRFProtect (watchparty.extensions) checks the token of every
    POST before its view runs. A form does not check it again, nor mint a token each
    time it is built (a tenth of a millisecond on every reply POST); hidden_tag puts
    the session's token in the page.
    """

    class Meta:
        csrf = False

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in _text_fields(self):
            pattern = _CONTROL if isinstance(field, TextAreaField) else _CONTROL_ONE_LINE
            if pattern.search(field.data):
                field.errors = [*field.errors, "Remove control characters from this field."]
                valid = False
        return valid

    def hidden_tag(self, *fields: str | Field) -> Markup:
        """The form's hidden inputs (the CSRF token, `next` …) without an id: a page
        holds many forms, each with its csrf_token, and an id may be used once a page
        (the dashboard had eight `id="csrf_token"`). No label or script points at them."""
        chosen = (getattr(self, field, None) if isinstance(field, str) else field for field in (fields or self))
        inputs = [str(field(id=False)) for field in chosen if field is not None and isinstance(field.widget, HiddenInput)]
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
            inputs.insert(0, f'<input name="{escape(name)}" type="hidden" value="{escape(generate_csrf())}">')
        return Markup("\n".join(inputs))  # noqa: S704 - WTForms and escape() escaped every value

    def error_summary(self) -> list[tuple[str, str, str]]:
        """Every field's errors as (field id, label, messages), in the form's order: the
        summary above a refused form links each one to its field (_macros/forms.html)."""
        return list(_field_errors(self, ""))


def _field_errors(fields: Iterable[Field], prefix: str) -> Iterator[tuple[str, str, str]]:
    for field in fields:
        if isinstance(field, FieldList):
            for number, entry in enumerate(field.entries, 1):
                yield from _field_errors([entry], f"{prefix}{field.label.text}, row {number}: ")
        elif isinstance(field, FormField):
            yield from _field_errors(field.form, prefix)
        elif field.type not in ("CSRFTokenField", "HiddenField") and field.errors:
            # One line per field, however many of its checks failed.
            yield field.id, prefix + field.label.text, " ".join(str(message) for message in field.errors)


def _text_fields(form):
    """Every text field of a form, including those inside FieldList and FormField."""
    for field in form:
        if isinstance(field, FieldList):
            for entry in field.entries:
                yield from _text_fields([entry])
        elif isinstance(field, FormField):
            yield from _text_fields(field.form)
        elif isinstance(field, StringField) and isinstance(field.data, str):
            yield field


class EmptyForm(BaseForm):
    """For POST-only buttons: carries the CSRF token and nothing else."""

    submit = SubmitField("Submit")


def guest_email_field(description: str) -> EmailField:
    """A guest's optional email (a reply's, a vote's, a nomination's): trimmed, lower-cased, checked
    only when given; `description` says what it is for."""
    return EmailField(
        "Email (optional)",
        filters=[strip, lower],
        validators=[
            Optional(),
            Length(max=254),
            Email("Enter a valid email address, like name@example.com — or leave it empty."),
        ],
        description=description,
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )
