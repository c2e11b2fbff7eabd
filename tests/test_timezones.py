"""Time zones: the canonical list from tzdata, grouped by region; legacy names stored canonical (#18)."""

import re
from datetime import UTC, datetime
from importlib import resources

import flask_migrate
import pytest
import sqlalchemy as sa
import time_machine

from tests.conftest import drop_postgres_schema, migrating_app, new_database
from tests.factories import log_in, make_film, make_user
from watchparty.extensions import db
from watchparty.models import Party, PendingRegistration, User
from watchparty.timezones import canonical_timezone, timezone_choices, timezone_label, timezone_names

LEGACY = {
    "US/Eastern": "America/New_York",
    "Asia/Calcutta": "Asia/Kolkata",
    "Europe/Kiev": "Europe/Kyiv",
    "Asia/Saigon": "Asia/Ho_Chi_Minh",
    "GB": "Europe/London",
    "Etc/UTC": "UTC",
    "Etc/GMT": "UTC",
    "Zulu": "UTC",
}
WINTER = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)


def test_the_list_is_tzdatas_zone_table_with_utc_and_no_aliases():
    names = timezone_names()
    zone_tab = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text()
    assert set(names) == {"UTC"} | {line.split("\t")[2] for line in zone_tab.splitlines() if line[:1] not in ("", "#")}
    assert names[0] == "UTC" and len(names) == len(set(names))
    for legacy in [*LEGACY, "EST5EDT", "Etc/GMT+5", "posix/Europe/London", "Factory", "CET"]:
        assert legacy not in names
    for canonical in ["Europe/Kyiv", "America/New_York", "Asia/Kolkata", "Europe/Amsterdam", "Europe/London"]:
        assert canonical in names
        assert canonical_timezone(canonical) == canonical


@pytest.mark.parametrize(("legacy", "canonical"), LEGACY.items())
def test_a_legacy_name_means_its_canonical_zone(legacy, canonical):
    assert canonical_timezone(legacy) == canonical


@pytest.mark.parametrize("name", ["", None, "Mars/Olympus", "Etc/GMT+5", "europe/london", "Europe/London\x00"])
def test_other_names_are_no_time_zone(name):
    assert canonical_timezone(name) is None


def test_choices_are_grouped_by_region_with_readable_labels():
    with time_machine.travel(WINTER, tick=False):
        groups = timezone_choices()
    assert list(groups)[:3] == ["UTC", "Africa", "America"]
    assert {"Europe", "Asia", "Australia", "Pacific"} <= set(groups)
    europe = dict(groups["Europe"])
    assert europe["Europe/Kyiv"] == "Kyiv (UTC+2)"
    assert europe["Europe/London"] == "London (UTC+0)"
    assert dict(groups["Asia"])["Asia/Kolkata"] == "Kolkata (UTC+5:30)"
    america = dict(groups["America"])
    assert america["America/Argentina/Buenos_Aires"] == "Buenos Aires, Argentina (UTC-3)"
    assert america["America/St_Johns"] == "St Johns (UTC-3:30)"
    assert america["America/New_York"] == "New York (UTC-5)"
    # Cities in alphabetical order within a region, each zone once.
    labels = [label for _, label in groups["Europe"]]
    assert labels == sorted(labels)
    offered = [name for zones in groups.values() for name, _ in zones]
    assert sorted(offered) == sorted(timezone_names())


def test_the_label_follows_daylight_saving_time():
    assert timezone_label("Europe/Kyiv", datetime(2027, 7, 1, tzinfo=UTC)) == "Kyiv (UTC+3)"
    assert timezone_label("UTC") == "UTC"


def test_the_picker_follows_a_daylight_saving_change_the_same_morning():
    """The labels are kept for a quarter hour, never across the moment the clocks change
    (Europe's, 01:00 UTC on 28 March 2027) nor from one moved clock to another."""
    def labels():
        return dict(timezone_choices()["Europe"])

    with time_machine.travel(datetime(2027, 3, 28, 0, 50, tzinfo=UTC), tick=False):
        before = labels()
    with time_machine.travel(datetime(2027, 3, 28, 0, 59, 59, tzinfo=UTC), tick=False):
        assert labels() == before
    assert before["Europe/London"] == "London (UTC+0)"
    assert before["Europe/Kyiv"] == "Kyiv (UTC+2)"
    with time_machine.travel(datetime(2027, 3, 28, 1, 0, tzinfo=UTC), tick=False):
        after = labels()
    assert after["Europe/London"] == "London (UTC+1)"
    assert after["Europe/Kyiv"] == "Kyiv (UTC+3)"
    with time_machine.travel(WINTER, tick=False):
        assert labels()["Europe/Kyiv"] == "Kyiv (UTC+2)"
        timezone_choices()["Europe"].clear()  # what a caller does to its copy stays there
        assert labels()["Europe/Kyiv"] == "Kyiv (UTC+2)"


def test_the_settings_picker_is_a_plain_select_grouped_by_region(client):
    make_user(timezone="Europe/Kyiv")
    log_in(client)
    page = client.get("/accounts/settings").text
    select = re.search(r'<select[^>]*name="timezone"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None
    assert '<optgroup label="Europe">' in select.group(1)
    assert re.search(r'<option selected value="Europe/Kyiv">Kyiv \(UTC\+\d\)</option>', select.group(1))
    values = re.findall(r'<option[^>]*value="([^"]+)"', select.group(1))
    assert sorted(values) == sorted(timezone_names())


def test_settings_store_a_legacy_name_as_its_canonical_zone(client):
    make_user()
    log_in(client)
    data = {"display_name": "Alice", "email": "alice@example.com", "timezone": "US/Eastern"}
    response = client.post("/accounts/settings", data=data)
    assert response.status_code == 302
    assert db.session.scalar(sa.select(User.timezone)) == "America/New_York"
    refused = client.post("/accounts/settings", data={**data, "timezone": "Etc/GMT+5"})
    assert refused.status_code == 422
    assert db.session.scalar(sa.select(User.timezone)) == "America/New_York"


def test_register_stores_the_browsers_legacy_zone_name_canonical(client):
    client.post("/accounts/register", data={
        "email": "kyiv@example.com", "display_name": "Olena", "password": "lantern oyster violin",
        "confirm": "lantern oyster violin", "timezone": "Europe/Kiev",
    })
    from watchparty.accounts import codes  # the sign-up waits for its emailed code (#22)

    assert db.session.scalar(sa.select(PendingRegistration.timezone)) == "Europe/Kyiv"
    client.post("/accounts/code/verify", data={"email": "kyiv@example.com",
                                               "code": codes.code_of(codes.row_for("kyiv@example.com"))})
    assert db.session.scalar(sa.select(User.timezone)) == "Europe/Kyiv"


def test_a_party_in_a_legacy_zone_is_stored_canonical_at_the_same_time(client):
    make_user(email="host@example.com", display_name="Hana Host")
    make_film("Anora", 2024)
    with time_machine.travel(WINTER, tick=False):
        log_in(client, email="host@example.com")
        response = client.post("/parties/new", data={
            "title": "Anora night", "film": "anora-2024", "starts_at": "2027-03-20T20:00",
            "timezone": "Asia/Calcutta", "area": "Online", "max_plus_ones": "2",
        })
    assert response.status_code == 302, response.text
    party = db.session.scalars(sa.select(Party)).one()
    assert party.timezone == "Asia/Kolkata"
    assert party.starts_at == datetime(2027, 3, 20, 14, 30, tzinfo=UTC)


@pytest.fixture
def empty_database(tmp_path_factory):
    database = new_database(tmp_path_factory, "wp_timezones")
    yield database
    if database.is_postgres:
        drop_postgres_schema(database)


def revision_before(revision: str) -> str:
    """The down_revision of a migration, read from its file (the chain grows as others land)."""
    from pathlib import Path

    (path,) = (Path(__file__).resolve().parents[1] / "migrations" / "versions").glob(f"{revision}_*.py")
    match = re.search(r"^down_revision = ['\"]([0-9a-f]+)['\"]", path.read_text(), re.MULTILINE)
    assert match, path
    return match.group(1)


def test_the_migration_rewrites_stored_legacy_names(empty_database, tmp_path):
    from tests.factories import make_party

    app = migrating_app(empty_database, tmp_path)
    with app.app_context():
        flask_migrate.upgrade()
        host = make_user(email="host@example.com", timezone="Europe/London")
        make_user(email="other@example.com", timezone="Europe/London")
        make_party(host, make_film(), title="Anora night", timezone="Europe/Amsterdam")
        make_party(host, make_film("Flow", 2024), timezone="Europe/Amsterdam")
        db.session.commit()
        # What the older picker let people store.
        db.session.execute(sa.text("UPDATE \"user\" SET timezone = 'US/Eastern' WHERE email = 'host@example.com'"))
        db.session.execute(sa.text("UPDATE \"user\" SET timezone = 'Etc/GMT+5' WHERE email = 'other@example.com'"))
        db.session.execute(sa.text("UPDATE party SET timezone = 'Asia/Calcutta' WHERE title LIKE '%Anora%'"))
        db.session.commit()
        db.session.remove()
        # Back to just before the rewrite, and up through it alone: later migrations'
        # tables are still there, so the test stamps the head again before going down.
        flask_migrate.stamp(revision=revision_before("51e045b55469"))

        flask_migrate.upgrade(revision="51e045b55469")
        users = dict(db.session.execute(sa.text('SELECT email, timezone FROM "user"')).all())
        zones = sorted(db.session.execute(sa.text("SELECT timezone FROM party")).scalars())
        assert users == {"host@example.com": "America/New_York", "other@example.com": "Etc/GMT+5"}
        assert zones == ["Asia/Kolkata", "Europe/Amsterdam"]
        db.session.execute(sa.text("DELETE FROM party"))  # so that the downgrade can drop the tables
        db.session.commit()
        db.session.remove()
        flask_migrate.stamp(revision="heads")
        flask_migrate.downgrade(revision="base")
        db.engine.dispose()
