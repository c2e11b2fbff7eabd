"""The snack and drink sign-up: items the night needs, and who brings them."""

from watchparty.signups.routes import bp

__all__ = ["bp"]
