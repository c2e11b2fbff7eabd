from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Optional, ValidationError

from watchparty.accounts.passwords import PASSWORD_MAX, PASSWORD_MIN, WeakPassword, check_password_rule
from watchparty.forms import BaseForm, Length, lower, strip
from watchparty.timezones import canonical_or_same, timezone_choices

PASSWORD_HELP = f"At least {PASSWORD_MIN} characters. A few unrelated words work well."


def email_field(label="Email"):
    return EmailField(
        label,
        filters=[strip, lower],
        validators=[
            DataRequired("Enter your email address."),
            Length(max=254),
            Email("Enter a valid email address, like name@example.com."),
        ],
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )


def display_name_field():
    return StringField(
        "Display name",
        filters=[strip],
        validators=[DataRequired("Enter the name your friends know you by."), Length(max=80)],
        description="Shown to your guests.",
        render_kw={"autocomplete": "nickname"},
    )


def new_password_fields(label="Password", extra_validators=()):
    password = PasswordField(
        label,
        validators=[
            InputRequired("Choose a password."),
            Length(min=PASSWORD_MIN, max=PASSWORD_MAX, message=f"Use between {PASSWORD_MIN} and {PASSWORD_MAX} characters."),
            *extra_validators,
        ],
        description=PASSWORD_HELP,
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[InputRequired("Repeat the password."), EqualTo("password", "The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class PasswordRule:
    """The service's password rule, applied with the form's email and name so that its
    refusal shows together with the form's other errors (the service checks it again)."""

    def __call__(self, form: BaseForm, field: PasswordField) -> None:
        if field.errors or not isinstance(field.data, str):
            return
        try:
            check_password_rule(field.data, form.data.get("email") or "", form.data.get("display_name") or "")
        except WeakPassword as error:
            raise ValidationError(error.message) from None


class RegisterForm(BaseForm):
    email = email_field()
    display_name = display_name_field()
    password, confirm = new_password_fields(extra_validators=[PasswordRule()])


class LoginForm(BaseForm):
    email = email_field()
    password = PasswordField(
        "Password",
        validators=[InputRequired("Enter your password."), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Keep me logged in on this device")
    next = HiddenField()


class SettingsForm(BaseForm):
    display_name = display_name_field()
    email = email_field()
    # Only asked for when the email changes (accounts.settings.request_email_change).
    email_password = PasswordField(
        "Current password (to change the email)",
        validators=[Optional(), Length(max=200)],
        description="A new address gets a link to confirm it; until then the old one stays.",
        render_kw={"autocomplete": "current-password"},
    )
    timezone = SelectField(
        "Time zone",
        choices=timezone_choices,
        validate_choice=True,
        filters=[canonical_or_same],
        description="Parties you host default to this zone.",
    )


class PasswordChangeForm(BaseForm):
    # Required by the service for an account that has a password; an account made
    # by a code has none to give (accounts.settings.change_password).
    current_password = PasswordField(
        "Current password",
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = new_password_fields("New password")


class ResetRequestForm(BaseForm):
    email = email_field()


class ResetPasswordForm(BaseForm):
    password, confirm = new_password_fields("New password")


class DeleteAccountForm(BaseForm):
    # Its own id: the settings page also shows the password change form's `password`.
    # The service asks for one or the other: the password, or (an account without
    # one) the email address typed out (accounts.settings.delete_account).
    password = PasswordField(
        "Your password",
        id="delete-password",
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    confirm_email = StringField(
        "Type your email address to confirm",
        id="delete-email",
        filters=[strip],
        validators=[Optional(), Length(max=254)],
        render_kw={"autocomplete": "off", "inputmode": "email"},
    )


class CodeRequestForm(BaseForm):
    email = email_field()


class CodeForm(BaseForm):
    email = email_field()
    code = StringField(
        "Code from the email",
        filters=[strip],
        validators=[DataRequired("Enter the 6-digit code from the email."), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"},
    )
