"""Accounts: registration, sign-in, settings, password reset, deletion.

Routes (each described in routes.py's docstring): /accounts/register, /accounts/login,
POST /accounts/logout, POST /accounts/logout-everywhere, /accounts/settings,
POST /accounts/settings/password, /accounts/email/<token>, /accounts/reset[/<token>],
POST /accounts/delete, and sign-in by emailed code (codes.py): /accounts/code
(field `email`), /accounts/code/verify (fields `email`, `code`) and the one-click
link /accounts/code/link/<token> (GET asks, POST signs in; any browser).

The blueprint is `routes.bp`, imported by create_app: importing this package,
or its service, never imports its views (views sit above services).
"""
