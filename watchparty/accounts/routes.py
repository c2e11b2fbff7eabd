"""The accounts pages: thin views over accounts.service, .registration, .settings, .codes and parties.drafts.

- `/accounts/register` (fields `email`, `display_name`, `password`, `confirm`,
  `timezone`): answers the same for a new address and one with an account (#22):
  the sign-up waits (models.PendingRegistration) and the browser goes to the code
  page; the emailed code or its link makes the account, address verified (with
  the typed password only in the browser that typed it, registration.finish_registration). The
  owner of a taken address gets "someone tried to sign up with your address" (a
  sign-in code and the reset link) instead, and the account is untouched.
- `/accounts/login` (`email`, `password`, `remember`; paused per address after ten
  wrong passwords, throttle.py; code sign-in is never paused), `POST /accounts/logout`,
  `POST /accounts/logout-everywhere`.
- `/accounts/settings` (`display_name`, `email`, `email_password`, `timezone`); a new
  email is confirmed at `/accounts/email/<token>` (GET asks, POST changes).
- `POST /accounts/settings/password` (`current_password`, `password`, `confirm`): an
  account made by a code has no password and sets its first without one, within
  15 minutes of signing in by code (settings.FRESH_SIGN_IN).
- `POST /accounts/delete` (`password`; an account without one types its address in
  `confirm_email`, within the same 15 minutes of a code sign-in).
- `/accounts/reset`, `/accounts/reset/<token>`: the emailed reset link.
- `/accounts/code` (`email`; from the browser that signed up or typed a party, the new
  code is sent for that sign-up or party), `/accounts/code/verify` (`email`, `code`),
  `/accounts/code/link/<token>` (GET asks, POST signs in; any browser).
"""

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from watchparty.accounts import codes, passwords, registration, service, sessions, throttle
from watchparty.accounts import settings as account_settings
from watchparty.accounts.forms import (
    CodeForm,
    CodeRequestForm,
    DeleteAccountForm,
    LoginForm,
    PasswordChangeForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
    SettingsForm,
)
from watchparty.errors import DomainError
from watchparty.extensions import db, limiter, login_manager
from watchparty.forms import EmptyForm, validated
from watchparty.models import PartyDraft
from watchparty.parties import drafts
from watchparty.security import is_safe_redirect, next_url
from watchparty.views import refuse, render_form, show_error

bp = Blueprint("accounts", __name__)
CODE_EMAIL = "code_email"  # session: the address the last code went to, to fill the code form
REGISTRATION = "registration"  # session: the token of this browser's sign-up waiting for its code (#22)
AFTER_SIGN_UP = "after_sign_up"  # session: the safe `next` the sign-up form was given
login_manager.user_loader(sessions.load_user)


def rate_limit(setting: str):
    """A POST-only limit whose value comes from config, so deployments can tune it."""
    return limiter.limit(lambda: current_app.config[setting], methods=["POST"])


@bp.route("/register", methods=["GET", "POST"])
@rate_limit("RATELIMIT_REGISTER")
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        email = validated(form.email.data)
        try:
            token = registration.start_registration(
                email, validated(form.display_name.data), validated(form.password.data),
                timezone=request.form.get("timezone", "UTC"),
            )
        except DomainError as error:
            return refuse("accounts/register.html", form, error)
        db.session.commit()
        # The same answer for a new address and one with an account: its owner gets the email.
        session[REGISTRATION] = token
        session[CODE_EMAIL] = email
        session[AFTER_SIGN_UP] = next_url(url_for("main.index"))  # checked now, used after the code
        flash(f"Almost there: enter the code we sent to {email} to finish.", "info")
        return redirect(url_for("accounts.verify_code"))
    return render_form("accounts/register.html", form)


@bp.route("/login", methods=["GET", "POST"])
@rate_limit("RATELIMIT_LOGIN")
def login():
    if current_user.is_authenticated:
        return redirect(next_url(url_for("main.index")))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = throttle.authenticate(validated(form.email.data), validated(form.password.data))
        except throttle.LoginPaused as error:
            return refuse("accounts/login.html", form, error)
        except DomainError as error:
            db.session.commit()  # the wrong password counts towards the pause
            return refuse("accounts/login.html", form, error)
        sessions.log_in(user, remember=form.remember.data)
        db.session.commit()
        return redirect(next_url(url_for("main.index")))
    return render_form("accounts/login.html", form)


@bp.post("/logout")
def logout():
    # A POST, so CSRFProtect has checked the token before we get here.
    sessions.log_out()
    db.session.commit()
    flash("You are logged out.", "info")
    return redirect(url_for("main.index"))


@bp.post("/logout-everywhere")
@login_required
def logout_everywhere():
    sessions.log_out_everywhere(current_user._get_current_object())
    db.session.commit()
    flash("You are logged out on every device, this one too.", "info")
    return redirect(url_for("accounts.login"))


def _settings_page(settings_form=None, password_form=None, delete_form=None, status=200):
    settings_form = settings_form or SettingsForm(obj=current_user)
    return (
        render_template(
            "accounts/settings.html",
            form=settings_form,
            password_form=password_form or PasswordChangeForm(formdata=None),
            delete_form=delete_form or DeleteAccountForm(formdata=None),
            everywhere_form=EmptyForm(formdata=None),
            has_password=passwords.has_password(current_user),
            # An account without a password: may it set one (or go) without a new code?
            fresh_sign_in=account_settings.signed_in_freshly(sessions.signed_in_at()),
            fresh_minutes=account_settings.FRESH_SIGN_IN.seconds // 60,
        ),
        status,
    )


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    form = SettingsForm(obj=current_user)
    if not form.validate_on_submit():
        return _settings_page(form, status=422 if form.errors else 200)
    try:
        pending = account_settings.update_settings(
            current_user, form.display_name.data, form.email.data, form.timezone.data, form.email_password.data or ""
        )
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        return _settings_page(form, status=error.status)
    db.session.commit()
    if pending:
        flash(f"Saved. We sent a link to {pending}: your email changes when you open it.", "success")
    else:
        flash("Settings saved.", "success")
    return redirect(url_for("accounts.settings"))


@bp.route("/email/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    """The link sent to a new address. GET asks (mail scanners follow links); POST
    changes the address, ends every other session and tells the old address."""
    form = EmptyForm()
    if request.method == "POST" and form.validate_on_submit():
        # Read before the change: it ends this browser's session too, which log_in renews.
        signed_in_as = current_user.id if current_user.is_authenticated else None
        try:
            user = account_settings.confirm_email_change(token)
        except DomainError as error:
            db.session.rollback()
            return render_template("accounts/confirm_email.html", error=error.message, form=form), error.status
        if signed_in_as == user.id:
            sessions.log_in(user)  # the old sessions ended with the change: this browser begins anew
        db.session.commit()
        flash(f"Done: your Watchparty email is now {user.email}.", "success")
        return redirect(url_for("accounts.settings") if signed_in_as == user.id else url_for("accounts.login"))
    user = account_settings.user_for_email_change_token(token)
    if user is None:
        error = "This link has expired or was already used. Change the email again in Settings."
        return render_template("accounts/confirm_email.html", error=error, form=form), 400
    return render_template("accounts/confirm_email.html", new_email=user.pending_email, form=form)


@bp.post("/settings/password")
@login_required
def change_password():
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return _settings_page(password_form=form, status=422)
    try:
        account_settings.change_password(
            current_user, form.current_password.data or "", validated(form.password.data),
            signed_in_at=sessions.signed_in_at(),
        )
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)  # beside the current or the new password
        return _settings_page(password_form=form, status=error.status)
    # The session token changed with the password, ending every session: this browser begins a new one.
    remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    sessions.log_in(current_user._get_current_object(), remember=remember)
    db.session.commit()
    flash("Password changed. Other devices have been logged out.", "success")
    return redirect(url_for("accounts.settings"))


@bp.post("/delete")
@login_required
def delete_account():
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        return _settings_page(delete_form=form, status=422)
    user = current_user._get_current_object()
    try:
        account_settings.delete_account(
            user, form.password.data or "", form.confirm_email.data or "", signed_in_at=sessions.signed_in_at(),
        )
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)  # beside the password, or the typed address
        return _settings_page(delete_form=form, status=error.status)
    sessions.log_out()  # its other sessions go with the account (ON DELETE CASCADE)
    db.session.commit()
    flash("Your account is deleted. Thanks for the film nights.", "info")
    return redirect(url_for("main.index"))


@bp.route("/reset", methods=["GET", "POST"])
@rate_limit("RATELIMIT_RESET")
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        service.request_password_reset(form.email.data)
        db.session.commit()
        # The same answer whether or not the address has an account.
        flash(
            f"If {form.email.data} has an account, a reset link is on its way. It works for one hour.",
            "info",
        )
        return redirect(url_for("accounts.login"))
    return render_form("accounts/reset_request.html", form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@rate_limit("RATELIMIT_RESET")
def reset_password(token):
    if service.user_for_reset_token(token) is None:
        return render_template("accounts/reset_invalid.html"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = service.reset_password(token, form.password.data)
        except DomainError as error:
            return refuse("accounts/reset_password.html", form, error)
        throttle.forget(user.email)  # a paused password login works again with the new password
        sessions.log_in(user)
        db.session.commit()
        flash("Your password is changed and you are logged in.", "success")
        return redirect(url_for("main.index"))
    return render_form("accounts/reset_password.html", form)


# ---------------------------------------------------------------- emailed sign-in codes (#19)

PARTY_DRAFT = "party_draft"  # session: the token of the party waiting for its host's code (parties.drafts)


def _code_page(form: CodeForm, status: int = 200) -> ResponseReturnValue:
    draft = drafts.draft_by_token(session.get(PARTY_DRAFT))
    return render_template(
        "accounts/code.html", form=form, again_form=CodeRequestForm(formdata=None, email=form.email.data),
        draft_title=drafts.title_of(draft) if draft is not None else None,
        signing_up=draft is None and bool(session.get(REGISTRATION)),
    ), status


def _signed_in(result: drafts.SignIn) -> ResponseReturnValue:
    """After a right code or link: this browser is signed in; on to the party, or back to its form."""
    sessions.log_in(result.user)
    db.session.commit()
    session.pop(CODE_EMAIL, None)
    session.pop(REGISTRATION, None)
    after_sign_up = session.pop(AFTER_SIGN_UP, None)
    if result.registered:
        flash(f"Welcome to Watchparty, {result.user.display_name}!", "success")
        if not passwords.has_password(result.user):  # finished in another browser than the one that typed it
            flash("For your safety the password typed at sign-up was not kept here: set one in Settings, "
                  "or keep signing in with emailed codes.", "info")
        return redirect(after_sign_up if is_safe_redirect(after_sign_up) else url_for("main.index"))
    if result.party is not None:
        session.pop(PARTY_DRAFT, None)
        flash("Your party is ready. Share the link below with your guests.", "success")
        return redirect(url_for("parties.dashboard", party_id=result.party.id))
    if result.draft_token is not None:
        session[PARTY_DRAFT] = result.draft_token
        flash("You're signed in. One thing to fix before the party can go out:", "info")
        return redirect(url_for("parties.new"))
    flash(f"You're signed in. Hi, {result.user.display_name}!", "success")
    return redirect(next_url(url_for("main.index")))


@bp.route("/code", methods=["GET", "POST"])
@rate_limit("RATELIMIT_CODE")
def request_code() -> ResponseReturnValue:
    """Email me a code: the same answer whether or not the address has an account."""
    form = CodeRequestForm()
    if request.method == "GET" and current_user.is_authenticated:
        form.email.data = current_user.email
    if form.validate_on_submit():
        email = validated(form.email.data)
        draft = drafts.draft_by_token(session.get(PARTY_DRAFT))
        try:
            registration.request_sign_in_code(
                email, registration_token=session.get(REGISTRATION),
                draft_id=draft.id if draft is not None and draft.email == email else None,
            )
        except DomainError as error:
            return refuse("accounts/code_request.html", form, error)
        db.session.commit()
        session[CODE_EMAIL] = email
        return redirect(url_for("accounts.verify_code"))
    return render_form("accounts/code_request.html", form)


@bp.route("/code/verify", methods=["GET", "POST"])
@rate_limit("RATELIMIT_CODE_VERIFY")
def verify_code() -> ResponseReturnValue:
    form = CodeForm()
    if request.method == "GET":
        form.email.data = session.get(CODE_EMAIL, "")
        return _code_page(form)
    if not form.validate_on_submit():
        return _code_page(form, 422)
    try:
        result = drafts.sign_in_with_code(
            validated(form.email.data), validated(form.code.data), registration_token=session.get(REGISTRATION)
        )
    except DomainError as error:
        db.session.commit()  # the wrong try counts
        show_error(form, error)
        return _code_page(form, error.status)
    return _signed_in(result)


@bp.route("/code/link/<token>", methods=["GET", "POST"])
@rate_limit("RATELIMIT_CODE_VERIFY")
def code_link(token: str) -> ResponseReturnValue:
    """The emailed one-click link. GET asks (mail scanners follow links, and must not
    spend the code); the button POSTs. Works in any browser."""
    form = EmptyForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            result = drafts.sign_in_with_link(token, registration_token=session.get(REGISTRATION))
        except DomainError:
            db.session.rollback()
            return render_template("accounts/code_link.html", row=None, form=form), 400
        return _signed_in(result)
    row = codes.peek_link(token)
    draft_title = None
    if row is not None and row.draft_id is not None:
        draft = db.session.get(PartyDraft, row.draft_id)
        draft_title = drafts.title_of(draft) if draft is not None else None
    return render_template("accounts/code_link.html", row=row, form=form, draft_title=draft_title), (
        200 if row is not None else 400
    )
