"""Response headers, safe redirects and the URL converter that keeps ids in range."""

import re
from typing import TypeGuard
from urllib.parse import urlsplit

from flask import current_app, request, session
from flask_login import current_user
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


# ---------------------------------------------------------------- who may keep a response

PRIVATE = "private, no-store"

# The same bytes for everyone, signed in or not: the view's own Cache-Control stands.
SAME_FOR_EVERYONE = frozenset({
    "static",
    "films.poster_file",
    "films.generated_poster",
    "main.healthz",  # no-store: a probe must reach the app
    "rsvp.qr",  # the share link as a picture: the same for whoever holds the link
    # Link-preview cards (watchparty.cards): no viewer in them; each view states its max-age.
    "rsvp.card",
    "films.card",
    "main.card",
    "main.robots",
})

# The same page for every visitor who is nobody in particular (not signed in, no
# guest cookie): a shared cache may keep it for them. For anyone it knows it is private.
SHARED_PAGES = frozenset({
    "main.index",
    "films.index",
    "films.detail",
    "reviews.detail",
})

# The remembered-guest cookies (party_page.visitors.remember): a review opened from a party follows them.
GUEST_COOKIE_PREFIX = "wp_guest_"


def _viewer_is_someone(response) -> bool:
    """The response may show who is looking: a signed-in user, a remembered guest (whose
    guest cookie is not sent outside the party's pages, but whose session is), or any
    browser holding a session, kept or made by this request (a CSRF token, a flash message)."""
    return (
        current_user.is_authenticated
        or any(name.startswith(GUEST_COOKIE_PREFIX) for name in request.cookies)
        or bool(session)
        or session.modified
        or "Set-Cookie" in response.headers
    )


def set_cache_policy(response):
    """The one rule for Cache-Control: every response is `private, no-store` (nothing
    on the way, nor the browser's back button, keeps it) unless its endpoint is
    listed above as the same for everyone — and a page only for a visitor it does
    not know. tests/test_authorisation.py checks every GET route for every role."""
    endpoint = request.endpoint
    if endpoint in SAME_FOR_EVERYONE:
        return response
    if endpoint in SHARED_PAGES and not _viewer_is_someone(response):
        # A cache must not hand this visitor's copy to someone who has a cookie.
        response.vary.add("Cookie")
        return response
    response.headers["Cache-Control"] = PRIVATE
    return response


def is_safe_redirect(target: str | None) -> TypeGuard[str]:
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
