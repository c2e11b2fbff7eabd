"""PostgreSQL restarts while guests reply through two servers.

During the outage every request gets a quick 503 page (never a 500, never a
hang); afterwards the same server processes answer again without a restart
(pool_pre_ping throws the dead connections away), and every reply in the
database is whole, with the seat count matching the seated replies.

The shared PostgreSQL on 5432 is not ours to restart, so this test runs its
own throwaway cluster (tests.system.harness.PrivatePostgres).
"""

import http.client
import os
import pwd
import threading
import time
from dataclasses import dataclass
from functools import partial

import pytest
import sqlalchemy as sa

from tests.factories import make_film, make_party, make_user
from tests.system.conftest import check_logs, unavailable
from tests.system.harness import (
    Browser,
    PrivatePostgres,
    Request,
    SystemDatabase,
    fire,
    production_environ,
    start_servers,
    stop_servers,
)
from watchparty.extensions import db
from watchparty.models import Party, Rsvp

pytestmark = pytest.mark.system

OUTAGE_SECONDS = 2.0
# Bounds every request: an answer slower than this counts as a hang.
CLIENT_TIMEOUT = 10.0
GUEST_THREADS = 8
# What the app logs when it answers 503 (errors.database_unavailable): a warning, no traceback.
OUTAGE_WARNING = "database unavailable"


@pytest.fixture(scope="module")
def private_postgres():
    bindir = PrivatePostgres.find_bindir()
    if bindir is None:
        unavailable("the outage test needs PostgreSQL's initdb and pg_ctl (install them or set TEST_PG_BINDIR)")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            unavailable("the outage test runs PostgreSQL as the `postgres` user, which does not exist here")
    cluster = PrivatePostgres(bindir)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="module")
def outage_database(private_postgres, tmp_path_factory):
    database = SystemDatabase(private_postgres.url(), tmp_path_factory.mktemp("outage-app"))
    database.create()
    try:
        database.migrate()
        yield database
    finally:
        database.drop()


@dataclass
class Outcome:
    """One request of the traffic: what it was, where, when, and what came back."""

    kind: str  # "page" (GET the party) or "reply" (POST the RSVP form)
    server: str
    started: float
    seconds: float
    status: int | None = None  # None: no answer at all
    error: str = ""
    name: str = ""
    retry_after: str | None = None
    text: str = ""


class GuestTraffic:
    """Threads of new guests, each opening the party on one server and replying on the other, nonstop."""

    def __init__(self, servers, token: str):
        self.servers = servers
        self.token = token
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._guests, args=(n,), daemon=True) for n in range(GUEST_THREADS)]

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(CLIENT_TIMEOUT * 3)

    def _guests(self, n: int) -> None:
        k = 0
        while not self._stop.is_set():
            k += 1
            name = f"Guest {n}-{k}"
            guest = Browser(self.servers[k % 2], timeout=CLIENT_TIMEOUT)
            page = self._record("page", partial(guest.get, f"/p/{self.token}"))
            if page.status == 200:
                data = {"name": name, "response": "going", "plus_ones": str(k % 3)}
                other = self.servers[(k + 1) % 2]
                self._record("reply", partial(guest.post, f"/p/{self.token}/rsvp", data, server=other), name)
            else:
                time.sleep(0.05)  # the database is away: no need to spin

    def _record(self, kind: str, send, name: str = "") -> Outcome:
        started = time.monotonic()
        outcome = Outcome(kind, "", started, 0.0, name=name)
        try:
            page = send()
        except (OSError, http.client.HTTPException) as error:  # timeouts and broken answers included
            outcome.error = repr(error)
        else:
            outcome.server = page.server.name
            outcome.status = page.status
            outcome.retry_after = page.headers.get("Retry-After")
            outcome.text = page.text if page.status >= 500 else ""
        outcome.seconds = time.monotonic() - started
        with self._lock:
            self.outcomes.append(outcome)
        return outcome

    def wait_for_replies_on_every_server(self, since: float, timeout: float = 30.0) -> None:
        """Until each server has accepted a reply that started after `since` (or `timeout` passed)."""
        deadline = time.monotonic() + timeout
        while not all(self.replies_since(since, s.name) for s in self.servers) and time.monotonic() < deadline:
            time.sleep(0.05)

    def replies_since(self, moment: float, server_name: str) -> list[Outcome]:
        with self._lock:
            return [o for o in self.outcomes if o.kind == "reply" and o.status == 302
                    and o.started >= moment and o.server == server_name]


def test_database_restart_gives_503s_then_recovers_with_no_half_written_reply(
    private_postgres, outage_database, rate_limits, tmp_path_factory
):
    with outage_database.app_context():
        party = make_party(make_user(email="outage-host@example.com"), make_film(title="Outage"),
                           capacity=40, max_plus_ones=2)
        token, party_id = party.share_token, party.id
    environ = production_environ(
        outage_database.url, tmp_path_factory.mktemp("outage-instance"), RATELIMIT_RSVP="100000 per minute",
        **rate_limits,
    )
    servers = start_servers(2, environ, tmp_path_factory.mktemp("outage-logs"), name="outage")
    pids = [server.process.pid for server in servers]
    try:
        with GuestTraffic(servers, token) as traffic:
            traffic.wait_for_replies_on_every_server(since=0.0)
            down = time.monotonic()
            private_postgres.stop("fast")  # ends every open session, as a restart or failover does
            time.sleep(OUTAGE_SECONDS)
            private_postgres.start()
            up = time.monotonic()
            traffic.wait_for_replies_on_every_server(since=up)
            recovered = {s.name: min((o.started + o.seconds for o in traffic.replies_since(up, s.name)), default=None)
                         for s in servers}
            time.sleep(0.5)
    finally:
        stop_servers(servers)
    outcomes = traffic.outcomes

    # Nobody hung and nobody saw a 500: every answer is a success or our 503 page.
    assert not [o for o in outcomes if o.status is None], [o.error for o in outcomes if o.status is None][:5]
    assert {o.status for o in outcomes} <= {200, 302, 503}, sorted({o.status for o in outcomes})
    unavailable_pages = [o for o in outcomes if o.status == 503]
    assert unavailable_pages, "no request fell into the outage: it proved nothing"
    for outcome in unavailable_pages:
        # 5 s from our handler; on rate-limited routes Flask-Limiter raises it to its window's reset.
        assert outcome.retry_after is not None and int(outcome.retry_after) >= 5
        assert "We can't reach our database right now" in outcome.text and "Traceback" not in outcome.text

    # The same processes answer again (no restart), and replies go through on both servers.
    assert [server.process.pid for server in servers] == pids
    assert all(server.log().count("Booting worker") == server.workers for server in servers)  # none respawned
    assert all(recovered.values()), f"a server did not recover within 30 s: {recovered}"
    assert [o for o in outcomes if o.kind == "reply" and o.status == 302 and o.started < down]

    with outage_database.app_context():
        party = db.session.get(Party, party_id)
        rsvps = list(db.session.scalars(sa.select(Rsvp).where(Rsvp.party_id == party_id)))
        seated = [r for r in rsvps if r.response == "going" and r.state == "confirmed"]
        # Whole rows only, and the seat count is exactly what the seated replies hold.
        assert all(r.name and r.manage_token and r.created_at for r in rsvps)
        assert party.seats_taken == sum(1 + r.plus_ones for r in seated) <= party.capacity
        free = party.capacity - party.seats_taken
        assert all(1 + r.plus_ones > free for r in rsvps if r.state == "waitlisted")
        # Every reply a guest was told about is there, once; nothing appeared that nobody sent.
        names = [r.name for r in rsvps]
        confirmed_to_guests = {o.name for o in outcomes if o.kind == "reply" and o.status == 302}
        assert len(names) == len(set(names))
        assert confirmed_to_guests <= set(names) <= {o.name for o in outcomes if o.kind == "reply"}
        stored = f"{len(rsvps)} replies stored ({len(seated)} seated, seats {party.seats_taken}/{party.capacity})"

    warnings = sum(server.log().count(OUTAGE_WARNING) for server in servers)
    assert warnings >= len(unavailable_pages)
    late = sum(server.log().count(f"{OUTAGE_WARNING} at the end of a request") for server in servers)
    check_logs(servers)

    print(
        f"outage: {len(outcomes)} requests ({sum(o.kind == 'reply' for o in outcomes)} replies), "
        f"{len(unavailable_pages)} answered 503, slowest answer {max(o.seconds for o in outcomes):.2f} s, "
        f"database down {up - down:.1f} s, recovered after "
        + ", ".join(f"{name} {moment - up:.2f} s" for name, moment in recovered.items())
        + f", {stored}; {late} requests lost the database after their page was ready"
    )


@pytest.fixture
def silent_database():
    """A port that accepts connections and never says a word, like a database host
    lost mid-failover: only a connect timeout gets a client out."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    yield f"postgresql+psycopg://postgres@127.0.0.1:{listener.getsockname()[1]}/watchparty"
    listener.close()


def test_a_database_that_never_answers_gives_a_503_within_the_connect_timeout(
    silent_database, rate_limits, tmp_path_factory
):
    environ = production_environ(silent_database, tmp_path_factory.mktemp("silent-instance"), **rate_limits)
    servers = start_servers(1, environ, tmp_path_factory.mktemp("silent-logs"), name="silent", healthy=False)
    try:
        token = "x" * 32  # well formed, so the view asks the database
        pages = fire([Request("/healthz"), Request(f"/p/{token}")], across=servers, timeout=CLIENT_TIMEOUT * 2)
    finally:
        stop_servers(servers)
    for page in pages:
        assert page.status == 503
        assert page.seconds < CLIENT_TIMEOUT, page.seconds  # two attempts of connect_timeout=4 (config.py)
    check_logs(servers)
    print(f"silent database: 503 after {', '.join(f'{page.seconds:.1f} s' for page in pages)}")
