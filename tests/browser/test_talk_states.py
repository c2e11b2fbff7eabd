"""The states #20 added that a person meets on a phone, each with axe finding nothing
serious or critical, nothing wider than the screen and taps of 44 px, with and without
JavaScript: the dashboard's "Recent activity" (and choosing how the host hears), the
"Can't make it after all?" page naming the claims and items it releases, the party page
with comments and announcements, and the page after the film.

Each state is also shot at 390 and 1280 px wide into /tmp/talk-shots/ (TALK_SHOTS to
move it), to look at."""

import os
import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, screenshot
from tests.browser.test_phone import phone_problems

SHOTS = Path(os.environ.get("TALK_SHOTS") or Path(tempfile.gettempdir()) / "talk-shots")


def seed_a_talking_party(live_server) -> dict:
    """Anora night a week ahead, capacity 4: Ana going (+1) brings 2 Popcorn and added
    Cheesecake; Ben going; Cy waitlisted; May maybe. Three comments (one a spoiler, one a
    reply), two announcements (to going; to everyone who replied), a removed guest."""
    import sqlalchemy as sa

    from tests.factories import make_film, make_items, make_party, make_reply, make_user
    from watchparty import clock
    from watchparty.extensions import db
    from watchparty.models import Rsvp
    from watchparty.rsvp import service as rsvp
    from watchparty.signups import items as signup_items
    from watchparty.signups import service as signups
    from watchparty.talk import service as talk

    with live_server.app.app_context():
        host = make_user(email="host@example.com", display_name="Hana Host", timezone="Europe/London")
        film = make_film("Anora", 2024, runtime_minutes=139)
        party = make_party(host, film, title="Anora night", capacity=4, max_plus_ones=1)
        (popcorn,) = make_items(party, ("Popcorn", 4))
        ana = make_reply(party, "Ana Alvarez", email="ana@example.com", plus_ones=1)
        ben = make_reply(party, "Ben Brook", email="ben@example.com")
        make_reply(party, "Cy Cole", email="cy@example.com")
        make_reply(party, "Zed Gone", email="zed@example.com")  # waitlisted, then removed
        may = make_reply(party, "May Moss", email="may@example.com", response="maybe")
        now = clock.now()
        ana_viewer = rsvp.Viewer(party, rsvp=ana)
        signups.claim_item(party, ana_viewer, popcorn.id, 2, "", now=now)
        signup_items.add_item(party, ana_viewer, signup_items.ItemFields(name="Cheesecake", category="snack", quantity=1))
        question = talk.post_comment(party, ana_viewer, talk.CommentFields(
            body="Who has a projector? Mine is tiny. https://example.com/projectors"), now)
        talk.post_comment(party, rsvp.Viewer(party, rsvp=ben), talk.CommentFields(
            body="I do, I'll bring it along with a long cable.", reply_to=question.id), now)
        talk.post_comment(party, rsvp.Viewer(party, rsvp=may), talk.CommentFields(
            body="The last scene in the car is the whole film.", is_spoiler=True), now)
        talk.post_announcement(party, talk.AnnouncementFields(
            message="Doors open at 19:30. Ring the top bell; the lift is round the back.", audience=("going",)), now)
        talk.post_announcement(party, talk.AnnouncementFields(
            message="Thanks for replying, all! There is parking on the street after 18:00.",
            audience=("going", "maybe", "waitlisted")), now)
        zed = db.session.scalar(sa.select(Rsvp).where(Rsvp.email == "zed@example.com"))
        rsvp.remove_guest(party, zed.id)
        db.session.commit()
        return {
            "party": f"/p/{party.share_token}",
            "dashboard": f"/parties/{party.id}",
            "ana": f"/p/{party.share_token}/rsvp/{ana.manage_token}",
            "ends_in_minutes": (party.ends_at - clock.now()).total_seconds() / 60,
        }


def log_in_host(page, base: str) -> None:
    from tests.factories import DEFAULT_PASSWORD

    page.goto(base + "/accounts/login")
    page.fill("input[name=email]", "host@example.com")
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(base + "/")


def check_state(page, name: str, phone: bool = True) -> None:
    """axe: nothing serious or critical; on a phone, nothing too wide or too small to tap."""
    page.wait_for_load_state()
    screenshot(page, f"talk-states-{name}")
    assert axe_violations(page) == [], name
    if phone:
        assert phone_problems(page) == [], name


def phone_page(open_context, javascript: bool):
    """A phone's tab; without JavaScript, the app's one script (site.js) is blocked, so the
    page is what a browser without JavaScript shows and axe can still be injected
    (as tests/browser/test_no_js.py does)."""
    context = open_context("phone")
    if not javascript:
        context.route(re.compile(r"/static/js/site\.js(\?.*)?$"), lambda route: route.abort())
    return context.new_page()


def shoot(page, name: str, width: int, section: str | None = None) -> None:
    """The whole page, and the section the state is about on its own (easier to look at)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True, scale="css")
    if section:
        page.locator(section).screenshot(path=str(SHOTS / f"{name}-{width}-section.png"), scale="css")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_dashboards_recent_activity_on_a_phone(live_server, open_context, javascript):
    seeded = seed_a_talking_party(live_server)
    base = live_server.url
    page = phone_page(open_context, javascript)
    log_in_host(page, base)
    page.goto(base + seeded["dashboard"] + "#activity")
    section = page.locator("#activity")
    expect(section.get_by_role("heading", name="Recent activity")).to_be_visible()
    lines = section.locator(".activity-list li")
    expect(lines.first).to_contain_text("You removed Zed Gone from the guest list")
    text = " ".join(lines.all_inner_texts())
    assert text.index("May Moss commented") < text.index("Ana Alvarez will bring 2 × Popcorn") < text.index(
        "Ana Alvarez is going (+1)"), "newest first"
    expect(section).to_contain_text("Times in Europe/London")
    check_state(page, f"activity-{'js' if javascript else 'no-js'}")
    if javascript:
        shoot(page, "dashboard-activity", 390, "#activity")
        wide = open_context("desktop").new_page()
        log_in_host(wide, base)
        wide.goto(base + seeded["dashboard"] + "#activity")
        shoot(wide, "dashboard-activity", 1280, "#activity")
        check_state(wide, "activity-desktop", phone=False)
    # Choosing how the host hears is a plain form.
    section.get_by_label("No emails").check()
    section.get_by_role("button", name="Save").click()
    expect(page.locator(".flashes")).to_be_visible()
    expect(page.locator("#activity").get_by_label("No emails")).to_be_checked()
    check_state(page, f"activity-saved-{'js' if javascript else 'no-js'}")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_cant_make_it_asks_first_on_a_phone_naming_what_it_releases(live_server, open_context, javascript):
    seeded = seed_a_talking_party(live_server)
    base = live_server.url
    page = phone_page(open_context, javascript)
    page.goto(base + seeded["ana"])
    page.get_by_role("link", name="Can't make it after all").click()
    expect(page.locator("h1")).to_have_text("Can't make it after all?")
    expect(page.locator(".withdraw-releases")).to_contain_text("2 × Popcorn")
    expect(page.locator(".withdraw-removes")).to_contain_text("Cheesecake")
    expect(page.locator(".withdraw-releases")).not_to_contain_text("Cheesecake")  # said once: it leaves the list
    expect(page.locator("main")).to_contain_text("Hana Host will hear about it")
    check_state(page, f"withdraw-{'js' if javascript else 'no-js'}")
    if javascript:
        shoot(page, "withdraw-confirm", 390)
        wide = open_context("desktop").new_page()
        wide.goto(base + seeded["ana"] + "/withdraw")
        shoot(wide, "withdraw-confirm", 1280)
        check_state(wide, "withdraw-desktop", phone=False)
    # "Keep my reply" changes nothing; "Yes" withdraws and releases.
    page.get_by_role("link", name="Keep my reply").click()
    expect(page).to_have_url(re.compile(re.escape(seeded["ana"]) + "$"))
    page.get_by_role("link", name="Can't make it after all").click()
    page.get_by_role("button", name="Yes, I can't make it").click()
    expect(page.locator("main")).to_contain_text("can't make it")
    page.goto(base + seeded["party"] + "#signups")
    expect(page.locator("main")).not_to_contain_text("Cheesecake")
    check_state(page, f"withdrawn-{'js' if javascript else 'no-js'}")


def test_the_party_page_with_comments_and_announcements_and_after_the_film(live_server, open_context):
    seeded = seed_a_talking_party(live_server)
    base = live_server.url
    narrow = open_context("phone").new_page()
    wide = open_context("desktop").new_page()
    for page in (narrow, wide):
        page.goto(base + seeded["ana"])  # the manage link remembers Ana on this browser
        page.goto(base + seeded["party"])
        expect(page.locator("#from-the-host")).to_contain_text("Doors open at 19:30.")
        expect(page.locator("#talk")).to_contain_text("Who has a projector?")
        expect(page.locator("#talk details.spoiler").first).not_to_have_attribute("open", "")
    check_state(narrow, "party-talk")
    check_state(wide, "party-talk-desktop", phone=False)
    shoot(narrow, "party-talk", 390, "#talk")
    shoot(wide, "party-talk", 1280, "#talk")

    live_server.move_clock(minutes=seeded["ends_in_minutes"] + 60)
    for page in (narrow, wide):
        page.goto(base + seeded["party"])
        sections = page.locator("main section[id]").evaluate_all("nodes => nodes.map(n => n.id)")
        assert sections[0] == "how-was-it", sections
        expect(page.locator("#talk")).to_contain_text("The last scene in the car")
    check_state(narrow, "after-film-talk")
    check_state(wide, "after-film-talk-desktop", phone=False)
    shoot(narrow, "after-film", 390)
    shoot(wide, "after-film", 1280)
