"""Markup mistakes the Nu Html Checker found on the busiest pages, held off here on both
databases without a browser (tests/browser/html_check.py checks every page state the
browser tests visit, with the checker itself)."""

from collections import Counter
from html.parser import HTMLParser

from tests.conftest import csrf_token_from
from tests.factories import DEFAULT_PASSWORD, World, make_verdict


class Markup(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.ids: Counter[str] = Counter()
        self.labelled_spans: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids[attributes["id"]] += 1
        if tag == "span" and "aria-label" in attributes and "role" not in attributes:
            self.labelled_spans.append(attributes)


def assert_clean(html: str, page: str) -> None:
    markup = Markup(html)
    duplicates = {name: count for name, count in markup.ids.items() if count > 1}
    assert not duplicates, f"{page}: duplicate ids {duplicates}"
    assert not markup.labelled_spans, f"{page}: aria-label on a span without a role {markup.labelled_spans}"


def test_the_busiest_pages_have_unique_ids_and_no_labelled_spans(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)  # every form with its hidden csrf_token, as in production
    with app.app_context():
        world = World(started=True)  # started: the crew's verdicts show, with their rating badges
        make_verdict(world.party, 9)
        host = app.test_client()
        login = host.get("/accounts/login").text
        assert host.post("/accounts/login", data={"email": world.host.email, "password": DEFAULT_PASSWORD,
                                                  "csrf_token": csrf_token_from(login)}).status_code == 302
        stranger = app.test_client()
        pages = {
            "dashboard": (host, f"/parties/{world.party.id}"),
            "settings": (host, "/accounts/settings"),
            "party page (host)": (host, f"/p/{world.token}"),
            "party page (stranger)": (stranger, f"/p/{world.token}"),
            "manage page": (stranger, world.manage_path),
            "film page": (stranger, f"/films/{world.film.slug}"),
            "review": (stranger, f"/films/{world.film.slug}/reviews/{world.review.id}"),
        }
        for page, (client, path) in pages.items():
            response = client.get(path)
            assert response.status_code == 200, page
            assert_clean(response.text, page)
        settings = Markup(host.get("/accounts/settings").text)
        assert settings.ids["delete-password"] == 1 and settings.ids["password"] == 1
        dashboard = host.get(f"/parties/{world.party.id}").text
        assert dashboard.count('name="csrf_token"') > 3 and "csrf_token" not in Markup(dashboard).ids
