"""A new visitor hosts from a phone (#19): / → Host → the party form → Create → name
and email → the code from the email → the dashboard. The test counts the taps and
the typed fields, and runs axe on every page state of the way (and of code sign-in)."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, screenshot, seed_demo
from tests.browser.test_journeys import next_week_at_eight
from tests.mailbox import Outbox, first_link, text_body


def code_from(outbox: Outbox) -> tuple[str, str]:
    message = outbox.last()
    code = re.search(r"^\s+(\d{6})\s*$", text_body(message), re.MULTILINE).group(1)
    return code, first_link(message, "/accounts/code/link/")


class Counted:
    """The visitor's taps and typed fields, counted as they happen."""

    def __init__(self, page):
        self.page, self.taps, self.typed = page, 0, []

    def tap(self, locator) -> None:
        locator.click()
        self.taps += 1

    def type(self, selector: str, text: str) -> None:
        self.page.fill(selector, text)
        self.typed.append(selector)


def accessible(page, name: str) -> None:
    screenshot(page, name)
    if "nojs" in name:  # no script runs (axe neither): the pages are the same HTML, checked with JavaScript on
        return
    assert axe_violations(page) == [], name
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, name


@pytest.mark.parametrize(("size", "javascript"), [("phone", True), ("desktop", True), ("phone", False)])
def test_a_new_visitor_hosts_and_publishes_with_the_emailed_code(open_context, live_server, size, javascript):
    seed_demo(live_server)
    base = live_server.url
    outbox = Outbox(Path(live_server.app.config["MAIL_OUTBOX_DIR"]), live_server.app)
    page = open_context(size, java_script_enabled=javascript).new_page()
    size = size if javascript else f"{size}-nojs"
    visitor = Counted(page)

    page.goto(base + "/")
    visitor.tap(page.locator("main").get_by_role("link", name="Host a watch party"))
    expect(page).to_have_url(base + "/parties/new")
    accessible(page, f"signin-{size}-01-party-form")
    # The short form: the film and the time (the title defaults to "Anora night"; the rest can wait).
    visitor.type("input[name=film]", "Anora")
    visitor.type("input[name=starts_at]", next_week_at_eight())
    visitor.tap(page.get_by_role("button", name="Create the party"))

    expect(page).to_have_url(base + "/parties/new/confirm")
    expect(page.locator("main")).to_contain_text("Anora night")
    accessible(page, f"signin-{size}-02-who-hosts")
    page.get_by_role("button", name="Email me the code").click()  # nothing filled (not counted): errors beside the fields
    expect(page.locator("#email-error")).to_be_visible()
    accessible(page, f"signin-{size}-03-who-hosts-errors")
    visitor.type("input[name=display_name]", "Hana")
    visitor.type("input[name=email]", "hana@example.com")
    visitor.tap(page.get_by_role("button", name="Email me the code"))

    expect(page).to_have_url(base + "/accounts/code/verify")
    expect(page.locator("#email")).to_have_value("hana@example.com")
    accessible(page, f"signin-{size}-04-code")
    code, link = code_from(outbox)
    page.fill("input[name=code]", "000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Publish my party").click()
    expect(page.locator("#code-error")).to_contain_text("not right")
    expect(page.locator("#email")).to_have_value("hana@example.com")
    accessible(page, f"signin-{size}-05-code-wrong")
    visitor.type("input[name=code]", code)
    visitor.tap(page.get_by_role("button", name="Publish my party"))

    expect(page).to_have_url(re.compile(r"/parties/\d+$"))
    expect(page.locator("h1")).to_have_text("Anora night")
    expect(page.locator("#share-link")).to_have_value(re.compile(re.escape(base) + r"/p/[A-Za-z0-9_-]{22,}"))
    screenshot(page, f"signin-{size}-06-dashboard")
    if javascript:  # the link copied (without JavaScript it is there to select and copy by hand)
        visitor.tap(page.get_by_role("button", name="Copy link"))
    print(f"\n{size}: a new visitor from / to the share link: {visitor.taps} taps, {len(visitor.typed)} typed fields "
          f"({', '.join(visitor.typed)})")
    assert visitor.taps == (5 if javascript else 4)  # the issue asks ≤ 6 to a copied link
    assert len(visitor.typed) == 5  # film, date, name, email, code (the issue asks ≤ 5)

    # The link was spent with the code; the sign-in pages for everyone else, checked too.
    other = open_context(size.removesuffix("-nojs"), java_script_enabled=javascript).new_page()
    other.goto(base + link)
    expect(other.locator("h1")).to_have_text("This link no longer works")
    accessible(other, f"signin-{size}-07-link-spent")
    other.goto(base + "/accounts/login")
    expect(other.get_by_role("button", name="Email me a code")).to_be_visible()
    accessible(other, f"signin-{size}-08-login")
    other.fill("input[name=email]", "hana@example.com")
    other.get_by_role("button", name="Email me a code").click()
    expect(other).to_have_url(base + "/accounts/code/verify")
    _, link = code_from(outbox)
    other.goto(base + link)
    expect(other.get_by_role("button", name="Sign in")).to_be_visible()
    accessible(other, f"signin-{size}-09-link")
    other.get_by_role("button", name="Sign in").click()
    expect(other.locator(".flashes")).to_contain_text("Hi, Hana!")
    other.goto(base + "/accounts/code")
    accessible(other, f"signin-{size}-10-code-request")
    # Hana's account was made by the code: no password. Settings let her set one now (#22), without a
    # current password, since she signed in by code a moment ago.
    other.goto(base + "/accounts/settings")
    expect(other.get_by_role("heading", name="Set a password")).to_be_visible()
    expect(other.locator("input[name=current_password]")).to_have_count(0)
    expect(other.get_by_label("Type your email address to confirm")).to_be_visible()
    accessible(other, f"signin-{size}-11-settings-no-password")
    other.fill("input[name=password]", "lantern oyster violin")
    other.fill("input[name=confirm]", "lantern oyster violin")
    other.get_by_role("button", name="Set password").click()
    expect(other.locator(".flashes")).to_contain_text("Password changed")
    expect(other.get_by_role("heading", name="Change password")).to_be_visible()
