"""Replies through the share link: the party page, the manage link, the calendar file.

The blueprint is `routes.bp`, imported by create_app: importing this package,
or its service, never imports its views (views sit above services).
"""
