"""With JavaScript off, the core actions still work: a guest on a phone reads the
party and the film, replies and claims (POST -> redirect -> GET each time), and
the pages stay free of serious accessibility problems."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, screenshot, seed_demo


def test_reply_and_claim_work_without_javascript(open_context, live_server):
    demo = seed_demo(live_server)
    page = open_context("phone", java_script_enabled=False).new_page()
    base = live_server.url

    # The film page shows its content; a spoiler opens with <details>, no script needed.
    page.goto(base + demo["film"])
    expect(page.locator("h1")).to_contain_text("Anora")
    expect(page.locator("main")).to_contain_text("Mikey Madison")
    expect(page.locator("main")).to_contain_text("Best Picture")
    spoiler = page.locator("main details.spoiler").first
    spoiler.locator("summary").click()
    expect(spoiler).to_have_attribute("open", "")
    screenshot(page, "nojs-phone-01-film-page")

    # The party page: details, film card, the list; no copy button (it needs a script).
    page.goto(base + demo["party"])
    expect(page.locator("h1")).to_have_text("Anora movie night")
    expect(page.locator(".party-film")).to_contain_text("Anora")
    expect(page.locator("#signups")).to_contain_text("Popcorn")
    expect(page.locator("button[data-copy]")).to_have_count(0)
    screenshot(page, "nojs-phone-02-party-page")

    # A refused reply comes back with the message beside the field, still without a script.
    page.get_by_role("button", name="Send my reply").click()
    expect(page.locator("#rsvp .errors").first).to_be_visible()
    page.get_by_label("Going").check()
    page.get_by_label("Your name").fill("Noor No-Script")
    page.get_by_role("button", name="Send my reply").click()
    expect(page).to_have_url(re.compile(r"/rsvp/[A-Za-z0-9_-]{22,}$"))
    expect(page.locator(".flashes")).to_contain_text("You're going!")
    # Without the copy button the manage link is still there to select and keep.
    expect(page.locator("#manage-link")).to_be_visible()
    expect(page.locator("button[data-copy]")).to_be_hidden()
    screenshot(page, "nojs-phone-03-replied")

    crisps = page.locator("#signups .signup-item").filter(has=page.locator(".signup-item__name", has_text="Crisps"))
    crisps.get_by_label("I'll bring").fill("2")
    crisps.get_by_role("button", name="Sign up for Crisps").click()
    expect(page.locator(".flashes")).to_contain_text("You're bringing 2 × Crisps")
    expect(crisps.locator(".signup-claims")).to_contain_text("You × 2")
    screenshot(page, "nojs-phone-04-claimed")

    # Back on the party page (the remembered cookie works without a script too).
    page.goto(base + demo["party"])
    expect(page.locator(".rsvp-box .your-reply__status")).to_contain_text("You're going")
    expect(crisps.locator(".signup-claims")).to_contain_text("You × 2")


def test_pages_as_served_without_javascript_have_no_serious_violations(open_context, live_server):
    """axe needs a script of its own, so here the app's one script (site.js: inline script is
    forbidden by the CSP) is blocked instead: the page is then exactly what a browser without
    JavaScript shows, and axe can still be injected to check it."""
    demo = seed_demo(live_server)
    context = open_context("phone")
    context.route(re.compile(r"/static/js/site\.js(\?.*)?$"), lambda route: route.abort())
    page = context.new_page()
    base = live_server.url
    found = {}
    for name, path in [("film-page", demo["film"]), ("full-review", demo["review"]), ("party-page", demo["party"])]:
        page.goto(base + path)
        found[name] = axe_violations(page)
    page.get_by_role("button", name="Send my reply").click()
    found["reply-errors"] = axe_violations(page)
    page.get_by_label("Going").check()
    page.get_by_label("Your name").fill("Noor No-Script")
    page.get_by_role("button", name="Send my reply").click()
    expect(page).to_have_url(re.compile(r"/rsvp/"))
    expect(page.locator("button[data-copy]")).to_be_hidden()
    found["manage-page"] = axe_violations(page)
    assert {name: violations for name, violations in found.items() if violations} == {}
