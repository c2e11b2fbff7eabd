"""Stamps that change whenever what a party page shows changes.

Every write to a table the party page reads gives the party (or its film) a
new random stamp, in the same transaction, from a database trigger: so no
write path can forget — a service, the CLI, a migration, hand-made SQL. The
page keeps what it read under the stamps it saw (watchparty.cache), and a
new stamp means a fresh read.

On PostgreSQL the triggers are deferred to the commit. A stamp is one row
that every writer of the party updates; taken at the end of a transaction,
after every other lock it wanted, it cannot close a cycle with them (a claim
locks its item and a reply the party and then items: both take the stamp
last). SQLite has a single writer and fires them at once.

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
    # The host's name is on their parties' pages.
    "user": [("party", "SELECT id FROM party WHERE host_id = {row}.id")],
    "film": [("film", "SELECT {row}.id AS id")],
    "credit": [("film", "SELECT {row}.film_id AS id")],
    "award": [("film", "SELECT {row}.film_id AS id")],
    "trivia": [("film", "SELECT {row}.film_id AS id")],
    "person": [("film", "SELECT film_id AS id FROM credit WHERE person_id = {row}.id")],
}

_UPSERT = (
    "INSERT INTO page_version (scope, scope_id, stamp) "
    "SELECT '{scope}', ids.id, {random} FROM (SELECT DISTINCT id FROM ({ids}) AS found) AS ids "
    "WHERE ids.id IS NOT NULL "
    "ON CONFLICT (scope, scope_id) DO UPDATE SET stamp = excluded.stamp"
)
_PG_RANDOM = "(random() * 9.2e18)::bigint"
_SQLITE_OPERATIONS = {"insert": "NEW", "update": "NEW", "delete": "OLD"}


def _quoted(table: str) -> str:
    return f'"{table}"'


def _upserts(table: str, row: str, random: str) -> str:
    return "; ".join(
        _UPSERT.format(scope=scope, random=random, ids=ids.format(row=row)) for scope, ids in STAMPED_BY[table]
    )


def trigger_statements(dialect: str) -> list[str]:
    """The DDL that makes every write to a stamped table stamp its party or film."""
    statements = []
    for table in STAMPED_BY:
        if dialect == "postgresql":
            statements.append(
                f"CREATE OR REPLACE FUNCTION page_version_{table}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                "DECLARE r record;\n"
                "BEGIN\n"
                "  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;\n"
                f"  {_upserts(table, 'r', _PG_RANDOM)};\n"
                "  RETURN NULL;\n"
                "END $$"
            )
            statements.append(
                f"CREATE CONSTRAINT TRIGGER page_version_{table} AFTER INSERT OR UPDATE OR DELETE "
                f"ON {_quoted(table)} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                f"EXECUTE FUNCTION page_version_{table}()"
            )
        else:
            for operation, row in _SQLITE_OPERATIONS.items():
                statements.append(
                    f"CREATE TRIGGER page_version_{table}_{operation} AFTER {operation.upper()} "
                    f"ON {_quoted(table)} FOR EACH ROW BEGIN {_upserts(table, row, 'random()')}; END"
                )
    return statements


def drop_statements(dialect: str) -> list[str]:
    statements = []
    for table in STAMPED_BY:
        if dialect == "postgresql":
            statements.append(f"DROP TRIGGER IF EXISTS page_version_{table} ON {_quoted(table)}")
            statements.append(f"DROP FUNCTION IF EXISTS page_version_{table}()")
        else:
            statements.extend(f"DROP TRIGGER IF EXISTS page_version_{table}_{operation}" for operation in _SQLITE_OPERATIONS)
    return statements


def install_triggers(connection: sa.Connection) -> None:
    for statement in trigger_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)


@sa.event.listens_for(Base.metadata, "after_create")
def _install_after_create_all(target, connection, **kw) -> None:
    # db.create_all() (tests, a fresh development database) gets them as the migration does.
    install_triggers(connection)
