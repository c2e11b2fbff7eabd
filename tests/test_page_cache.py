"""What each worker keeps (watchparty.cache) — fragments keyed by the rows they
show, rows and whole pages kept under stamps — never outlives an edit: through
the site, a service, or straight into the database, it shows on the very next
request; nothing one viewer may see leaks to another through the cache. (Whole
pages per viewer: tests/test_kept_pages.py; the stamps: tests/test_page_version.py.)"""

import sys
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from tests.factories import log_in, make_film, make_party, make_reply, make_review, make_user, make_verdict
from watchparty.cache import FragmentCache, fragments
from watchparty.extensions import db
from watchparty.models import Film, Party, Trivia

RUNTIME = 120

FILM_FORM = {
    "title": "Anora",
    "year": "2024",
    "runtime_minutes": str(RUNTIME),
    "tagline": "",
    "synopsis": "A dancer from Brighton Beach marries the son of an oligarch.",
    "genres": "Comedy, Drama",
    "formats": ["cinema"],
    "streaming_services": "",
    "cast": "Mikey Madison — Ani\nYura Borisov — Igor",
    "crew": "Director: Sean Baker",
    "awards": "",
    "trivia": "Shot partly in Las Vegas.\n[spoiler] The last scene is in a car.",
}


@pytest.fixture
def film(host):
    """Unlike conftest's film: the host's, RUNTIME minutes long, with cast, crew and trivia to edit."""
    return make_film(
        "Anora", 2024, created_by=host, runtime_minutes=RUNTIME,
        synopsis=FILM_FORM["synopsis"], cast=[("Mikey Madison", "Ani"), ("Yura Borisov", "Igor")],
        crew=[("director", "Sean Baker")],
        trivia=[("Shot partly in Las Vegas.", False), ("The last scene is in a car.", True)],
    )


@pytest.fixture
def party(host, film):
    """Unlike conftest's party: the guest list is shown to guests."""
    return make_party(host, film, title="Anora night", capacity=None, guest_list_visible=True)


def pages(client, party) -> tuple[str, str]:
    """The party page and the film page, as a visitor sees them."""
    token, slug = db.session.execute(
        sa.select(Party.share_token, Film.slug).join(Film, Party.film_id == Film.id).where(Party.id == party.id)
    ).one()
    return client.get(f"/p/{token}").text, client.get(f"/films/{slug}").text


def warm(client, party) -> tuple[str, str]:
    """Both pages twice: the second time from the cache."""
    pages(client, party)
    hits = fragments().hits
    html = pages(client, party)
    assert fragments().hits > hits, "the second view did not come from the cache"
    return html


def test_a_second_view_comes_from_the_cache_and_is_the_same_page(client, party):
    first = pages(client, party)
    hits = fragments().hits
    second = pages(client, party)
    assert fragments().hits >= hits + 2  # the party page and the film page, kept whole
    assert [per_request_parts_out(html) for html in first] == [per_request_parts_out(html) for html in second]


def per_request_parts_out(html: str) -> str:
    """The page without what every request makes anew: CSRF tokens and the
    server's time for the countdown (two requests may fall in two seconds)."""
    import re

    html = re.sub(r'name="csrf_token" value="[^"]+"', "", html)
    return re.sub(r' data-now="[^"]+"', "", html)


def test_editing_the_film_shows_at_once_on_its_page_and_on_its_parties_pages(app, client, party):
    warm(client, party)
    editor = app.test_client()
    log_in(editor, email="host@example.com")
    changed = {
        **FILM_FORM, "title": "Anora (director's cut)", "runtime_minutes": "150",
        "synopsis": "A brand new synopsis.", "cast": "Mark Eydelshteyn — Vanya",
        "crew": "Director: Somebody Else", "trivia": "A brand new fact.",
    }
    assert editor.post(f"/films/{party.film.slug}/edit", data=changed).status_code == 302

    party_page, film_page = pages(client, party)
    for html in (party_page, film_page):
        assert "Anora (director&#39;s cut)" in html and "Mark Eydelshteyn" in html
        assert "Mikey Madison" not in html and "Shot partly in Las Vegas." not in html
    assert "Directed by Somebody Else" in party_page and "2 h 30 min" in party_page
    assert "A brand new fact." in party_page and "A brand new synopsis." in film_page


def test_a_new_review_shows_at_once_on_the_party_page_and_the_film_page(client, party, film):
    warm(client, party)
    make_review(film, "A late review", rating=(3, 5))
    party_page, film_page = pages(client, party)
    assert "A late review" in party_page and "A late review" in film_page
    assert "Critics <strong>6.0</strong>/10" in party_page  # the film card's score


def test_the_hosts_choice_of_reviews_shows_at_once(app, client, party, film):
    kept = make_review(film, "Kept review")
    make_review(film, "Hidden review")
    warm(client, party)
    host = app.test_client()
    log_in(host, email="host@example.com")
    host.post(f"/parties/{party.id}/reviews", data={"shown": [str(kept.id)], "pinned": ""})
    party_page, film_page = pages(client, party)
    assert "Kept review" in party_page and "Hidden review" not in party_page
    assert "Hidden review" in film_page  # the film page shows every review


def test_a_verdict_shows_at_once_in_the_film_card_and_on_the_film_page(client, party):
    guest = make_reply(party, "Gina Guest")
    with time_machine.travel(party.starts_at + timedelta(minutes=30), tick=False):
        warm(client, party)
        make_verdict(party, 9, guest, text="Loved every minute.")
        party_page, film_page = pages(client, party)
    assert "The crew <strong>9.0</strong>/10" in party_page
    assert "Loved every minute." in film_page and "from 1 rating" in film_page


def test_a_change_made_straight_in_the_database_shows_too(client, party, film):
    warm(client, party)
    # No service, no hook: the cache never learns of this change, the page still shows it.
    db.session.execute(sa.update(Trivia).where(Trivia.film_id == film.id, Trivia.is_spoiler.is_(False))
                       .values(text="Changed behind the app's back."))
    db.session.commit()
    for html in pages(client, party):
        assert "Changed behind the app&#39;s back." in html and "Shot partly in Las Vegas." not in html


def test_another_worker_serves_the_edit_it_did_not_make(app_factory, client, party, film):
    other_worker = app_factory()
    other_client = other_worker.test_client()
    token, slug = party.share_token, film.slug
    with other_worker.app_context():
        for _ in range(2):
            other_client.get(f"/p/{token}"), other_client.get(f"/films/{slug}")
        assert fragments().hits
    make_review(film, "Written through this worker")
    with other_worker.app_context():
        for path in (f"/p/{token}", f"/films/{slug}"):
            assert "Written through this worker" in other_client.get(path).text


def test_spoilers_open_when_the_credits_roll_though_the_panel_was_cached(client, party):
    with time_machine.travel(party.starts_at + timedelta(minutes=RUNTIME - 1), tick=False):
        before, _ = warm(client, party)
    with time_machine.travel(party.starts_at + timedelta(minutes=RUNTIME), tick=False):
        after, film_page = pages(client, party)
    assert '<details class="spoiler">' in before and '<details class="spoiler" open>' not in before
    assert '<details class="spoiler" open>' in after
    assert '<details class="spoiler" open>' not in film_page  # always folded on the film page


def test_a_guest_who_has_seen_it_gets_open_spoilers_and_others_still_folded_ones(app, client, party):
    warm(client, party)
    seen = make_reply(party, "Seen It", seen_it=True)
    seen_client = app.test_client()
    seen_client.get(f"/p/{party.share_token}/rsvp/{seen.manage_token}")
    assert '<details class="spoiler" open>' in seen_client.get(f"/p/{party.share_token}").text
    assert '<details class="spoiler" open>' not in client.get(f"/p/{party.share_token}").text


def test_the_film_pages_edit_links_are_only_for_its_editors(app, client, party):
    slug = party.film.slug
    client.get(f"/films/{slug}")
    editor = app.test_client()
    log_in(editor, email="host@example.com")
    assert f"/films/{slug}/edit" in editor.get(f"/films/{slug}").text
    assert f"/films/{slug}/edit" not in client.get(f"/films/{slug}").text
    make_user(email="other@example.com")
    other = app.test_client()
    log_in(other, email="other@example.com")
    assert f"/films/{slug}/edit" not in other.get(f"/films/{slug}").text


def test_a_made_up_host_name_reaches_no_page_kept_or_not(client, party):
    # Absolute links come from PUBLIC_URL (watchparty.links), so no page built for
    # one Host can carry it to another reader.
    for path in (f"/p/{party.share_token}", f"/films/{party.film.slug}"):
        assert "evil.example" not in client.get(path, headers={"Host": "evil.example"}).text
        assert "evil.example" not in client.get(path).text


def test_the_cache_drops_the_least_recently_used_fragments_beyond_its_size():
    cache = FragmentCache(max_bytes=2000)
    for number in range(10):
        cache.put(("fragment", number), "x" * 200)
    assert len(cache) < 10 and cache.get(("fragment", 9)) == "x" * 200 and cache.get(("fragment", 0)) is None
    cache.get(("fragment", 6))  # used: kept ahead of older ones
    cache.put(("fragment", 10), "y" * 200)
    assert cache.get(("fragment", 6)) is not None
    cache.put(("huge",), "z" * 600)  # larger than a quarter of the cache: never stored
    assert cache.get(("huge",)) is None


def test_the_cache_counts_the_memory_of_keys_and_values_of_every_shape():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Parts:
        meta: str
        content: str

    cache = FragmentCache(max_bytes=10_000)
    cache.put(("page", ("a row", 1, None)), Parts("m" * 1000, "c" * 1000))
    cache.put(("page", ("another row", 2, None)), Parts("m" * 1000, "c" * 1000))
    text = 2 * sys.getsizeof("m" * 1000)  # each value's two strings, with their headers
    assert 2 * text < cache._size < 2 * text + 800  # plus the keys, tuples, numbers and dataclasses
    cache.put(("page", "non-ASCII"), "é" * 1000)  # two bytes a character in memory
    assert cache._size > 2 * text + 2000
    for number in range(10):
        cache.put(("page", number), Parts("m" * 1000, "c" * 1000))
    assert cache._size <= 10_000 and len(cache) <= 5


def test_the_old_name_of_the_cache_bound_stops_the_app_instead_of_being_ignored(tmp_path):
    from watchparty.config import Config

    with pytest.raises(RuntimeError, match="PAGE_CACHE_MAX_BYTES"):
        Config(tmp_path, environ={"FRAGMENT_CACHE_MAX_CHARS": "8000000"})
    assert Config(tmp_path, environ={"PAGE_CACHE_MAX_BYTES": "4000000"}).PAGE_CACHE_MAX_BYTES == 4_000_000


def test_a_cache_of_size_zero_stores_nothing_and_pages_still_work(app_factory, party):
    app = app_factory(PAGE_CACHE_MAX_BYTES=0)
    client = app.test_client()
    with app.app_context():
        for _ in range(2):
            party_page, film_page = pages(client, party)
            assert "Shot partly in Las Vegas." in party_page and "Mikey Madison" in film_page
        assert len(fragments()) == 0


# ---------------------------------------------------------------- static files


def test_static_files_are_linked_by_content_hash_and_kept_for_a_year(app, client):
    import hashlib
    import re
    from pathlib import Path

    page = client.get("/").text
    links = re.findall(r'(?:href|src)="(/static/[^"?]+)\?v=([0-9a-f]{12})"', page)
    assert {path for path, _ in links} >= {"/static/css/site.css", "/static/js/site.js", "/static/img/favicon.svg"}
    for path, version in links:
        content = (Path(app.static_folder) / path.removeprefix("/static/")).read_bytes()
        assert version == hashlib.sha256(content).hexdigest()[:12]
        response = client.get(f"{path}?v={version}")
        assert response.status_code == 200 and response.cache_control.max_age == 365 * 24 * 3600
        response.close()


def test_a_changed_static_file_gets_a_new_link(app, tmp_path):
    from watchparty.templating import static_url

    app.static_folder = str(tmp_path)
    (tmp_path / "site.css").write_text("body { color: red }")
    with app.test_request_context():
        first = static_url("site.css")
        (tmp_path / "site.css").write_text("body { color: blue; }")
        second = static_url("site.css")
        assert first != second and first.startswith("/static/site.css?v=")
        assert static_url("missing.css") == "/static/missing.css"


# ---------------------------------------------------------------- the sign-up list's shared rows


def _guest_browser(app, party, name):
    from tests.factories import make_reply

    rsvp = make_reply(party, name, "going")
    browser = app.test_client()
    assert browser.get(f"/p/{party.share_token}/rsvp/{rsvp.manage_token}").status_code == 200
    return rsvp, browser


def _item_row(html: str, item_id: int) -> str:
    import re

    match = re.search(rf'<li class="signup-item[^"]*" id="item-{item_id}">.*?(?=<li class="signup-item|<h3|</section>)', html, re.S)
    assert match, f"no row for item {item_id}"
    return match.group(0)


@pytest.fixture
def csrf_app(app_factory):
    return app_factory(WTF_CSRF_ENABLED=True)


def test_rows_nobody_owns_are_rendered_once_and_shared_by_every_guest(csrf_app):
    from tests.conftest import csrf_token_from
    from tests.factories import make_items

    with csrf_app.app_context():
        host = make_user(email="host@example.com", display_name="Hana Host")
        party = make_party(host, make_film(), guest_list_visible=True)
        rows = [("Popcorn", 4), ("Crisps", 2), ("Ice", 1), ("Lemonade", 6), ("Cups", 12), ("Dip", 2), ("Nachos", 3)]
        item_ids = [item.id for item in make_items(party, *rows)]
        _, ann = _guest_browser(csrf_app, party, "Ann")
        _, ben = _guest_browser(csrf_app, party, "Ben")
        token = party.share_token
        cache = fragments(csrf_app)
        first = ann.get(f"/p/{token}").text
        hits = cache.hits
        second = ben.get(f"/p/{token}").text
        # Every row, besides the film card, the panel and the guest list.
        assert cache.hits - hits >= len(item_ids) + 3, "Ben's rows were rendered again instead of shared"
    # The same rows, each with the token of the guest who reads them.
    ann_token, ben_token = csrf_token_from(first), csrf_token_from(second)
    for item_id in item_ids:
        assert _item_row(first, item_id).replace(ann_token, "T") == _item_row(second, item_id).replace(ben_token, "T")
        assert ben_token in _item_row(second, item_id) and ann_token not in _item_row(second, item_id)
    assert "csrf-slot" not in first + second
    # Ben's token, read from a shared row, is the one his session accepts.
    response = ben.post(
        f"/p/{token}/items/{item_ids[0]}/claim",
        data={"quantity": "2", "note": "", "csrf_token": csrf_token_from(_item_row(second, item_ids[0]))},
    )
    assert response.status_code == 302


def test_a_guests_own_row_is_never_shared_and_a_claim_shows_at_once_to_everyone(csrf_app):
    from tests.factories import make_claim, make_items

    with csrf_app.app_context():
        host = make_user(email="host@example.com", display_name="Hana Host")
        party = make_party(host, make_film(), guest_list_visible=True)
        (popcorn,) = make_items(party, ("Popcorn", 4))
        ann_rsvp, ann = _guest_browser(csrf_app, party, "Ann")
        _, ben = _guest_browser(csrf_app, party, "Ben")
        token = party.share_token
        before = ben.get(f"/p/{token}").text  # the row is cached as nobody's own
        assert "0 of 4 claimed" in _item_row(before, popcorn.id)
        make_claim(party, popcorn, 3, rsvp=ann_rsvp)
        ann_row = _item_row(ann.get(f"/p/{token}").text, popcorn.id)
        ben_row = _item_row(ben.get(f"/p/{token}").text, popcorn.id)
        ben_again = _item_row(ben.get(f"/p/{token}").text, popcorn.id)
    assert "3 of 4 claimed" in ann_row and "3 of 4 claimed" in ben_row
    assert "<strong>You</strong>" in ann_row and "Can't bring it after all" in ann_row and "Change" in ann_row
    assert "<strong>Ann</strong>" in ben_row and "You" not in ben_row and "/delete" not in ben_row
    assert ben_row == ben_again


def test_text_that_looks_like_the_csrf_slot_stays_text(csrf_app):
    from tests.factories import make_items

    with csrf_app.app_context():
        host = make_user(email="host@example.com")
        party = make_party(host, make_film())
        (item,) = make_items(party, ("<csrf-slot> crisps", 2))
        _, ann = _guest_browser(csrf_app, party, "Ann")
        row = _item_row(ann.get(f"/p/{party.share_token}").text, item.id)
    assert "&lt;csrf-slot&gt; crisps" in row
    assert "<csrf-slot>" not in row
