"""Common and guessable passwords are refused by the service, whichever form sets them (#18)."""

import re

import pytest
import sqlalchemy as sa

from tests.factories import DEFAULT_PASSWORD, log_in, make_user
from tests.mailbox import first_link
from watchparty.accounts import passwords, registration
from watchparty.accounts import service as accounts
from watchparty.extensions import db
from watchparty.models import User

GUESSABLE = ["password12", "qwertyuiop", "correcthorse", "1234567890", "aaaaaaaaaaaa", "iloveyou2026"]


@pytest.mark.parametrize("password", GUESSABLE)
def test_the_service_refuses_common_and_guessable_passwords(app, password):
    with pytest.raises(passwords.WeakPassword, match="one of the first a stranger would try"):
        registration.register_user("dana@example.com", "Dana", password)
    db.session.rollback()
    user = make_user()
    with pytest.raises(passwords.WeakPassword, match="one of the first a stranger would try"):
        accounts.set_password(user, password)


@pytest.mark.parametrize(
    ("email", "name", "password"),
    [
        ("dana@example.com", "Dana", "dana@example.com"),
        ("dana.winters@example.com", "Dana", "Winters are long and dark"),
        ("film.buff@example.com", "Dana Winters", "my name is DanaWinters!"),
        ("someone@example.com", "Kowalczyk", "kowalczyk loves films"),
        ("otto@example.com", "Otto Other", "Otto1987 rides again"),
    ],
)
def test_the_service_refuses_a_password_containing_the_email_or_name(app, email, name, password):
    with pytest.raises(passwords.WeakPassword, match="does not contain your email address or name"):
        registration.register_user(email, name, password)


def test_the_service_accepts_a_few_unrelated_words_and_long_passwords(app):
    registration.register_user("dana@example.com", "Dana", "lantern oyster violin")
    # A name inside a longer word is chance, not a clue: "another" holds "other".
    registration.register_user("other@example.com", "Otto Other", "another long password")
    user = make_user()
    accounts.set_password(user, "Tr0ub4dor&3 at noon " * 10)  # 200 characters: scored on its first 72
    db.session.commit()


def error_beside(response, field_id):
    """The text of the error list tied to one field (render_field's `<id>-error`)."""
    found = re.search(rf'<ul class="errors" id="{field_id}-error">(.*?)</ul>', response.text, re.S)
    return found.group(1) if found else ""


def register(client, password, **fields):
    data = {"email": "dana@example.com", "display_name": "Dana", "password": password, "confirm": password}
    return client.post("/accounts/register", data={**data, **fields})


def test_register_form_refuses_guessable_passwords_beside_the_field(client):
    for password in ["password12", "qwertyuiop", "dana@example.com"]:
        response = register(client, password, email="")
        # The rule's refusal comes with the form's other errors, all at once.
        assert response.status_code == 422
        assert "Enter your email address." in response.text
        response = register(client, password)
        assert response.status_code == 422
        assert 'value="dana@example.com"' in response.text
        assert error_beside(response, "password")
    assert "one of the first a stranger would try" in error_beside(register(client, "qwertyuiop"), "password")
    assert "does not contain your email address or name" in error_beside(register(client, "dana@example.com"), "password")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    assert register(client, "lantern oyster violin").status_code == 302


def test_settings_password_change_refuses_a_common_password_beside_the_new_password(client):
    make_user()
    log_in(client)
    response = client.post(
        "/accounts/settings/password",
        data={"current_password": DEFAULT_PASSWORD, "password": "password12", "confirm": "password12"},
    )
    assert response.status_code == 422
    assert "one of the first a stranger would try" in error_beside(response, "password")
    assert not error_beside(response, "current_password")
    response = client.post(
        "/accounts/settings/password",
        data={"current_password": DEFAULT_PASSWORD, "password": "alice in wonderland", "confirm": "alice in wonderland"},
    )
    assert response.status_code == 422
    assert "does not contain your email address or name" in error_beside(response, "password")
    client.post("/accounts/logout")
    assert log_in(client).status_code == 302  # the old password still works


def test_reset_refuses_a_common_password_and_the_link_still_works(client, outbox):
    make_user()
    client.post("/accounts/reset", data={"email": "alice@example.com"})
    link = first_link(outbox.last(), "/accounts/reset/")
    response = client.post(link, data={"password": "qwertyuiop", "confirm": "qwertyuiop"})
    assert response.status_code == 422
    assert "one of the first a stranger would try" in error_beside(response, "password")
    response = client.post(link, data={"password": "lantern oyster violin", "confirm": "lantern oyster violin"})
    assert response.status_code == 302
    client.post("/accounts/logout")
    assert log_in(client, password="lantern oyster violin").status_code == 302
