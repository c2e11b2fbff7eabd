"""Production settings as a visitor meets them through gunicorn: headers, cookies, error pages."""

import re
import socket

import pytest

from tests.factories import DEFAULT_PASSWORD, make_film, make_party, make_user
from tests.system.conftest import check_logs
from tests.system.failing_app import FAILING_PATH, SECRET_DETAIL
from tests.system.harness import Browser, start_servers, stop_servers

pytestmark = pytest.mark.system

# Names that would tell a visitor what runs the site (and so which known bugs to try).
BANNER = re.compile(r"gunicorn|werkzeug|flask|python|\d+\.\d+\.\d+", re.IGNORECASE)


def csp_directives(header: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


def assert_production_headers(page) -> None:
    csp = csp_directives(page.headers["Content-Security-Policy"])
    assert "'self'" in csp["script-src"]
    assert not {"'unsafe-inline'", "'unsafe-eval'"} & set(csp["script-src"]), csp["script-src"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "Server" not in page.headers and "X-Powered-By" not in page.headers
    for name, value in page.headers.items():
        if name not in ("Set-Cookie", "Date", "Content-Length", "Location", "ETag", "Last-Modified"):
            assert not BANNER.search(f"{name}: {value}"), (name, value)


def assert_cookie_is_secure(set_cookie: str) -> None:
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in set_cookie.split(";")[1:]}
    assert "secure" in attributes and "httponly" in attributes, set_cookie
    assert attributes.get("samesite", "").lower() == "samesite=lax", set_cookie


def test_every_page_has_strict_csp_hsts_and_no_version_banner(servers, system_database):
    with system_database.app_context():
        party = make_party(make_user(email="headers-host@example.com"), make_film(title="Headers"))
        token = party.share_token
    browser = Browser(servers[0])
    paths = ["/", "/accounts/login", "/accounts/register", "/films/", f"/p/{token}", f"/p/{token}/calendar.ics",
             "/healthz", "/static/css/site.css", "/no-such-page"]
    for i, path in enumerate(paths):
        page = browser.get(path, server=servers[i % 2])
        assert page.status == (404 if path == "/no-such-page" else 200), path
        assert_production_headers(page)


def test_every_cookie_is_secure_http_only_and_same_site_in_production(servers, system_database):
    with system_database.app_context():
        host = make_user(email="cookies-host@example.com")
        party = make_party(host, make_film(title="Cookies"))
        token = party.share_token

    host_browser = Browser(servers[0])
    login_form = host_browser.get("/accounts/login")
    logged_in = host_browser.post(
        "/accounts/login",
        {"email": "cookies-host@example.com", "password": DEFAULT_PASSWORD, "remember": "y"},
        server=servers[1],  # the form came from the other server: the session travels
    )
    guest = Browser(servers[1])
    guest.get(f"/p/{token}")
    replied = guest.post(f"/p/{token}/rsvp", {"name": "Cookie guest", "response": "going"}, server=servers[0])

    assert logged_in.status == 302 and replied.status == 302
    cookies = login_form.set_cookies + logged_in.set_cookies + replied.set_cookies
    names = {cookie.split("=", 1)[0] for cookie in cookies}
    assert {"session", "remember_token", f"wp_guest_{party.id}"} <= names, names
    for cookie in cookies:
        assert_cookie_is_secure(cookie)
    # Logged in through the other server: the signed session is good on both.
    assert host_browser.get("/accounts/settings", server=servers[0]).status == 200


@pytest.fixture
def failing_server(servers, tmp_path):
    """One more production server, whose app has a route that raises."""
    [server] = start_servers(
        1, servers[0].environ, tmp_path, name="failing", app="tests.system.failing_app:create_app()", workers=1
    )
    yield server
    stop_servers([server])
    # The error is in the log for whoever runs the site, and nothing else is.
    assert SECRET_DETAIL in server.log()
    check_logs([server], expected=[rf"RuntimeError: {SECRET_DETAIL}"])


def test_error_pages_show_no_traceback_or_internals(servers, failing_server):
    browser = Browser(servers[0])
    pages = {
        404: browser.get("/no/such/page"),
        400: browser.post("/accounts/login", {"email": "a@example.com", "password": "x"}),  # no CSRF token
        500: Browser(failing_server).get(FAILING_PATH),
    }
    for status, page in pages.items():
        assert page.status == status
        assert "Watchparty" in page.text  # the site's own page, not a framework's
        for internal in ("Traceback", "File \"", SECRET_DETAIL, "RuntimeError", "werkzeug", "gunicorn"):
            assert internal not in page.text, (status, internal)
        assert_production_headers(page)
    assert "Something went wrong" in pages[500].text


def test_a_request_gunicorn_cannot_parse_gets_a_bare_400_without_banner(servers):
    with socket.create_connection(("127.0.0.1", servers[1].port), timeout=10) as connection:
        connection.sendall(b"NOT A VALID REQUEST LINE\r\n\r\n")
        raw = b""
        while chunk := connection.recv(65536):
            raw += chunk
    head, _, body = raw.decode("latin-1").partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 400")
    assert "\r\nServer:" not in head
    assert not BANNER.search(body) and "Traceback" not in body
