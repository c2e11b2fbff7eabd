"""The scale-out harness: real gunicorn servers sharing one PostgreSQL database and one Redis.

Servers start the way production starts them (gunicorn with
watchparty.gunicorn_conf and WATCHPARTY_ENV=production). Tests talk to them
over plain HTTP with `Browser` (one visitor and their cookies) and `fire` (many
visitors at the same moment), and seed or read the database through an app in
the test process bound to the same database (`SystemDatabase.app_context`).

A scenario is one test function: seed through the services, fire, then read
the database, e.g. every guest claiming one of an item from their own page:

    pages = fire([Request(claim_url, {"quantity": "1"}, form=manage_link) for manage_link in links],
                 across=servers)

Only the standard library speaks HTTP here (http.client and threads): the
project installs no HTTP client, and a small one keeps every request visible.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from io import BytesIO
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# One key for every server of a run, as in a real deployment: a session or CSRF
# token signed by one process must be accepted by all of them.
SECRET_KEY = secrets.token_hex(32)

LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def production_environ(database_url: str, instance_dir: Path, **settings: str) -> dict[str, str]:
    """The whole environment of a production process: only what a deployment sets,
    nothing inherited by accident from the shell that runs the tests."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "WATCHPARTY_ENV": "production",
        "SECRET_KEY": SECRET_KEY,
        # The servers answer on loopback; any other Host is refused in production.
        "PUBLIC_URL": "http://127.0.0.1",
        "DATABASE_URL": database_url,
        "WATCHPARTY_INSTANCE_PATH": str(instance_dir),
        **settings,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---------------------------------------------------------------- HTTP


@dataclass
class Page:
    """One response as a visitor got it."""

    status: int
    headers: http.client.HTTPMessage
    text: str
    seconds: float
    server: Server

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")

    @property
    def set_cookies(self) -> list[str]:
        return self.headers.get_all("Set-Cookie") or []


class Browser:
    """One visitor: their own cookies and CSRF token, talking to any of the servers.

    Cookies are kept by name and sent back on every request whatever their
    Secure, Path or Domain attributes say. Production marks them Secure, which a
    browser would only return over HTTPS; this client speaks plain HTTP on
    loopback to servers the test started, so it returns them anyway.
    `source_ip` (any 127.x.y.z) makes the visitor a different client address
    for the rate limits, which key on it.
    """

    def __init__(self, server: Server, source_ip: str | None = None, timeout: float = 30.0):
        self.server = server
        self.source_ip = source_ip
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.csrf_token: str | None = None

    def get(self, path: str, server: Server | None = None) -> Page:
        return self.request("GET", path, server=server)

    def post(self, path: str, data: dict, server: Server | None = None) -> Page:
        """A form POST carrying the CSRF token of the last form this visitor was shown."""
        fields = dict(data)
        if self.csrf_token is not None:
            fields.setdefault("csrf_token", self.csrf_token)
        return self.request("POST", path, fields, server=server)

    def upload(self, path: str, data: dict, files: dict[str, tuple[str, bytes]], server: Server | None = None) -> Page:
        """A multipart form POST (file fields as (filename, bytes)) with the CSRF token, as a browser sends it."""
        from werkzeug.datastructures import FileStorage
        from werkzeug.test import encode_multipart

        fields = dict(data)
        if self.csrf_token is not None:
            fields.setdefault("csrf_token", self.csrf_token)
        for name, (filename, content) in files.items():
            fields[name] = FileStorage(BytesIO(content), filename=filename)
        boundary, body = encode_multipart(fields)
        return self.request("POST", path, server=server, body=body,
                            content_type=f"multipart/form-data; boundary={boundary}")

    def request(self, method: str, path: str, data: dict | None = None, server: Server | None = None,
                body: bytes | None = None, content_type: str | None = None) -> Page:
        server = server or self.server
        connection = http.client.HTTPConnection(
            "127.0.0.1",
            server.port,
            timeout=self.timeout,
            source_address=(self.source_ip, 0) if self.source_ip else None,
        )
        headers = {"Accept": "text/html", "Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if data is not None:
            body = urlencode(data)
            content_type = "application/x-www-form-urlencoded"
        if content_type is not None:
            headers["Content-Type"] = content_type
        started = time.monotonic()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        page = Page(response.status, response.headers, content.decode("utf-8", "replace"),
                    time.monotonic() - started, server)
        self._keep_cookies(page)
        token = CSRF_FIELD.search(page.text)
        if token:
            self.csrf_token = token.group(1)
        return page

    def _keep_cookies(self, page: Page) -> None:
        for header in page.set_cookies:
            jar = SimpleCookie()
            try:
                jar.load(header)
            except CookieError:
                continue
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.coded_value


@dataclass(frozen=True)
class Request:
    """One visitor's request for `fire`: a form POST when `data` is given, else a GET.

    `form` is the page that shows the form (default: `path`); `browser` is an
    existing visitor, such as a guest who already replied (default: a new one).
    """

    path: str
    data: dict | None = None
    form: str | None = None
    browser: Browser | None = None


def guest_address(i: int) -> str:
    """Loopback address of the i-th simulated guest: 127.0.1.1, 127.0.1.2, …

    Each guest comes from its own address, like guests on their own phones, so
    the per-address rate limits stay as production sets them. (127.0.0.x is
    left to tests that pick addresses themselves.)
    """
    return f"127.0.{1 + i // 254}.{1 + i % 254}"


def fire(requests: Sequence[Request], across: Sequence[Server], timeout: float = 60.0) -> list[Page]:
    """Send every request at the same moment, spread over the servers; the pages in order.

    Request i goes to server i % n, from a new visitor at guest_address(i)
    unless the request brings its own browser. A POST first reads its form
    from the next server along, so sessions and CSRF tokens cross processes as
    they do behind a load balancer. Forms are read before the start; only the
    requests race.
    """
    count = len(requests)
    start = threading.Barrier(count)
    pages: list[Page | None] = [None] * count
    errors: list[BaseException] = []

    def visit(i: int, request: Request) -> None:
        server = across[i % len(across)]
        browser = request.browser or Browser(server, source_ip=guest_address(i))
        try:
            if request.data is not None:
                browser.get(request.form or request.path, server=across[(i + 1) % len(across)])
            start.wait(timeout)
            if request.data is None:
                pages[i] = browser.get(request.path, server=server)
            else:
                pages[i] = browser.post(request.path, request.data, server=server)
        except BaseException as error:  # a visitor's failure must fail the test, not vanish
            errors.append(error)
            start.abort()

    threads = [threading.Thread(target=visit, args=(i, r), daemon=True) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    real = [e for e in errors if not isinstance(e, threading.BrokenBarrierError)]
    assert not errors, real or errors
    assert all(page is not None for page in pages), "some requests did not finish in time"
    return pages


# ---------------------------------------------------------------- gunicorn servers


class Server:
    """One gunicorn server (a master and its workers) on a free loopback port.

    Its stdout and stderr go to `log_path`; `problems()` reads them afterwards.
    """

    def __init__(self, name: str, environ: dict[str, str], log_dir: Path,
                 app: str = "watchparty:create_app()", workers: int = 2, threads: int = 4):
        self.name = name
        self.environ = environ
        self.app = app
        self.workers = workers
        self.threads = threads
        self.log_path = Path(log_dir) / f"{name}.log"
        self.port: int | None = None
        self.process: subprocess.Popen | None = None

    def __repr__(self) -> str:
        return f"<Server {self.name} :{self.port}>"

    def start(self) -> None:
        # Port 0: the kernel picks a free port, gunicorn logs it. No race with
        # other processes looking for a free port at the same moment.
        command = [
            str(BIN / "gunicorn"),
            "--config", "python:watchparty.gunicorn_conf",
            "--bind", "127.0.0.1:0",
            "--workers", str(self.workers),
            "--threads", str(self.threads),
            self.app,
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=REPO, env=self.environ, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )

    def wait_until_ready(self, healthy: bool = True, timeout: float = 30.0) -> None:
        """Until gunicorn listens and, if `healthy`, /healthz says the database answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log()}")
            if self.port is None:
                listening = LISTENING.search(self.log())
                self.port = int(listening.group(1)) if listening else None
            if self.port is not None and (not healthy or self._healthy()):
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} was not ready within {timeout} s:\n{self.log()}")

    def _healthy(self) -> bool:
        try:
            return Browser(self, timeout=5).get("/healthz").status == 200
        except OSError:
            return False

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        self.terminate()
        self.wait_stopped()

    def terminate(self) -> None:
        if self.running:
            self.process.terminate()  # gunicorn's graceful shutdown

    def wait_stopped(self) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def problems(self, expected: Sequence[str] = ()) -> list[str]:
        """Tracebacks and gunicorn errors in the log, bar tracebacks whose last
        line ("SomeError: message") fully matches one of the `expected` patterns."""
        log = self.log()
        found = [
            f"{self.name}: traceback ending {last!r}"
            for last in traceback_endings(log)
            if not any(re.fullmatch(pattern, last) for pattern in expected)
        ]
        found += [f"{self.name}: {line}" for line in log.splitlines() if "[ERROR]" in line or "[CRITICAL]" in line]
        return found


def traceback_endings(log: str) -> list[str]:
    """The last line of every traceback in a log: the exception and its message."""
    lines = log.splitlines()
    endings = []
    for i, line in enumerate(lines):
        if not line.startswith("Traceback (most recent call last):"):
            continue
        for following in lines[i + 1 :]:
            if following.strip() and not following.startswith((" ", "\t")):
                endings.append(following)
                break
        else:
            endings.append("(truncated traceback)")
    return endings


def start_servers(count: int, environ: dict[str, str], log_dir: Path, name: str = "web",
                  healthy: bool = True, **options) -> list[Server]:
    """`count` servers with the same settings, started together, listening and
    (unless `healthy` is false) answering /healthz with 200."""
    servers = [Server(f"{name}{i + 1}", environ, log_dir, **options) for i in range(count)]
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_until_ready(healthy)
    except BaseException:
        stop_servers(servers)
        raise
    return servers


def stop_servers(servers: Sequence[Server]) -> None:
    """Stop them all at once, then wait for each."""
    for server in servers:
        server.terminate()
    for server in servers:
        server.wait_stopped()


# ---------------------------------------------------------------- databases


class SystemDatabase:
    """A PostgreSQL database made for this run on the server at `server_url`.

    `server_url` names any existing database on that server (used only to
    create and drop this one). The schema comes from the real migrations.
    """

    def __init__(self, server_url: str, instance_dir: Path, prefix: str = "watchparty_system"):
        self.server_url = server_url
        self.instance_dir = Path(instance_dir)
        self.name = f"{prefix}_{secrets.token_hex(4)}"
        self.url = make_url(server_url).set(database=self.name).render_as_string(hide_password=False)
        self._app = None

    def create(self) -> None:
        self._on_server(f'CREATE DATABASE "{self.name}"')

    def migrate(self) -> None:
        """Build the schema as a deployment does: `flask db upgrade` with production settings."""
        environ = production_environ(self.url, self.instance_dir, RATELIMIT_ENABLED="false")
        result = subprocess.run(
            [str(BIN / "flask"), "--app", "watchparty", "db", "upgrade"],
            cwd=REPO, env=environ, capture_output=True, text=True, timeout=120, check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"flask db upgrade failed:\n{result.stdout}\n{result.stderr}")
        self._check_no_drift()

    def _check_no_drift(self) -> None:
        """Say so plainly when the migrations lag behind the models: the servers
        would otherwise answer 500 on whatever touches the missing column."""
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext

        from watchparty.extensions import db

        with self.app_context(), db.engine.connect() as connection:
            drift = compare_metadata(MigrationContext.configure(connection), db.metadata)
        if drift:
            changes = ", ".join(describe_change(change) for change in drift)
            raise RuntimeError(f"the migrations lag behind the models; a migration must add: {changes}")

    def drop(self) -> None:
        if self._app is not None:
            from watchparty.extensions import db

            with self._app.app_context():
                db.engine.dispose()
        # FORCE: a server that did not stop cleanly must not keep the database alive.
        self._on_server(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def _on_server(self, statement: str) -> None:
        engine = sa.create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(statement)
        finally:
            engine.dispose()

    @contextmanager
    def app_context(self) -> Iterator:
        """An app in the test process on this database, to seed data through the
        services (tests.factories) and to read what the servers wrote."""
        from watchparty import create_app
        from watchparty.config import Config
        from watchparty.extensions import db

        if self._app is None:
            environ = {"DATABASE_URL": self.url, "SECRET_KEY": SECRET_KEY, "RATELIMIT_ENABLED": "false",
                       "RATELIMIT_STORAGE_URI": "memory://"}
            self._app = create_app(Config(self.instance_dir, environ=environ))
        with self._app.app_context():
            try:
                yield self._app
            finally:
                db.session.remove()


def describe_change(change) -> str:
    """One Alembic autogenerate difference in a few words: "add_column rsvp.emails_stopped"."""
    if isinstance(change, list):  # column modifications come grouped
        return ", ".join(f"{c[0]} {c[2]}.{c[3]}" for c in change)
    operation, *args = change
    if operation in ("add_column", "remove_column"):
        return f"{operation} {args[1]}.{args[2].name}"
    return f"{operation} {getattr(args[-1], 'name', args[-1])}"


class PrivatePostgres:
    """A throwaway PostgreSQL cluster the harness owns, so that it may stop and start it.

    The shared server on 5432 serves everybody's tests and is not ours to
    restart. This one lives in a temporary folder, listens on a free loopback
    port (its unix socket in that folder), trusts local connections, and is
    removed by `destroy()`. PostgreSQL refuses to run as root: as root, every
    command runs as the `postgres` user.
    """

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="wp-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")

    @staticmethod
    def find_bindir() -> Path | None:
        """Where initdb and pg_ctl are: $TEST_PG_BINDIR, else the newest /usr/lib/postgresql/*/bin."""
        if os.environ.get("TEST_PG_BINDIR"):
            candidates = [Path(os.environ["TEST_PG_BINDIR"])]
        else:
            versions = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if p.parent.name.isdigit()]
            candidates = sorted(versions, key=lambda p: int(p.parent.name), reverse=True)
        return next((c for c in candidates if (c / "initdb").is_file() and (c / "pg_ctl").is_file()), None)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> subprocess.CompletedProcess:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        result = subprocess.run(
            [*as_postgres, *command], capture_output=True, text=True, timeout=60, check=False, cwd=self.root
        )
        if result.returncode != 0:
            log = self.root / "postgres.log"
            raise RuntimeError(
                f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}\n"
                + (log.read_text(errors="replace")[-2000:] if log.exists() else "")
            )
        return result

    def init(self) -> None:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--locale=C", "--no-sync")

    def start(self) -> None:
        # Durability is not under test here; skipping fsync keeps start-up and restarts quick.
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "postgres.log"),
                  "-o", options, "-w", "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; `fast` ends every open session, as a restart in production does."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with suppress(RuntimeError):  # already gone; the folder goes next either way
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
