"""flask commands: `flask --app watchparty demo`, and each area's group."""

import click
from flask import Flask

from watchparty.extensions import db

DEMO_HOST_EMAIL = "host@watchparty.test"
DEMO_HOST_PASSWORD = "popcorn-and-credits"  # noqa: S105  (printed on purpose: demo data)


@click.command("demo")
def demo_command():
    """Load the demo data (idempotent): a host account to log in with."""
    from watchparty.accounts import service as accounts

    host = accounts.user_by_email(DEMO_HOST_EMAIL)
    if host is None:
        host = accounts.register_user(DEMO_HOST_EMAIL, "Demo Host", DEMO_HOST_PASSWORD, "Europe/London")
        click.echo(f"Created the demo host {DEMO_HOST_EMAIL}.")
    db.session.commit()
    click.echo(f"Log in at /accounts/login as {DEMO_HOST_EMAIL} with the password {DEMO_HOST_PASSWORD}")


def register_commands(app: Flask) -> None:
    app.cli.add_command(demo_command)
