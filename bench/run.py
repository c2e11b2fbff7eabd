"""`make bench`: how fast the hottest pages are, as a fraction of /healthz.

Seeds a typical and a large party on a fresh database (SQLite, and
PostgreSQL too when BENCH_DATABASE_URL is set), serves it with gunicorn (2
workers, as on a 2-core box), drives each page with wrk at 16 connections
for a fixed time, and prints (and writes to bench/results.md) requests/s,
p50, p99 and the ratio to /healthz measured on the same server in the same
run: absolute numbers change from machine to machine, the ratio much less.

The party page is fetched as its guests fetch it after replying: each
request carries the next guest's cookie (bench/guests.lua), so the page is
measured as everyone opening the link sees it, each with their own reply and
their own claims, not as one guest reloading the same page.

The time is split into BENCH_ROUNDS rounds that each visit every page, in a
different order each round, so a machine whose load drifts during the run
(other jobs on a shared box) weighs on every page alike instead of on
whichever ran at the time; each page's rate is its median round.
The RSVP posts go to a party of their own: each adds a reply, and they would
otherwise swell the typical party while it is being measured.

    BENCH_DURATION=10 BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/test make bench

BENCH_ONLY=RSVP measures /healthz and only the rows whose name contains that text,
and leaves bench/results.md alone (a quick look while working on one path).
"""

import os
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DURATION = int(os.environ.get("BENCH_DURATION", "10"))
ROUNDS = max(1, int(os.environ.get("BENCH_ROUNDS", "5")))
ONLY = os.environ.get("BENCH_ONLY", "")
CONNECTIONS = 16
WORKERS = 2
PAUSE = 2.0  # seconds between wrk runs (see run_wrk)
RESULTS = ROOT / "bench" / "results.md"
POST_SCRIPT = ROOT / "bench" / "rsvp_post.lua"
GUESTS_SCRIPT = ROOT / "bench" / "guests.lua"


@dataclass
class Target:
    name: str
    path: str
    headers: dict
    post_body: str | None = None
    cookies: Path | None = None  # one guest's cookie per line, sent in turn (bench/guests.lua)
    # While wrk runs, a reply is changed here once a second (path, session cookie, body):
    # every write gives the party a new stamp, so kept pages and rows go stale as they would.
    writer: tuple[str, str, str] | None = None


@dataclass
class Result:
    target: Target
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int
    # PostgreSQL only: CPU time the database's processes spent per request.
    db_cpu_ms: float | None = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- database


def fresh_database(kind: str, workdir: Path) -> tuple[str, callable]:
    """A new empty database and a function that removes it."""
    if kind == "sqlite":
        path = workdir / "bench.db"
        return f"sqlite:///{path}", lambda: None
    import sqlalchemy as sa

    from watchparty.config import normalise_database_url

    base = normalise_database_url(os.environ["BENCH_DATABASE_URL"])
    name = f"watchparty_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)

    def drop():
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def server_env(database_url: str, workdir: Path, secret: str) -> dict:
    env = dict(os.environ)
    env.update(
        WATCHPARTY_ENV="production",
        SECRET_KEY=secret,
        DATABASE_URL=database_url,
        WATCHPARTY_INSTANCE_PATH=str(workdir / "instance"),
        RATELIMIT_ENABLED="false",  # one client address fires everything
        PUBLIC_URL="http://127.0.0.1",  # production answers only its own host
        MAIL_OUTBOX_DIR=str(workdir / "outbox"),
    )
    return env


def seed(env: dict) -> dict:
    """Migrate, seed both parties, and return the paths and the guest cookies to fetch."""
    subprocess.run([str(VENV_BIN / "flask"), "--app", "watchparty", "db", "upgrade"], env=env, check=True,
                   capture_output=True)
    code = r"""
import dataclasses, json, sys
sys.path.insert(0, {root!r})
from watchparty import create_app
from watchparty.extensions import db
from bench.seed import TYPICAL, LARGE, seed_host, seed_party
app = create_app()
out = {}
with app.app_context():
    host = seed_host()
    for shape in (TYPICAL, LARGE, dataclasses.replace(TYPICAL, name="posts")):
        party = seed_party(shape, host)
        try:
            from watchparty.party_page import guest_cookie
        except ImportError:  # a checkout from before the party page had its own home (bench a worktree of it)
            from watchparty.rsvp.routes import _cookie_name, _serializer
            def guest_cookie(party, rsvp):
                with app.test_request_context():
                    return _cookie_name(party), _serializer().dumps(rsvp.manage_token)
        # Every guest who replied, as their browser would send it back.
        cookies = ["=".join(guest_cookie(party, r)) for r in party.rsvps]
        from watchparty.models import Review
        import sqlalchemy as sa
        review_id = db.session.scalar(sa.select(Review.id).where(Review.film_id == party.film_id).order_by(Review.id))
        out[shape.name] = {
            "party": f"/p/{party.share_token}", "cookies": cookies,
            "film": f"/films/{party.film.slug}", "review": f"/films/{party.film.slug}/reviews/{review_id}",
            # A maybe guest's manage link: the writer changes their note (the party keeps its size).
            "manage": next(f"/p/{party.share_token}/rsvp/{r.manage_token}" for r in party.rsvps
                           if r.response == "maybe"),
        }
print(json.dumps(out))
""".replace("{root!r}", repr(str(ROOT)))
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"seeding the bench's database failed:\n{result.stderr}")
    import json

    return json.loads(result.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- server and load


def start_server(env: dict, port: int, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"), "--config", "python:watchparty.gunicorn_conf",
            "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}", "watchparty:create_app()",
        ],
        env=env, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"gunicorn did not answer /healthz; see {log}")


def csrf_for_reply(base: str, party_path: str) -> tuple[str, str]:
    """A session cookie and its CSRF token, fetched like a browser would."""
    with urllib.request.urlopen(base + party_path, timeout=10) as response:
        html = response.read().decode()
        # Every cookie the page set (a manage page sets the guest's too): the session's carries the token.
        cookie = "; ".join(value.split(";", 1)[0] for value in response.headers.get_all("Set-Cookie") or [])
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    return cookie, token


def database_cpu_seconds() -> float | None:
    """CPU time used so far by the PostgreSQL servers on this machine, from /proc:
    every postgres process's own time, plus what each server's postmaster has
    collected from children that already exited (a closed connection's backend,
    a finished autovacuum worker), so the total never goes down."""
    pids = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True).stdout.split()
    if not pids:
        return None
    stats = {}
    for pid in pids:
        try:
            stats[pid] = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone since pgrep
    ticks = 0
    for fields in stats.values():
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
        if fields[1] not in stats:  # a postmaster: its parent is not a postgres process
            ticks += int(fields[13]) + int(fields[14])  # cutime, cstime of reaped children
    return ticks / os.sysconf("SC_CLK_TCK")


def run_wrk(base: str, target: Target, duration: int, measure_database: bool = False) -> Result:
    # A pause first: a worker still answering the last run's queued requests
    # would accept none of this run's connections, and wrk keeps them open
    # for the whole run, so one worker would do all of it.
    time.sleep(PAUSE)
    database_before = database_cpu_seconds() if measure_database else None
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    for name, value in target.headers.items():
        command += ["-H", f"{name}: {value}"]
    env = dict(os.environ)
    if target.post_body is not None:
        command += ["-s", str(POST_SCRIPT)]
        env["WRK_BODY"] = target.post_body
    if target.cookies is not None:
        command += ["-s", str(GUESTS_SCRIPT)]
        env["WRK_COOKIES"] = str(target.cookies)
    command.append(base + target.path)
    stop = threading.Event()
    writer = threading.Thread(target=post_every_second, args=(base, target.writer, stop)) if target.writer else None
    if writer is not None:
        writer.start()
    try:
        output = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
    finally:
        stop.set()
        if writer is not None:
            writer.join()
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", output))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    result = Result(target, rate, _latency(output, "50%"), _latency(output, "99%"), errors)
    if database_before is not None:
        requests = int(re.search(r"(\d+) requests in", output).group(1))
        result.db_cpu_ms = (database_cpu_seconds() - database_before) * 1000 / max(requests, 1)
    return result


def post_every_second(base: str, writer: tuple[str, str, str], stop: threading.Event) -> None:
    """One change of reply a second to a party while its page is measured (see Target.writer)."""
    path, cookie, body = writer
    number = 0
    while not stop.wait(1.0):
        number += 1
        request = urllib.request.Request(
            base + path, data=body.replace("NAME", f"Writer+{number}+{secrets.token_hex(3)}").encode(),
            headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}, method="POST",
        )

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        try:
            urllib.request.build_opener(NoRedirect).open(request, timeout=10).close()
        except urllib.error.HTTPError as error:
            if error.code != 302:
                print(f"  writer: {error.code}", flush=True)


def _latency(output: str, percentile: str) -> float:
    value, unit = re.search(rf"^\s+{re.escape(percentile)}\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def combine(runs: list[Result]) -> Result:
    """One page's rounds as one result: the median rate, p50 and database CPU, the worst p99.

    Medians, because now and then a round runs at half speed for reasons of
    the machine (one worker got every connection, another job woke up), and
    one such round would drag a mean down."""
    database = [run.db_cpu_ms for run in runs if run.db_cpu_ms is not None]
    return Result(
        runs[0].target,
        statistics.median(run.rate for run in runs),
        statistics.median(run.p50_ms for run in runs),
        max(run.p99_ms for run in runs),
        sum(run.errors for run in runs),
        statistics.median(database) if database else None,
    )


def worker_rss_mb(master: subprocess.Popen) -> list[float]:
    pids = subprocess.run(["pgrep", "-P", str(master.pid)], capture_output=True, text=True).stdout.split()
    sizes = []
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        sizes.append(int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024)
    return sizes


# ---------------------------------------------------------------- one database


def bench(kind: str) -> tuple[list[Result], list[float]]:
    workdir = Path(tempfile.mkdtemp(prefix=f"watchparty-bench-{kind}-"))
    url, drop = fresh_database(kind, workdir)
    secret = secrets.token_hex(32)
    env = server_env(url, workdir, secret)
    server = None
    try:
        paths = seed(env)
        port = free_port()
        server = start_server(env, port, workdir / "gunicorn.log")
        base = f"http://127.0.0.1:{port}"
        session_cookie, csrf = csrf_for_reply(base, paths["posts"]["party"])
        writer_cookie, writer_csrf = csrf_for_reply(base, paths["typical"]["manage"])
        cookies = {}
        for shape in ("typical", "large"):
            cookies[shape] = workdir / f"cookies-{shape}.txt"
            cookies[shape].write_text("\n".join(paths[shape]["cookies"]) + "\n")
        targets = [
            Target("/healthz", "/healthz", {}),
            Target("party page, typical (its 30 guests in turn)", paths["typical"]["party"], {},
                   cookies=cookies["typical"]),
            Target("party page, large (its 300 guests in turn)", paths["large"]["party"], {},
                   cookies=cookies["large"]),
            Target("party page, typical, taking a reply a second", paths["typical"]["party"], {},
                   cookies=cookies["typical"],
                   writer=(paths["typical"]["manage"], writer_cookie,
                           f"csrf_token={writer_csrf}&name=Bench+maybe&response=maybe&note=NAME")),
            Target("film page, typical", paths["typical"]["film"], {}),
            Target("film page, large", paths["large"]["film"], {}),
            Target("full review", paths["typical"]["review"], {}),
            Target(
                "RSVP POST (typical)", paths["posts"]["party"] + "/rsvp",
                {"Cookie": session_cookie, "Content-Type": "application/x-www-form-urlencoded"},
                post_body=f"csrf_token={csrf}&name=Bench+guest&response=maybe",
            ),
        ]
        if ONLY:
            targets = targets[:1] + [target for target in targets[1:] if ONLY.lower() in target.name.lower()]
        for target in targets:  # warm every worker's caches and connections
            run_wrk(base, target, 1)
        measure_database = kind == "postgresql"
        rounds = []
        for number in range(ROUNDS):
            # Each round in its own (repeatable) order: a page measured right after the
            # large party page ran ~10 % slower, and it should not always be the same page.
            order = random.Random(number).sample(targets, len(targets))
            measured = {target.name: run_wrk(base, target, max(1, DURATION // ROUNDS), measure_database)
                        for target in order}
            for target in targets:  # each round on stdout: how much the rounds differ
                result = measured[target.name]
                print(f"  {kind} round {number + 1}: {target.name}: {result.rate:.0f}/s, "
                      f"p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms", flush=True)
            rounds.append([measured[target.name] for target in targets])
        return [combine(list(runs)) for runs in zip(*rounds, strict=True)], worker_rss_mb(server)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        drop()
        shutil.rmtree(workdir, ignore_errors=True)


def table(kind: str, results: list[Result], rss: list[float]) -> str:
    floor = results[0].rate
    database = kind == "postgresql"
    lines = [
        f"### {kind} — {WORKERS} gunicorn workers, wrk {CONNECTIONS} connections, "
        f"{ROUNDS} rounds × {max(1, DURATION // ROUNDS)} s per page",
        "",
        "| page | of /healthz | req/s (median round) | p50 ms (median round) | p99 ms (worst round) | errors |"
        + (" database CPU ms per request |" if database else ""),
        "|---|---:|---:|---:|---:|---:|" + ("---:|" if database else ""),
    ]
    for result in results:
        lines.append(
            f"| {result.target.name} | {result.rate / floor:.2f} | {result.rate:.0f} | "
            f"{result.p50_ms:.1f} | {result.p99_ms:.1f} | {result.errors} |"
            + (f" {result.db_cpu_ms:.2f} |" if database and result.db_cpu_ms is not None else "")
        )
    lines += ["", "Worker RSS after the run: " + ", ".join(f"{size:.0f} MB" for size in rss), ""]
    if database:
        lines += [servers_per_database(results), ""]
    return "\n".join(lines)


def servers_per_database(results: list[Result]) -> str:
    """How many app servers like this one a database core keeps up with, from the busiest page."""
    party = next((result for result in results if result.target.name.startswith("party page, typical")), None)
    if party is None:
        return "Servers per database: the typical party page was not measured (BENCH_ONLY)."
    if not party.db_cpu_ms:
        return "Database CPU per request: not measured (no PostgreSQL process found)."
    per_core = 1000 / party.db_cpu_ms
    return (
        f"Servers per database: the typical party page costs the database {party.db_cpu_ms:.2f} ms of CPU, so one "
        f"database core answers about {per_core:.0f} of them per second; one app server ({WORKERS} workers) "
        f"served {party.rate:.0f}/s, so each database core keeps up with about {per_core / party.rate:.1f} such "
        f"servers (the app and the database shared this machine's {os.cpu_count()} cores while measured)."
    )


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (make bench installs it with apt)")
    kinds = ["sqlite"] + (["postgresql"] if os.environ.get("BENCH_DATABASE_URL") else [])
    sections = []
    for kind in kinds:
        results, rss = bench(kind)
        section = table(kind, results, rss)
        print(section, flush=True)
        sections.append(section)
    header = (
        f"# Benchmark results\n\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
        f"`make bench` (BENCH_DURATION={DURATION}, BENCH_ROUNDS={ROUNDS}).\n"
        "Typical party: 30 replies, 15 items, 40 claims, 3 reviews × 10 sections, 8 trivia, 20 cast.\n"
        "Large party: 300 replies, 60 items, 200 claims, 10 reviews × 10 sections, 40 cast.\n"
        "What the numbers mean and what stands in the way: bench/notes.md.\n\n"
    )
    if ONLY:
        return
    RESULTS.write_text(header + "\n".join(sections), encoding="utf-8")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
