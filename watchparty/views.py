"""Small helpers every blueprint's views share: rendering forms and refusals."""

from flask import render_template
from flask_wtf import FlaskForm
from wtforms import FieldList, Form

from watchparty.errors import DomainError
from watchparty.extensions import db


def render_form(template: str, form: FlaskForm, **context):
    """A form page: 200 when fresh, 422 when it was submitted but not accepted
    (a view that accepts a form redirects instead of rendering it)."""
    status = 422 if form.is_submitted() else 200
    return render_template(template, form=form, **context), status


def show_error(form: Form, error: DomainError) -> None:
    """A rule's message beside the field it is about, or above the form when it is about no field."""
    field = _field_named(form, error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)
    # A rule may find several problems at once (a poll's candidates): each beside its own field.
    for other in getattr(error, "others", ()):
        show_error(form, other)


def _field_named(form: Form, name: str):
    """A form's field by name, including a list's row: "poll_dates-2" is the third of poll_dates."""
    field = form._fields.get(name)
    if field is None and "-" in name:
        base, _, index = name.rpartition("-")
        rows = form._fields.get(base)
        if isinstance(rows, FieldList) and index.isdigit() and int(index) < len(rows.entries):
            field = rows.entries[int(index)]
    return field


def refuse(template: str, form: Form, error: DomainError, **context):
    """Undo the request's changes and show the rule's message beside its field."""
    db.session.rollback()
    show_error(form, error)
    return render_template(template, form=form, **context), error.status


def end_reads() -> None:
    """End the transaction this request's lookups opened, before heavy work that
    needs no database (parsing an article, rendering Markdown). Nothing may be
    written yet. On SQLite a POST's transaction holds the write lock from its
    first read (extensions._begin_sqlite), so work inside it makes every other
    writer wait; the write that follows opens a transaction of its own. Loaded
    rows are expired: read what the work needs into plain values first."""
    if db.session.new or db.session.dirty or db.session.deleted:
        raise RuntimeError("end_reads() with changes pending: they would be lost")
    db.session.rollback()
