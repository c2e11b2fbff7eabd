"""Reviews: importing articles, rendering them safely, and the spoiler guard."""

from watchparty.reviews.routes import bp

__all__ = ["bp"]
