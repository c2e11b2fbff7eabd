"""axe-core on every page a person meets, at phone and desktop sizes: zero
serious or critical violations. Screenshots of each page land in
tests/browser/screenshots/ (git-ignored)."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, axe_violations, log_in_as_demo_host, screenshot


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
    log_in_as_demo_host(page, live_server.url)
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
    # A film not in the catalogue: the form offers to add it with its year.
    page.fill("input[name=title]", "Paddington night")
    page.fill("input[name=film]", "Paddington 2")
    page.fill("input[name=starts_at]", "2030-01-18T20:00")
    page.click("main form button[type=submit]:has-text('Create')")
    expect(page.get_by_label("Year it came out")).to_be_visible()
    assert_accessible(page, f"a11y-{size}-new-party-missing-film")
    context.close()

