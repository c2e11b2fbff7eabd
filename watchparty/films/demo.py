"""The demo catalogue: watchparty/data/demo_films.json, loaded by the import code."""

import json
from pathlib import Path

DEMO_FILMS = Path(__file__).resolve().parent.parent / "data" / "demo_films.json"


def load_demo_films(host) -> list[str]:
    """Add the demo films that are not in the catalogue yet, owned by `host`.

    Idempotent: films already there (by slug) are left exactly as they are,
    edits included. Flushes; `flask demo` commits. Returns lines to print.
    """
    from watchparty.films import transfer

    payload = json.loads(DEMO_FILMS.read_text(encoding="utf-8"))
    result = transfer.import_films(payload, created_by=host, skip_existing=True)
    if not result.created:
        return [f"The {len(result.skipped)} demo films are already in the catalogue."]
    return [f"Added {len(result.created)} demo films: {', '.join(result.created)}."]
