"""Browser tests: Playwright driving Debian's chromium against a real server.

The app runs in a thread of the test process (werkzeug's threaded server) on a
free loopback port, on the test database with CSRF and everything else as a
visitor meets it. Running in-process lets a test move the server's clock
(`CLOCK_OFFSET_SECONDS`) and seed data through the services.

`make test` installs chromium (apt) and axe-core (npm) when they are missing;
outside CI a missing one skips these tests, under CI=true it fails them.
"""

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).parent / "screenshots"

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
    app = app_factory(WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=False)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
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


def screenshot(page, name: str) -> None:
    """Keep what the test saw: tests/browser/screenshots/<name>.png (git-ignored)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """axe-core's violations of the given impacts on the page as it is now."""
    require(AXE.exists(), f"axe-core is not installed at {AXE} (make test runs npm ci in tests/browser)")
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
