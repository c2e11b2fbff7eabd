from watchparty.films.routes import bp

__all__ = ["bp"]
