"""Browser tests: Playwright driving Debian's chromium against a real server.

The app runs in a thread of the test process (werkzeug's threaded server) on a
free loopback port, on the test database with CSRF and everything else as a
visitor meets it. Running in-process lets a test move the server's clock
(`CLOCK_OFFSET_SECONDS`) and seed data through the services.

`make test` installs chromium (apt) and axe-core (npm) when they are missing;
outside CI a missing one skips these tests, under CI=true it fails them.

Every page state these tests meet is valid HTML: each HTML page the live server
sends (what the browser parses) and the page as it stands at each screenshot or
axe check (after scripts and clicks) is kept, and at the end of the session the
Nu Html Checker (vnu.jar, from npm, run by the machine's Java 17+) checks them
all in one run. Any error fails the session's last test at teardown, listed with
the page's URL. Without Java or vnu.jar the check is left out, or fails under CI=true.
"""

import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.browser import html_check

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
# SCREENSHOT_DIR=/tmp/host-shots keeps them elsewhere (to look at one run's pages together).
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR") or Path(__file__).parent / "screenshots")

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
}


def require(condition: bool, why: str) -> None:
    """Skip outside CI, fail under CI=true: CI must never silently skip the browser."""
    if not condition:
        if IN_CI:
            pytest.fail(why)
        pytest.skip(why)


@pytest.fixture(scope="session")
def browser():
    require(CHROMIUM.exists(), f"no chromium at {CHROMIUM} (make test installs Debian's chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "playwright is not installed (make test installs the dev dependencies)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# ---------------------------------------------------------------- valid HTML (the Nu Html Checker)


@pytest.fixture(scope="session", autouse=True)
def valid_html(tmp_path_factory, pytestconfig):
    """Collects the page states of the whole session, then checks them all with one JVM."""
    if not html_check.available():
        if IN_CI:
            pytest.fail(f"the Nu Html Checker needs java and {html_check.VNU} (make test runs npm ci in tests/browser)")
        yield None
        return
    states = html_check.start(tmp_path_factory.mktemp("page-states"))
    yield states
    html_check.stop()
    started = time.monotonic()
    errors = states.errors()
    terminal = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    if terminal is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # shown on success too
            terminal.write_line(f"\nNu Html Checker: {len(errors)} errors in {len(states.urls)} page states "
                                f"({time.monotonic() - started:.1f} s)")
    if errors:
        pytest.fail(html_check.report(states, errors), pytrace=False)


@dataclass
class LiveServer:
    url: str
    app: Flask

    def move_clock(self, **delta) -> None:
        """Move the server's clock forward (e.g. hours=30): pages see that time."""
        from datetime import timedelta

        self.app.config["CLOCK_OFFSET_SECONDS"] = timedelta(**delta).total_seconds()


@pytest.fixture
def live_server(app_factory):
    with socket.socket() as probe:  # the port first: the app's public address names it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    app = app_factory(WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=False, PUBLIC_URL=url)
    app.after_request(html_check.keep_sent_html)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(url, app)
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def desktop(browser):
    context = browser.new_context(**DESKTOP)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    context.set_default_timeout(10_000)
    yield context
    context.close()


# One CSS pixel per image pixel by default: a full-page phone shot at the phone's 3 device
# pixels per CSS pixel takes about a second, at CSS scale a fifth of that, and the browser tests
# take dozens. SCREENSHOT_SCALE=device keeps the sharp ones (to look at details).
SCREENSHOT_SCALE = "device" if os.environ.get("SCREENSHOT_SCALE") == "device" else "css"


def screenshot(page, name: str) -> None:
    """Keep what the test saw: tests/browser/screenshots/<name>.png (git-ignored);
    its HTML goes to the session's HTML check."""
    html_check.keep_page_state(page, f"screenshot {name}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, scale=SCREENSHOT_SCALE)


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """axe-core's violations of the given impacts on the page as it is now."""
    require(AXE.exists(), f"axe-core is not installed at {AXE} (make test runs npm ci in tests/browser)")
    html_check.keep_page_state(page, "axe check")
    # evaluate() runs through the DevTools protocol: the page's CSP (no inline
    # script) does not apply, so the real CSP stays on while axe runs.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
            }));
        }"""
    )
    return [violation for violation in violations if violation["impact"] in impacts]


# ---------------------------------------------------------------- shared by the journey, keyboard, no-JS and phone tests


def seed_demo(live_server) -> dict:
    """`flask demo` on the live server's database (the demo host, the catalogue with
    Anora, its review and a party a week ahead); returns the demo pages' paths."""
    import sqlalchemy as sa

    from watchparty.extensions import db
    from watchparty.models import Party, Review

    with live_server.app.app_context():
        result = live_server.app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        party = db.session.scalar(sa.select(Party).order_by(Party.id).limit(1))
        review = db.session.scalar(sa.select(Review).where(Review.kind == "editorial").order_by(Review.id).limit(1))
        return {
            "party_id": party.id,
            "review_id": review.id,
            "party": f"/p/{party.share_token}",
            "dashboard": f"/parties/{party.id}",
            "film": f"/films/{party.film.slug}",
            "review": f"/films/{party.film.slug}/reviews/{review.id}",
        }


@pytest.fixture
def demo(live_server):
    return seed_demo(live_server)


def log_in_as_demo_host(page, base_url: str) -> None:
    """Log in through the form as the demo host (`flask demo`)."""
    from watchparty.cli import DEMO_HOST_EMAIL, DEMO_HOST_PASSWORD

    page.goto(base_url + "/accounts/login")
    page.fill("input[name=email]", DEMO_HOST_EMAIL)
    page.fill("input[name=password]", DEMO_HOST_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(base_url + "/")


def tab_to(page, selector: str, key: str = "Tab", limit: int = 120) -> None:
    """Press Tab (or Shift+Tab) until the focused element matches `selector`: how a
    keyboard user reaches a control. Fails if it is never reached."""
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"{selector} was not reached with {key} in {limit} presses")


def focus_is_visible(page) -> bool:
    """Whether the focused element draws a focus indicator that stands out: an outline of at
    least 2px whose colour has 3:1 contrast with the background behind it (WCAG 1.4.11)."""
    return page.evaluate(
        """() => {
            const element = document.activeElement;
            const style = getComputedStyle(element);
            if (!element.matches(":focus-visible") || style.outlineStyle === "none") return false;
            if (parseFloat(style.outlineWidth) < 2) return false;
            const rgba = text => (text.match(/[\\d.]+/g) || []).map(Number);
            let background = null;
            for (let node = element.parentElement; node && !background; node = node.parentElement) {
                const [r, g, b, a = 1] = rgba(getComputedStyle(node).backgroundColor);
                if (a > 0) background = [r, g, b];
            }
            background = background || [255, 255, 255];
            const [r, g, b, a = 1] = rgba(style.outlineColor);
            const outline = [r, g, b].map((c, i) => c * a + background[i] * (1 - a));
            const luminance = ([r, g, b]) => {
                const [R, G, B] = [r, g, b].map(c => {
                    c /= 255;
                    return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
                });
                return 0.2126 * R + 0.7152 * G + 0.0722 * B;
            };
            const [light, dark] = [luminance(outline), luminance(background)].sort((x, y) => y - x);
            return (light + 0.05) / (dark + 0.05) >= 3;
        }"""
    )


@pytest.fixture
def open_context(browser):
    """`open_context("phone" | "desktop", **options)`: a new browser context (its own
    cookies: a separate person) at that size, closed after the test even if it fails."""
    contexts = []

    def open_(size: str, **options):
        context = browser.new_context(**(PHONE if size == "phone" else DESKTOP), **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield open_
    for context in contexts:
        context.close()
