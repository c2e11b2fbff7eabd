"""Settings, read from environment variables when the app is created.

Nothing here is computed at import time: `Config()` reads the environment it
is given, so tests and the CLI can build as many apps as they like.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Send every PostgreSQL URL through psycopg 3, whatever scheme it was given with."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options(url: str) -> dict:
    """Pool settings per backend; SQLite pragmas are set on connect (see database.py)."""
    if url.startswith("postgresql"):
        return {
            "pool_pre_ping": True,
            "pool_size": 5,
            "max_overflow": 5,
            "pool_recycle": 1800,
            # libpq waits forever for a database host that does not answer (a
            # failover in progress, a dropped network): give up, so the visitor
            # gets the 503 page instead of a request that never ends. The limit
            # holds per attempt, and with sslmode=prefer a silent host gets two
            # (with SSL, then without): twice 4 s keeps the 503 under 10 s.
            "connect_args": {"connect_timeout": 4},
        }
    return {"connect_args": {"timeout": 15}}


def development_secret_key(instance_path: Path) -> str:
    """A key generated once and kept in instance/, so sessions survive restarts."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


class Config:
    """Every setting the app reads, with its default; see the README's table."""

    def __init__(self, instance_path: str | Path, environ=os.environ):
        instance_path = Path(instance_path)
        env = environ.get
        self.INSTANCE_PATH = str(instance_path)
        self.WATCHPARTY_ENV = env("WATCHPARTY_ENV", "development")
        production = self.WATCHPARTY_ENV == "production"

        secret = env("SECRET_KEY")
        if production and not secret:
            raise RuntimeError("WATCHPARTY_ENV=production needs SECRET_KEY to be set.")
        self.SECRET_KEY = secret or development_secret_key(instance_path)

        url = normalise_database_url(
            env("DATABASE_URL") or f"sqlite:///{instance_path / 'watchparty.db'}"
        )
        self.SQLALCHEMY_DATABASE_URI = url
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(url)

        # Cookies: HttpOnly and SameSite=Lax always; Secure only in production so
        # that plain HTTP on loopback keeps working in development.
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = production
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = production
        # "Keep me logged in": how long the cookie lasts, and the longest any login lasts on
        # the server (accounts.sessions), in seconds.
        self.REMEMBER_COOKIE_DURATION = timedelta(seconds=int(env("REMEMBER_COOKIE_DURATION", str(30 * 24 * 3600))))
        self.PREFERRED_URL_SCHEME = "https" if production else "http"
        self.HSTS = production

        self.MAX_CONTENT_LENGTH = int(env("MAX_CONTENT_LENGTH", str(8 * 1024 * 1024)))
        # One text field of a multipart form (the review import's paste box takes up to
        # 200,000 characters, up to 4 bytes each: reviews.service.ARTICLE_MAX_CHARS). Larger
        # than that, so a too-long paste gets the form and its message, not a bare 413
        # (Flask's default, 500 kB, did that).
        self.MAX_FORM_MEMORY_SIZE = int(env("MAX_FORM_MEMORY_SIZE", str(4 * 1024 * 1024)))
        # Number of reverse proxies in front of the app whose X-Forwarded-* to trust.
        self.TRUSTED_PROXIES = int(env("TRUSTED_PROXIES", "0"))
        # The site's address: every link that leaves the site (email, .ics, QR code, link
        # previews) starts with it, never with the request's Host header (watchparty.links).
        public_url = env("PUBLIC_URL")
        if production and not public_url:
            raise RuntimeError("WATCHPARTY_ENV=production needs PUBLIC_URL, the address guests open.")
        self.PUBLIC_URL = public_url or "http://127.0.0.1:5000"
        # Flask answers 400 to a request for any other host. In production: the public
        # address's host, plus any listed in TRUSTED_HOSTS (comma-separated, e.g. an
        # internal name the load balancer's health check uses). Anything goes in development.
        extra_hosts = [host.strip() for host in env("TRUSTED_HOSTS", "").split(",") if host.strip()]
        self.TRUSTED_HOSTS = [urlsplit(self.PUBLIC_URL).hostname, *extra_hosts] if production else None
        self.RATELIMIT_INVITE = env("RATELIMIT_INVITE", "10 per minute;60 per hour")
        # Invitations one account may send in a day, across all its parties (each
        # party also has its own cap): a new account cannot become a spam cannon.
        self.INVITATIONS_PER_ACCOUNT_PER_DAY = int(env("INVITATIONS_PER_ACCOUNT_PER_DAY", "300"))
        # The same across all of an account's parties for announcements (each party
        # also sends at most 10 a day) and the dashboard's nudges (each at most once
        # a day per party), counted from their rows in the database.
        self.ANNOUNCEMENTS_PER_ACCOUNT_PER_DAY = int(env("ANNOUNCEMENTS_PER_ACCOUNT_PER_DAY", "30"))
        self.NUDGES_PER_ACCOUNT_PER_DAY = int(env("NUDGES_PER_ACCOUNT_PER_DAY", "10"))
        self.RATELIMIT_COMMENT = env("RATELIMIT_COMMENT", "5 per minute;60 per hour")
        self.RATELIMIT_ANNOUNCE = env("RATELIMIT_ANNOUNCE", "10 per minute;30 per hour")

        self.RATELIMIT_ENABLED = _flag(env("RATELIMIT_ENABLED"), True)
        self.RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI", "memory://")
        # Keeps this deployment's counters apart from others sharing one Redis.
        self.RATELIMIT_KEY_PREFIX = env("RATELIMIT_KEY_PREFIX", "")
        self.RATELIMIT_HEADERS_ENABLED = True
        self.RATELIMIT_LOGIN = env("RATELIMIT_LOGIN", "10 per minute;50 per hour")
        self.RATELIMIT_REGISTER = env("RATELIMIT_REGISTER", "5 per minute;30 per hour")
        self.RATELIMIT_RESET = env("RATELIMIT_RESET", "5 per minute;20 per hour")
        # Review import previews and review saves: per client address and per account.
        self.RATELIMIT_REVIEW_IMPORT = env("RATELIMIT_REVIEW_IMPORT", "30 per hour")
        self.RATELIMIT_REVIEW_SAVE = env("RATELIMIT_REVIEW_SAVE", "10 per minute;60 per hour")
        # The film picker's search as you type (GET /films/search), per client address.
        self.RATELIMIT_FILM_SEARCH = env("RATELIMIT_FILM_SEARCH", "120 per minute;1500 per hour")
        # Poster uploads (film form POSTs with a file), per client address and per account.
        self.RATELIMIT_POSTER_UPLOAD = env("RATELIMIT_POSTER_UPLOAD", "10 per minute;60 per hour")
        self.RATELIMIT_RSVP = env("RATELIMIT_RSVP", "20 per minute;200 per hour")
        # Emailed sign-in codes, per client address: asking for one, and entering one (or its link).
        self.RATELIMIT_CODE = env("RATELIMIT_CODE", "5 per minute;20 per hour")
        self.RATELIMIT_CODE_VERIFY = env("RATELIMIT_CODE_VERIFY", "10 per minute;50 per hour")
        # Party forms posted by visitors who are not signed in (each may keep a draft).
        self.RATELIMIT_PARTY_DRAFT = env("RATELIMIT_PARTY_DRAFT", "20 per minute;100 per hour")

        self.MAIL_SERVER = env("MAIL_SERVER", "")
        self.MAIL_PORT = int(env("MAIL_PORT", "587"))
        self.MAIL_USE_TLS = _flag(env("MAIL_USE_TLS"), True)
        self.MAIL_USE_SSL = _flag(env("MAIL_USE_SSL"), False)
        self.MAIL_USERNAME = env("MAIL_USERNAME", "")
        self.MAIL_PASSWORD = env("MAIL_PASSWORD", "")
        self.MAIL_TIMEOUT = float(env("MAIL_TIMEOUT", "10"))
        self.MAIL_DEFAULT_SENDER = env("MAIL_DEFAULT_SENDER", "Watchparty <noreply@watchparty.local>")
        self.MAIL_OUTBOX_DIR = env("MAIL_OUTBOX_DIR") or str(instance_path / "outbox")

        # Days a sent email keeps its body (guests' personal links); its metadata stays.
        self.MAIL_RETENTION_DAYS = int(env("MAIL_RETENTION_DAYS", "30"))
        self.PASSWORD_RESET_MAX_AGE = int(env("PASSWORD_RESET_MAX_AGE", "3600"))

        # Static files: every link to one carries a hash of its content (templating.static_url),
        # so a browser may keep it for a year; a changed file has a new URL.
        self.SEND_FILE_MAX_AGE_DEFAULT = int(env("SEND_FILE_MAX_AGE_DEFAULT", str(365 * 24 * 3600)))

        # What each worker keeps (watchparty.cache): fragments, rows and whole pages, by about
        # the memory they take; 0 turns the cache off. The default holds the guests' pages of
        # more than 40 parties of 30 (about 2 kB each beside the text they share).
        if "FRAGMENT_CACHE_MAX_CHARS" in environ:
            raise RuntimeError("FRAGMENT_CACHE_MAX_CHARS is now PAGE_CACHE_MAX_BYTES, in bytes of memory.")
        self.PAGE_CACHE_MAX_BYTES = int(env("PAGE_CACHE_MAX_BYTES", "16000000"))
        # Keep whole party and film pages per viewer (on), or only the rows they read (off):
        # the bench compares the two (bench/notes.md).
        self.KEEP_WHOLE_PAGES = _flag(env("KEEP_WHOLE_PAGES"), True)


class TestConfig(Config):
    """Settings for the test suite: a given database, no rate limits unless a test asks."""

    TESTING = True

    def __init__(self, instance_path, database_url: str, engine_options: dict | None = None):
        super().__init__(instance_path, environ={})
        self.SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
        self.SQLALCHEMY_DATABASE_URI = database_url
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options or {}
        self.RATELIMIT_ENABLED = False
        # CSRF is proved per form by tests that switch it back on.
        self.WTF_CSRF_ENABLED = False
        # The test client's address, so that links in mail open in the test client.
        self.PUBLIC_URL = "http://localhost"
        # Every kept row the party page uses is read again and compared (watchparty.cache).
        self.VERIFY_PAGE_CACHE = True
