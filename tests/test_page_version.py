"""Stamps (models/page_version.py): every write to a table the party page reads
gives its party, or its film, a new stamp in the same transaction, whoever
writes it — a service or plain SQL. The party page keeps the rows it reads
under those stamps (watchparty.cache): a hit runs none of their queries, and
in the tests every hit is read again and compared, so a write that stamped
nothing fails loudly."""

import logging
import re
import threading
import time

import pytest
import sqlalchemy as sa

from tests.factories import (
    log_in,
    make_claim,
    make_film,
    make_items,
    make_party,
    make_reply,
    make_review,
    make_user,
    make_verdict,
)
from watchparty.cache import StaleCache
from watchparty.extensions import db
from watchparty.models import PageVersion, PartyReview, Person, Trivia
from watchparty.models.page_version import STAMPED_BY, drop_statements


@pytest.fixture
def world(app):
    """A party with a guest, an item, a claim and a review, and another party of another
    host and film that no write below may touch."""
    host = make_user(email="host@example.com", display_name="Hana Host")
    film = make_film("Anora", 2024, created_by=host, cast=[("Mikey Madison", "Ani")],
                     trivia=[("Shot partly in Las Vegas.", False)])
    party = make_party(host, film, title="Anora night", capacity=None, guest_list_visible=True)
    guest = make_reply(party, "Gus")
    (item,) = make_items(party, ("Popcorn", 3))
    make_claim(party, item, 1, rsvp=guest)
    review = make_review(film, "A review")
    other_host = make_user(email="other@example.com", display_name="Olga")
    other_film = make_film("Tangerine", 2015, created_by=other_host)
    other = make_party(other_host, other_film, title="Tangerine night")
    return {"party": party, "film": film, "guest": guest, "item": item, "review": review, "other": other}


def stamps() -> dict[tuple[str, int], int]:
    db.session.rollback()  # a fresh read of what is committed
    return {(scope, key): stamp for scope, key, stamp in db.session.execute(sa.select(PageVersion.__table__)).all()}


def sql(statement: str, **params) -> None:
    db.session.execute(sa.text(statement), params)
    db.session.commit()


# Each write, and what it must stamp: "party" and "film" are the world's; the
# other party and its film must keep their stamps.
WRITES = {
    "a reply": (lambda w: make_reply(w["party"], "Nadia"), {"party"}),
    "a reply renamed in plain SQL": (lambda w: sql("UPDATE rsvp SET name = 'Gustav' WHERE id = :id", id=w["guest"].id),
                                     {"party"}),
    "the party edited in plain SQL": (lambda w: sql("UPDATE party SET title = 'New' WHERE id = :id", id=w["party"].id),
                                      {"party"}),
    "an item added": (lambda w: make_items(w["party"], "Lemonade"), {"party"}),
    "a claim changed in plain SQL": (lambda w: sql("UPDATE claim SET note = 'salted' WHERE item_id = :id",
                                                   id=w["item"].id), {"party"}),
    "a claim deleted in plain SQL": (lambda w: sql("DELETE FROM claim WHERE item_id = :id", id=w["item"].id),
                                     {"party"}),
    "an item deleted with its claims": (lambda w: sql("DELETE FROM signup_item WHERE id = :id", id=w["item"].id),
                                        {"party"}),
    "the host's choice of reviews": (lambda w: (db.session.add(PartyReview(party_id=w["party"].id,
                                                                           review_id=w["review"].id, hidden=True)),
                                                db.session.commit()), {"party"}),
    "the host renamed": (lambda w: sql('UPDATE "user" SET display_name = \'Hannah\' WHERE id = :id',
                                       id=w["party"].host_id), {"party"}),
    "a verdict": (lambda w: make_verdict(w["party"], 8, w["guest"], text="Loved it."), {"party", "film"}),
    "an editorial review": (lambda w: make_review(w["film"], "Another"), {"film"}),
    "a review's section edited in plain SQL": (lambda w: sql("UPDATE review_section SET body_html = '<p>x</p>' "
                                                             "WHERE review_id = :id", id=w["review"].id), {"film"}),
    "the film edited in plain SQL": (lambda w: sql("UPDATE film SET tagline = 'New' WHERE id = :id",
                                                   id=w["film"].id), {"film"}),
    "trivia added": (lambda w: (db.session.add(Trivia(film_id=w["film"].id, text="New fact", position=9)),
                                db.session.commit()), {"film"}),
    "a credited person renamed": (lambda w: (db.session.execute(sa.update(Person).values(name="M. Madison")
                                                                .where(Person.name == "Mikey Madison")),
                                             db.session.commit()), {"film"}),
}


@pytest.mark.parametrize("write", WRITES, ids=list(WRITES))
def test_every_write_stamps_its_party_or_film_and_nothing_else(world, write):
    do, scopes = WRITES[write]
    keys = {"party": ("party", world["party"].id), "film": ("film", world["film"].id)}
    untouched = [("party", world["other"].id), ("film", world["other"].film_id)]
    before = stamps()
    do(world)
    after = stamps()
    changed = {name for name, key in keys.items() if after[key] != before[key]}
    assert changed == scopes
    assert [after[key] for key in untouched] == [before[key] for key in untouched]


def test_a_row_moved_to_another_party_stamps_the_one_it_left_too(world):
    verdict = make_verdict(world["party"], 8, world["guest"], text="Loved it.")
    before = stamps()
    sql("UPDATE review SET party_id = :other WHERE id = :id", other=world["other"].id, id=verdict.id)
    after = stamps()
    assert after[("party", world["party"].id)] != before[("party", world["party"].id)]
    assert after[("party", world["other"].id)] != before[("party", world["other"].id)]


def test_every_table_the_party_page_reads_is_stamped(app, world, client, count_queries):
    """A query on a new table would let its writes go unseen: the tables the party page (as a
    guest and as the host sees it) and the film page read, as they run them."""
    app.config["VERIFY_PAGE_CACHE"] = False
    path = f"/p/{world['party'].share_token}"
    client.get(f"{path}/rsvp/{world['guest'].manage_token}")  # a guest: the page's every part
    host = app.test_client()
    log_in(host, "host@example.com")
    with count_queries() as statements:
        assert client.get(path).status_code == 200
        assert host.get(path).status_code == 200
        assert client.get(f"/films/{world['film'].slug}").status_code == 200
    tables = {name for statement in statements for name in re.findall(r'(?:FROM|JOIN) "?(\w+)"?', statement)}
    assert "signup_item" in tables and "review_section" in tables  # the reading was seen
    # login_session is who is signed in (the user loader's, on every request): the page
    # shows the user's name from "user", and the kept page's key holds signed_in_as().
    assert tables - {"page_version", "login_session"} <= set(STAMPED_BY)


def test_a_deleted_party_takes_its_rows_without_error_and_new_parties_get_a_stamp(world):
    party_id = world["party"].id
    sql("DELETE FROM party WHERE id = :id", id=party_id)
    assert ("party", party_id) in stamps()  # a stamp left behind is harmless: nothing reads it
    party = make_party(make_user(email="new@example.com"), world["film"])
    assert ("party", party.id) in stamps()


def page_statements(client, count_queries, path):
    with count_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return [s for s in statements if s.strip().upper() != "BEGIN"]


def test_a_second_view_reads_the_rows_it_kept_and_a_write_makes_it_read_them_again(app, world, client, count_queries):
    app.config["VERIFY_PAGE_CACHE"] = False  # as in production: a hit is not read again
    path = f"/p/{world['party'].share_token}"
    client.get(f"{path}/rsvp/{world['guest'].manage_token}")  # the guest, who sees the claims' notes
    cold = page_statements(client, count_queries, path)
    warm = page_statements(client, count_queries, path)
    assert len(warm) < len(cold)  # the stamps, and nothing of the replies, the list or the reviews
    assert not any("signup_item" in s or "review_section" in s for s in warm)

    sql("UPDATE claim SET note = 'salted, please' WHERE item_id = :id", id=world["item"].id)
    assert len(page_statements(client, count_queries, path)) == len(cold)
    assert "salted, please" in client.get(path).text


def test_a_write_the_triggers_miss_fails_the_tests_instead_of_leaving_a_stale_page(world, client):
    path = f"/p/{world['party'].share_token}"
    client.get(path)
    with db.engine.begin() as connection:
        for statement in drop_statements(connection.dialect.name):
            connection.exec_driver_sql(statement)
    try:
        sql("UPDATE claim SET note = 'unstamped' WHERE item_id = :id", id=world["item"].id)
        errors = []
        handler = logging.Handler(level=logging.ERROR)
        handler.emit = errors.append
        # Straight on the app's logger: an earlier test's logging setup may have cut it off from caplog.
        logger = client.application.logger
        was_disabled, logger.disabled = logger.disabled, False
        logger.addHandler(handler)
        try:
            assert client.get(path).status_code == 500
        finally:
            logger.removeHandler(handler)
            logger.disabled = was_disabled
        assert any(record.exc_info and isinstance(record.exc_info[1], StaleCache) for record in errors), [
            (record.getMessage(), record.exc_info) for record in errors]
    finally:
        with db.engine.begin() as connection:
            from watchparty.models.page_version import install_triggers

            install_triggers(connection)


def test_a_refused_claim_renders_the_page_from_fresh_rows(world, client, count_queries):
    # The page re-rendered by a request that tried to write reads no stamps: on PostgreSQL its
    # own writes are stamped only at the commit, so rows kept then could be rows nobody else sees.
    party = world["party"]
    client.get(f"/p/{party.share_token}/rsvp/{world['guest'].manage_token}")  # the guest's browser
    client.get(f"/p/{party.share_token}")
    with count_queries() as statements:
        response = client.post(f"/p/{party.share_token}/items/{world['item'].id}/claim", data={"quantity": "99"})
    assert response.status_code == 409 and "Who's bringing what" in response.text  # more than is left
    assert not any("page_version" in s for s in statements)
    assert any("review_section" in s for s in statements)


def waiting(observer, pids: list[int]) -> int:
    """How many of these backends wait for a lock."""
    count = observer.execute(
        sa.text("SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted AND pid = ANY(:pids)"), {"pids": pids}
    ).scalar()
    observer.rollback()
    return count


def postgres_only(engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has a single writer, so nothing to deadlock: this runs in the PostgreSQL pass")


def test_a_reply_and_a_claim_locking_in_opposite_orders_both_commit(world):
    """A withdrawal writes its reply and then gives back its claims (item rows); a claim writes
    its item. Both stamp the party. Were the stamp taken with each write, the withdrawal would
    hold the stamp and wait for the item while the claim held the item and waited for the
    stamp: a deadlock, which PostgreSQL breaks by failing one of them. Written at the commit,
    the stamp is the last lock either takes."""
    rsvp_id, item_id = world["guest"].id, world["item"].id
    db.session.remove()
    engine = db.engine  # the thread has no app context
    postgres_only(engine)
    errors = []

    pids = []

    def claim() -> None:
        try:
            with engine.begin() as connection:
                pids.append(connection.execute(sa.text("SELECT pg_backend_pid()")).scalar())
                connection.execute(sa.text("UPDATE signup_item SET claimed = claimed + 1 WHERE id = :id"),
                                   {"id": item_id})
        except Exception as error:
            errors.append(error)

    with engine.connect() as withdrawal, engine.connect() as observer:
        withdrawal.execute(sa.text("UPDATE rsvp SET response = 'declined' WHERE id = :id"), {"id": rsvp_id})
        claimer = threading.Thread(target=claim)
        claimer.start()
        # Until the claim has committed, or waits on a lock (as it would for a stamp taken at once).
        deadline = time.monotonic() + 10
        while claimer.is_alive() and waiting(observer, pids) == 0:
            assert time.monotonic() < deadline, "the claim neither committed nor waited"
            time.sleep(0.02)
        try:
            withdrawal.execute(sa.text("UPDATE signup_item SET claimed = claimed - 1 WHERE id = :id"),
                               {"id": item_id})
            withdrawal.commit()
        except Exception as error:
            errors.append(error)
        claimer.join(timeout=30)
    assert not claimer.is_alive()
    assert errors == []
    db.session.rollback()
    assert db.session.scalar(sa.text("SELECT claimed FROM signup_item WHERE id = :id"), {"id": item_id}) == 1


def test_commits_stamping_a_film_and_a_party_in_opposite_orders_never_deadlock(world):
    """One transaction changes the film and then the party (a verdict, say), another the party
    and then the film (a withdrawal taking a verdict with it). Stamped in the order of their
    writes, the two could each hold one stamp and wait for the other's. Here a third
    transaction holds the party's stamp until both commits are queued behind it: taken in
    one order (film, then party) for everyone, both commits go through."""
    party, film = world["party"], world["film"]
    other_guest = make_reply(party, "Nadia")
    db.session.add(Trivia(film_id=film.id, text="Another fact", position=5))
    db.session.commit()
    trivia_ids = db.session.scalars(sa.select(Trivia.id).where(Trivia.film_id == film.id).order_by(Trivia.id)).all()
    film_first = [("UPDATE trivia SET position = position WHERE id = :id", trivia_ids[0]),
                  ("UPDATE rsvp SET note = note WHERE id = :id", world["guest"].id)]
    party_first = [("UPDATE rsvp SET note = note WHERE id = :id", other_guest.id),
                   ("UPDATE trivia SET position = position WHERE id = :id", trivia_ids[1])]
    party_id = party.id
    db.session.remove()
    engine = db.engine
    postgres_only(engine)
    errors = []
    pids = []

    def commit(statements) -> None:
        try:
            with engine.begin() as connection:
                pids.append(connection.execute(sa.text("SELECT pg_backend_pid()")).scalar())
                for statement, row_id in statements:
                    connection.execute(sa.text(statement), {"id": row_id})
        except Exception as error:
            errors.append(error)

    def wait_for_waiters(observer, count: int) -> None:
        deadline = time.monotonic() + 10
        while waiting(observer, pids) < count:
            assert time.monotonic() < deadline, f"{count} commits should be waiting for the held stamp"
            time.sleep(0.02)

    with engine.connect() as holder, engine.connect() as observer:
        holder.execute(sa.text("SELECT stamp FROM page_version WHERE scope = 'party' AND scope_id = :id FOR UPDATE"),
                       {"id": party_id})
        threads = [threading.Thread(target=commit, args=(statements,)) for statements in (party_first, film_first)]
        for queued, thread in enumerate(threads, start=1):
            thread.start()
            wait_for_waiters(observer, queued)
        holder.commit()
        for thread in threads:
            thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
