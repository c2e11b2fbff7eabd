"""axe-core on every page a person meets, at phone and desktop sizes: zero
serious or critical violations. Screenshots of each page land in
tests/browser/screenshots/ (git-ignored)."""

import re

import pytest
import sqlalchemy as sa

from tests.browser.conftest import DESKTOP, PHONE, axe_violations, screenshot


@pytest.fixture
def demo(live_server):
    """`flask demo` on the live server's database: the host, the catalogue, a review and a party."""
    from watchparty.extensions import db
    from watchparty.models import Party, Review

    with live_server.app.app_context():
        result = live_server.app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        party = db.session.scalar(sa.select(Party).order_by(Party.id).limit(1))
        review = db.session.scalar(sa.select(Review).where(Review.kind == "editorial").order_by(Review.id).limit(1))
        return {
            "party": f"/p/{party.share_token}",
            "dashboard": f"/parties/{party.id}",
            "film": f"/films/{party.film.slug}",
            "review": f"/films/{party.film.slug}/reviews/{review.id}",
        }


def log_in(page, base_url: str) -> None:
    page.goto(base_url + "/accounts/login")
    page.fill("input[name=email]", "host@example.com")
    page.fill("input[name=password]", "popcorn-and-credits")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))


def assert_accessible(page, name: str) -> None:
    screenshot(page, name)
    violations = axe_violations(page)
    assert violations == [], f"{name}: {violations}"
    # Nothing wider than the screen: a phone user never scrolls sideways.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: the page is {overflow}px wider than the viewport"


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_public_pages_have_no_serious_violations(browser, live_server, demo, size):
    context = browser.new_context(**(PHONE if size == "phone" else DESKTOP))
    page = context.new_page()
    for name, path in [
        ("landing", "/"),
        ("register", "/accounts/register"),
        ("login", "/accounts/login"),
        ("catalogue", "/films/"),
        ("film-page", demo["film"]),
        ("full-review", demo["review"]),
        ("party-guest", demo["party"]),
    ]:
        page.goto(live_server.url + path)
        assert_accessible(page, f"a11y-{size}-{name}")
    context.close()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_forms_showing_errors_have_no_serious_violations(browser, live_server, demo, size):
    context = browser.new_context(**(PHONE if size == "phone" else DESKTOP))
    page = context.new_page()
    page.goto(live_server.url + "/accounts/register")
    page.fill("input[name=email]", "not-an-email")
    page.fill("input[name=password]", "short")
    page.click("main button[type=submit]")
    assert page.locator(".field-error, [role=alert]").count() > 0
    assert_accessible(page, f"a11y-{size}-register-errors")

    page.goto(live_server.url + demo["party"])
    page.click("#rsvp button[type=submit]")  # nothing filled in
    assert page.locator("#rsvp [aria-invalid=true]").count() > 0
    assert_accessible(page, f"a11y-{size}-reply-errors")
    context.close()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_host_pages_have_no_serious_violations(browser, live_server, demo, size):
    context = browser.new_context(**(PHONE if size == "phone" else DESKTOP))
    page = context.new_page()
    log_in(page, live_server.url)
    for name, path in [
        ("home-logged-in", "/"),
        ("dashboard", demo["dashboard"]),
        ("party-host", demo["party"]),
        ("new-party", "/parties/new"),
        ("settings", "/accounts/settings"),
    ]:
        page.goto(live_server.url + path)
        assert_accessible(page, f"a11y-{size}-{name}")
    page.goto(live_server.url + "/parties/new")
    page.click("main form button[type=submit]:has-text('Create')")
    assert page.locator("[aria-invalid=true]").count() > 0
    assert_accessible(page, f"a11y-{size}-new-party-errors")
    context.close()

