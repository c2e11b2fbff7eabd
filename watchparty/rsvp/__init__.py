from watchparty.rsvp.routes import bp

__all__ = ["bp"]
