"""The party talks, on a phone (#20): a guest comments, the host answers with an
announcement to the going guests, and the going guest sees it under "From the host".
axe finds nothing serious or critical in any new state. (The same flow without
JavaScript, through the test client: tests/test_talk.py.)"""

import re

from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, log_in_as_demo_host, screenshot, seed_demo
from tests.browser.test_phone import phone_problems


def no_serious_violations(page, name: str) -> None:
    """axe: nothing serious or critical; and finished on a phone (tests/browser/test_phone.py's rules)."""
    page.wait_for_load_state()
    screenshot(page, f"talk-{name}")
    violations = axe_violations(page)
    assert violations == [], (name, violations)
    assert phone_problems(page) == [], name


def test_a_guest_comments_and_the_host_answers_with_an_announcement(open_context, live_server):
    paths = seed_demo(live_server)
    base = live_server.url

    # A guest replies going through the link, then says something.
    guest = open_context("phone").new_page()
    guest.goto(base + paths["party"])
    guest.get_by_label("Going").check()
    guest.get_by_label("Your name").fill("Gia Guest")
    guest.get_by_role("button", name="Send my reply").click()
    expect(guest).to_have_url(re.compile(r"/p/[^/]+/rsvp/[A-Za-z0-9_-]{22,}$"))
    guest.goto(base + paths["party"])
    talk = guest.locator("#talk")
    expect(talk).to_contain_text("No comments yet.")
    no_serious_violations(guest, "01-guest-before")
    talk.get_by_label("Your comment").fill("Shall I bring the big blanket? https://example.com/blanket")
    talk.get_by_role("button", name="Post", exact=True).click()
    expect(guest).to_have_url(re.compile(r"#comment-\d+$"))
    comment = guest.locator("#talk .comment").first
    expect(comment).to_contain_text("Gia Guest")
    expect(comment.get_by_role("link", name="https://example.com/blanket")).to_be_visible()
    no_serious_violations(guest, "02-guest-commented")

    # A refused comment comes back with its error beside the field.
    talk = guest.locator("#talk")
    talk.get_by_label("Your comment").fill("a https://a.example b https://b.example c https://c.example")
    talk.get_by_role("button", name="Post", exact=True).click()
    expect(guest.locator("#comment-body-error")).to_contain_text("At most 2 links")
    no_serious_violations(guest, "03-guest-refused")

    # The host sees the comment and writes to the going guests.
    host = open_context("phone").new_page()
    log_in_as_demo_host(host, base)
    host.goto(base + paths["party"])
    expect(host.locator("#talk")).to_contain_text("Shall I bring the big blanket?")
    host.goto(base + paths["dashboard"])
    host.get_by_role("link", name="Write to your guests").click()
    expect(host.locator("h1")).to_have_text("Write to your guests")
    no_serious_violations(host, "04-host-compose")
    host.get_by_label("Message").fill("Yes please, bring the blanket! Doors open at 19:30.")
    expect(host.get_by_label("Going (seated)")).to_be_checked()
    host.get_by_role("button", name="Send").click()
    expect(host.locator(".flashes")).to_contain_text("Sent.")
    expect(host.locator(".announcement-list")).to_contain_text("To going")
    no_serious_violations(host, "05-host-sent")
    host.goto(base + paths["party"])
    expect(host.locator("#from-the-host")).to_contain_text("to going")
    no_serious_violations(host, "06-host-party-page")

    # The going guest sees it on the party page.
    guest.goto(base + paths["party"])
    from_host = guest.locator("#from-the-host")
    expect(from_host).to_contain_text("Doors open at 19:30.")
    expect(from_host).not_to_contain_text("to going")
    no_serious_violations(guest, "07-guest-sees-announcement")

    # A stranger with the link sees neither.
    stranger = open_context("phone").new_page()
    stranger.goto(base + paths["party"])
    expect(stranger.locator("main")).not_to_contain_text("Doors open")
    expect(stranger.locator("main")).not_to_contain_text("blanket")
