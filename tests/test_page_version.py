"""Stamps (models/page_version.py): every write to a table the party page reads
gives its party, or its film, a new stamp in the same transaction, whoever
writes it — a service or plain SQL. The party page keeps the rows it reads
under those stamps (watchparty.cache): a hit runs none of their queries, and
in the tests every hit is read again and compared, so a write that stamped
nothing fails loudly."""

import threading
import time

import pytest
import sqlalchemy as sa

from tests.factories import (
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


def test_every_table_the_party_page_reads_is_stamped():
    # The page's queries (rsvp, signups and reviews services) read these tables and no others.
    read = {"party", "rsvp", "signup_item", "claim", "party_review", "review", "review_section", "user",
            "film", "credit", "person", "trivia"}
    assert read <= set(STAMPED_BY)


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


def test_a_write_the_triggers_miss_fails_the_tests_instead_of_leaving_a_stale_page(world, client, caplog):
    path = f"/p/{world['party'].share_token}"
    client.get(path)
    with db.engine.begin() as connection:
        for statement in drop_statements(connection.dialect.name):
            connection.exec_driver_sql(statement)
    try:
        sql("UPDATE claim SET note = 'unstamped' WHERE item_id = :id", id=world["item"].id)
        assert client.get(path).status_code == 500
        assert any(record.exc_info and isinstance(record.exc_info[1], StaleCache) for record in caplog.records)
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


def test_a_reply_and_a_claim_locking_in_opposite_orders_both_commit(world):
    """A withdrawal writes its reply and then gives back its claims (item rows); a claim writes
    its item. Both stamp the party. Were the stamp taken with each write, the withdrawal would
    hold the stamp and wait for the item while the claim held the item and waited for the
    stamp: a deadlock, which PostgreSQL breaks by failing one of them. Deferred to the commit,
    the stamp is the last lock either takes. (On SQLite the single writer orders them.)"""
    rsvp_id, item_id = world["guest"].id, world["item"].id
    db.session.remove()
    engine = db.engine  # the thread has no app context
    errors = []

    def claim() -> None:
        try:
            with engine.begin() as connection:
                connection.execute(sa.text("UPDATE signup_item SET claimed = claimed + 1 WHERE id = :id"),
                                   {"id": item_id})
        except Exception as error:
            errors.append(error)

    with engine.connect() as withdrawal:
        withdrawal.execute(sa.text("UPDATE rsvp SET response = 'declined' WHERE id = :id"), {"id": rsvp_id})
        claimer = threading.Thread(target=claim)
        claimer.start()
        time.sleep(0.5)  # the claim now holds its item (and, were it immediate, waits for the stamp)
        try:
            withdrawal.execute(sa.text("UPDATE signup_item SET claimed = claimed - 1 WHERE id = :id"),
                               {"id": item_id})
            withdrawal.commit()
        except Exception as error:
            errors.append(error)
        claimer.join(timeout=30)
    assert errors == []
    db.session.rollback()
    assert db.session.scalar(sa.text("SELECT claimed FROM signup_item WHERE id = :id"), {"id": item_id}) == 1
