"""Every link that leaves the site starts with PUBLIC_URL, never with the request's Host.

A password-reset request sent with `Host: evil.example` used to email the
account's owner a genuine reset link to http://evil.example/…: one click gave
the account to whoever owns that host. Here every way a host name can reach a
request (Host, and X-Forwarded-Host behind a trusted proxy) is tried against
every place a link leaves the site: email, the calendar file, the party page's
link preview and share link, the host's dashboard.
"""

import pytest

from tests.factories import make_party, make_reply, make_user
from tests.mailbox import text_body
from watchparty import create_app
from watchparty.config import Config

EVIL = "evil.example"


@pytest.fixture(params=["host", "forwarded"])
def hostile(request, app_factory):
    """An app and the headers that try to give a request another host name."""
    if request.param == "host":
        return app_factory(), {"Host": EVIL}
    # Behind one trusted proxy, X-Forwarded-Host is believed for the request's own URL.
    return app_factory(TRUSTED_PROXIES=1), {"X-Forwarded-Host": EVIL, "X-Forwarded-For": "10.0.0.1"}


def test_reset_and_reply_emails_link_to_the_public_address_whatever_host_the_request_names(hostile, outbox_of):
    app, headers = hostile
    with app.app_context():
        make_user(email="alice@example.com")
        party = make_party(make_user(email="host@example.com"), title="Anora night")
        token = party.share_token
    client = app.test_client()
    assert client.post("/accounts/reset", data={"email": "alice@example.com"}, headers=headers).status_code == 302
    reply = client.post(f"/p/{token}/rsvp", data={"name": "Ana", "email": "ana@example.com", "response": "going"},
                        headers=headers)
    assert reply.status_code == 302
    messages = outbox_of(app).messages()
    assert {m["Subject"] for m in messages} == {"Reset your Watchparty password", "You're going to Anora night"}
    for message in messages:
        text = message.as_string()
        assert EVIL not in text
        assert "http://localhost/" in text_body(message)


def test_calendar_page_preview_and_dashboard_use_the_public_address(hostile):
    app, headers = hostile
    with app.app_context():
        host = make_user(email="host@example.com")
        party = make_party(host, title="Anora night")
        make_reply(party, name="Ana", email="ana@example.com")
        token, party_id = party.share_token, party.id
    client = app.test_client()
    calendar = client.get(f"/p/{token}/calendar.ics", headers=headers).text
    page = client.get(f"/p/{token}", headers=headers).text
    assert f"http://localhost/p/{token}" in calendar and EVIL not in calendar
    assert f'content="http://localhost/p/{token}"' in page and EVIL not in page
    client.post("/accounts/login", data={"email": "host@example.com", "password": "correct horse battery"},
                headers=headers)
    dashboard = client.get(f"/parties/{party_id}", headers=headers).text
    assert f"http://localhost/p/{token}" in dashboard and EVIL not in dashboard


def test_production_needs_a_public_address_and_refuses_any_other_host(database, tmp_path):
    with pytest.raises(RuntimeError, match="PUBLIC_URL"):
        Config(tmp_path, environ={"WATCHPARTY_ENV": "production", "SECRET_KEY": "s" * 40})
    environ = {"WATCHPARTY_ENV": "production", "SECRET_KEY": "s" * 40, "PUBLIC_URL": "https://watchparty.example",
               "TRUSTED_HOSTS": "internal.lan", "DATABASE_URL": database.url}
    config = Config(tmp_path, environ=environ)
    assert config.TRUSTED_HOSTS == ["watchparty.example", "internal.lan"]
    config.SQLALCHEMY_ENGINE_OPTIONS = database.engine_options
    app = create_app(config)
    client = app.test_client()
    try:
        assert client.get("/healthz", headers={"Host": EVIL}).status_code == 400
        assert client.get("/healthz", base_url="https://watchparty.example").status_code == 200
        assert client.get("/healthz", base_url="http://internal.lan:8000").status_code == 200
    finally:
        with app.app_context():
            from watchparty.extensions import db

            db.engine.dispose()


def test_development_answers_any_host_but_links_still_use_the_public_address(tmp_path):
    config = Config(tmp_path, environ={"PUBLIC_URL": "http://192.168.1.20:5000/"})
    assert config.TRUSTED_HOSTS is None, "plain HTTP on loopback, or on the LAN, keeps working in development"
    app = create_app(config)
    with app.app_context():
        from watchparty.links import public_url

        assert public_url("rsvp.party", token="abc") == "http://192.168.1.20:5000/p/abc"
    with pytest.raises(RuntimeError, match="PUBLIC_URL"):
        create_app(Config(tmp_path, environ={"PUBLIC_URL": "watchparty.example"}))
