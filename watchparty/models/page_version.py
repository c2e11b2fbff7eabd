"""Stamps that change whenever what a party page shows changes.

Every write to a table the party page reads gives the party (or its film) a
new random stamp, in the same transaction, from a database trigger: so no
write path can forget — a service, the CLI, a migration, hand-made SQL. The
page keeps what it read under the stamps it saw (watchparty.cache), and a
new stamp means a fresh read.

On PostgreSQL the stamps are written at the commit. A stamp is one row that
every writer of the party updates; taken at the end of a transaction, after
every other lock it wanted, it cannot close a cycle with those (a claim locks
its item, a reply the party and then items: both take the stamp last), and a
transaction's stamps are taken in one order (scope, id), so they cannot close
one among themselves. SQLite has a single writer and stamps at once.

A stamp is random rather than counted, so a database restored from a backup
or rebuilt for tests never reuses a stamp a worker has seen.
"""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from watchparty.models.base import Base

SCOPES = ("party", "film")


class PageVersion(Base):
    __tablename__ = "page_version"

    # "party": a party's own rows (replies, sign-ups, verdicts, review choices);
    # "film": a film's (credits, trivia, awards, reviews), shown by all its parties.
    scope: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    scope_id: Mapped[int] = mapped_column(primary_key=True)
    stamp: Mapped[int] = mapped_column(sa.BigInteger)

    def __repr__(self) -> str:
        return f"<PageVersion {self.scope} {self.scope_id}>"


_POLL_OF_VOTE = "SELECT poll.party_id AS id FROM poll_vote JOIN poll ON poll.id = poll_vote.poll_id WHERE poll_vote.id = {row}.vote_id"

# What a change to a row of each table stamps: (scope, SELECT of the ids, with
# {row} standing for the changed row). A row's insert and update stamp through
# its new values, a delete through its old.
STAMPED_BY = {
    "party": [("party", "SELECT {row}.id AS id")],
    "rsvp": [("party", "SELECT {row}.party_id AS id")],
    "signup_item": [("party", "SELECT {row}.party_id AS id")],
    # A claim deleted with its item finds no item: the item's own delete stamps the party.
    "claim": [("party", "SELECT party_id AS id FROM signup_item WHERE id = {row}.item_id")],
    "party_review": [("party", "SELECT {row}.party_id AS id")],
    # Editorial reviews belong to the film; verdicts (guest reviews) to a party too.
    "review": [("film", "SELECT {row}.film_id AS id"), ("party", "SELECT {row}.party_id AS id")],
    "review_section": [
        ("film", "SELECT film_id AS id FROM review WHERE id = {row}.review_id"),
        ("party", "SELECT party_id AS id FROM review WHERE id = {row}.review_id"),
    ],
    # The host's announcements and the guests' comments (watchparty.talk).
    "announcement": [("party", "SELECT {row}.party_id AS id")],
    "party_comment": [("party", "SELECT {row}.party_id AS id")],
    # A party's poll and its votes (watchparty.polls): the page shows the poll, then "decided by N votes".
    "poll": [("party", "SELECT {row}.party_id AS id")],
    "poll_film": [("party", "SELECT party_id AS id FROM poll WHERE id = {row}.poll_id")],
    "poll_date": [("party", "SELECT party_id AS id FROM poll WHERE id = {row}.poll_id")],
    "poll_vote": [("party", "SELECT party_id AS id FROM poll WHERE id = {row}.poll_id")],
    "poll_date_answer": [("party", _POLL_OF_VOTE)],
    "poll_film_answer": [("party", _POLL_OF_VOTE)],
    # The host's name is on their parties' pages.
    "user": [("party", "SELECT id FROM party WHERE host_id = {row}.id")],
    "film": [("film", "SELECT {row}.id AS id")],
    "credit": [("film", "SELECT {row}.film_id AS id")],
    "award": [("film", "SELECT {row}.film_id AS id")],
    "trivia": [("film", "SELECT {row}.film_id AS id")],
    "person": [("film", "SELECT film_id AS id FROM credit WHERE person_id = {row}.id")],
}

# The ids a row's change stamps, under {scope}; {ids} reads them from the row.
_IDS = "SELECT '{scope}', ids.id{extra} FROM (SELECT DISTINCT id FROM ({ids}) AS found) AS ids WHERE ids.id IS NOT NULL"
_SQLITE_UPSERT = (
    "INSERT INTO page_version (scope, scope_id, stamp) " + _IDS.replace("{extra}", ", random()")
    + " ON CONFLICT (scope, scope_id) DO UPDATE SET stamp = excluded.stamp"
)
_PG_NOTE = "INSERT INTO pg_temp.page_version_pending (scope, scope_id) " + _IDS.replace("{extra}", "") + " ON CONFLICT DO NOTHING"
# Which row images a change stamps through: an update both, so a row moved to another party
# or film (a verdict whose party changed film) stamps the one it left too.
_ROWS = {"insert": ("NEW",), "update": ("OLD", "NEW"), "delete": ("OLD",)}

# PostgreSQL: each write notes what it stamps in a temporary table of its session.
# That table's own deferred trigger runs at the commit, and its first run stamps
# them all, in one order (scope, id) for every transaction, so two commits never
# wait on each other's stamps in a cycle. (The deferred trigger sits on the
# temporary table, not on ours: a migration may still write rows and then alter
# a table in one transaction.) The functions keep the search_path they were
# made with, so a writer with another one still finds page_version.
# The flush empties the table itself, so it is made ON COMMIT PRESERVE ROWS: with
# DELETE ROWS, PostgreSQL truncated it at every writing commit, which cost ~0.85 ms
# of the database's time per transaction (a truncate makes a new file for the table).
_PG_FLUSH = """CREATE OR REPLACE FUNCTION page_version_flush() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO page_version (scope, scope_id, stamp)
    SELECT scope, scope_id, (random() * 9.2e18)::bigint FROM pg_temp.page_version_pending ORDER BY scope, scope_id
    ON CONFLICT (scope, scope_id) DO UPDATE SET stamp = excluded.stamp;
  DELETE FROM pg_temp.page_version_pending;
  RETURN NULL;
END $$"""
_PG_PENDING = (
    "IF to_regclass('pg_temp.page_version_pending') IS NULL THEN "
    "CREATE TEMPORARY TABLE page_version_pending (scope text, scope_id bigint, PRIMARY KEY (scope, scope_id)) "
    "ON COMMIT PRESERVE ROWS; "
    "CREATE CONSTRAINT TRIGGER page_version_flush AFTER INSERT ON pg_temp.page_version_pending "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION page_version_flush(); END IF;"
)


def _quoted(table: str) -> str:
    return f'"{table}"'


def _statements(template: str, stamps: list[tuple[str, str]], row: str) -> str:
    return " ".join(template.format(scope=scope, ids=ids.format(row=row)) + ";" for scope, ids in stamps)


def trigger_statements(dialect: str, stamped_by: dict = STAMPED_BY) -> list[str]:
    """The DDL that makes every write to a stamped table stamp its party or film.
    (A migration passes the STAMPED_BY of its day.)"""
    if dialect != "postgresql":
        return [
            f"CREATE TRIGGER page_version_{table}_{operation} AFTER {operation.upper()} ON {_quoted(table)} "
            f"FOR EACH ROW BEGIN {' '.join(_statements(_SQLITE_UPSERT, stamps, row) for row in rows)} END"
            for table, stamps in stamped_by.items()
            for operation, rows in _ROWS.items()
        ]
    statements = [_PG_FLUSH]
    for table, stamps in stamped_by.items():
        notes = "\n".join(
            f"  IF TG_OP IN ({', '.join(repr(op.upper()) for op, rows in _ROWS.items() if row in rows)}) THEN "
            f"{_statements(_PG_NOTE, stamps, row)} END IF;"
            for row in ("OLD", "NEW")
        )
        statements += [
            f"CREATE OR REPLACE FUNCTION page_version_{table}() RETURNS trigger LANGUAGE plpgsql\n"
            f"SET search_path FROM CURRENT AS $$\n"
            f"BEGIN\n  {_PG_PENDING}\n{notes}\n  RETURN NULL;\nEND $$",
            f"CREATE TRIGGER page_version_{table} AFTER INSERT OR UPDATE OR DELETE ON {_quoted(table)} "
            f"FOR EACH ROW EXECUTE FUNCTION page_version_{table}()",
        ]
    return statements


def drop_statements(dialect: str, stamped_by: dict = STAMPED_BY) -> list[str]:
    if dialect != "postgresql":
        return [f"DROP TRIGGER IF EXISTS page_version_{table}_{operation}" for table in stamped_by for operation in _ROWS]
    statements = []
    for table in stamped_by:
        statements += [
            f"DROP TRIGGER IF EXISTS page_version_{table} ON {_quoted(table)}",
            f"DROP FUNCTION IF EXISTS page_version_{table}()",
        ]
    # CASCADE: the sessions' temporary tables carry triggers that call it.
    return [*statements, "DROP FUNCTION IF EXISTS page_version_flush() CASCADE"]


def install_triggers(connection: sa.Connection) -> None:
    for statement in trigger_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)


@sa.event.listens_for(Base.metadata, "after_create")
def _install_after_create_all(target, connection, tables=(), **kw) -> None:
    # db.create_all() (tests, a fresh development database) gets them as the migration does;
    # only the create_all that made page_version (CREATE TRIGGER cannot run twice).
    if any(table.name == PageVersion.__tablename__ for table in tables):
        install_triggers(connection)
