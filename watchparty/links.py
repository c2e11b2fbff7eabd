"""Links that leave the site: email, calendar files, QR codes, link previews.

Every one is built from the configured public address (`PUBLIC_URL`), never
from the request: a request's Host header is whatever its sender typed, and a
reset link to `http://evil.example/…` hands the account to whoever owns that
host. Built on the app's URL map alone, so the mail worker and the CLI build
the same links as a request does, with no request in sight.
"""

from urllib.parse import urlsplit

from flask import Flask, current_app
from werkzeug.routing import MapAdapter


class PublicLinks:
    """Absolute URLs on the public address, for any endpoint of the app."""

    def __init__(self, app: Flask, public_url: str):
        parts = urlsplit(public_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise RuntimeError(f"PUBLIC_URL must be an http(s) address like https://watchparty.example, not {public_url!r}")
        self.base = public_url.rstrip("/")
        self.host = parts.hostname or ""
        self._adapter: MapAdapter = app.url_map.bind(
            parts.netloc, script_name=parts.path.rstrip("/") or "/", url_scheme=parts.scheme
        )

    def url(self, endpoint: str, **values) -> str:
        return self._adapter.build(endpoint, values, force_external=True)


def init_app(app: Flask) -> None:
    app.extensions["public_links"] = PublicLinks(app, app.config["PUBLIC_URL"])
    app.jinja_env.globals["public_url"] = public_url


def public_url(endpoint: str, **values) -> str:
    """The absolute public URL of an endpoint (see PublicLinks)."""
    links: PublicLinks = current_app.extensions["public_links"]
    return links.url(endpoint, **values)
