"""The talk's four states as people meet them, on a phone (390 px) and a desktop
(1280 px), each checked by axe (nothing serious or critical) and, on the phone, for
nothing too wide or too small to tap:

1. a visitor with the link who has not replied sees no comment and no talk at all;
2. a going guest posts a comment;
3. the host writes to the going guests, and the going guest sees it under "From the host";
4. after the film: the page opens with "How was it?", and the comment form has no
   "spoiler" tick (spoilers are open to everyone by then).

Shots go to TALK_SHOTS (see tests/browser/test_talk_states.py), one per state and width."""

import re

from playwright.sync_api import expect

from tests.browser.test_talk_states import check_state, log_in_host, seed_a_talking_party, shoot


def both(open_context):
    return open_context("phone").new_page(), open_context("desktop").new_page()


def test_the_talk_for_a_visitor_a_going_guest_the_host_and_after_the_film(live_server, open_context):
    seeded = seed_a_talking_party(live_server)
    base = live_server.url

    # 1. A visitor with the link: the party, but none of the talk.
    for page in both(open_context):
        page.goto(base + seeded["party"])
        expect(page.locator("h1")).to_contain_text("Anora night")
        expect(page.locator("#talk")).to_have_count(0)
        expect(page.locator("#from-the-host")).to_have_count(0)
        expect(page.locator("main")).not_to_contain_text("projector")
        expect(page.locator("main")).not_to_contain_text("Doors open")
        width = page.viewport_size["width"]
        check_state(page, f"four-visitor-{width}", phone=width == 390)
        shoot(page, "four-1-visitor", width)

    # 2. Ana, going (her manage link remembers her), posts a comment.
    ana, ana_wide = both(open_context)
    for page in (ana, ana_wide):
        page.goto(base + seeded["ana"])
    ana.goto(base + seeded["party"] + "#talk")
    talk = ana.locator("#talk")
    expect(talk.get_by_label("Contains spoilers (folded until the film is over)")).to_be_visible()
    talk.get_by_label("Your comment").fill("I'll bring the good cushions.")
    talk.get_by_role("button", name="Post", exact=True).click()
    expect(ana).to_have_url(re.compile(r"#comment-\d+$"))
    expect(ana.locator("#talk .comment").first).to_contain_text("I'll bring the good cushions.")
    check_state(ana, "four-guest-commented")
    shoot(ana, "four-2-guest-commented", 390, "#talk")
    ana_wide.goto(base + seeded["party"] + "#talk")
    check_state(ana_wide, "four-guest-commented-desktop", phone=False)
    shoot(ana_wide, "four-2-guest-commented", 1280, "#talk")

    # 3. The host writes to the going guests; Ana sees it, May (maybe) would not.
    host = open_context("phone").new_page()
    log_in_host(host, base)
    host.goto(base + seeded["dashboard"] + "/announcements")
    host.get_by_label("Message").fill("Cushions welcome! The film starts at 20:00 sharp.")
    expect(host.get_by_label("Going (seated)")).to_be_checked()
    host.get_by_role("button", name="Send").click()
    expect(host.locator(".flashes")).to_contain_text("Sent.")
    check_state(host, "four-host-sent")
    shoot(host, "four-3-host-sent", 390)
    for page in (ana, ana_wide):
        page.goto(base + seeded["party"])
        from_host = page.locator("#from-the-host")
        expect(from_host.locator(".announcement").first).to_contain_text("The film starts at 20:00 sharp.")
        width = page.viewport_size["width"]
        check_state(page, f"four-guest-sees-{width}", phone=width == 390)
        shoot(page, "four-3-guest-sees-announcement", width, "#from-the-host")

    # 4. After the film: "How was it?" first, and no spoiler tick on the comment form.
    live_server.move_clock(minutes=seeded["ends_in_minutes"] + 30)
    for page in (ana, ana_wide):
        page.goto(base + seeded["party"])
        sections = page.locator("main section[id]").evaluate_all("nodes => nodes.map(n => n.id)")
        assert sections[0] == "how-was-it", sections
        expect(page.locator("#how-was-it h2").first).to_contain_text("How was it?")
        talk = page.locator("#talk")
        expect(talk.get_by_label("Your comment")).to_be_visible()
        expect(talk.locator("input[name=is_spoiler]")).to_have_count(0)
        expect(talk.locator("details.spoiler").first).to_have_attribute("open", "")
        width = page.viewport_size["width"]
        check_state(page, f"four-after-film-{width}", phone=width == 390)
        shoot(page, "four-4-after-film", width, "#talk")
