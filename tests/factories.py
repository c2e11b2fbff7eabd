"""Small factories for test data: real rows in the test database."""

from watchparty.accounts import service as accounts
from watchparty.extensions import db

DEFAULT_PASSWORD = "correct horse battery"


def make_user(email="alice@example.com", display_name="Alice", password=DEFAULT_PASSWORD, **fields):
    user = accounts.register_user(email, display_name, password, fields.pop("timezone", "Europe/London"))
    for name, value in fields.items():
        setattr(user, name, value)
    db.session.commit()
    return user


def log_in(client, email="alice@example.com", password=DEFAULT_PASSWORD, **extra):
    return client.post("/accounts/login", data={"email": email, "password": password, **extra})
