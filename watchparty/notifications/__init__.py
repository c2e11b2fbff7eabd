"""Party email: invitations, changes, cancellations, reminders, and opting out."""

from watchparty.notifications.routes import bp

__all__ = ["bp"]
