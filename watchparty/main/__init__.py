from watchparty.main.routes import bp

__all__ = ["bp"]
