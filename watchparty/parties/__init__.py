from watchparty.parties.routes import bp

__all__ = ["bp"]
