import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from tests.conftest import csrf_token_from
from tests.factories import DEFAULT_PASSWORD, log_in, make_quick_user, make_user
from tests.mailbox import first_link, text_body
from watchparty.extensions import db
from watchparty.models import (
    LoginSession,
    LoginThrottle,
    OutboundEmail,
    PendingRegistration,
    SignInCode,
    User,
)


def register(client, **fields):
    data = {
        "email": "bob@example.com",
        "display_name": "Bob",
        "password": "a long enough pass",
        "confirm": "a long enough pass",
    }
    data.update(fields)
    return client.post("/accounts/register", data=data)


def user_count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def code_in(message) -> str:
    match = re.search(r"^\s+(\d{6})\s*$", text_body(message), re.MULTILINE)
    assert match, "no code in the email"
    return match.group(1)


def finish(client, outbox, email="bob@example.com"):
    """Enter the code of the newest email, as the person who signed up does."""
    return client.post("/accounts/code/verify", data={"email": email, "code": code_in(outbox.last())})


def test_register_emails_a_code_and_the_code_makes_the_account_and_signs_in(client, outbox):
    response = register(client, display_name="Bobby Tables")
    assert response.status_code == 302 and response.headers["Location"] == "/accounts/code/verify"
    assert user_count() == 0  # nothing is made before the address answers
    page = client.get("/accounts/code/verify").text
    assert "enter the code we sent to bob@example.com" in page and 'value="bob@example.com"' in page
    assert "Finish signing up" in page
    message = outbox.last()
    assert message["To"] == "bob@example.com" and message["Subject"] == "Confirm your Watchparty account"
    assert "Bobby Tables" not in text_body(message)  # nothing typed reaches the inbox of whoever owns the address
    response = finish(client, outbox)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Hi, Bobby Tables!" in client.get("/").text
    user = db.session.scalar(sa.select(User))
    assert user.email == "bob@example.com" and user.email_verified_at is not None
    assert user.password_hash.startswith("scrypt:")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PendingRegistration)) == 0
    # The password typed at sign-up is the account's.
    client.post("/accounts/logout")
    assert log_in(client, email="bob@example.com", password="a long enough pass").status_code == 302


def test_the_sign_up_link_works_in_another_browser_and_keeps_the_password_only_in_the_first(client, app, outbox):
    """Whoever follows the email owns the address; whoever typed the password may be a stranger. In the
    browser that signed up the typed password is kept; anywhere else the account is made without one,
    and its owner is told how to set one."""
    register(client)
    other = app.test_client()
    link = first_link(outbox.last(), "/accounts/code/link/")
    page = other.get(link)
    assert page.status_code == 200
    assert other.post(link, data={"csrf_token": csrf_token_from(page.text)}).status_code == 302
    home = other.get("/").text
    assert user_count() == 1 and "Hi, Bob!" in home and "set one in Settings" in home
    assert db.session.scalar(sa.select(User.password_hash)) == "!"
    assert log_in(app.test_client(), email="bob@example.com", password="a long enough pass").status_code == 403
    # The same sign-up finished in the browser that typed it keeps the password.
    mine = app.test_client()
    register(mine, email="dora@example.com", display_name="Dora")
    link = first_link(outbox.last(), "/accounts/code/link/")
    page = mine.get(link)
    assert mine.post(link, data={"csrf_token": csrf_token_from(page.text)}).status_code == 302
    assert log_in(app.test_client(), email="dora@example.com", password="a long enough pass").status_code == 302


def test_a_sign_up_code_typed_in_another_browser_makes_the_account_without_the_password(app, client, outbox):
    register(client, display_name="Mallory", password="quartz tulip harbour", confirm="quartz tulip harbour")
    owner = app.test_client()
    answer = owner.post("/accounts/code/verify", data={"email": "bob@example.com", "code": code_in(outbox.last())})
    assert answer.status_code == 302 and "Hi, Mallory!" in owner.get("/").text
    assert db.session.scalar(sa.select(User.password_hash)) == "!"
    assert log_in(app.test_client(), email="bob@example.com", password="quartz tulip harbour").status_code == 403


def test_a_wrong_or_expired_sign_up_code_says_so_beside_the_field_and_a_new_code_finishes(client, outbox):
    with time_machine.travel(datetime(2026, 12, 1, 18, 0, tzinfo=UTC), tick=False) as traveller:
        register(client)
        code = code_in(outbox.last())
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        refused = client.post("/accounts/code/verify", data={"email": "bob@example.com", "code": wrong})
        assert refused.status_code == 422 and 'id="code-error"' in refused.text and "not right" in refused.text
        assert 'value="bob@example.com"' in refused.text
        traveller.shift(timedelta(minutes=16))
        late = client.post("/accounts/code/verify", data={"email": "bob@example.com", "code": code})
        assert late.status_code == 422 and "expired" in late.text and 'id="code-error"' in late.text
        assert user_count() == 0
        # "Send a new code" from this browser sends it for the same sign-up: nothing typed is lost.
        assert client.post("/accounts/code", data={"email": "bob@example.com"}).status_code == 302
        assert finish(client, outbox).status_code == 302
    user = db.session.scalar(sa.select(User))
    assert (user.display_name, user.email_verified_at is not None) == ("Bob", True)


def test_register_takes_the_browser_time_zone_or_falls_back_to_utc(client, app, outbox):
    register(client, timezone="America/New_York")
    finish(client, outbox)
    other = app.test_client()
    register(other, email="c@example.com", timezone="Mars/Olympus")
    finish(other, outbox, email="c@example.com")
    zones = dict(db.session.execute(sa.select(User.email, User.timezone)).all())
    assert zones == {"bob@example.com": "America/New_York", "c@example.com": "UTC"}


def _what_a_sign_up_wrote(address: str) -> list:
    """Every row a registration wrote, the address taken out: what the request did, not how long."""
    pending = db.session.scalars(sa.select(PendingRegistration)).all()
    code_rows = db.session.scalars(sa.select(SignInCode)).all()
    emails = db.session.scalars(sa.select(OutboundEmail)).all()
    return [
        [(row.email.replace(address, "@"), row.display_name, row.password_hash.split("$")[0], row.timezone)
         for row in pending],
        [(row.email.replace(address, "@"), row.tries, row.window_sends, row.draft_id, row.registration_id is not None)
         for row in code_rows],
        [(row.recipient.replace(address, "@"), row.kind, row.subject, row.message, row.status) for row in emails],
    ]


def _sign_up_and_look(app, address: str) -> tuple:
    """One sign-up through HTTP: the answer and the page after it, with the address taken out."""
    browser = app.test_client()
    answer = register(browser, email=address, display_name="Other Bob")
    page = browser.get(answer.headers["Location"]).text.replace(address, "@")
    page = re.sub(r'name="csrf_token" (type="hidden" )?value="[^"]+"', "", page)
    return answer.status_code, answer.headers["Location"], page


def test_registration_answers_the_same_for_a_new_and_an_existing_address(app, outbox):
    make_user(email="bob@example.com", display_name="Bob")
    users_before = user_count()
    existing = _sign_up_and_look(app, "bob@example.com")
    written_existing = _what_a_sign_up_wrote("bob@example.com")
    for model in (OutboundEmail, SignInCode, PendingRegistration):
        db.session.execute(sa.delete(model))
    db.session.commit()
    new = _sign_up_and_look(app, "newbie@example.com")
    written_new = _what_a_sign_up_wrote("newbie@example.com")
    # Same status, same redirect, same page and flash; the same rows written (and the same hash computed).
    assert existing == new
    assert existing[0] == 302 and "enter the code we sent to @ to finish" in existing[2]
    assert written_existing == written_new
    assert written_new[0][0][:2] == ("@", "Other Bob") and written_new[0][0][2].startswith("scrypt")
    assert user_count() == users_before  # no account made or changed yet


def test_the_owner_of_an_existing_address_is_told_and_their_account_is_untouched(app, client, outbox):
    owner = make_user(email="bob@example.com", display_name="Bob")
    before = (owner.password_hash, owner.display_name, owner.session_token)
    register(client, email="bob@example.com", display_name="Mallory", password="quartz tulip harbour",
             confirm="quartz tulip harbour")
    message = outbox.last()
    assert message["To"] == "bob@example.com"
    assert message["Subject"] == "Someone tried to sign up with your address"
    body = text_body(message)
    assert "Hi Bob" in body and "Mallory" not in body
    public = app.config["PUBLIC_URL"]
    assert f"{public}/accounts/reset" in body and f"{public}/accounts/code/link/" in body
    # Whoever typed it cannot finish: the code went to the owner. The owner's code signs the owner in,
    # with the account as it was (the password typed at the sign-up is thrown away).
    assert finish(client, outbox).status_code == 302
    db.session.expire_all()
    owner = db.session.scalar(sa.select(User))
    assert (owner.password_hash, owner.display_name, owner.session_token) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PendingRegistration)) == 0
    assert log_in(app.test_client(), email="bob@example.com", password="quartz tulip harbour").status_code == 403


def test_a_strangers_sign_up_never_becomes_the_password_of_an_account_made_by_another_code(app, client, outbox):
    """A stranger signs up with Bob's address (their own password); Bob later asks for a code of his own
    in another browser: that code is not the sign-up's, so it finishes nothing."""
    register(client, display_name="Mallory", password="quartz tulip harbour", confirm="quartz tulip harbour")
    assert len(outbox) == 1
    bob = app.test_client()
    bob.post("/accounts/code", data={"email": "bob@example.com"})  # no account, and not his sign-up: no email
    assert len(outbox) == 1
    row = db.session.scalar(sa.select(SignInCode))
    from watchparty.accounts import codes

    refused = bob.post("/accounts/code/verify", data={"email": "bob@example.com", "code": codes.code_of(row)})
    assert refused.status_code == 422 and user_count() == 0


def test_the_database_refuses_a_second_spelling_of_the_same_email(app):
    make_user(email="bob@example.com")
    from watchparty.accounts.registration import register_user
    from watchparty.accounts.service import EmailTaken

    try:
        register_user("Bob@EXAMPLE.com", "Bob again", "another password")
    except EmailTaken:
        db.session.rollback()
    else:
        raise AssertionError("a duplicate email was accepted")
    assert user_count() == 1


def test_register_refuses_bad_input_and_keeps_the_form_filled(client):
    cases = [
        ({"email": ""}, "Enter your email address."),
        ({"email": "not-an-email"}, "Enter a valid email address"),
        ({"display_name": ""}, "Enter the name your friends know you by."),
        ({"display_name": "x" * 10_000}, "Field cannot be longer than 80 characters."),
        ({"email": "a" * 10_000 + "@example.com"}, "Field cannot be longer than 254 characters."),
        ({"password": "short", "confirm": "short"}, "Use between 10 and 200 characters."),
        ({"confirm": "something else entirely"}, "The two passwords differ."),
        ({"display_name": "Bob\x00"}, "Remove control characters"),
        ({"display_name": "Bob\x1b[31m"}, "Remove control characters"),
        ({"password": "bob@example.com", "confirm": "bob@example.com"}, "does not contain your email address"),
    ]
    for fields, message in cases:
        response = register(client, **fields)
        assert response.status_code == 422, fields
        assert message in response.text, fields
        assert 'value="bob@example.com"' in response.text or "email" in fields
    assert user_count() == 0


def test_login_logout_and_remember_me(client):
    make_user()
    response = log_in(client, remember="y")
    assert response.status_code == 302
    assert "remember_token" in response.headers.get("Set-Cookie", "")
    assert "Hi, Alice!" in client.get("/").text

    response = client.post("/accounts/logout")
    assert response.status_code == 302
    assert "Hi, Alice!" not in client.get("/").text


def test_remember_me_cookie_logs_in_a_new_session(client):
    make_user()
    log_in(client, remember="y")
    remember = client.get_cookie("remember_token")
    assert remember is not None
    fresh = client.application.test_client()
    fresh.set_cookie("remember_token", remember.value)
    assert "Hi, Alice!" in fresh.get("/").text


def test_login_without_remember_sets_no_remember_cookie(client):
    make_user()
    response = log_in(client)
    assert "remember_token" not in response.headers.get("Set-Cookie", "")


def test_logout_is_post_only(client):
    make_user()
    log_in(client)
    assert client.get("/accounts/logout").status_code == 405
    assert "Hi, Alice!" in client.get("/").text


def test_login_does_not_reveal_whether_an_account_exists(client):
    make_user()
    wrong_password = log_in(client, password="not the password")
    unknown = log_in(client, email="nobody@example.com", password="whatever it is")
    assert wrong_password.status_code == unknown.status_code == 403
    message = "That email and password do not match an account."
    assert message in wrong_password.text and message in unknown.text


def test_login_redirects_to_a_safe_next_only(client):
    make_user()
    response = log_in(client, next="/accounts/settings")
    assert response.headers["Location"] == "/accounts/settings"
    client.post("/accounts/logout")
    for hostile in ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]:
        response = log_in(client, next=hostile)
        assert response.headers["Location"] == "/", hostile
        client.post("/accounts/logout")


def test_login_page_keeps_next_from_the_query_string(client):
    make_user()
    page = client.get("/accounts/settings", follow_redirects=True)
    assert 'name="next" type="hidden" value="/accounts/settings"' in page.text


def test_settings_change_name_and_time_zone_at_once(client):
    make_user()
    log_in(client)
    response = client.post(
        "/accounts/settings",
        data={"display_name": "Alice B.", "email": "alice@example.com", "timezone": "Asia/Tokyo"},
    )
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User))
    assert (user.display_name, user.email, user.timezone) == ("Alice B.", "alice@example.com", "Asia/Tokyo")


def test_a_new_email_needs_the_password_and_the_new_address_and_the_old_one_is_told(app, client, outbox):
    make_user()
    log_in(client)
    phone = app.test_client()
    log_in(phone)
    change = {"display_name": "Alice", "email": "ALICE.B@example.com", "timezone": "UTC"}
    refused = client.post("/accounts/settings", data=change)
    assert refused.status_code == 403, "a borrowed, signed-in phone is not enough"
    assert "Enter your current password to change the email address." in refused.text
    assert 'value="ALICE.B@example.com"' in refused.text or 'value="alice.b@example.com"' in refused.text
    assert len(outbox) == 0

    assert client.post("/accounts/settings", data={**change, "email_password": DEFAULT_PASSWORD}).status_code == 302
    db.session.expire_all()
    user = db.session.scalar(sa.select(User))
    assert (user.email, user.pending_email) == ("alice@example.com", "alice.b@example.com"), "not until confirmed"
    assert "Waiting for you to open the link we sent to alice.b@example.com" in client.get("/accounts/settings").text
    (confirmation,) = outbox.messages()
    assert confirmation["To"] == "alice.b@example.com"
    link = first_link(confirmation, "/accounts/email/")
    assert "Use <strong>alice.b@example.com</strong>" in client.get(link).text, "GET only asks"
    db.session.expire_all()
    assert db.session.scalar(sa.select(User.email)) == "alice@example.com"

    done = client.post(link, data={"csrf_token": csrf_token_from(client.get(link).text)})
    assert done.status_code == 302
    db.session.expire_all()
    user = db.session.scalar(sa.select(User))
    assert (user.email, user.pending_email) == ("alice.b@example.com", None)
    notice = outbox.last()
    assert notice["To"] == "alice@example.com" and "changed" in notice["Subject"]
    assert "alice.b@example.com" in notice.get_body(("plain",)).get_content()
    assert phone.get("/accounts/settings").status_code == 302, "every other session ended"
    assert client.get("/accounts/settings").status_code == 200, "this browser stays signed in"
    again = client.post(link, data={"csrf_token": csrf_token_from(client.get("/accounts/settings").text)})
    assert again.status_code == 400 and "expired or was already used" in again.text


def test_settings_refuse_unknown_time_zone_and_taken_email(client):
    make_user()
    make_user(email="carol@example.com", display_name="Carol")
    log_in(client)
    response = client.post(
        "/accounts/settings", data={"display_name": "Alice", "email": "alice@example.com", "timezone": "Nowhere/Land"}
    )
    assert response.status_code == 422
    assert "Not a valid choice" in response.text
    response = client.post(
        "/accounts/settings",
        data={"display_name": "Alice", "email": "carol@example.com", "timezone": "UTC", "email_password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 409
    assert "already exists" in response.text
    db.session.expire_all()
    user = db.session.scalar(sa.select(User).where(User.display_name == "Alice"))
    assert (user.email, user.timezone, user.pending_email) == ("alice@example.com", "Europe/London", None)


def test_settings_need_login(client):
    response = client.get("/accounts/settings")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/accounts/login?next=")


def test_password_change_needs_the_current_password(client):
    make_user()
    log_in(client)
    response = client.post(
        "/accounts/settings/password",
        data={
            "current_password": "wrong wrong wrong",
            "password": "brand new password",
            "confirm": "brand new password",
        },
    )
    assert response.status_code == 403
    assert "That is not your current password." in response.text
    response = client.post(
        "/accounts/settings/password",
        data={"current_password": DEFAULT_PASSWORD, "password": "brand new password", "confirm": "brand new password"},
    )
    assert response.status_code == 302
    # This browser stays logged in; the new password works.
    assert "Hi, Alice!" in client.get("/").text
    client.post("/accounts/logout")
    assert log_in(client, password="brand new password").status_code == 302


def test_password_change_logs_out_other_sessions(app):
    make_user()
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop)
    log_in(phone)
    laptop.post(
        "/accounts/settings/password",
        data={"current_password": DEFAULT_PASSWORD, "password": "brand new password", "confirm": "brand new password"},
    )
    assert "Hi, Alice!" in laptop.get("/").text
    assert "Hi, Alice!" not in phone.get("/").text


def test_reset_flow_end_to_end_through_the_outbox(client, outbox):
    make_user()
    response = client.post("/accounts/reset", data={"email": "ALICE@example.com"})
    assert response.status_code == 302
    message = outbox.last()
    assert message["To"] == "alice@example.com"
    assert "Reset your Watchparty password" in message["Subject"]
    assert message.get_body(("html",)) is not None
    link = first_link(message, "/accounts/reset/")

    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": "a fresh password!", "confirm": "a fresh password!"})
    assert response.status_code == 302
    assert "Hi, Alice!" in client.get("/").text

    # Used once: the same link no longer works.
    client.post("/accounts/logout")
    reused = client.post(link, data={"password": "yet another one!", "confirm": "yet another one!"})
    assert reused.status_code == 400
    assert "no longer works" in reused.text
    assert log_in(client, password="a fresh password!").status_code == 302


def test_reset_link_expires_after_an_hour(client, outbox):
    make_user()
    with time_machine.travel("2026-11-21 10:00:00+00:00", tick=False):
        client.post("/accounts/reset", data={"email": "alice@example.com"})
        link = first_link(outbox.last(), "/accounts/reset/")  # the worker sends it at once
    with time_machine.travel("2026-11-21 10:59:00+00:00", tick=False):
        assert client.get(link).status_code == 200
    with time_machine.travel("2026-11-21 11:01:00+00:00", tick=False):
        assert client.get(link).status_code == 400
        response = client.post(link, data={"password": "a fresh password!", "confirm": "a fresh password!"})
        assert response.status_code == 400
    assert log_in(client).status_code == 302


def test_password_change_invalidates_reset_tokens(client, outbox):
    make_user()
    client.post("/accounts/reset", data={"email": "alice@example.com"})
    link = first_link(outbox.last(), "/accounts/reset/")
    log_in(client)
    client.post(
        "/accounts/settings/password",
        data={"current_password": DEFAULT_PASSWORD, "password": "changed it myself", "confirm": "changed it myself"},
    )
    client.post("/accounts/logout")
    assert client.get(link).status_code == 400


def test_reset_for_unknown_address_answers_the_same_and_sends_nothing(client, outbox):
    make_user()
    unknown = client.post("/accounts/reset", data={"email": "nobody@example.com"}, follow_redirects=True)
    known = client.post("/accounts/reset", data={"email": "alice@example.com"}, follow_redirects=True)
    assert unknown.status_code == known.status_code == 200
    assert "If nobody@example.com has an account" in unknown.text
    assert "If alice@example.com has an account" in known.text
    assert len(outbox) == 1


def test_a_reset_request_does_the_same_work_for_a_known_and_an_unknown_address(app, count_queries):
    """Timing follows work: the request runs the same statements and writes the same outbox row
    (no secret, rendered later by the worker) whether or not the address has an account."""
    make_user()

    def ask(address):
        browser = app.test_client()
        browser.get("/accounts/reset")
        with count_queries() as statements:
            answer = browser.post("/accounts/reset", data={"email": address})
        row = db.session.scalars(sa.select(OutboundEmail).order_by(OutboundEmail.id.desc())).first()
        return answer.status_code, answer.headers["Location"], statements, (
            row.kind, row.subject, row.message, row.status, row.recipient == address
        )

    assert ask("alice@example.com") == ask("nobody@example.com")


def test_malformed_reset_tokens_are_refused(client):
    for token in ["x", "a" * 500, "eyJhIjoxfQ.abc.def", "%00", "..%2F..%2Fetc"]:
        response = client.get(f"/accounts/reset/{token}")
        assert response.status_code in (400, 404), token


def test_account_deletion_needs_the_password(client):
    make_user()
    log_in(client)
    response = client.post("/accounts/delete", data={"password": "not my password"})
    assert response.status_code == 403
    assert user_count() == 1
    response = client.post("/accounts/delete", data={"password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert user_count() == 0
    assert "Hi, Alice!" not in client.get("/").text
    assert log_in(client).status_code == 403


def test_demo_command_is_idempotent(runner):
    first = runner.invoke(args=["demo"])
    second = runner.invoke(args=["demo"])
    assert first.exit_code == second.exit_code == 0, first.output
    assert "host@example.com" in first.output
    assert user_count() == 1


def test_the_password_rule_is_the_services_whatever_the_caller(app):
    from watchparty.accounts import passwords, registration
    from watchparty.accounts import service as accounts

    with pytest.raises(passwords.WeakPassword, match="between 10 and 200"):
        registration.register_user("short@example.com", "Short", "9 chars!!")
    db.session.rollback()
    user = make_user()
    with pytest.raises(passwords.WeakPassword):
        accounts.set_password(user, "x" * 201)
    db.session.rollback()
    accounts.set_password(user, "ten chars!")
    db.session.commit()


# ---------------------------------------------------------------- sessions kept on the server


def copy_of(app, browser, *names):
    """Another browser holding copies of `browser`'s cookies (a stolen or synced cookie jar)."""
    thief = app.test_client()
    for name in names:
        cookie = browser.get_cookie(name)
        assert cookie is not None, name
        thief.set_cookie(name, cookie.value)
    return thief


def signed_in(browser) -> bool:
    return browser.get("/accounts/settings").status_code == 200


def test_a_copied_session_cookie_stops_working_after_logout(app):
    make_user()
    laptop = app.test_client()
    log_in(laptop, remember="y")
    copied = copy_of(app, laptop, "session")
    copied_remember = copy_of(app, laptop, "remember_token")
    assert signed_in(copied) and signed_in(copied_remember)
    assert laptop.post("/accounts/logout").status_code == 302
    assert not signed_in(laptop)
    assert not signed_in(copied)
    assert not signed_in(copied_remember)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession)) == 0


def test_logging_out_ends_only_that_session(app):
    make_user()
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop)
    log_in(phone)
    laptop.post("/accounts/logout")
    assert not signed_in(laptop) and signed_in(phone)


def test_log_out_everywhere_ends_every_session_of_the_account_only(app):
    make_user()
    make_user("bob@example.com", "Bob")
    laptop, phone, bob = app.test_client(), app.test_client(), app.test_client()
    log_in(laptop)
    log_in(phone, remember="y")
    remembered_phone = copy_of(app, phone, "remember_token")
    log_in(bob, email="bob@example.com")
    assert "Log out everywhere" in laptop.get("/accounts/settings").text
    response = laptop.post("/accounts/logout-everywhere")
    assert response.status_code == 302 and response.headers["Location"] == "/accounts/login"
    assert not signed_in(laptop) and not signed_in(phone) and not signed_in(remembered_phone)
    assert signed_in(bob)
    assert laptop.post("/accounts/logout-everywhere").status_code == 302  # a visitor: sent to log in
    assert log_in(laptop).status_code == 302 and signed_in(laptop)


def test_log_out_everywhere_needs_the_csrf_token(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        make_user()
    browser = app.test_client()
    token = csrf_token_from(browser.get("/accounts/login").text)
    browser.post("/accounts/login", data={"email": "alice@example.com", "password": DEFAULT_PASSWORD,
                                          "csrf_token": token})
    assert browser.post("/accounts/logout-everywhere").status_code == 400
    assert signed_in(browser)
    settings = browser.get("/accounts/settings").text
    form = re.search(r'action="/accounts/logout-everywhere">\s*<input[^>]*value="([^"]+)"', settings)
    assert browser.post("/accounts/logout-everywhere", data={"csrf_token": form.group(1)}).status_code == 302
    assert not signed_in(browser)


def test_a_password_change_ends_other_sessions_and_keeps_this_one(app):
    make_user()
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, remember="y")
    log_in(phone, remember="y")
    old_laptop = copy_of(app, laptop, "session")
    remembered_phone = copy_of(app, phone, "remember_token")
    response = laptop.post(
        "/accounts/settings/password",
        data={"current_password": DEFAULT_PASSWORD, "password": "brand new password", "confirm": "brand new password"},
    )
    assert response.status_code == 302
    assert signed_in(laptop)
    assert not signed_in(phone) and not signed_in(remembered_phone)
    assert not signed_in(old_laptop)  # this browser's old session cookie went with the old password
    # The laptop's new remember-me cookie works on its own.
    assert signed_in(copy_of(app, laptop, "remember_token"))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession)) == 1


def test_a_password_reset_ends_every_session(client, app):
    from watchparty.accounts.service import make_reset_token

    user = make_user()
    phone = app.test_client()
    log_in(phone, remember="y")
    link = f"/accounts/reset/{make_reset_token(user)}"  # as emailed
    client.post(link, data={"password": "brand new password", "confirm": "brand new password"})
    assert signed_in(client)
    assert not signed_in(phone) and not signed_in(copy_of(app, phone, "remember_token"))


def test_remember_me_lasts_30_days_and_no_longer(app):
    from datetime import UTC, datetime, timedelta

    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)
    make_user()
    with time_machine.travel(datetime(2026, 1, 1, 12, tzinfo=UTC), tick=False) as traveller:
        laptop = app.test_client()
        response = log_in(laptop, remember="y")
        remember = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
        assert "Expires=Sat, 31 Jan 2026 12:00:00 GMT" in remember
        remembered = copy_of(app, laptop, "remember_token")
        traveller.move_to(datetime(2026, 1, 31, 11, 59, tzinfo=UTC))
        assert signed_in(remembered)
        # A cookie kept past its date (or a session cookie never closed) signs nobody in.
        traveller.move_to(datetime(2026, 1, 31, 12, 1, tzinfo=UTC))
        assert not signed_in(copy_of(app, laptop, "remember_token"))
        assert not signed_in(laptop)


# ---------------------------------------------------------------- password guessing against one account

PAUSED = "Too many wrong passwords for this address: password login is paused for 15 minutes."


def password_errors(response) -> str:
    found = re.search(r'<ul class="errors" id="password-error">(.*?)</ul>', response.text, re.S)
    return found.group(1) if found else ""


def wrong_logins(client, count, email="alice@example.com"):
    return [log_in(client, email=email, password=f"wrong guess {n}").status_code for n in range(count)]


def test_ten_wrong_passwords_pause_password_login_for_15_minutes(app):
    from datetime import UTC, datetime, timedelta

    make_quick_user("alice@example.com", "Alice")
    start = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        client = app.test_client()
        assert wrong_logins(client, 10) == [403] * 10
        # Even the right password is refused now, with the reason beside the field.
        response = log_in(client)
        assert response.status_code == 429
        assert PAUSED in password_errors(response)
        assert "Hi, Alice!" not in client.get("/").text
        # From another browser (any address) too.
        assert log_in(app.test_client()).status_code == 429
        traveller.move_to(start + timedelta(minutes=14, seconds=59))
        assert log_in(client).status_code == 429
        traveller.move_to(start + timedelta(minutes=15))
        assert log_in(client).status_code == 302
        assert "Hi, Alice!" in client.get("/").text


def test_a_password_pause_never_locks_the_owner_out_of_code_sign_in(app, outbox):
    """Anyone can pause an address's password login with ten wrong passwords (#22): the owner still
    signs in with an emailed code, and with its link, at once, and the pause stays for the guesser."""
    make_quick_user("alice@example.com", "Alice")
    start = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        attacker = app.test_client()
        assert wrong_logins(attacker, 10) == [403] * 10
        assert log_in(attacker).status_code == 429
        owner = app.test_client()
        assert owner.post("/accounts/code", data={"email": "alice@example.com"}).status_code == 302
        answer = owner.post("/accounts/code/verify", data={"email": "alice@example.com", "code": code_in(outbox.last())})
        assert answer.status_code == 302
        assert "Hi, Alice!" in owner.get("/").text
        # The link too, from another device of the owner's.
        owner.post("/accounts/code", data={"email": "alice@example.com"})
        phone = app.test_client()
        link = first_link(outbox.last(), "/accounts/code/link/")
        page = phone.get(link)
        assert phone.post(link, data={"csrf_token": csrf_token_from(page.text)}).status_code == 302
        assert "Hi, Alice!" in phone.get("/").text
        assert log_in(app.test_client()).status_code == 429  # password login stays paused


def test_the_count_is_per_15_minutes_and_a_right_password_clears_it(app):
    from datetime import UTC, datetime, timedelta

    make_quick_user("alice@example.com", "Alice")
    make_quick_user("bob@example.com", "Bob")
    start = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        client = app.test_client()
        assert wrong_logins(client, 9) == [403] * 9
        traveller.move_to(start + timedelta(minutes=15, seconds=1))  # a new window
        assert wrong_logins(client, 9) == [403] * 9
        assert log_in(client).status_code == 302  # the 10th try, and right: the count starts again
        client.post("/accounts/logout")
        assert wrong_logins(client, 9) == [403] * 9
        assert log_in(client).status_code == 302
        client.post("/accounts/logout")
        # Another account is never held back by Alice's count.
        assert wrong_logins(client, 10) == [403] * 10
        assert log_in(client, email="bob@example.com").status_code == 302


def test_a_paused_account_can_still_reset_its_password_and_log_in(app):
    from watchparty.accounts.service import make_reset_token

    user = make_quick_user("alice@example.com", "Alice")
    client = app.test_client()
    wrong_logins(client, 10)
    assert log_in(client).status_code == 429
    response = client.post(f"/accounts/reset/{make_reset_token(user)}",
                           data={"password": "brand new password", "confirm": "brand new password"})
    assert response.status_code == 302 and "Hi, Alice!" in client.get("/").text
    client.post("/accounts/logout")
    # The reset cleared the pause: the new password works at once.
    assert log_in(client, password="brand new password").status_code == 302


def test_an_address_without_an_account_is_answered_the_same(app):
    make_quick_user("alice@example.com", "Alice")
    client = app.test_client()
    known, unknown = wrong_logins(client, 11), wrong_logins(client, 11, email="nobody@example.com")
    assert known == unknown == [403] * 10 + [429]
    paused = log_in(client, email="nobody@example.com", password="anything at all")
    assert PAUSED in password_errors(paused)
    # No stranger's address is kept in clear.
    keys = db.session.scalars(sa.select(LoginThrottle.email_key)).all()
    assert len(keys) == 2 and not any("@" in key for key in keys)


def test_simultaneous_guesses_are_counted_by_the_database(app_factory):
    """20 wrong passwords at once, each from its own browser: at most 10 are ever checked."""
    import threading

    app = app_factory()
    with app.app_context():
        make_quick_user("alice@example.com", "Alice")
        db.session.remove()
    barrier = threading.Barrier(20)
    statuses, errors = [None] * 20, []

    def guess(i):
        try:
            client = app.test_client()
            barrier.wait(timeout=30)
            statuses[i] = log_in(client, password=f"wrong guess {i}").status_code
        except Exception as error:  # a thread's failure must fail the test
            errors.append(error)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sorted(statuses) == [403] * 10 + [429] * 10
    assert log_in(app.test_client()).status_code == 429
    with app.app_context():
        assert db.session.scalar(sa.select(LoginThrottle.failures)) == 10


# ---------------------------------------------------------------- accounts made by a code have no password (#22)


def code_made_account(app, outbox, when):
    """Cleo's account as a code makes it (no password), and a browser she signed in with a code at `when`."""
    from watchparty.accounts import registration

    registration.create_verified_user("cleo@example.com", "Cleo")
    db.session.commit()
    browser = app.test_client()
    with time_machine.travel(when, tick=False):
        browser.post("/accounts/code", data={"email": "cleo@example.com"})
        answer = browser.post("/accounts/code/verify", data={"email": "cleo@example.com", "code": code_in(outbox.last())})
    assert answer.status_code == 302
    return browser


def cleo():
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == "cleo@example.com"))


def test_an_account_made_by_a_code_sets_its_first_password_without_a_current_one(app, outbox):
    start = datetime.now(UTC)
    browser = code_made_account(app, outbox, start)
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        page = browser.get("/accounts/settings").text
        assert "Set a password" in page and 'name="current_password"' not in page
        assert 'name="confirm_email"' in page and 'name="delete-password"' not in page
        answer = browser.post("/accounts/settings/password", data={"password": "lantern oyster violin",
                                                                    "confirm": "lantern oyster violin"})
        assert answer.status_code == 302
        assert "Hi, Cleo!" in browser.get("/").text  # this browser stays signed in
        assert log_in(app.test_client(), email="cleo@example.com",
                      password="lantern oyster violin").status_code == 302
        # From now on the account has a password, and changing it needs it.
        page = browser.get("/accounts/settings").text
        assert "Change password" in page and 'name="current_password"' in page
        refused = browser.post("/accounts/settings/password", data={"password": "another fine phrase",
                                                                     "confirm": "another fine phrase"})
        assert refused.status_code == 403 and "Enter your current password." in refused.text


def test_a_stale_code_session_must_sign_in_again_to_set_a_password_or_delete(app, outbox):
    start = datetime.now(UTC)
    browser = code_made_account(app, outbox, start)
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        page = browser.get("/accounts/settings").text
        assert "sign in with a new emailed code" in page and "Email me a code" in page
        refused = browser.post("/accounts/settings/password", data={"password": "lantern oyster violin",
                                                                     "confirm": "lantern oyster violin"})
        assert refused.status_code == 403 and "For your safety, sign in with a new emailed code" in refused.text
        refused = browser.post("/accounts/delete", data={"confirm_email": "cleo@example.com"})
        assert refused.status_code == 403 and "For your safety" in refused.text
        assert cleo() is not None and cleo().password_hash == "!"
        # A new code, and the account may set a password (and go) again.
        browser.post("/accounts/code", data={"email": "cleo@example.com"})
        browser.post("/accounts/code/verify", data={"email": "cleo@example.com", "code": code_in(outbox.last())})
        answer = browser.post("/accounts/settings/password", data={"password": "lantern oyster violin",
                                                                    "confirm": "lantern oyster violin"})
        assert answer.status_code == 302 and cleo().password_hash.startswith("scrypt:")


def test_an_account_made_by_a_code_deletes_itself_by_typing_its_address(app, outbox):
    start = datetime.now(UTC)
    browser = code_made_account(app, outbox, start)
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        refused = browser.post("/accounts/delete", data={"confirm_email": "someone@example.com"})
        assert refused.status_code == 403
        assert re.search(r'id="delete-email-error">\s*<li>Type your email address exactly', refused.text)
        assert browser.post("/accounts/delete", data={"password": "!"}).status_code == 403
        assert cleo() is not None
        answer = browser.post("/accounts/delete", data={"confirm_email": " Cleo@Example.com "})
        assert answer.status_code == 302
    assert cleo() is None


def test_an_account_without_a_password_is_told_to_set_one_before_changing_its_email(app, outbox):
    browser = code_made_account(app, outbox, datetime.now(UTC))
    answer = browser.post("/accounts/settings", data={"display_name": "Cleo", "email": "new@example.com",
                                                      "timezone": "UTC", "email_password": ""})
    assert answer.status_code == 403 and "Set a password first" in answer.text
    assert cleo().pending_email is None
