"""Reviews: importing articles, rendering them safely, and the spoiler guard.

The blueprint is `routes.bp`, imported by create_app: importing this package,
or its service, never imports its views (views sit above services).
"""
