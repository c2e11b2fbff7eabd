"""Valid HTML on every page state the browser tests meet, by the Nu Html Checker.

Two kinds of state are kept: each HTML page the live server sends (the markup the
browser parses: a stray end tag or a duplicate id is seen as written) and the page
as it stands at each screenshot or axe check (page.content(): after scripts and
clicks). Identical states are kept once. At the end of the session conftest's
`valid_html` fixture runs vnu.jar once on all of them (one JVM start, a few
seconds) and fails with every error, grouped by message, with the pages' URLs.

A module of its own: pytest loads conftest.py under another name than the
`tests.browser.conftest` that the test modules import, and both must see the same
collector.
"""

import hashlib
import json
import re
import shutil
import subprocess
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

VNU = Path(__file__).parent / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

# The CSRF token differs on every page view: left out when comparing states (only then).
_CSRF_VALUE = re.compile(r'name="csrf_token"[^>]*>|value="[^"]*"[^>]*name="csrf_token"')


@dataclass
class PageStates:
    """The page states of one session, one file each, in a folder."""

    folder: Path
    urls: dict[str, str] = field(default_factory=dict)  # file name -> the page's URL and how it was seen
    _seen: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, url: str, html: str, how: str) -> None:
        digest = hashlib.sha256(_CSRF_VALUE.sub("", html).encode("utf-8")).hexdigest()
        with self._lock:
            if digest in self._seen:
                return
            self._seen.add(digest)
            name = f"{len(self._seen):04d}.html"
            self.urls[name] = f"{url} ({how})"
        (self.folder / name).write_text(html, encoding="utf-8")

    def errors(self) -> list[dict]:
        """vnu's errors: dicts with the page (`page`), `line`, `message` and `extract`."""
        files = sorted(self.folder.glob("*.html"))
        if not files:
            return []
        result = subprocess.run(
            [shutil.which("java") or "java", "-jar", str(VNU), "--errors-only", "--format", "json", "--stdout",
             *map(str, files)],
            capture_output=True, text=True, timeout=600, check=False,
        )
        try:
            messages = json.loads(result.stdout)["messages"]
        except (ValueError, KeyError):
            return [{"page": "(vnu)", "line": 0, "extract": result.stderr[-2000:],
                     "message": f"vnu did not answer in JSON (exit {result.returncode}): {result.stdout[-2000:]}"}]
        return [
            {
                "page": self.urls.get(Path(message.get("url", "")).name, message.get("url", "")),
                "line": message.get("lastLine", 0),
                "message": message.get("message", ""),
                "extract": " ".join(message.get("extract", "").split()),
            }
            for message in messages
            if message.get("type") in ("error", "non-document-error")
        ]


def report(states: PageStates, errors: list[dict], per_message: int = 5) -> str:
    """Every error, grouped by message: how often, and where (the first few pages)."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for error in errors:
        groups[error["message"]].append(error)
    pages = len({error["page"] for error in errors})
    lines = [f"The Nu Html Checker found {len(errors)} errors on {pages} of {len(states.urls)} page states "
             f"(kept in {states.folder}):"]
    for message, found in sorted(groups.items(), key=lambda item: -len(item[1])):
        lines.append(f"- {message} ({len(found)}×)")
        lines += [f"    {error['page']} line {error['line']}: …{error['extract']}…" for error in found[:per_message]]
        if len(found) > per_message:
            lines.append(f"    … and {len(found) - per_message} more")
    return "\n".join(lines)


# ---------------------------------------------------------------- the session's collector

_states: PageStates | None = None


def available() -> bool:
    return bool(shutil.which("java")) and VNU.exists()


def start(folder: Path) -> PageStates:
    global _states
    _states = PageStates(folder)
    return _states


def stop() -> None:
    global _states
    _states = None


def keep_page_state(page, how: str = "after an action") -> None:
    """The page as it stands now (after scripts and clicks)."""
    if _states is not None:
        _states.add(page.url, page.content(), how)


def keep_sent_html(response):
    """An after_request hook for the live server: every HTML page it sends."""
    if (_states is not None and response.mimetype == "text/html" and not response.is_streamed
            and response.status_code not in (204, 304) and not 300 <= response.status_code < 400):
        from flask import request

        _states.add(request.url, response.get_data(as_text=True), f"sent, {response.status_code}")
    return response
