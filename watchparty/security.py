"""Response headers, safe redirects and the URL converter that keeps ids in range."""

import re
from urllib.parse import urlsplit

from flask import current_app, request
from werkzeug.routing import IntegerConverter

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# No inline script anywhere: every script is a file under /static.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def set_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    # Share and manage tokens live in URLs: never send the path to other sites.
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config.get("HSTS"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def is_safe_redirect(target: str | None) -> bool:
    """True for a path on this site: no scheme, no host, no `//` or `\\` tricks,
    no control characters (a line break in a Location header is a 500, and
    browsers drop tabs and newlines, which can turn `/\t/evil` into `//evil`)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if _CONTROL.search(target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and "\\" not in target


def next_url(default: str) -> str:
    target = request.args.get("next") or request.form.get("next")
    return target if is_safe_redirect(target) else default


class DatabaseIdConverter(IntegerConverter):
    """`<int:id>` that only matches ids a 32-bit integer column can hold.

    Larger numbers are a plain 404 instead of an overflow error in PostgreSQL.
    """

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)
