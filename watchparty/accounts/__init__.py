from watchparty.accounts.routes import bp

__all__ = ["bp"]
