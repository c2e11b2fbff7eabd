"""Demo catalogue (filled in by the film catalogue work)."""


def load_demo_films(host) -> list[str]:
    return []
