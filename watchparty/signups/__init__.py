"""The snack and drink sign-up: items the night needs, and who brings them.

The blueprint is `routes.bp`, imported by create_app: importing this package,
or its service, never imports its views (views sit above services).
"""
