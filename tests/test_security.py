"""Cross-cutting security: headers, CSRF on every form, rate limits, errors, production settings."""

import re

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter

from tests.factories import log_in, make_user
from watchparty import create_app
from watchparty.config import Config


def test_security_headers_on_every_response(client):
    for path in ["/", "/accounts/login", "/healthz", "/no-such-page"]:
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in headers  # development: plain HTTP works


def test_pages_have_no_inline_script(client):
    for path in ["/", "/accounts/login", "/accounts/register", "/accounts/reset"]:
        html = client.get(path).text
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag, (path, tag)
        assert not re.search(r"\son[a-z]+=", html), path


def post_rules(app):
    """Every POST endpoint, with placeholder values for its URL variables."""
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        yield rule.endpoint, {arg: placeholder(rule._converters[arg]) for arg in rule.arguments}


def placeholder(converter) -> object:
    """A value the URL variable's converter accepts: 1 for a number, a listed word for any(), else "x"."""
    if isinstance(converter, IntegerConverter):
        return 1
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]  # werkzeug keeps the words any() allows
    return "x"


def test_every_post_route_refuses_a_missing_csrf_token(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.test_request_context():
        from flask import url_for

        urls = [url_for(endpoint, **values) for endpoint, values in post_rules(app)]
    assert "/accounts/login" in urls and "/accounts/logout" in urls
    for url in urls:
        response = client.post(url, data={"email": "a@example.com"})
        if url in ONE_CLICK_UNSUBSCRIBE:
            continue  # below
        assert response.status_code == 400, url
        assert "did not come from this site" in response.text


# Mail clients' one-click unsubscribe (RFC 8058) posts from outside the site, with no
# token of ours: the secret token in these URLs is the authority. No other route may skip CSRF.
ONE_CLICK_UNSUBSCRIBE = {"/p/x/rsvp/x/emails", "/p/x/invitations/x/stop", "/emails/never/x", "/parties/1/updates/stop/x",
                         "/p/x/vote/x/emails"}


def test_only_the_one_click_unsubscribe_links_take_a_post_without_a_csrf_token(app_factory):
    from watchparty.extensions import csrf

    app = app_factory(WTF_CSRF_ENABLED=True)
    exempt = {f"{view.__module__}.{view.__name__}" for view in app.view_functions.values()
              if f"{view.__module__}.{view.__name__}" in csrf._exempt_views}
    assert exempt == {
        "watchparty.notifications.routes.stop_guest", "watchparty.notifications.routes.stop_invitation",
        "watchparty.notifications.routes.never_email", "watchparty.notifications.routes.stop_host",
        "watchparty.polls.routes.stop_emails",
    }
    # Without a token, a wrong link is still a plain 404, never a hint.
    client = app.test_client()
    assert {client.post(url, data={"List-Unsubscribe": "One-Click"}).status_code for url in ONE_CLICK_UNSUBSCRIBE} == {404}


def test_a_wrong_csrf_token_is_refused_and_the_right_one_accepted(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        make_user()
    client = app.test_client()
    page = client.get("/accounts/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = {"email": "alice@example.com", "password": "correct horse battery"}
    assert client.post("/accounts/login", data={**data, "csrf_token": token + "x"}).status_code == 400
    assert client.post("/accounts/login", data={**data, "csrf_token": token}).status_code == 302


@pytest.mark.parametrize(
    ("setting", "path", "data"),
    [
        ("RATELIMIT_LOGIN", "/accounts/login", {"email": "a@example.com", "password": "wrong password"}),
        ("RATELIMIT_REGISTER", "/accounts/register", {"email": "bad"}),
        ("RATELIMIT_RESET", "/accounts/reset", {"email": "a@example.com"}),
    ],
)
def test_rate_limit_reached_gives_429(app_factory, setting, path, data):
    app = app_factory(RATELIMIT_ENABLED=True, **{setting: "3 per minute"})
    client = app.test_client()
    statuses = [client.post(path, data=data).status_code for _ in range(4)]
    assert 429 not in statuses[:3]
    assert statuses[3] == 429
    page = client.post(path, data=data)
    assert page.status_code == 429 and "Slow down" in page.text
    assert client.get(path).status_code == 200  # reading the form is never limited


def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.text == "ok"


def test_healthz_is_503_when_the_database_is_unreachable(app_factory, tmp_path):
    app = app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/x.db", SQLALCHEMY_ENGINE_OPTIONS={})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503


def test_pages_are_503_not_500_when_the_database_is_unreachable(app_factory, tmp_path):
    app = app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/x.db", SQLALCHEMY_ENGINE_OPTIONS={})
    response = app.test_client().post("/accounts/login", data={"email": "a@example.com", "password": "x" * 12})
    assert response.status_code == 503
    assert "Traceback" not in response.text


def test_error_pages_use_the_site_look(client):
    response = client.get("/nothing/here")
    assert response.status_code == 404
    assert "Watchparty" in response.text and "There is nothing here" in response.text


def test_unexpected_errors_are_a_500_page_without_a_traceback(app_factory):
    app = app_factory()

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "secret internals" not in response.text and "Traceback" not in response.text


def test_ids_beyond_the_integer_range_are_404(app):
    from werkzeug.exceptions import NotFound

    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        converters = rule._converters
        if not any(isinstance(c, IntegerConverter) for c in converters.values()):
            continue
        path = rule.rule
        for arg in rule.arguments:
            huge = isinstance(converters[arg], IntegerConverter)
            path = re.sub(rf"<[^>]*:?{arg}>", "99999999999" if huge else "x", path)
        with pytest.raises(NotFound):
            adapter.match(path, method=sorted(rule.methods - {"HEAD", "OPTIONS"})[0])


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        Config(tmp_path, environ={"WATCHPARTY_ENV": "production"})


def test_production_sets_secure_cookies_and_hsts(database, tmp_path):
    environ = {"WATCHPARTY_ENV": "production", "SECRET_KEY": "s" * 40, "RATELIMIT_ENABLED": "false",
               "PUBLIC_URL": "http://localhost"}
    config = Config(tmp_path, environ=environ)
    config.SQLALCHEMY_DATABASE_URI = database.url
    config.SQLALCHEMY_ENGINE_OPTIONS = database.engine_options
    config.WTF_CSRF_ENABLED = False
    app = create_app(config)
    with app.app_context():
        make_user()
        try:
            client = app.test_client()
            response = log_in(client, remember="y")
            cookies = response.headers.getlist("Set-Cookie")
            assert cookies and all("Secure" in c and "HttpOnly" in c and "SameSite=Lax" in c for c in cookies)
            assert client.get("/").headers["Strict-Transport-Security"].startswith("max-age=")
        finally:
            from tests.conftest import empty_all_tables
            from watchparty.extensions import db

            db.session.remove()
            empty_all_tables()
            db.engine.dispose()


def test_development_keeps_a_generated_secret_key(tmp_path):
    first = Config(tmp_path, environ={}).SECRET_KEY
    second = Config(tmp_path, environ={}).SECRET_KEY
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_postgres_urls_use_psycopg_3(tmp_path):
    config = Config(tmp_path, environ={"DATABASE_URL": "postgres://u@h/db"})
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@h/db"
    assert config.SQLALCHEMY_ENGINE_OPTIONS["pool_pre_ping"] is True


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(app_factory, tmp_path):
    from watchparty.extensions import db

    app = app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/pragmas.db", SQLALCHEMY_ENGINE_OPTIONS={})
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_demo_data_is_refused_in_production_without_the_explicit_flag(app_factory):
    import sqlalchemy as sa

    from watchparty.extensions import db
    from watchparty.models import User

    app = app_factory(WATCHPARTY_ENV="production")
    runner = app.test_cli_runner()
    with app.app_context():  # as `flask` gives every command
        result = runner.invoke(args=["demo"])
        assert result.exit_code != 0
        assert "Refusing to load demo data under WATCHPARTY_ENV=production" in result.output
        assert "--force-in-production" in result.output
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
        result = runner.invoke(args=["demo", "--force-in-production"])
        assert result.exit_code == 0, result.output
        assert "Created the demo host host@example.com." in result.output


def test_demo_data_loads_in_development_without_a_flag(app_factory):
    app = app_factory(WATCHPARTY_ENV="development")
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0 and "Created the demo host" in result.output
