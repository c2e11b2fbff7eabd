"""On a phone (390x844) every page a guest or a host meets is finished: nothing
wider than the screen, every tap target at least 44x44 CSS px, body text at
least 14 px, no table that has to be scrolled sideways.

What counts as a tap target: every visible link, button, field, select and
summary on the page (header and footer included). A checkbox or radio button
is measured by its label, which is what a thumb hits. Exempt, as in WCAG 2.5.5's
"inline" exception: a link inside a sentence (an inline link whose block has
other text) — its size is set by the line of text around it. Elements hidden
from sight (display none, `hidden`, the 1px visually-hidden class, the skip
link until it has focus) are not measured.
"""

import re

from playwright.sync_api import expect

from tests.browser.conftest import log_in_as_demo_host, screenshot, seed_demo

TAP = 44
SMALLEST_TEXT = 14

PROBLEMS_JS = """
({tap, smallest}) => {
    const problems = [];
    const width = document.documentElement.clientWidth;
    const describe = el => {
        const text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().replace(/\\s+/g, " ");
        const id = el.id ? "#" + el.id : "";
        const cls = el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "";
        return `${el.tagName.toLowerCase()}${id}${cls} "${text.slice(0, 40)}"`;
    };
    const hidden = el => {
        if (el.closest("[hidden], .visually-hidden, .skip-link")) return true;
        const style = getComputedStyle(el);
        if (style.visibility === "hidden" || style.display === "none") return true;
        const box = el.getBoundingClientRect();
        return box.width <= 1 || box.height <= 1;
    };
    const blockOf = el => {
        let node = el.parentElement;
        while (node && getComputedStyle(node).display.startsWith("inline")) node = node.parentElement;
        return node;
    };
    // A link inside a sentence: inline, and its block has text besides the link.
    const inlineInText = el => {
        if (el.tagName !== "A" || getComputedStyle(el).display !== "inline") return false;
        const block = blockOf(el);
        if (!block) return false;
        const own = (el.innerText || "").trim();
        const all = (block.innerText || "").trim();
        return all.replace(own, "").replace(/[\\s.,:;!?()·—–-]/g, "").length > 0;
    };

    // 1. Nothing wider than the screen.
    if (document.documentElement.scrollWidth > width) {
        problems.push(`page is ${document.documentElement.scrollWidth - width}px wider than the screen`);
    }
    for (const el of document.querySelectorAll("body *")) {
        if (hidden(el) || el.closest("svg")) continue;
        const box = el.getBoundingClientRect();
        if (box.right > width + 0.5 || box.left < -0.5) {
            problems.push(`overflows the screen (${Math.round(box.left)}..${Math.round(box.right)}): ${describe(el)}`);
        }
    }
    for (const wrap of document.querySelectorAll(".table-wrap, table")) {
        if (!hidden(wrap) && wrap.scrollWidth > wrap.clientWidth + 1) {
            problems.push(`table scrolls sideways: ${describe(wrap)}`);
        }
    }

    // 2. Tap targets.
    const seen = new Set();
    const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary";
    for (let el of document.querySelectorAll(selector)) {
        if (hidden(el)) continue;
        if (el.matches("input[type=checkbox], input[type=radio]") && el.closest("label")) el = el.closest("label");
        if (seen.has(el) || inlineInText(el)) continue;
        seen.add(el);
        const box = el.getBoundingClientRect();
        if (box.height < tap - 0.5 || box.width < tap - 0.5) {
            problems.push(`tap target ${Math.round(box.width)}×${Math.round(box.height)}: ${describe(el)}`);
        }
    }

    // 3. Readable text: every element with text of its own.
    for (const el of document.querySelectorAll("body *")) {
        if (hidden(el) || el.closest("svg") || ["SCRIPT", "STYLE", "OPTION"].includes(el.tagName)) continue;
        const ownText = [...el.childNodes].some(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
        if (!ownText) continue;
        const size = parseFloat(getComputedStyle(el).fontSize);
        if (size < smallest - 0.01) problems.push(`text ${size}px: ${describe(el)}`);
    }
    return problems;
}
"""


def phone_problems(page) -> list[str]:
    return page.evaluate(PROBLEMS_JS, {"tap": TAP, "smallest": SMALLEST_TEXT})


def check(page, name: str, problems: dict, shoot: bool = False) -> None:
    page.wait_for_load_state()
    found = phone_problems(page)
    if found:
        problems[name] = found
    if shoot:
        screenshot(page, f"phone-{name}")


def test_every_page_is_finished_on_a_phone(open_context, live_server):
    demo = seed_demo(live_server)
    base = live_server.url
    problems: dict[str, list[str]] = {}

    # A guest, logged out.
    page = open_context("phone").new_page()
    for name, path in [
        ("landing", "/"),
        ("register", "/accounts/register"),
        ("login", "/accounts/login"),
        ("reset", "/accounts/reset"),
        ("catalogue", "/films/"),
        ("film-page", demo["film"]),
        ("full-review", demo["review"]),
        ("party-page", demo["party"]),
        ("not-found", "/p/" + "x" * 30),
    ]:
        page.goto(base + path)
        check(page, name, problems, shoot=name in ("reset", "not-found"))

    page.goto(base + "/accounts/register")
    page.click("main button[type=submit]")
    check(page, "register-errors", problems)
    page.goto(base + demo["party"])
    page.click("#rsvp button[type=submit]")
    check(page, "reply-errors", problems)
    page.get_by_label("Going").check()
    page.get_by_label("Your name").fill("Pat Phone")
    page.click("#rsvp button[type=submit]")
    expect(page).to_have_url(re.compile(r"/rsvp/"))
    check(page, "manage-page", problems, shoot=True)
    page.goto(base + demo["party"])
    check(page, "party-page-replied", problems, shoot=True)

    # The host.
    page = open_context("phone").new_page()
    log_in_as_demo_host(page, base)
    check(page, "home-logged-in", problems)
    party_id = demo["party_id"]
    for name, path in [
        ("dashboard", demo["dashboard"]),
        ("party-page-host", demo["party"]),
        ("new-party", "/parties/new"),
        ("edit-party", f"/parties/{party_id}/edit"),
        ("starter-list", f"/parties/{party_id}/items/starter"),
        ("settings", "/accounts/settings"),
        ("new-film", "/films/new"),
        ("edit-film", demo["film"] + "/edit"),
        ("import-review", demo["film"] + "/reviews/import"),
    ]:
        page.goto(base + path)
        check(page, name, problems, shoot=name in ("edit-party", "starter-list", "new-film", "edit-film", "import-review"))
    page.goto(base + "/parties/new")
    page.locator("details#items > summary").click()
    page.get_by_role("button", name="Add the movie-night starter list").click()
    check(page, "new-party-starter-rows", problems)
    page.get_by_role("button", name="Create the party").click()
    check(page, "new-party-errors", problems)
    page.goto(base + demo["dashboard"])
    page.locator("#signups .signup-item").first.get_by_role("link", name=re.compile("^Edit")).click()
    check(page, "edit-item", problems, shoot=True)

    report = "\n".join(f"{name}:\n  " + "\n  ".join(found) for name, found in problems.items())
    assert not problems, "unfinished on a phone:\n" + report
