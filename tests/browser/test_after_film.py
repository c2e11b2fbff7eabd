"""After the film, on a phone (issue #20, part 6): the guest taps the morning-after email's
link, lands on "How was it?", rates the film, and reads the recap — with axe-core finding
no serious or critical problem in either state. Screenshots: tests/browser/screenshots/
after-film-*.png."""

from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, screenshot
from tests.browser.test_phone import phone_problems


def seed_a_night_that_happened(live_server) -> dict:
    """A party a week ahead with a guest list the host shows, three guests (one maybe), a
    list with claims, a critic's review and the host's verdict; then the clock moves past the film."""
    from tests.factories import (
        make_claim,
        make_film,
        make_items,
        make_party,
        make_reply,
        make_review,
        make_user,
        make_verdict,
    )
    from watchparty.extensions import db
    from watchparty.notifications.after_film import rate_url

    with live_server.app.app_context():
        host = make_user(email="host@example.com", display_name="Hana Host")
        film = make_film("Anora", 2024, runtime_minutes=139)
        party = make_party(host, film, title="Anora night", capacity=None, guest_list_visible=True)
        gina = make_reply(party, "Gina Guest", email="gina@example.com", plus_ones=1)
        gus = make_reply(party, "Gus Going", email="gus@example.com")
        make_reply(party, "Mia Maybe", response="maybe")
        popcorn, lemonade, _ice = make_items(party, ("Popcorn", 3), ("Lemonade", 2, "drink"), ("Ice", 1))
        make_claim(party, popcorn, 2, rsvp=gina)
        make_claim(party, lemonade, 1, rsvp=gus)
        make_claim(party, popcorn, 1)  # the host
        make_review(film, "A critic's view", rating=(4, 5))
        make_verdict(party, 7, gus, text="Funny, then devastating.")
        db.session.commit()
        found = {"party": f"/p/{party.share_token}", "rate": rate_url(gina, party)}
        live_server.move_clock(minutes=(party.ends_at - party.starts_at).total_seconds() / 60 + 7 * 24 * 60 + 5)
    return found


def test_a_guest_rates_the_film_the_morning_after_on_a_phone(live_server, open_context):
    seeded = seed_a_night_that_happened(live_server)
    page = open_context("phone").new_page()
    # The email's link, as a phone opens it: the manage link remembers Gina and opens "How was it?".
    page.goto(seeded["rate"])
    expect(page).to_have_url(live_server.url + seeded["party"] + "#how-was-it")

    sections = page.locator("main section[id]").evaluate_all("nodes => nodes.map(n => n.id)")
    assert sections[:2] == ["how-was-it", "recap"], sections
    assert sections[-1] == "before-you-watch", sections
    assert "rsvp" not in sections and "signups" not in sections
    expect(page.locator(".party-kicker")).to_have_text("Hana Host hosted")
    expect(page.locator(".countdown")).to_have_count(0)
    expect(page.get_by_text("Add to calendar")).to_have_count(0)
    expect(page.locator("#recap")).to_contain_text("Gina Guest")
    expect(page.locator("#recap")).to_contain_text("3 × Popcorn")
    screenshot(page, "after-film-phone-how-was-it")
    violations = axe_violations(page)
    assert violations == [], violations
    assert phone_problems(page) == []  # nothing wider than the screen, taps of 44 px, text of 14 px

    page.locator("#how-was-it label.score-choice", has_text="6").click()
    page.fill("#how-was-it textarea[name=text]", "Too long in the middle, but that ending.")
    page.get_by_role("button", name="Send my verdict").click()
    expect(page.locator("#how-was-it")).to_contain_text("You gave it 6/10")
    expect(page.locator("#how-was-it")).to_contain_text("The crew's verdict: 6.5/10")
    expect(page.locator("#recap")).to_contain_text("The crew liked it less than the critics did.")
    screenshot(page, "after-film-phone-rated")
    violations = axe_violations(page)
    assert violations == [], violations
    assert phone_problems(page) == []


def test_the_after_film_page_works_without_javascript(live_server, open_context):
    seeded = seed_a_night_that_happened(live_server)
    page = open_context("phone", java_script_enabled=False).new_page()
    page.goto(seeded["rate"])
    page.locator("#how-was-it label.score-choice", has_text="9").click()
    page.get_by_role("button", name="Send my verdict").click()
    expect(page.locator("#how-was-it")).to_contain_text("You gave it 9/10")
    # The form folds away once rated; "Change my verdict" opens it again (a <details>, no script).
    page.get_by_text("Change my verdict").first.click()
    expect(page.locator("#how-was-it form.verdict-form")).to_be_visible()



def test_the_host_hosts_again_from_the_dashboard_on_a_phone(live_server, open_context):
    from tests.factories import DEFAULT_PASSWORD

    seeded = seed_a_night_that_happened(live_server)
    page = open_context("phone").new_page()
    page.goto(live_server.url + "/accounts/login")
    page.fill("input[name=email]", "host@example.com")
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("main button[type=submit]")
    page.goto(live_server.url + seeded["party"])
    page.get_by_role("link", name="Host dashboard").click()
    page.get_by_role("link", name="Host again").click()
    expect(page.locator("h1")).to_have_text("Host again")
    expect(page.locator("input[name=area]")).to_have_value("Hackney, London")
    expect(page.locator("input[name=film]")).to_have_value("")
    expect(page.get_by_label("Invite the same guests")).not_to_be_checked()
    screenshot(page, "after-film-phone-host-again")
    violations = axe_violations(page)
    assert violations == [], violations
    assert phone_problems(page) == []
