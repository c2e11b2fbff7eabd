"""Keyboard only: a guest replies and claims an item with Tab, Shift+Tab, Space,
Enter and typing — no mouse, no .fill() — and always sees where the focus is."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import focus_is_visible, screenshot, seed_demo, tab_to


def focused(page, expression: str):
    return page.evaluate(f"() => document.activeElement.{expression}")


def test_a_guest_replies_and_claims_with_the_keyboard_alone(desktop, live_server):
    demo = seed_demo(live_server)
    page = desktop.new_page()
    page.goto(live_server.url + demo["party"])

    # The first Tab reaches the skip link, and it shows itself.
    page.keyboard.press("Tab")
    assert focused(page, "textContent.trim()") == "Skip to content"
    assert focus_is_visible(page)

    # The reply: the first radio of the group, chosen with Space.
    tab_to(page, "#rsvp input[name=response]")
    assert focused(page, "value") == "going"
    assert focus_is_visible(page), "the focused radio button shows no clear focus indicator"
    page.keyboard.press("Space")
    expect(page.locator("#rsvp input[name=response][value=going]")).to_be_checked()

    page.keyboard.press("Tab")
    assert focused(page, "name") == "name"
    assert focus_is_visible(page), "the focused text field shows no clear focus indicator"
    page.keyboard.type("Kim Keys")
    page.keyboard.press("Tab")
    assert focused(page, "name") == "email"
    page.keyboard.press("Tab")
    assert focused(page, "name") == "plus_ones"
    page.keyboard.type("1")  # tabbing into the field selected its 0: the 1 replaces it
    # One step back and forth with Shift+Tab: the typed values stay.
    page.keyboard.press("Shift+Tab")
    assert focused(page, "name") == "email"
    page.keyboard.press("Tab")
    assert focused(page, "value") == "1"

    tab_to(page, "#rsvp input[name=seen_it]")
    assert focus_is_visible(page), "the focused checkbox shows no clear focus indicator"
    assert not focused(page, "checked")  # left unticked
    page.keyboard.press("Tab")
    assert focused(page, "textContent.trim()") == "Send my reply"
    assert focus_is_visible(page), "the focused submit button shows no focus indicator"
    screenshot(page, "keyboard-desktop-01-reply-ready")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/rsvp/[A-Za-z0-9_-]{22,}$"))
    expect(page.locator(".your-reply__status").first).to_contain_text("You're going with +1")

    # The claim: Sweets (nobody has claimed any yet), 2 of them, then Enter on its button.
    sweets = page.locator("#signups .signup-item").filter(has=page.locator(".signup-item__name", has_text="Sweets"))
    quantity_id = sweets.locator("input[name=quantity]").get_attribute("id")
    tab_to(page, f"#{quantity_id}")
    page.keyboard.type("2")
    page.keyboard.press("Tab")  # the note
    page.keyboard.type("the sour ones")
    page.keyboard.press("Tab")
    assert re.fullmatch(r"Sign up\s*for Sweets", focused(page, "textContent.trim()"))
    assert focus_is_visible(page), "the focused claim button shows no focus indicator"
    screenshot(page, "keyboard-desktop-02-claim-ready")
    page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_contain_text("You're bringing 2 × Sweets")
    expect(sweets.locator(".signup-claims")).to_contain_text("You × 2 — the sour ones")
    screenshot(page, "keyboard-desktop-03-claimed")
