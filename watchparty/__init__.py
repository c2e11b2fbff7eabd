"""Watchparty: plan a film night with friends."""

import os
from collections.abc import Mapping
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from watchparty.config import Config

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """templates/, static/ and migrations/ sit at the repository root in a
    checkout and inside the package in a wheel: look in the package first."""
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"cannot find the {name}/ folder next to {PACKAGE_DIR}")


def create_app(config: object | Mapping | None = None) -> Flask:
    """Build the app. `config` is a Config object, or a mapping of overrides
    applied on top of the environment's settings (as in Flask's tutorial)."""
    instance_path = os.environ.get("WATCHPARTY_INSTANCE_PATH")
    if isinstance(config, Mapping):
        instance_path = config.get("INSTANCE_PATH", instance_path)
    elif config is not None:
        instance_path = getattr(config, "INSTANCE_PATH", instance_path)
    app = Flask(
        __name__,
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
        instance_path=str(Path(instance_path).resolve()) if instance_path else None,
        instance_relative_config=True,
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    if config is None or isinstance(config, Mapping):
        app.config.from_object(Config(app.instance_path))
        app.config.update(config or {})
    else:
        app.config.from_object(config)

    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        # Flask's documented way to add WSGI middleware; mypy sees wsgi_app only as a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    register_templating(app)
    return app


def register_extensions(app: Flask) -> None:
    from watchparty import (
        links,
        models,  # noqa: F401  (every model registered, for the app and for Alembic)
    )
    from watchparty.extensions import csrf, db, limiter, login_manager
    from watchparty.security import DatabaseIdConverter, set_cache_policy, set_security_headers

    app.url_map.converters["int"] = DatabaseIdConverter
    db.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Log in to see that page."
    login_manager.login_message_category = "info"
    # Off: "basic" only marks a session not-fresh (nothing reads it: accounts.settings has its own
    # freshness), and doing so wrote the cookie back on a visitor's first read, racing the draft's token.
    login_manager.session_protection = None
    app.after_request(set_security_headers)
    app.after_request(set_cache_policy)
    links.init_app(app)  # every link that leaves the site starts with PUBLIC_URL


def register_blueprints(app: Flask) -> None:
    from watchparty.accounts.routes import bp as accounts_bp
    from watchparty.films.routes import bp as films_bp
    from watchparty.main.routes import bp as main_bp
    from watchparty.notifications.routes import bp as notifications_bp
    from watchparty.parties.routes import bp as parties_bp
    from watchparty.polls.routes import bp as polls_bp
    from watchparty.reviews.routes import bp as reviews_bp
    from watchparty.rsvp.routes import bp as rsvp_bp
    from watchparty.signups.routes import bp as signups_bp
    from watchparty.talk.routes import bp as talk_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(notifications_bp)  # full paths: /parties/<id>/invitations, /p/<token>/…
    app.register_blueprint(accounts_bp, url_prefix="/accounts")
    app.register_blueprint(films_bp, url_prefix="/films")
    app.register_blueprint(reviews_bp, url_prefix="/films")
    app.register_blueprint(parties_bp, url_prefix="/parties")
    app.register_blueprint(rsvp_bp, url_prefix="/p")
    app.register_blueprint(polls_bp, url_prefix="/p")
    app.register_blueprint(signups_bp)  # full paths: /p/<token>/items…, /parties/<id>/items…
    app.register_blueprint(talk_bp)  # full paths: /parties/<id>/announcements…, /p/<token>/comments…


def register_error_handlers(app: Flask) -> None:
    from watchparty.errors import register_error_handlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from watchparty.cli import register_commands as register

    register(app)


def register_templating(app: Flask) -> None:
    from watchparty.templating import register_templating as register

    register(app)
