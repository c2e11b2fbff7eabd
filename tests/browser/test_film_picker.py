"""The film picker in a real browser (#19): a host types "godfa" on a phone, picks The
Godfather with the keyboard, and creates the party; the open listbox passes axe.
Without JavaScript the same field asks "Did you mean …?" (tests/test_film_picker.py
proves that path through the test client)."""

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, log_in_as_demo_host, screenshot


def fill(page, name: str, value: str) -> None:
    """Fill a field, opening the collapsed section (<details>) it may sit in."""
    field = page.locator(f"[name={name}]")
    field.evaluate("element => { const section = element.closest('details'); if (section) section.open = true; }")
    field.fill(value)


def test_typing_godfa_and_picking_with_the_keyboard_creates_the_party(live_server, demo, open_context):
    page = open_context("phone").new_page()
    log_in_as_demo_host(page, live_server.url)
    page.goto(live_server.url + "/parties/new")

    film = page.locator("input[name=film]")
    expect(film).to_have_attribute("role", "combobox")
    expect(film).to_have_attribute("aria-expanded", "false")
    film.click()
    film.press_sequentially("godfa", delay=40)

    listbox = page.get_by_role("listbox")
    expect(listbox).to_be_visible()
    expect(film).to_have_attribute("aria-expanded", "true")
    options = listbox.get_by_role("option")
    expect(options.first).to_contain_text("The Godfather (1972)")
    # Nothing is chosen until the keyboard moves there.
    assert film.get_attribute("aria-activedescendant") is None

    page.keyboard.press("ArrowDown")
    first_id = options.first.get_attribute("id")
    expect(film).to_have_attribute("aria-activedescendant", first_id)
    expect(options.first).to_have_attribute("aria-selected", "true")

    screenshot(page, "film-picker-phone-open")
    violations = axe_violations(page)
    assert violations == [], violations
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0

    # Escape closes the list and keeps what was typed; typing again opens it.
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(film).to_have_attribute("aria-expanded", "false")
    expect(film).to_have_value("godfa")
    film.press_sequentially("t", delay=40)
    expect(options.first).to_contain_text("The Godfather (1972)")

    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # picks the film; the form is not sent
    expect(listbox).to_be_hidden()
    expect(film).to_have_value("The Godfather (1972)")  # the title, not a slug
    assert page.locator("input[name=film_slug]").input_value() == "the-godfather-1972"
    assert page.url.endswith("/parties/new")

    fill(page, "title", "Godfather night")
    fill(page, "starts_at", "2027-06-20T20:00")
    fill(page, "area", "Hackney, London")
    page.click("main form button[type=submit]:has-text('Create')")
    page.wait_for_url(f"{live_server.url}/parties/*")

    from watchparty.extensions import db
    from watchparty.models import Film, Party

    with live_server.app.app_context():
        party = db.session.scalar(sa.select(Party).where(Party.title == "Godfather night"))
        assert party is not None and party.film.slug == "the-godfather-1972"
        assert db.session.scalar(sa.select(sa.func.count()).where(Film.search_title.like("%godfather%"))) == 1


def test_typing_a_new_title_clears_the_picked_film(live_server, demo, open_context):
    page = open_context("desktop").new_page()
    log_in_as_demo_host(page, live_server.url)
    page.goto(live_server.url + "/parties/new")
    film = page.locator("input[name=film]")
    film.press_sequentially("parasit", delay=30)
    option = page.get_by_role("option").first
    expect(option).to_contain_text("Parasite (2019)")
    option.click()
    expect(film).to_have_value("Parasite (2019)")
    assert page.locator("input[name=film_slug]").input_value() == "parasite-2019"
    film.press("Backspace")
    assert page.locator("input[name=film_slug]").input_value() == ""
    screenshot(page, "film-picker-desktop-after-pick")


def test_without_javascript_a_close_title_asks_which_film(live_server, demo, open_context):
    """No script: "Godfather" comes back with "Which film do you mean?"; picking The Godfather
    creates the party with it. The choices pass axe (scripts blocked, axe injected)."""
    context = open_context("phone")
    context.route(re.compile(r"/static/js/.*"), lambda route: route.abort())
    page = context.new_page()
    log_in_as_demo_host(page, live_server.url)
    page.goto(live_server.url + "/parties/new")
    assert page.locator("input[name=film]").get_attribute("role") is None  # a plain text field
    fill(page, "title", "Godfather night")
    fill(page, "film", "Godfather")
    fill(page, "starts_at", "2027-06-20T20:00")
    page.click("main form button[type=submit]:has-text('Create')")

    choices = page.get_by_role("group", name="Which film do you mean?")
    expect(choices).to_be_visible()
    # Beside the field (the summary at the top links to it, with the same words).
    expect(page.get_by_text("Did you mean The Godfather (1972)? Pick the film below.", exact=True)).to_be_visible()
    expect(page.locator("input[name=title]")).to_have_value("Godfather night")  # nothing lost
    screenshot(page, "film-picker-phone-no-js-choices")
    violations = axe_violations(page)
    assert violations == [], violations

    choices.get_by_label("The Godfather (1972)").check()
    page.click("main form button[type=submit]:has-text('Create')")
    page.wait_for_url(f"{live_server.url}/parties/*")

    from watchparty.extensions import db
    from watchparty.models import Party

    with live_server.app.app_context():
        party = db.session.scalar(sa.select(Party).where(Party.title == "Godfather night"))
        assert party.film.slug == "the-godfather-1972"
