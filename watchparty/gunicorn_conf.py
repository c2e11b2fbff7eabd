"""Gunicorn settings for production.

    gunicorn --config python:watchparty.gunicorn_conf --bind 0.0.0.0:8000 'watchparty:create_app()'

Loaded as a module (not a gunicorn.conf.py at the repository root) so that it
ships inside the wheel and works wherever the package is installed. Anything
given on the command line (--bind, --workers, --threads) wins over these values.
"""

import os

from gunicorn.http import wsgi

# Threads let a worker keep serving while one request waits on a slow client or
# the database; each worker's connection pool (config.engine_options) is at
# least as large as its thread count, so a thread never waits for a connection.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
graceful_timeout = 10
# Gunicorn's control socket lives at one fixed path per user: a second server
# on the same machine would take it over. Nothing here uses it.
control_socket_disable = True

_default_headers = wsgi.Response.default_headers


def _headers_without_server(self):
    """Gunicorn's own headers minus `Server: gunicorn`: no banner telling a
    visitor which server (and so which known bugs) sits behind the site."""
    return [line for line in _default_headers(self) if not line.lower().startswith("server:")]


# Replacing gunicorn's method on purpose (the bound on gunicorn in pyproject.toml says why).
wsgi.Response.default_headers = _headers_without_server  # type: ignore[method-assign]
