"""flask commands: `flask --app watchparty demo`, and each area's group."""

import click
from flask import Flask, current_app
from flask.cli import AppGroup, ScriptInfo

from watchparty.extensions import db

DEMO_HOST_EMAIL = "host@example.com"
DEMO_HOST_PASSWORD = "popcorn-and-credits"  # noqa: S105  (printed on purpose: demo data)


@click.command("demo")
@click.option(
    "--force-in-production",
    is_flag=True,
    help="Load the demo data even under WATCHPARTY_ENV=production (its host's password is public).",
)
def demo_command(force_in_production: bool):
    """Load the demo data (idempotent): a host, the film catalogue, a party."""
    if current_app.config.get("WATCHPARTY_ENV") == "production" and not force_in_production:
        # The demo host's password is printed and in the source: on a real site it is a way in.
        raise click.ClickException(
            "Refusing to load demo data under WATCHPARTY_ENV=production: it creates an account "
            f"({DEMO_HOST_EMAIL}) whose password is public. Add --force-in-production if you mean it."
        )
    from watchparty.accounts import registration
    from watchparty.accounts import service as accounts
    from watchparty.films.demo import load_demo_films
    from watchparty.parties.demo import create_demo_party
    from watchparty.reviews.demo import load_demo_reviews

    host = accounts.user_by_email(DEMO_HOST_EMAIL)
    if host is None:
        host = registration.register_user(DEMO_HOST_EMAIL, "Demo Host", DEMO_HOST_PASSWORD, "Europe/London")
        registration.mark_verified(host)  # the demo host publishes and invites without a code
        click.echo(f"Created the demo host {DEMO_HOST_EMAIL}.")
    for line in load_demo_films(host):
        click.echo(line)
    for line in load_demo_reviews(host):
        click.echo(line)
    for line in create_demo_party(host):
        click.echo(line)
    db.session.commit()
    click.echo(f"Log in at /accounts/login as {DEMO_HOST_EMAIL} with the password {DEMO_HOST_PASSWORD}")


mail_group = AppGroup("mail", help="The mail worker: sends what requests queued.")


@mail_group.command("work")
@click.option("--once", is_flag=True, help="Send everything due now, then stop (for cron or a test).")
@click.option("--poll", default=1.0, show_default=True, help="Seconds between looks at an empty queue.")
def mail_work_command(once: bool, poll: float):
    """Send queued email, batch by batch, retrying on a schedule while the mail
    server is down. Run one or many, on any machines: each message goes once."""
    from watchparty import mail_worker

    if not once:
        click.echo(f"mail worker: sending what is due, looking every {poll:g} s (Ctrl-C stops)")
    try:
        mail_worker.work(once=once, poll_seconds=poll, log=click.echo)
    except KeyboardInterrupt:
        click.echo("mail worker stopped")


@mail_group.command("status")
def mail_status_command():
    """How many messages wait, and every message given up as failed (with its error)."""
    from watchparty import mail_worker

    for status, count in mail_worker.counts_by_status():
        click.echo(f"{status}: {count}")
    for row in mail_worker.failed_messages():
        click.echo(f"failed {row.id} {row.created_at:%Y-%m-%d %H:%M} to {row.recipient}: {row.subject} — {row.last_error}")


def init_migrations(app: Flask) -> None:
    """Flask-Migrate for `app` (the migrations folder, batch mode for SQLite's ALTERs):
    what `flask db …` and flask_migrate's functions need, set up once."""
    if "migrate" in app.extensions:
        return
    from flask_migrate import Migrate

    from watchparty import resource_dir

    Migrate(app, db, directory=str(resource_dir("migrations")), render_as_batch=True)


@click.command(
    "db", add_help_option=False, context_settings={"ignore_unknown_options": True, "allow_extra_args": True}
)
@click.pass_context
def migration_commands(ctx: click.Context) -> None:
    """Database migrations: Flask-Migrate's `flask db …` (`flask db --help`)."""
    # Set up and imported only when used: Alembic, with the Mako and Pygments it
    # imports, would cost every web worker ~10 MB it never uses.
    from flask_migrate.cli import db as commands

    info = ctx.ensure_object(ScriptInfo)
    init_migrations(info.load_app())
    commands.main(args=ctx.args, prog_name=ctx.command_path, obj=info, standalone_mode=False)


def register_commands(app: Flask) -> None:
    from watchparty.films.cli import films_group
    from watchparty.parties.cli import parties_group
    from watchparty.reviews.cli import reviews_group

    app.cli.add_command(migration_commands)
    app.cli.add_command(demo_command)
    app.cli.add_command(mail_group)
    app.cli.add_command(films_group)
    app.cli.add_command(parties_group)
    app.cli.add_command(reviews_group)
