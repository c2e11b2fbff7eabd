"""Hosting at phone size (#19): the short party form with its collapsed sections, the error
summary that takes the focus, the starter list that keeps the host where they were, the
dashboard's share button and its two confirmation steps — each state checked by axe at
390 px and at desktop size, and the same form working with JavaScript off.

The signed-in host's journey from / to a copied share link is counted: taps and typed fields.
Screenshots land in tests/browser/screenshots/hosting-*.png."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, log_in_as_demo_host, screenshot, seed_demo

PHONE_HEIGHT = 844

# The film field's label starts "Film" (the poll's "Guests may nominate one film" only contains it).
FILM_FIELD = re.compile(r"^Film\b")


def next_week_at_eight() -> str:
    """A start a week ahead, 20:00 in London, as the datetime-local field takes it."""
    from watchparty.models import utcnow

    day = (utcnow().astimezone(ZoneInfo("Europe/London")) + timedelta(days=7)).date()
    return f"{day.isoformat()}T20:00"


class Counter:
    """Taps and typed fields, counted as a person would make them."""

    def __init__(self) -> None:
        self.taps = 0
        self.typed = 0

    def tap(self, locator) -> None:
        self.taps += 1
        locator.click()

    def type(self, locator, text: str) -> None:
        self.typed += 1
        locator.fill(text)


def no_serious_violations(page, state: str, found: dict) -> None:
    violations = axe_violations(page)
    if violations:
        found[state] = violations


def page_height(page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_signed_in_host_gets_a_link_in_three_taps_and_two_typed_fields(open_context, live_server, size):
    seed_demo(live_server)
    base = live_server.url
    context = open_context(size)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = context.new_page()
    log_in_as_demo_host(page, base)  # signed in already: the count starts at the home page
    count = Counter()

    count.tap(page.locator("main").get_by_role("link", name="Host a watch party"))
    expect(page.locator("h1")).to_have_text("Host a watch party")
    # The first screen: the film, the date and time, the zone (the host's), the optional title.
    for section in ("place", "guests", "about", "items"):
        expect(page.locator(f"details#{section}")).not_to_have_attribute("open", "")
    expect(page.locator("input[name=area]")).to_be_hidden()
    expect(page.locator("select[name=timezone]")).to_have_value("Europe/London")
    expect(page.locator("label[for=film] .label__required")).to_have_text("required")
    if size == "phone":
        # Everything needed, and the button, within about one and a half phone screens.
        create = page.get_by_role("button", name="Create the party")
        top = create.evaluate("b => b.getBoundingClientRect().top + window.scrollY")
        assert top < PHONE_HEIGHT * 1.6, top
    screenshot(page, f"hosting-{size}-01-form")

    count.type(page.get_by_label(FILM_FIELD), "Anora")
    count.type(page.get_by_label("Starts at"), next_week_at_eight())
    count.tap(page.get_by_role("button", name="Create the party"))
    expect(page).to_have_url(re.compile(r"/parties/\d+$"))
    expect(page.locator("h1")).to_have_text("Anora night")  # named after the film
    screenshot(page, f"hosting-{size}-02-dashboard")

    copy = page.locator("button[data-copy=share-link]")
    count.tap(copy)
    expect(copy).to_have_text("Copied!")
    link = page.locator("#share-link").input_value()
    assert page.evaluate("navigator.clipboard.readText()") == link
    assert re.fullmatch(re.escape(base) + r"/p/[A-Za-z0-9_-]{22,}", link)
    print(f"\nsigned-in host, / to a copied link ({size}): {count.taps} taps, {count.typed} typed fields")
    assert (count.taps, count.typed) == (3, 2)


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_hosting_pages_have_no_serious_accessibility_problems(open_context, live_server, size):
    demo = seed_demo(live_server)
    base = live_server.url
    found: dict = {}
    visitor = open_context(size).new_page()
    visitor.goto(base + "/")
    expect(visitor.locator(".sample-card")).to_be_visible()
    no_serious_violations(visitor, "landing", found)
    screenshot(visitor, f"hosting-{size}-03-landing")
    visitor.goto(base + demo["film"])
    expect(visitor.get_by_role("link", name="Host a watch party for this film")).to_have_attribute(
        "href", re.compile(r"/parties/new\?film=anora-2024$")
    )
    no_serious_violations(visitor, "film-page", found)

    page = open_context(size).new_page()
    log_in_as_demo_host(page, base)
    page.goto(base + "/parties/new")
    no_serious_violations(page, "form", found)
    for section in ("place", "guests", "about", "items"):
        page.locator(f"details#{section} > summary").click()
        expect(page.locator(f"details#{section}")).to_have_attribute("open", "")
    no_serious_violations(page, "form-open", found)
    page.get_by_role("button", name="Create the party").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    no_serious_violations(page, "form-errors", found)
    page.goto(base + demo["dashboard"])
    no_serious_violations(page, "dashboard", found)
    screenshot(page, f"hosting-{size}-04-demo-dashboard")
    print(f"\ndemo dashboard at {size}: {page_height(page)} px high")
    page.get_by_role("link", name="Make a new link…").click()
    no_serious_violations(page, "confirm-new-link", found)
    screenshot(page, f"hosting-{size}-05-confirm-new-link")
    page.goto(base + demo["dashboard"])
    page.get_by_role("link", name="Cancel the party…").click()
    no_serious_violations(page, "confirm-cancel", found)
    # Longer than allowed: past the field's maxlength, as a browser without it would send.
    page.locator("textarea[name=message]").evaluate("field => field.removeAttribute('maxlength')")
    page.get_by_label("Message to your guests").fill("x" * 1200)
    page.get_by_role("button", name="Cancel the party").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()
    no_serious_violations(page, "confirm-cancel-errors", found)
    assert not found, found


def test_errors_are_summarised_the_summary_takes_the_focus_and_its_links_lead_to_the_fields(open_context, live_server):
    seed_demo(live_server)
    base = live_server.url
    page = open_context("phone").new_page()
    log_in_as_demo_host(page, base)
    page.goto(base + "/parties/new")
    page.get_by_role("button", name="Create the party").click()
    expect(page).to_have_url(base + "/parties/new")
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_count(2)  # the film and the start, both at once
    expect(summary.get_by_role("link").first).to_have_text("Film: Type the title of the film, or pick it from the list.")
    expect(page.locator("#film-error")).to_be_visible()
    expect(page.locator("#starts_at-error")).to_be_visible()
    screenshot(page, "hosting-phone-06-form-errors")

    summary.get_by_role("link", name=re.compile("^Starts at")).click()
    expect(page.locator("#starts_at")).to_be_focused()
    label_top = page.locator("label[for=starts_at]").evaluate("e => e.getBoundingClientRect().top")
    assert 0 <= label_top < PHONE_HEIGHT / 2, label_top

    # An error inside a collapsed section opens it, and its link focuses the field.
    page.get_by_label(FILM_FIELD).fill("Anora")
    page.get_by_label("Starts at").fill(next_week_at_eight())
    page.locator("details#guests > summary").click()
    page.get_by_label("Capacity").fill("0")
    page.locator("details#guests > summary").click()  # closed again before sending
    page.get_by_role("button", name="Create the party").click()
    expect(page.locator("details#guests")).to_have_attribute("open", "")
    expect(summary.get_by_role("link")).to_have_count(1)
    summary.get_by_role("link").click()
    expect(page.get_by_label("Capacity")).to_be_focused()
    expect(page.get_by_label(FILM_FIELD)).to_have_value("Anora")  # the form came back filled


def test_the_starter_list_keeps_the_host_at_the_list(open_context, live_server):
    seed_demo(live_server)
    base = live_server.url
    page = open_context("phone").new_page()
    log_in_as_demo_host(page, base)
    page.goto(base + "/parties/new")
    page.get_by_label(FILM_FIELD).fill("Anora")
    page.locator("details#items > summary").click()
    page.get_by_role("button", name="Add the movie-night starter list").click()
    expect(page).to_have_url(base + "/parties/new#items")
    expect(page.locator("details#items")).to_have_attribute("open", "")
    expect(page.locator(".item-row input[name$='-name']").first).to_have_value("Popcorn")
    expect(page.get_by_label(FILM_FIELD)).to_have_value("Anora")
    # The page came back scrolled to the list, not to the top.
    assert page.evaluate("window.scrollY") > 300
    top = page.locator("details#items").evaluate("e => e.getBoundingClientRect().top")
    assert -5 <= top < PHONE_HEIGHT / 2, top
    screenshot(page, "hosting-phone-07-starter-list")


def test_share_button_new_link_and_cancel_steps(open_context, live_server):
    demo = seed_demo(live_server)
    base = live_server.url
    context = open_context("phone")
    # A phone's share sheet, recorded: headless chromium on Linux has none.
    context.add_init_script(
        "window.__shared = []; navigator.share = data => { window.__shared.push(data); return Promise.resolve(); };"
        "navigator.canShare = () => true;"
    )
    page = context.new_page()
    log_in_as_demo_host(page, base)
    page.goto(base + demo["dashboard"])
    link = page.locator("#share-link").input_value()
    share = page.get_by_role("button", name="Share…")
    expect(share).to_be_visible()
    share.click()
    shared = page.evaluate("window.__shared")
    assert len(shared) == 1 and shared[0]["url"] == link and "Anora" in shared[0]["text"]
    for name, start in [("WhatsApp", "https://wa.me/?text="), ("Text message", "sms:?&body="), ("Email", "mailto:?subject=")]:
        href = page.get_by_role("link", name=name).get_attribute("href")
        assert href.startswith(start) and re.escape(link.split("/p/")[1]) and link.split("/p/")[1] in href, href
    # The headcount and the link are on the first phone screen.
    for selector in ("#headcount-heading", "#share-link"):
        top = page.locator(selector).evaluate("e => e.getBoundingClientRect().top + window.scrollY")
        assert top < PHONE_HEIGHT * 1.5, (selector, top)

    # A new link: a page first, which says what happens; keeping the link changes nothing.
    page.get_by_role("link", name="Make a new link…").click()
    expect(page.locator("main")).to_contain_text("everyone with the old link will get a “link not found” page")
    screenshot(page, "hosting-phone-08-confirm-new-link")
    page.get_by_role("link", name="Keep this link").click()
    expect(page.locator("#share-link")).to_have_value(link)
    page.get_by_role("link", name="Make a new link…").click()
    page.get_by_role("button", name="Make a new link").click()
    expect(page.locator(".flashes")).to_contain_text("the old one no longer works")
    expect(page.locator("#share-link")).not_to_have_value(link)
    assert page.request.get(link).status == 404

    # Cancelling: a page with the message field; the party page then says so.
    page.get_by_role("link", name="Cancel the party…").click()
    expect(page.locator("h1")).to_contain_text("Cancel Anora movie night?")
    screenshot(page, "hosting-phone-09-confirm-cancel")
    page.get_by_label("Message to your guests").fill("The projector died, sorry.")
    page.get_by_role("button", name="Cancel the party").click()
    expect(page.locator(".party-cancelled")).to_contain_text("The projector died, sorry.")
    expect(page.get_by_role("link", name="Cancel the party…")).to_have_count(0)


def test_without_a_share_sheet_the_copy_button_does_the_job(open_context, live_server):
    demo = seed_demo(live_server)
    base = live_server.url
    page = open_context("desktop").new_page()
    log_in_as_demo_host(page, base)
    page.goto(base + demo["dashboard"])
    if page.evaluate("typeof navigator.share === 'function'"):
        pytest.skip("this chromium has a share sheet")
    expect(page.get_by_role("button", name="Share…")).to_be_hidden()
    expect(page.locator("button[data-copy=share-link]")).to_be_visible()
    page.locator("details.share-qr-box > summary").click()
    qr = page.locator("img.share-qr")
    expect(qr).to_be_visible()
    screenshot(page, "hosting-desktop-10-dashboard-qr")


def test_the_browser_zone_is_chosen_when_the_page_chose_none(open_context, live_server):
    """A host with no zone of their own (a new host, once the form opens before signing in) gets
    the browser's. Here the page as served to such a host is made by dropping the chosen option."""
    seed_demo(live_server)
    base = live_server.url
    context = open_context("phone", timezone_id="America/Chicago")
    page = context.new_page()
    log_in_as_demo_host(page, base)

    def without_a_chosen_zone(route):
        response = route.fetch()
        route.fulfill(response=response, body=response.text().replace("<option selected value=", "<option value="))

    page.route(re.compile(r"/parties/new$"), without_a_chosen_zone)
    page.goto(base + "/parties/new")
    expect(page.locator("select[name=timezone]")).to_have_value("America/Chicago")
    page.unroute(re.compile(r"/parties/new$"))
    # A zone the page did choose is left alone (the demo host's London).
    page.goto(base + "/parties/new")
    expect(page.locator("select[name=timezone]")).to_have_value("Europe/London")


def test_the_short_form_and_the_steps_work_without_javascript(open_context, live_server):
    demo = seed_demo(live_server)
    base = live_server.url
    page = open_context("phone", java_script_enabled=False).new_page()
    log_in_as_demo_host(page, base)
    page.goto(base + "/parties/new")
    # A refused form: the summary and the messages, no script needed.
    page.get_by_role("button", name="Create the party").click()
    expect(page.locator("[data-error-summary]")).to_contain_text("2 things to fix")
    # The sections open with a tap on their summary, and the starter list comes back at the list.
    page.get_by_label(FILM_FIELD).fill("Anora")
    page.get_by_label("Starts at").fill(next_week_at_eight())
    page.locator("details#place > summary").click()
    page.get_by_label("Area").fill("Hackney, London")
    page.locator("details#items > summary").click()
    page.get_by_role("button", name="Add the movie-night starter list").click()
    expect(page).to_have_url(base + "/parties/new#items")
    expect(page.locator(".item-row input[name$='-name']").first).to_have_value("Popcorn")
    expect(page.get_by_label("Area")).to_have_value("Hackney, London")
    page.get_by_role("button", name="Create the party").click()
    expect(page).to_have_url(re.compile(r"/parties/\d+$"))
    expect(page.locator("#signups")).to_contain_text("Popcorn")
    expect(page.get_by_role("button", name="Share…")).to_be_hidden()
    expect(page.get_by_role("link", name="WhatsApp")).to_be_visible()
    screenshot(page, "hosting-nojs-phone-dashboard")
    # Both steps work as plain pages and forms.
    page.get_by_role("link", name="Make a new link…").click()
    page.get_by_role("button", name="Make a new link").click()
    expect(page.locator(".flashes")).to_contain_text("New link made")
    page.goto(base + demo["dashboard"])
    page.get_by_role("link", name="Cancel the party…").click()
    page.get_by_role("button", name="Cancel the party").click()
    expect(page.locator(".party-cancelled")).to_be_visible()
