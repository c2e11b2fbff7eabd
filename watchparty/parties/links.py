"""Links into the film catalogue."""

from flask import url_for


def new_film_url(title: str, next_path: str) -> str:
    """Where to add a missing film; `title` and `next` are there for the film
    form to prefill and to come back to the party form afterwards."""
    return url_for("films.new", title=title, next=next_path)
