"""docs/urls.md is the URL contract: every route of `app.url_map`, with the methods it
answers. A route added without its row, or a row left behind by a route that went, fails."""

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "urls.md"
# A table row: | GET, POST | `/path/<int:id>` | what | fields | who | leaves |
ROW = re.compile(r"^\|\s*(?P<methods>[A-Z, ]+?)\s*\|\s*`(?P<path>/[^`]*)`\s*\|", re.MULTILINE)


def documented_routes(text: str) -> dict[str, set[str]]:
    routes: dict[str, set[str]] = {}
    for match in ROW.finditer(text):
        methods = {method.strip() for method in match["methods"].split(",") if method.strip()}
        # One path may have a row per method when each is its own view (GET asks, POST does).
        twice = routes.setdefault(match["path"], set()) & methods
        assert not twice, f"{match['path']} {sorted(twice)} has two rows in docs/urls.md"
        routes[match["path"]] |= methods
    return routes


def served_routes(app) -> dict[str, set[str]]:
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        routes.setdefault(rule.rule, set()).update(rule.methods - {"HEAD", "OPTIONS"})
    return routes


def test_every_route_is_in_the_url_contract_with_its_methods(app):
    documented, served = documented_routes(DOC.read_text(encoding="utf-8")), served_routes(app)
    missing = sorted(set(served) - set(documented))
    assert not missing, f"routes missing from docs/urls.md (add a row for each): {missing}"
    gone = sorted(set(documented) - set(served))
    assert not gone, f"docs/urls.md lists routes the app no longer has: {gone}"
    wrong = {path: (sorted(documented[path]), sorted(methods)) for path, methods in served.items()
             if documented[path] != methods}
    assert not wrong, f"methods in docs/urls.md differ from the app's (documented, served): {wrong}"


def test_the_check_notices_a_missing_row(app):
    """Not a formality: a contract without one of the app's rows fails the check above."""
    text = DOC.read_text(encoding="utf-8")
    without = "\n".join(line for line in text.splitlines() if "`/films/<slug>/approve`" not in line)
    assert "/films/<slug>/approve" in set(served_routes(app)) - set(documented_routes(without))
