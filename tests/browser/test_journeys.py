"""The three journeys of DESIGN.md §1 in a real browser, through the real UI.

Journey 1 (the host, desktop 1280x800) and journey 2 (a guest on a phone
390x844, a separate browser context: logged out, own cookies) run interleaved
in one test, since "watch the dashboard fill" means the host sees what the
guest just did; they run a second time with the sizes swapped, so that every
step has been seen (and screenshotted) at both sizes. Journey 3 (the film page
before the event, and the spoiler reveal) runs at both sizes. Screenshots land
in tests/browser/screenshots/, named journey<N>-<size>-<step>.
"""

import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, seed_demo
from tests.mailbox import Outbox, text_body

HOST_EMAIL = "hana@example.com"
HOST_PASSWORD = "a long and secret passphrase"
PARTY_TITLE = "Anora at Hana's"
ADDRESS = "Flat 3, 9 Test Lane"
SPOILER_TRIVIA = "The film ends with a scene set in a car in the snow."
SPOILER_REVIEW = "Ani and Igor sit in a car in the snow"


def next_week_at_eight() -> str:
    """A start a week ahead, 20:00 in London, as the datetime-local field takes it."""
    from watchparty.models import utcnow

    day = (utcnow().astimezone(ZoneInfo("Europe/London")) + timedelta(days=7)).date()
    return f"{day.isoformat()}T20:00"


def host_creates_the_party(host, base_url: str, size: str, outbox=None) -> str:
    """Journey 1 up to the dashboard: sign up, confirming the address with the emailed code (#22),
    then create the party with the starter list, published at once. Returns the dashboard URL."""
    host.goto(base_url + "/")
    host.get_by_role("link", name="Sign up").click()
    host.fill("input[name=email]", HOST_EMAIL)
    host.fill("input[name=display_name]", "Hana")
    host.fill("input[name=password]", HOST_PASSWORD)
    host.fill("input[name=confirm]", HOST_PASSWORD)
    host.get_by_role("button", name="Create my account").click()
    # The account waits for the code emailed to the address (the same answer for a taken one).
    expect(host).to_have_url(base_url + "/accounts/code/verify")
    expect(host.get_by_label("Email", exact=True)).to_have_value(HOST_EMAIL)
    code = re.search(r"^\s+(\d{6})\s*$", text_body(outbox.last()), re.MULTILINE).group(1)
    host.fill("input[name=code]", code)
    host.get_by_role("button", name="Finish signing up").click()
    expect(host.locator("main")).to_contain_text("Hana")  # the home page greets the new host by name
    screenshot(host, f"journey1-{size}-01-registered")

    host.locator("main").get_by_role("link", name="Host a party").click()
    host.fill("input[name=title]", PARTY_TITLE)
    host.fill("input[name=film]", "Anora")
    host.fill("input[name=starts_at]", next_week_at_eight())
    host.select_option("select[name=timezone]", "Europe/London")
    # The optional sections start collapsed: open the place and the guests.
    host.locator("details#place > summary").click()
    host.locator("details#guests > summary").click()
    host.fill("input[name=area]", "Hackney, London")
    host.fill("textarea[name=address]", ADDRESS)
    host.fill("input[name=capacity]", "10")
    host.fill("input[name=max_plus_ones]", "2")
    host.locator("details#items > summary").click()
    host.get_by_role("button", name="Add the movie-night starter list").click()
    # The starter rows are filled in (and the fields typed so far kept) before anything is saved.
    expect(host.locator(".item-row input[name$='-name']").first).to_have_value("Popcorn")
    expect(host.locator("input[name=title]")).to_have_value(PARTY_TITLE)
    screenshot(host, f"journey1-{size}-02-new-party-with-starter-list")

    host.get_by_role("button", name="Create the party").click()
    # The address was confirmed at sign-up: the party is published at once.
    expect(host).to_have_url(re.compile(r"/parties/\d+$"))
    expect(host.locator("h1")).to_have_text(PARTY_TITLE)
    expect(host.locator("#signups")).to_contain_text("Popcorn")
    return host.url


def host_shares_the_link(host, base_url: str, size: str) -> str:
    """The copy button puts the share link on the clipboard; the QR code loads. Returns the link."""
    host.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    link = host.locator("#share-link").input_value()
    assert re.fullmatch(re.escape(base_url) + r"/p/[A-Za-z0-9_-]{22,}", link), link
    copy = host.locator("button[data-copy=share-link]")  # not by its name: the name changes on a click
    expect(copy).to_have_text("Copy link")
    copy.click()
    expect(copy).to_have_text("Copied!")
    assert host.evaluate("navigator.clipboard.readText()") == link
    host.locator("details.share-qr-box > summary").click()  # the QR code is one tap away
    qr = host.locator("img.share-qr")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0"), "the QR code image did not load"
    screenshot(host, f"journey1-{size}-03-dashboard-share-link-copied")
    return link


def item_card(page, name: str):
    return page.locator("#signups .signup-item").filter(has=page.locator(".signup-item__name", has_text=name))


@pytest.mark.parametrize(("size", "guest_size"), [("desktop", "phone"), ("phone", "desktop")])
def test_host_and_guest_journeys(open_context, live_server, size, guest_size):
    seed_demo(live_server)  # the catalogue with Anora (and the demo host, who plays no part here)
    base = live_server.url
    host_context, guest_context = open_context(size), open_context(guest_size)

    # ---- Journey 1, the host (on a desktop as the issue tells it): register, create, share.
    host = host_context.new_page()
    outbox = Outbox(Path(live_server.app.config["MAIL_OUTBOX_DIR"]), live_server.app)
    dashboard = host_creates_the_party(host, base, size, outbox)
    link = host_shares_the_link(host, base, size)

    # ---- Journey 2, a guest (on a phone as the issue tells it), logged out, through the link.
    guest = guest_context.new_page()
    guest.goto(link)
    expect(guest.locator("h1")).to_have_text(PARTY_TITLE)
    film_card = guest.locator(".party-film")
    expect(film_card).to_contain_text("Anora")
    expect(film_card).to_contain_text("Sean Baker")
    expect(film_card.locator("img")).to_be_visible()
    # Before replying the guest sees the area, not the host's address.
    expect(guest.locator("main")).to_contain_text("Hackney, London")
    expect(guest.locator("main")).not_to_contain_text(ADDRESS)
    screenshot(guest, f"journey2-{guest_size}-01-party-page")

    guest.get_by_label("Going").check()
    guest.get_by_label("Your name").fill("Gia Guest")
    guest.get_by_label("Plus-ones").fill("1")
    seen_it = guest.get_by_label("I've seen this film")
    expect(seen_it).not_to_be_checked()
    screenshot(guest, f"journey2-{guest_size}-02-reply-filled")
    guest.get_by_role("button", name="Send my reply").click()
    # Success lands on the personal manage page (POST -> redirect -> GET).
    expect(guest).to_have_url(re.compile(r"/p/[^/]+/rsvp/[A-Za-z0-9_-]{22,}$"))
    expect(guest.locator(".flashes")).to_contain_text("You're going!")
    expect(guest.locator(".your-reply__status").first).to_contain_text("You're going with +1")
    expect(guest.locator("main")).to_contain_text(ADDRESS)  # going: now the exact address shows
    manage_link = guest.locator("#manage-link").input_value()
    screenshot(guest, f"journey2-{guest_size}-03-replied")

    popcorn = item_card(guest, "Popcorn")
    popcorn.get_by_label("I'll bring").fill("2")
    popcorn.get_by_role("button", name="Sign up for Popcorn").click()
    expect(guest.locator(".flashes")).to_contain_text("You're bringing 2 × Popcorn")
    expect(item_card(guest, "Popcorn").locator(".signup-claims")).to_contain_text("You × 2")
    screenshot(guest, f"journey2-{guest_size}-04-claimed-popcorn")

    guest.get_by_role("link", name="Add it on the party page").click()
    guest.fill("#add-item-name", "Lemon drizzle cake")
    guest.select_option("#add-item-category", "snack")
    guest.fill("#add-item-quantity", "1")
    guest.get_by_role("button", name="I'll bring it").click()
    cake = item_card(guest, "Lemon drizzle cake")
    expect(cake).to_contain_text("added by")
    expect(cake.locator(".signup-claims")).to_contain_text("You × 1")
    screenshot(guest, f"journey2-{guest_size}-05-added-own-item")

    with guest.expect_download() as download_info:
        guest.get_by_role("link", name="Add to calendar (.ics)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".ics")
    calendar = Path(download.path()).read_text(encoding="utf-8")
    assert calendar.startswith("BEGIN:VCALENDAR")
    assert "END:VCALENDAR" in calendar
    assert f"SUMMARY:{PARTY_TITLE}" in calendar.replace("\r\n ", "")  # lines may be folded
    assert ADDRESS.replace(",", "\\,") in calendar.replace("\r\n ", "")  # a going guest gets the address

    # ---- Back to the host: the dashboard has filled.
    host.goto(dashboard)
    going = host.locator("#guests .guest-table").first
    expect(going).to_contain_text("Gia Guest")
    expect(host.locator(".headcount-numbers")).to_contain_text("2 of 10")
    expect(item_card(host, "Popcorn").locator(".signup-claims")).to_contain_text("Gia Guest × 2")
    expect(item_card(host, "Lemon drizzle cake")).to_contain_text("added by Gia Guest")
    screenshot(host, f"journey1-{size}-04-dashboard-filled")

    # ---- Later, the guest comes back in the same browser: the cookie remembers them.
    guest.close()
    guest = guest_context.new_page()
    guest.goto(link)
    status = guest.locator(".rsvp-box .your-reply__status")
    expect(status).to_contain_text("You're going with +1")
    expect(guest.locator(".rsvp-box form.reply-form")).to_have_count(0)
    screenshot(guest, f"journey2-{guest_size}-06-remembered")
    status.get_by_role("link", name="change").click()
    expect(guest).to_have_url(manage_link)
    screenshot(guest, f"journey2-{guest_size}-07-manage-page")

    change = guest.locator("#change")
    change.get_by_label("Plus-ones").fill("0")
    change.get_by_label("Dietary needs").fill("vegetarian")
    change.get_by_role("button", name="Save my reply").click()
    expect(guest.locator(".flashes")).to_contain_text("Saved. You're going!")
    expect(guest.locator(".your-reply__status").first).to_have_text(re.compile(r"^\s*You're going\s+— change\s*$"))
    screenshot(guest, f"journey2-{guest_size}-08-reply-changed")

    host.reload()
    expect(host.locator(".headcount-numbers")).to_contain_text("1 of 10")
    expect(host.locator(".dietary-list")).to_contain_text("vegetarian")
    screenshot(host, f"journey1-{size}-05-dashboard-after-change")


def pin_the_demo_review(live_server, demo) -> None:
    """The demo host pins the Anora review, so the party page shows it in full (with its spoiler section)."""
    from watchparty.extensions import db
    from watchparty.models import Party
    from watchparty.reviews import service as reviews

    with live_server.app.app_context():
        party = db.session.scalar(sa.select(Party).where(Party.id == demo["party_id"]))
        reviews.choose_reviews(party, [demo["review_id"]], demo["review_id"])
        db.session.commit()


def spoilers(page):
    return page.locator("main details.spoiler")


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_film_page_before_the_event_and_spoilers_after_it(open_context, live_server, size):
    demo = seed_demo(live_server)
    pin_the_demo_review(live_server, demo)
    page = open_context(size).new_page()
    name = f"journey3-{size}"

    # The party page a week before: every spoiler folded.
    page.goto(live_server.url + demo["party"])
    expect(spoilers(page)).to_have_count(2)  # the pinned review's ending, the spoiler trivia
    for details in spoilers(page).all():
        expect(details).not_to_have_attribute("open", "")
    expect(page.get_by_text(SPOILER_REVIEW)).not_to_be_visible()
    expect(page.get_by_text(SPOILER_TRIVIA)).not_to_be_visible()
    screenshot(page, f"{name}-01-party-page")

    # To the film page: cast and the rest; its spoiler trivia opens on a click.
    page.get_by_role("link", name="Everything about Anora").click()
    expect(page).to_have_url(live_server.url + demo["film"])
    expect(page.locator("h1")).to_contain_text("Anora")
    expect(page.locator("main")).to_contain_text("Mikey Madison")
    trivia = page.get_by_text(SPOILER_TRIVIA)
    expect(trivia).not_to_be_visible()
    screenshot(page, f"{name}-02-film-page")
    summary = spoilers(page).first.locator("summary")
    expect(summary).to_have_text("Contains spoilers — show", use_inner_text=True)
    summary.click()
    expect(spoilers(page).first).to_have_attribute("open", "")
    expect(trivia).to_be_visible()
    expect(summary).to_have_text("Contains spoilers — hide", use_inner_text=True)  # what a second click does
    screenshot(page, f"{name}-03-film-page-spoiler-opened")

    # The full review: the ending section is folded until asked for.
    page.locator("main .review-card").get_by_role("link", name="Read the full review").click()
    expect(page).to_have_url(live_server.url + demo["review"])
    expect(page.locator("h1")).to_contain_text("Anora: a screwball fairy tale")
    ending = page.get_by_text(SPOILER_REVIEW)
    expect(ending).not_to_be_visible()
    screenshot(page, f"{name}-04-full-review")
    spoilers(page).first.locator("summary").click()
    expect(ending).to_be_visible()
    screenshot(page, f"{name}-05-full-review-spoiler-opened")

    # After the film (start + 2 h 19 min), on the server's clock: open on the party page.
    live_server.move_clock(days=8)
    page.goto(live_server.url + demo["party"])
    expect(spoilers(page)).to_have_count(2)
    for details in spoilers(page).all():
        expect(details).to_have_attribute("open", "")
        expect(details.locator("summary")).to_have_text("Contains spoilers — hide", use_inner_text=True)
    expect(page.get_by_text(SPOILER_REVIEW)).to_be_visible()
    expect(page.get_by_text(SPOILER_TRIVIA)).to_be_visible()
    expect(page.locator(".companion__guard")).to_contain_text("The film is over")
    screenshot(page, f"{name}-06-party-page-after-the-film")
    # The film page itself never opens them by itself.
    page.goto(live_server.url + demo["film"])
    expect(spoilers(page).first).not_to_have_attribute("open", "")


def test_the_countdown_counts_from_the_servers_clock_not_the_phones(open_context, live_server):
    """The phone's clock says the party is a week away; the server's says three hours.
    The countdown script must follow the server (a phone set wrong counts wrong)."""
    from watchparty.extensions import db
    from watchparty.models import Party, utcnow

    demo = seed_demo(live_server)
    with live_server.app.app_context():
        starts_at = db.session.get(Party, demo["party_id"]).starts_at
    live_server.move_clock(seconds=(starts_at - utcnow() - timedelta(hours=3)).total_seconds())
    page = open_context("phone").new_page()
    page.goto(live_server.url + demo["party"])
    countdown = page.locator(".countdown")
    expect(countdown).to_have_attribute("data-now", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"))
    # Rewritten by the script ("in 2h 59m"), not left as the server's "in 3 hours", and not "in 7 days".
    expect(countdown).to_have_text(re.compile(r"^in [23]h \d+m$"))
