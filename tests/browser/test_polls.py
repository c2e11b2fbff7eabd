"""Deciding together on a phone (#23): the host creates a party with 3 films and 3 dates
to vote on, two guests vote (one without JavaScript), the host closes the vote, the party
page shows the decided film and date, and the guests get the email. axe finds nothing
serious or critical in any new state; each state is kept at 390 px and 1280 px in
/tmp/poll-shots/ (and tests/browser/screenshots/)."""

import os
import re
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, log_in_as_demo_host, screenshot, seed_demo
from tests.browser.test_phone import phone_problems
from tests.mailbox import Outbox, text_body

# Where the poll states are kept for a person to look at (POLL_SHOTS overrides).
SHOTS = Path(os.environ.get("POLL_SHOTS", tempfile.gettempdir() + "/poll-shots"))


def look(page, name: str, desktop=None) -> None:
    """axe and the phone rules on the page as it is; a screenshot at 390 px, and at 1280 px
    when a desktop page of the same person is given (it opens the same URL)."""
    page.wait_for_load_state()
    screenshot(page, f"poll-{name}")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)
    assert axe_violations(page) == [], name
    assert phone_problems(page) == [], name
    if desktop is not None:
        desktop.goto(page.url)
        desktop.reload()  # a URL that differs by its #fragment only would not load the page again
        desktop.wait_for_load_state()
        desktop.screenshot(path=str(SHOTS / f"{name}-1280.png"), full_page=True)
        assert axe_violations(desktop) == [], name + " (desktop)"


def local(days: int, hour: int = 20) -> str:
    return f"{datetime.now(ZoneInfo('UTC')) + timedelta(days=days):%Y-%m-%d}T{hour:02d}:00"


def vote(page, name: str, email: str, yes_option: int, films: tuple[str, ...]) -> None:
    poll = page.locator("#poll")
    options = poll.locator("fieldset.poll-option")
    for index in range(options.count()):
        options.nth(index).get_by_label("Yes" if index == yes_option else "No", exact=True).check()
    for title in films:
        poll.get_by_label(f"I'd watch it: {title}").check()
    ballot = poll.locator("form.poll-form")  # a poll open to nominations has a second form
    ballot.get_by_label("Your name").fill(name)
    ballot.get_by_label("Email (optional)").fill(email)
    ballot.get_by_role("button", name="Send my vote").click()


def test_a_party_decided_by_a_vote_on_a_phone(open_context, live_server):
    seed_demo(live_server)
    base = live_server.url

    # The host opens "Not decided yet?" and lists 3 films and 3 dates.
    host_context = open_context("phone")
    host = host_context.new_page()
    host_desktop = open_context("desktop")
    log_in_as_demo_host(host, base)
    log_in_as_demo_host(host_desktop.new_page(), base)
    host_wide = host_desktop.new_page()
    host.goto(base + "/parties/new")
    host.locator("#poll > summary").click()
    host.get_by_label("Titles to vote on").fill("Parasite\nSpirited Away\nCasablanca")
    for index, days in enumerate((5, 6, 7)):
        host.locator(f"#poll_dates-{index}").fill(local(days))
    look(host, "01-host-form")
    host.get_by_role("button", name="Create the party").click()
    expect(host.locator("h1")).to_have_text("Film night")
    expect(host.locator("main")).to_contain_text("Your guests are voting on the film and the date.")
    look(host, "02-host-dashboard", host_wide)
    host.get_by_role("link", name="See the votes and close the vote").click()
    expect(host.locator("#poll-heading")).to_have_text("Help decide")
    share = re.sub(r"#.*$", "", host.url)
    look(host, "03-host-poll-empty", host_wide)

    # A guest votes on a phone; the counts appear once she has voted.
    gita_context = open_context("phone")
    gita = gita_context.new_page()
    gita.goto(share)
    expect(gita.locator("#poll")).to_contain_text("You'll see the counts once you've voted.")
    look(gita, "04-guest-before-voting", open_context("desktop").new_page())
    vote(gita, "Gita", "gita@example.com", 1, ("Parasite", "Spirited Away"))
    expect(gita.locator(".flashes")).to_contain_text("your vote is in")
    expect(gita.locator("#poll")).to_contain_text("You voted as Gita")
    expect(gita.locator("#poll")).to_contain_text("1 would watch it")
    look(gita, "05-guest-voted")

    # A refused ballot (no name) keeps the answers and says what is missing.
    # Without JavaScript: the app's one script is blocked (axe, injected, needs script to run:
    # as tests/browser/test_no_js.py does for its axe checks).
    kim_context = open_context("phone")
    kim_context.route(re.compile(r"/static/js/site\.js(\?.*)?$"), lambda route: route.abort())
    kim = kim_context.new_page()
    kim.goto(share)
    kim.locator("#poll").get_by_role("button", name="Send my vote").click()
    expect(kim.locator("#name-error")).to_contain_text("Tell the host who you are.")
    look(kim, "06-guest-refused-no-js")
    # The second guest votes without JavaScript.
    vote(kim, "Kim", "kim@example.com", 1, ("Parasite",))
    expect(kim.locator("#poll")).to_contain_text("You voted as Kim")

    # The host sees the counts and who voted, and closes the vote.
    host.goto(share)
    expect(host.locator("#poll")).to_contain_text("2 votes so far")
    expect(host.locator("#poll")).to_contain_text("Leading now: Parasite")
    look(host, "07-host-poll-with-votes", host_wide)
    host.get_by_role("button", name="Close the vote now and decide").click()
    expect(host.locator(".flashes")).to_contain_text("Decided by 2 votes.")
    expect(host.locator(".party-film")).to_contain_text("Parasite")
    expect(host.locator(".party-decided")).to_have_text("Film and date decided by 2 votes.")
    decided = datetime.now(ZoneInfo("UTC")) + timedelta(days=6)
    expect(host.locator(".party-facts")).to_contain_text(f"{decided:%-d %b %Y}")
    look(host, "08-host-decided", host_wide)

    # The guests see the decided party, and each got the email with the event.
    gita.goto(share)
    expect(gita.locator("h1")).to_have_text("Film night")
    expect(gita.locator(".party-film")).to_contain_text("Parasite")
    look(gita, "09-guest-decided")
    with live_server.app.app_context():
        messages = Outbox(Path(live_server.app.config["MAIL_OUTBOX_DIR"]), live_server.app).messages()
    decided_emails = [message for message in messages if message["Subject"].startswith("It's decided")]
    assert sorted(message["To"] for message in decided_emails) == ["gita@example.com", "kim@example.com"]
    for message in decided_emails:
        assert "Film: Parasite (2019)" in text_body(message)
        assert share in text_body(message)

    # One tap from the email: Gita is going.
    link = re.search(r"(https?://\S+/poll/going/\S+)", text_body(decided_emails[0])).group(1)
    gita.goto(link)
    look(gita, "10-guest-one-tap")
    gita.get_by_role("button", name=re.compile("Yes, I'm going")).click()
    expect(gita.locator(".flashes")).to_contain_text("You're on the list.")


def test_a_guest_nominates_a_film_and_the_host_breaks_a_tie_on_a_phone(open_context, live_server):
    """The host lets guests nominate; Gita adds Casablanca and votes, Kim votes: three films
    with one tick each and none seen, a tie the rules cannot break. The host closes, picks
    the film on the party page, and the party is decided."""
    seed_demo(live_server)
    base = live_server.url
    host = open_context("phone").new_page()
    host_desktop = open_context("desktop")
    log_in_as_demo_host(host, base)
    log_in_as_demo_host(host_desktop.new_page(), base)
    host_wide = host_desktop.new_page()
    host.goto(base + "/parties/new")
    host.locator("#poll > summary").click()
    host.get_by_label("Titles to vote on").fill("Parasite\nSpirited Away")
    host.get_by_label("Guests may nominate one film each").check()
    for index, days in enumerate((5, 6)):
        host.locator(f"#poll_dates-{index}").fill(local(days))
    host.get_by_role("button", name="Create the party").click()
    host.get_by_role("link", name="See the votes and close the vote").click()
    share = re.sub(r"#.*$", "", host.url)
    expect(host.locator("#poll")).to_contain_text("Open until the host decides.")

    # Gita nominates Casablanca (her first step makes her a voter), then votes.
    gita = open_context("phone").new_page()
    gita.goto(share)
    look(gita, "11-guest-can-nominate", open_context("desktop").new_page())
    nominate = gita.locator("#poll-nominate")
    nominate.get_by_label("Film title").fill("Casablanca")
    nominate.get_by_label("Your name").fill("Gita")
    nominate.get_by_label("Email (optional)").fill("gita@example.com")
    nominate.get_by_role("button", name="Nominate it").click()
    expect(gita.locator(".flashes")).to_contain_text("Casablanca is in the vote, with your tick.")
    expect(gita.locator("#poll-nominate")).to_have_count(0)  # one each
    poll = gita.locator("#poll")
    expect(poll.get_by_label("I'd watch it: Casablanca")).to_be_checked()
    options = poll.locator("fieldset.poll-option")
    options.nth(0).get_by_label("Yes", exact=True).check()
    options.nth(1).get_by_label("No", exact=True).check()
    poll.get_by_label("I'd watch it: Parasite").check()
    poll.get_by_role("button", name="Save my changes").click()
    expect(gita.locator(".flashes")).to_contain_text("Saved")
    expect(poll).to_contain_text("your nomination")
    look(gita, "12-guest-voted-with-nomination")

    # Gita ticked Parasite and Casablanca; Kim ticks Spirited Away, Lou all three: two ticks
    # each, nobody has seen any, so the rules leave a three-way tie. The first date has 3 yes.
    for name, films in (("Kim", ("Spirited Away",)), ("Lou", ("Parasite", "Spirited Away", "Casablanca"))):
        voter = open_context("phone").new_page()
        voter.goto(share)
        vote(voter, name, "", 0, films)
        expect(voter.locator("#poll")).to_contain_text(f"You voted as {name}")

    host.goto(share)
    expect(host.locator("#poll")).to_contain_text("3 votes so far")
    expect(host.locator("#poll")).to_contain_text("nominated by Gita")
    expect(host.locator("#poll")).to_contain_text("Films tied now: Parasite, Spirited Away, Casablanca.")
    look(host, "13-host-results", host_wide)
    host.get_by_role("button", name="Close the vote now and decide").click()
    expect(host.locator(".flashes")).to_contain_text("it's a tie: pick the film below")
    pick = host.locator("#poll-pick")
    expect(pick).to_contain_text("Pick the film")
    expect(pick).to_contain_text("Parasite")
    expect(pick).to_contain_text("Spirited Away")
    expect(pick).to_contain_text("Casablanca")
    look(host, "14-host-tie-pick-the-film", host_wide)

    pick.get_by_label(re.compile("Casablanca")).check()
    pick.get_by_role("button", name="Decide the party").click()
    expect(host.locator(".flashes")).to_contain_text("Decided.")
    expect(host.locator(".party-film")).to_contain_text("Casablanca")
    expect(host.locator(".party-decided")).to_have_text("Film and date decided by 3 votes.")
    look(host, "15-host-decided-after-pick", host_wide)
