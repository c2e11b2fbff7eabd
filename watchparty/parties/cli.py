import click
from flask.cli import AppGroup

parties_group = AppGroup("parties", help="Watch parties: reminders and upkeep.")


@parties_group.command("remind")
def remind_command():
    """Send reminders due in the next 24 hours and any mail still pending.

    Safe to run from cron every few minutes, even when two runs overlap: the
    database decides that each guest gets each reminder once.
    """
    from watchparty.notifications.service import remind

    queued, sent = remind()
    for party, rsvp in queued:
        click.echo(f"reminder queued: party {party.id} ({party.title}) -> {rsvp.email}")
    for message in sent:
        click.echo(f"sent: {message.subject} -> {message.recipient}")
    click.echo(f"{len(queued)} reminder(s) queued, {len(sent)} email(s) sent.")
