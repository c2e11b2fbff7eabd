"""Store canonical time zone names: legacy aliases become the zone they name (#18)

The picker now offers only the zones of tzdata's zone.tab ("Europe/Kyiv",
"America/New_York", "Asia/Kolkata") and "UTC"; names stored before, from a list
that also held aliases ("Europe/Kiev", "US/Eastern", "Asia/Calcutta"), are
rewritten to the zone the alias links to, so each party and account shows as
selected in the picker. Every alias names the same clock as its zone, so no
party's time moves. A name that is no alias of an offered zone is left alone.

Revision ID: 51e045b55469
Revises: 5b8e1d3c7a20
Create Date: 2026-12-04 20:40:00

"""
from importlib import resources

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '51e045b55469'
down_revision = '5b8e1d3c7a20'
branch_labels = None
depends_on = None

# A copy of watchparty.timezones.canonical_timezone as of this revision: a
# migration must keep doing what it did when it was written.
UTC_TARGETS = {"Etc/UTC", "Etc/GMT"}
TABLES = ["party", "user"]


def tzdata_text(name):
    return resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")


def canonical_names():
    offered = {"UTC"} | {
        line.split("\t")[2] for line in tzdata_text("zone.tab").splitlines() if line and not line.startswith("#")
    }
    renames = {}
    for line in tzdata_text("tzdata.zi").splitlines():
        if line.startswith("L "):
            _, target, alias = line.split()
            if alias in offered:
                continue
            if target in UTC_TARGETS:
                renames[alias] = "UTC"
            elif target in offered:
                renames[alias] = target
    for target in UTC_TARGETS:
        renames[target] = "UTC"
    return renames


def upgrade():
    connection = op.get_bind()
    renames = canonical_names()
    for table_name in TABLES:
        table = sa.table(table_name, sa.column("timezone"))
        stored = connection.execute(sa.select(table.c.timezone).distinct()).scalars().all()
        for old in stored:
            if old in renames:
                connection.execute(table.update().where(table.c.timezone == old).values(timezone=renames[old]))


def downgrade():
    # The canonical names are valid time zones for the older code too (its list
    # held them as well): nothing to undo.
    pass
