import click
from flask.cli import AppGroup

parties_group = AppGroup("parties", help="Watch parties: reminders and upkeep.")


@parties_group.command("remind")
def remind_command():
    """Queue the reminders of parties starting in the next 24 hours (the mail worker sends them).

    Safe to run from cron every few minutes, even when two runs overlap: the
    database decides that each guest gets each reminder once.
    """
    from watchparty.notifications.service import remind

    queued = remind()
    for party, rsvp in queued:
        click.echo(f"reminder queued: party {party.id} ({party.title}) -> {rsvp.email}")
    click.echo(f"{len(queued)} reminder(s) queued.")
