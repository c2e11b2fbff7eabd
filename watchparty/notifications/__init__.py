"""Party email: invitations, changes, cancellations, reminders, and opting out.

The blueprint is `routes.bp`, imported by create_app: importing this package,
or its service, never imports its views (views sit above services).
"""
