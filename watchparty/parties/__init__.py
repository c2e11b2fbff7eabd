"""Hosting: the party form, the dashboard, editing, cancelling, the guest export.

The blueprint is `routes.bp`, imported by create_app: importing this package,
or its service, never imports its views (views sit above services).
"""
