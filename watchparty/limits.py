"""Rate limits whose values come from config (so deployments can tune them), counted
per client address and, for work that needs an account, per account as well:
one account cannot dodge the limit from many addresses, nor many accounts share one."""

from collections.abc import Callable

from flask import current_app
from flask_limiter.util import get_remote_address
from flask_login import current_user

from watchparty.extensions import limiter


def _account_key() -> str:
    if current_user.is_authenticated:
        return f"account:{current_user.id}"
    return get_remote_address()


def per_client_and_account(setting: str, exempt_when: Callable[[], bool] | None = None):
    """POSTs limited by config[setting], once per client address and once per account.

    Put it below @login_required, so a visitor is sent to log in before being counted."""
    value = lambda: current_app.config[setting]  # noqa: E731
    by_client = limiter.limit(value, methods=["POST"], exempt_when=exempt_when)
    by_account = limiter.limit(value, methods=["POST"], exempt_when=exempt_when, key_func=_account_key,
                               scope="account")

    def decorate(view):
        return by_client(by_account(view))

    return decorate
