"""Hostile input into every form field and every URL parameter.

For every POST route of the app (taken from `app.url_map`) the fields come
from its WTForms class, so a field added to a form is attacked without anyone
touching this file. Each corpus entry goes into one field at a time (the
other fields valid), sent by the role that may use the form. Every answer:

- is never a 5xx;
- never carries a payload unescaped (`<script>`, an `onerror` attribute, a
  `javascript:` link, a rendered template expression), neither in the answer
  nor on the page a success redirects to;
- when it refuses (4xx, or 200 with the form shown again), leaves every table
  of the database exactly as it was.

URL parameters (tokens, ids, slugs, file names) and query strings (?q=,
?page=, ?party=, ?next=, ?film=) get malformed values: never a 5xx, and a
`next` never leads off the site.

Hypothesis drives the RSVP, party and add-item forms: a refused submission
changes nothing; an accepted one stores exactly the normalised input.
"""

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module
from io import BytesIO
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage
from werkzeug.routing import IntegerConverter
from werkzeug.test import encode_multipart
from wtforms import FieldList, FormField
from wtforms.csrf.core import CSRFTokenField

from tests.factories import World, tiny_png
from tests.test_authorisation import (
    ROUTES,
    app_for_the_module,
    client_as,
    empty_tables,
    future_local,
    party_form,
    snapshot,
)
from watchparty.extensions import db
from watchparty.models import Party, Rsvp, SignupItem

# ---------------------------------------------------------------- the corpus

TEMPLATE_PAYLOAD = "{{ 1234567*3 }}"
TEMPLATE_RENDERED = "3703701"
MEGABYTE = "m" * 1_000_000

CORPUS: list[tuple[str, str]] = [
    ("empty", ""),
    ("whitespace", " \t  \u00a0\u3000 "),
    ("10 000 characters", "x" * 10_000),
    ("NUL", "a\x00b"),
    ("control characters", "a\x01\x07\x08\x1b[31mb\x7f"),
    ("line breaks", "line one\r\nline two\rthree\n"),
    ("C1 and separators", "a\x85b\u2028c\u2029d"),
    ("right-to-left override", "\u202egnp.exe\u202c"),
    ("zero width", "a\u200bb\u200dc\ufeff"),
    ("emoji", "🎬🍿 👩‍👩‍👧‍👦 🏳️‍🌈"),
    ("combining marks", "Z\u0334\u0321\u031ba\u0338l\u0337g\u0336o\u0335"),
    ("SQL quote", "'; DROP TABLE party; --"),
    ("SQL or", '" OR 1=1 -- '),
    ("SQL like", "%_\\%"),
    ("script", "<script>alert(1)</script>"),
    ("attribute breakout", '"><img src=x onerror=alert(1)>'),
    ("javascript URL", "javascript:alert(1)"),
    ("markdown javascript link", "[click me](javascript:alert(1))"),
    ("data URL", "data:text/html,<script>alert(1)</script>"),
    ("template", "{{7*7}}"),
    ("template expression", TEMPLATE_PAYLOAD),
    ("template block", "{% for x in range(3) %}x{% endfor %}"),
    ("format string", "%s%s%n{0}{__class__}"),
    ("CSV formula", '=HYPERLINK("http://evil.example","x")'),
    ("negative", "-1"),
    ("zero", "0"),
    ("huge", "99999999999999999999999999"),
    ("int32 overflow", "2147483648"),
    ("fraction", "1.5"),
    ("exponent", "1e9"),
    ("non-numeric", "twelve"),
    ("NaN", "NaN"),
    ("signalling NaN", "sNaN"),
    ("infinity", "Infinity"),
    ("other digits", "\u0661\u0662"),
    ("impossible date", "2027-02-30T20:00"),
    ("date without time", "2027-03-14"),
    ("far future", "9999-12-31T23:59"),
    ("year one", "0001-01-01T00:00"),
    ("garbage date", "2027-13-45T99:99"),
    ("unknown time zone", "Mars/Olympus_Mons"),
    ("path as time zone", "../../../etc/passwd"),
    ("malformed token", "A" * 31 + "!"),
    ("almost an email", "a@b"),
    ("email with display name", "Bob <bob@example.com>"),
]
# A cross-section of the corpus (text, control characters, markup, numbers, dates), for the less central forms.
SHORT_CORPUS = [entry for entry in CORPUS if entry[0] in {
    "empty", "10 000 characters", "NUL", "control characters", "right-to-left override", "emoji",
    "SQL quote", "script", "attribute breakout", "javascript URL", "template expression", "negative",
    "huge", "non-numeric", "NaN", "garbage date",
}]

# The entries that would do harm if shown unescaped: a success with one of them is followed to its page.
SHOWN_PAYLOADS = {payload for label, payload in CORPUS if label in {
    "script", "attribute breakout", "javascript URL", "markdown javascript link", "data URL", "template expression",
}}
DANGEROUS_MARKERS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    'href="javascript:',
    "href='javascript:",
    'src="javascript:',
    'href="data:text/html',
    TEMPLATE_RENDERED,
)


def dangerous_in(text: str) -> list[str]:
    return [marker for marker in DANGEROUS_MARKERS if marker in text]


# ---------------------------------------------------------------- the forms


@dataclass
class FormSpec:
    """One POST route's form: who sends it, and which WTForms class says what its fields are."""

    endpoint: str
    role: str
    form: str | None = None  # the WTForms class, as "module:Class"
    prefix: str = ""
    extra_fields: tuple[str, ...] = ()  # read from request.form outside the WTForms class
    files: tuple[str, ...] = ()  # file fields: the corpus goes in as a file's content
    main: bool = True  # the whole corpus into every field; otherwise SHORT_CORPUS
    multipart: bool = False  # the browser sends this form as multipart/form-data
    data: Callable[[World], dict] | None = None  # valid data, when ROUTES' is not the whole form
    takes_a_megabyte: bool = False  # a field that accepts 1,000,000 characters (the import's paste box)
    writes_on_200: bool = False  # answers a success with a page, not a redirect (the "stop emails" pages)


def form_class(spec: "FormSpec") -> type:
    module, name = spec.form.split(":")
    return getattr(import_module(f"watchparty.{module}.forms"), name)


def party_form_with_items(world: World) -> dict:
    return {**party_form(world), "items-0-name": "Popcorn", "items-0-category": "snack", "items-0-quantity": "2"}


FORM_SPECS: dict[str, FormSpec] = {spec.endpoint: spec for spec in [
    FormSpec("accounts.register", "anonymous", "accounts:RegisterForm", extra_fields=("timezone",)),
    FormSpec("accounts.login", "anonymous", "accounts:LoginForm"),
    FormSpec("accounts.settings", "host", "accounts:SettingsForm"),
    FormSpec("accounts.reset_request", "anonymous", "accounts:ResetRequestForm", main=False),
    FormSpec("accounts.reset_password", "anonymous", "accounts:ResetPasswordForm", main=False),
    FormSpec("accounts.confirm_email", "anonymous", main=False, writes_on_200=False),
    FormSpec("accounts.change_password", "host", "accounts:PasswordChangeForm", main=False),
    # The host's password stays wrong: with it right, an entry in `confirm_email` (which an account
    # with a password does not use) would delete the world's host. An account without a password,
    # which does use it, is attacked in its own test below.
    FormSpec("accounts.delete_account", "host", "accounts:DeleteAccountForm", main=False,
             data=lambda world: {"password": "not the password at all", "confirm_email": world.host.email}),
    FormSpec("accounts.logout", "host", main=False),
    FormSpec("accounts.request_code", "anonymous", "accounts:CodeRequestForm", main=False),
    FormSpec("accounts.verify_code", "anonymous", "accounts:CodeForm", main=False),
    FormSpec("accounts.code_link", "anonymous", main=False),
    FormSpec("parties.confirm_host", "anonymous", "parties:HostContactForm", main=False),
    FormSpec("accounts.logout_everywhere", "host", main=False),
    FormSpec("films.new", "host", "films:FilmForm", files=("poster",), multipart=True),
    FormSpec("films.edit", "host", "films:FilmForm", files=("poster",), multipart=True, main=False),
    FormSpec("films.approve", "admin", main=False),
    FormSpec("reviews.import_article", "host", "reviews:ImportForm", files=("file",), multipart=True,
             takes_a_megabyte=True),
    FormSpec("reviews.create", "host", "reviews:ReviewForm"),
    FormSpec("rsvp.reply", "anonymous", "rsvp:RsvpForm"),
    FormSpec("rsvp.manage", "guest", "rsvp:RsvpForm", main=False),
    FormSpec("rsvp.withdraw", "guest", main=False),
    FormSpec("rsvp.forget", "guest", main=False),
    FormSpec("rsvp.verdict", "guest", "reviews:VerdictForm"),
    FormSpec("signups.add_item", "guest", "signups:ItemForm", extra_fields=("next",)),
    FormSpec("signups.claim", "guest", "signups:ClaimForm", extra_fields=("next",)),
    FormSpec("signups.release", "guest", extra_fields=("next",), main=False),
    FormSpec("signups.host_add_item", "host", "signups:ItemForm", prefix="item", main=False),
    FormSpec("signups.edit_item", "host", "signups:ItemForm", main=False),
    FormSpec("signups.move_item", "host", "signups:MoveForm", main=False),
    FormSpec("signups.remove_item", "host", "signups:RemoveForm", main=False),
    FormSpec("signups.starter", "host", "signups:StarterForm", main=False,
             data=lambda w: {"items-0-name": "Nachos", "items-0-category": "snack", "items-0-quantity": "2"}),
    FormSpec("parties.new", "host", "parties:PartyForm", data=party_form_with_items),
    FormSpec("parties.edit", "host", "parties:PartyForm", main=False),
    FormSpec("parties.again", "host", "parties:HostAgainForm", main=False),
    FormSpec("parties.cancel", "host", "parties:CancelForm", main=False),
    FormSpec("parties.choose_reviews", "host", "reviews:ReviewChoiceForm", main=False),
    FormSpec("parties.remove_guest", "host", main=False),
    FormSpec("parties.regenerate_link", "host", main=False),
    FormSpec("notifications.invite", "host", "notifications:InviteForm"),
    FormSpec("notifications.stop_guest", "guest", main=False, writes_on_200=True),
    FormSpec("notifications.stop_invitation", "anonymous", main=False, writes_on_200=True),
    FormSpec("notifications.never_email", "anonymous", main=False, writes_on_200=True),
    FormSpec("notifications.stop_host", "anonymous", main=False, writes_on_200=True),
    FormSpec("notifications.host_updates", "host", "notifications:HostUpdatesForm", main=False),
    FormSpec("notifications.nudge", "host", main=False),
    FormSpec("polls.vote", "anonymous", "polls:VoteForm", extra_fields=("approve", "seen")),
    FormSpec("polls.close", "host", main=False),
    FormSpec("polls.confirm", "anonymous", main=False),
    FormSpec("polls.add_option", "host", "polls:OptionForm", main=False),
    FormSpec("polls.remove_option", "host", main=False),
    FormSpec("polls.change_closing", "host", "polls:ClosingForm", main=False),
    FormSpec("polls.nominate", "anonymous", "polls:NominateForm"),
    FormSpec("polls.pick", "host", "polls:PickForm", main=False),
    FormSpec("polls.stop_emails", "anonymous", main=False, writes_on_200=True),
    FormSpec("talk.comment", "guest", "talk:CommentForm"),
    FormSpec("talk.delete_comment", "guest", main=False),
    FormSpec("talk.hide_comment", "host", main=False),
    FormSpec("talk.announcements", "host", "talk:AnnouncementForm"),
    FormSpec("talk.edit_announcement", "host", "talk:AnnouncementForm", main=False),
    FormSpec("talk.delete_announcement", "host", main=False),
]}
NO_FIELDS = ("junk",)  # a POST-only button: an unexpected field is all there is to send


def field_names(app, spec: FormSpec) -> list[str]:
    """The fields of the spec's WTForms class as the browser names them (the first row of a
    list stands for all its rows), plus what the view reads itself."""
    names: list[str] = []
    if spec.form is not None:
        with app.test_request_context():
            form = form_class(spec)(formdata=None, prefix=spec.prefix)
            rows = form._fields.get("items")
            if isinstance(rows, FieldList) and not rows.entries:
                rows.append_entry()
            names = list(_leaf_names(form))
    names += spec.extra_fields
    return [name for name in names if name not in spec.files] or list(NO_FIELDS)


def _leaf_names(fields):
    for item in fields:
        if isinstance(item, CSRFTokenField):
            continue
        if isinstance(item, FieldList):
            if item.entries:
                yield from _leaf_names([item.entries[0]])
        elif isinstance(item, FormField):
            yield from _leaf_names(item.form)
        else:
            yield item.name


# ---------------------------------------------------------------- machinery


@pytest.fixture(scope="module")
def module_app(database, tmp_path_factory):
    """One app for the module; each form gets a freshly emptied database and a world of its own."""
    with app_for_the_module(database, tmp_path_factory.mktemp("corpus")) as app:
        yield app


class Tally:
    """What was sent and what came back, for the report."""

    def __init__(self):
        self.requests = 0
        self.submissions = 0
        self.fields: set[tuple[str, str]] = set()
        self.statuses: Counter[int] = Counter()
        self.problems: list[str] = []

    def summary(self, title: str) -> str:
        outcomes = ", ".join(f"{status}: {count}" for status, count in sorted(self.statuses.items()))
        return (f"\n{title}: {len(self.fields)} fields, {self.submissions} submissions, "
                f"{self.requests} requests; outcomes {outcomes}; {len(self.problems)} problems")


def fresh_world(started=False) -> World:
    from tests.test_authorisation import announcement, guest_comment

    empty_tables()
    world = World(started=started)
    # Made now, not on the first use inside an attack (which would count as its change).
    guest_comment(world)
    announcement(world)
    return world


def encode(data: dict) -> dict:
    """Form values as the test client sends them; file fields as uploads."""
    encoded = {}
    for name, value in data.items():
        if isinstance(value, tuple):  # (bytes, filename): a file
            encoded[name] = FileStorage(BytesIO(value[0]), filename=value[1], content_type="application/octet-stream")
        else:
            encoded[name] = value
    return encoded


def submit(client, method, path, data, multipart):
    if multipart:
        # Encoded in memory: the test client's own multipart encoder spools a large
        # body to a temporary file it never closes when the app refuses it early (413).
        boundary, body = encode_multipart(encode(data))
        response = client.open(path, method=method, data=body,
                               content_type=f"multipart/form-data; boundary={boundary}")
    else:
        response = client.open(path, method=method, data=data)
    response.get_data()
    response.close()
    return response


def judge(tally: Tally, client, label: str, response, before: dict | None, follow: bool = True,
          refusals: tuple[int, ...] | None = None) -> dict | None:
    """Check one answer (and, with `follow`, the page a success leads to); returns the database as it is now.

    `refusals`: the statuses after which nothing may have changed (every 4xx by default). A POST
    answered with 200 re-renders its form (or previews an import): it stores nothing either."""
    tally.requests += 1
    tally.statuses[response.status_code] += 1
    if response.status_code >= 500:
        tally.problems.append(f"{label}: {response.status_code}")
    if response.mimetype == "text/html":
        for marker in dangerous_in(response.text):
            tally.problems.append(f"{label}: {marker!r} unescaped in the answer")
    after = snapshot() if before is not None else None
    refused = response.status_code in refusals if refusals is not None else 400 <= response.status_code < 500
    if before is not None and refused and after != before:
        changed = [name for name in after if after[name] != before[name]]
        tally.problems.append(f"{label}: refused with {response.status_code} but changed {changed}")
    if follow and response.status_code in (301, 302, 303) and response.headers["Location"].startswith("/"):
        page = client.get(response.headers["Location"])
        tally.requests += 1
        tally.statuses[page.status_code] += 1
        if page.status_code >= 500:
            tally.problems.append(f"{label}: the page after the redirect is a {page.status_code}")
        if page.mimetype == "text/html":
            for marker in dangerous_in(page.text):
                tally.problems.append(f"{label}: {marker!r} unescaped on {response.headers['Location']}")
    return after


def attack_form(app, spec: FormSpec, corpus, tally: Tally) -> None:
    """Every corpus entry into every field of one form. Each field starts from a world as
    the form expects it: a new one once a field's submissions changed the last."""
    route = ROUTES[spec.endpoint]
    names = field_names(app, spec) + list(spec.files)
    world = start = before = None
    for index, name in enumerate(names):
        if world is None or before != start:
            world = fresh_world(started=route.started)
            client = client_as(app, world, spec.role)
            path = route.path(world)  # before the snapshot: a path may make the rows it names (a poll)
            before = start = snapshot()
        accepted = False
        entries = list(corpus)
        if index == 0:  # the 1 MB entry once per form: a 4xx or a clean form error
            entries.append(("1 000 000 characters", MEGABYTE))
        for label, payload in entries:
            if spec.role == "anonymous":
                client = client_as(app, world, spec.role)  # a success logs in or remembers: start afresh
            value = (payload.encode("utf-8"), "article.txt" if name == "file" else "poster.png") \
                if name in spec.files else payload
            valid = spec.data(world) if spec.data else route.data(world, spec.role)  # fresh: a new email each time
            response = submit(client, "POST", path, {**valid, name: value}, spec.multipart)
            tally.submissions += 1
            tally.fields.add((spec.endpoint, name))
            where = f"POST {spec.endpoint} [{name}] = {label}"
            # A view that reads a form refuses 1 MB in a field; one that reads no form never sees it
            # (with CSRF on, as in production, the token check reads and refuses it: see test_abuse).
            if payload is MEGABYTE and spec.form is not None and not spec.takes_a_megabyte \
                    and not 400 <= response.status_code < 500:
                tally.problems.append(f"{where}: expected a 4xx (413 or a form error), got {response.status_code}")
            accepted = accepted or response.status_code == 302
            before = judge(tally, client, where, response, before, follow=payload in SHOWN_PAYLOADS,
                           refusals=(200, 400, 403, 404, 409, 413, 422, 429) if not spec.writes_on_200 else None)
            if response.status_code == 302 and spec.role != "anonymous" and spec.endpoint in (
                "accounts.delete_account", "accounts.logout", "accounts.logout_everywhere"
            ):
                client = client_as(app, world, spec.role)
                before = snapshot()
        # What was stored shows on the party's pages: none of it may come back unescaped.
        if accepted:
            sweep(app, world, tally, f"pages after POST {spec.endpoint} [{name}]")
            before = snapshot()  # the sweep logs in: not the next field's doing


def sweep(app, world: World, tally: Tally, label: str) -> None:
    """The pages that show what a world's forms stored, as its host and its guest see them."""
    db.session.expire_all()
    host = client_as(app, world, "host") if db.session.get(Party, world.party.id).host_id else app.test_client()
    party = db.session.get(Party, world.party.id)
    guest = client_as(app, world, "guest") if db.session.get(Rsvp, world.guest_id) else app.test_client()
    pages = [(host, "/"), (host, f"/parties/{party.id}"), (host, f"/p/{party.share_token}"),
             (guest, f"/p/{party.share_token}"), (host, f"/films/{world.film.slug}"), (host, "/films/")]
    for client, path in pages:
        response = client.get(path)
        tally.requests += 1
        tally.statuses[response.status_code] += 1
        if response.status_code >= 500:
            tally.problems.append(f"{label}: GET {path} is a {response.status_code}")
        if response.mimetype == "text/html":
            for marker in dangerous_in(response.text):
                tally.problems.append(f"{label}: {marker!r} unescaped on {path}")


# ---------------------------------------------------------------- the tests: forms


def test_every_post_route_has_a_form_spec(module_app):
    posts = {rule.endpoint for rule in module_app.url_map.iter_rules() if "POST" in rule.methods}
    missing = sorted(posts - FORM_SPECS.keys())
    assert not missing, f"POST routes the corpus does not attack: {missing}. Add a FormSpec to tests/test_input_corpus.py."
    assert not sorted(FORM_SPECS.keys() - posts), "FORM_SPECS names routes the app no longer has"


MAIN = [endpoint for endpoint, spec in FORM_SPECS.items() if spec.main]
OTHERS = [endpoint for endpoint, spec in FORM_SPECS.items() if not spec.main]


@pytest.mark.parametrize("endpoint", MAIN)
def test_the_whole_corpus_in_every_field_of_the_main_forms(module_app, endpoint):
    tally = Tally()
    attack_form(module_app, FORM_SPECS[endpoint], CORPUS, tally)
    print(tally.summary(f"corpus {endpoint} ({len(CORPUS)} entries)"))
    assert not tally.problems, "\n".join(tally.problems)


def test_a_short_corpus_in_every_field_of_the_other_forms(module_app):
    tally = Tally()
    for endpoint in OTHERS:
        attack_form(module_app, FORM_SPECS[endpoint], SHORT_CORPUS, tally)
    print(tally.summary(f"corpus, other forms ({len(SHORT_CORPUS)} entries)"))
    assert not tally.problems, "\n".join(tally.problems)


# ---------------------------------------------------------------- the tests: URL parameters


MALFORMED_SEGMENTS: list[tuple[str, str]] = [
    ("empty", ""),
    ("space", "%20"),
    ("NUL", "%00"),
    ("NUL inside", "abc%00def"),
    ("invalid UTF-8", "%ff%fe"),
    ("dot-dot", ".."),
    ("encoded traversal", "..%2f..%2fetc%2fpasswd"),
    ("negative", "-1"),
    ("zero", "0"),
    ("beyond int32", "2147483648"),
    ("huge", "99999999999999999999999999"),
    ("exponent", "1e3"),
    ("hex", "0x10"),
    ("other digits", quote("\u0661\u0662")),
    ("emoji", quote("🎬")),
    ("script", quote("<script>alert(1)</script>")),
    ("SQL", quote("' OR '1'='1")),
    ("CRLF", "%0d%0aSet-Cookie:%20x=1"),
    ("almost a token", "A" * 31 + "!"),
    ("token-shaped", "A" * 32),
    ("too long", "x" * 5000),
    ("upper-case slug", "ANORA-2024"),
]


def url_with(rule, values: dict) -> str:
    path = rule.rule
    for name, value in values.items():
        path = re.sub(rf"<(?:[^>:]+:)?{name}>", value, path)
    return path


def valid_url_values(world: World, rule) -> dict:
    """Real values for each variable of a route, from the world."""
    candidates = {
        "token": world.token, "manage_token": world.guest_manage_token, "party_id": str(world.party.id),
        "item_id": str(world.popcorn.id), "claim_id": str(world.claim.id), "rsvp_id": str(world.guest_id),
        "slug": world.film.slug, "review_id": str(world.review.id), "filename": world.film.poster_filename,
        "invitation_token": world.invitation.token, "which": "unreplied", "kind": "date",
    }
    values = {}
    for name in rule.arguments:
        if name == "token" and rule.endpoint == "accounts.reset_password":
            from tests.test_authorisation import reset_token

            values[name] = reset_token(world)
        elif name == "token" and rule.endpoint == "accounts.confirm_email":
            from tests.test_authorisation import email_change_token

            values[name] = email_change_token(world)
        elif name == "comment_id":
            from tests.test_authorisation import guest_comment

            values[name] = str(guest_comment(world))
        elif name == "vote_token":
            from tests.test_authorisation import world_poll

            world_poll(world)
            values[name] = world.vote_token
        elif name == "candidate_id":
            from tests.test_authorisation import world_poll

            values[name] = str(world_poll(world).dates[0].id)
        elif name == "announcement_id":
            from tests.test_authorisation import announcement

            values[name] = str(announcement(world))
        else:
            values[name] = candidates[name]
    return values


def test_malformed_url_parameters_never_cause_a_server_error(module_app):
    tally = Tally()
    rules = [rule for rule in module_app.url_map.iter_rules() if rule.endpoint != "static" and rule.arguments]
    for role in ("host", "guest"):
        world = fresh_world()
        client = client_as(module_app, world, role)
        for rule in rules:
            valid = valid_url_values(world, rule)
            for name in rule.arguments:
                is_int = isinstance(rule._converters[name], IntegerConverter)
                for label, segment in MALFORMED_SEGMENTS:
                    path = url_with(rule, {**valid, name: segment})
                    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                        response = submit(client, method, path, {}, False)
                        tally.submissions += 1
                        tally.fields.add((rule.endpoint, name))
                        where = f"{method} {rule.endpoint} <{name}> = {label} as {role}"
                        judge(tally, client, where, response, None)
                        if is_int and label in ("beyond int32", "huge", "negative") and response.status_code != 404:
                            tally.problems.append(f"{where}: {response.status_code}, expected 404")
    print(tally.summary(f"URL parameters × {len(MALFORMED_SEGMENTS)} malformed values"))
    assert not tally.problems, "\n".join(tally.problems)


QUERY_VALUES = [value for _, value in MALFORMED_SEGMENTS] + [
    "-1", "0", "1", "2", "10001", "%2f%2fevil.example", "//evil.example/x", "/\\evil.example", "https://evil.example/",
    "javascript:alert(1)", "/%09/evil.example", "/%0d%0aX:%20y", "%ff", "a" * 3000,
]


def test_malformed_query_strings_never_cause_a_server_error_and_next_stays_on_the_site(module_app):
    tally = Tally()
    world = fresh_world()
    visitor = module_app.test_client()
    host = client_as(module_app, world, "host")
    film, review = world.film.slug, world.review.id
    for value in QUERY_VALUES:
        requests = [
            (visitor, "GET", f"/films/?q={value}", None),
            (visitor, "GET", f"/films/?page={value}", None),
            (visitor, "GET", f"/films/?q={value}&page={value}", None),
            (visitor, "GET", f"/films/{film}/reviews/{review}?party={value}", None),
            (visitor, "GET", f"/accounts/login?next={value}", None),
            (visitor, "GET", f"/accounts/register?next={value}", None),
            (host, "GET", f"/parties/new?film={value}", None),
            (host, "GET", f"/films/new?title={value}&next={value}", None),
            (host, "GET", f"/parties/{world.party.id}/edit?film={value}", None),
            (host, "GET", f"/accounts/login?next={value}", None),  # logged in: redirected to `next` at once
            (host, "GET", f"/accounts/register?next={value}", None),
        ]
        for client, method, path, data in requests:
            response = submit(client, method, path, data or {}, False)
            tally.submissions += 1
            tally.fields.add((path.split("?")[0], path.split("?")[1].split("=")[0]))
            where = f"{method} {path[:80]}"
            judge(tally, client, where, response, None)
            check_stays_on_site(tally, where, response)
    # A `next` sent with a form: logging in, registering, and the sign-up forms that go back where they came from.
    guest = client_as(module_app, world, "guest")
    for value in map(unquote, QUERY_VALUES):
        for client, path, data in [
            (module_app.test_client(), f"/accounts/login?next={quote(value)}",
             {"email": world.other_user.email, "password": world.password}),
            (module_app.test_client(), "/accounts/login",
             {"email": world.other_user.email, "password": world.password, "next": value}),
            (guest, f"/p/{world.token}/items/{world.crisps.id}/claim", {"quantity": "1", "next": value}),
            # Adding a missing film goes back to the party form only on this site.
            (host, f"/films/new?next={quote(value)}", {"title": f"Corpus film {len(value)} {value[:20]!r}", "year": "2017", "different_film": "y"}),
        ]:
            response = submit(client, "POST", path, data, False)
            tally.submissions += 1
            where = f"POST {path[:60]} next={value[:40]!r}"
            judge(tally, client, where, response, None)
            check_stays_on_site(tally, where, response)
    print(tally.summary("query strings"))
    assert not tally.problems, "\n".join(tally.problems)


def check_stays_on_site(tally: Tally, where: str, response) -> None:
    location = response.headers.get("Location")
    if location is None:
        return
    # A browser drops tabs and newlines from URLs and reads a backslash as a slash.
    seen = re.sub(r"[\t\r\n]", "", location).replace("\\", "/")
    if not seen.startswith("/") or seen.startswith("//"):
        tally.problems.append(f"{where}: redirects off the site to {location!r}")


# ---------------------------------------------------------------- hypothesis: a refusal changes nothing

# Text as a browser could send it: any code point but surrogates, control characters included.
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=30)
LONG_TEXT = st.text(st.characters(codec="utf-8"), min_size=75, max_size=260)
TEXT = st.one_of(ANY_TEXT, LONG_TEXT, st.sampled_from(["Bob", "  Bob  ", "<b>Bob</b>", "=SUM(1)", "", " "]))
NUMBER = st.one_of(
    st.integers(-5, 15).map(str), st.integers().map(str), st.sampled_from(["", " 3 ", "1.0", "1e2", "x", "\u0663"]),
    ANY_TEXT,
)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f]")
HYPOTHESIS_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], derandomize=True,
)


def as_int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


@pytest.fixture(scope="module")
def rsvp_world(module_app):
    return fresh_world()


@HYPOTHESIS_SETTINGS
@given(
    name=TEXT, email=st.one_of(st.just(""), st.emails(), ANY_TEXT), response=st.sampled_from(
        ["going", "maybe", "declined", "", "yes", "GOING"]), plus_ones=NUMBER, seen_it=st.booleans(),
    dietary=TEXT, note=st.one_of(TEXT, st.text(st.characters(codec="utf-8"), max_size=1100)),
)
def test_property_a_reply_is_stored_as_normalised_or_changes_nothing(
    module_app, rsvp_world, name, email, response, plus_ones, seen_it, dietary, note
):
    world = rsvp_world
    data = {"name": name, "email": email, "response": response, "plus_ones": plus_ones,
            "dietary": dietary, "note": note}
    if seen_it:
        data["seen_it"] = "y"
    before = snapshot()
    answer = submit(module_app.test_client(), "POST", f"/p/{world.token}/rsvp", data, False)
    assert answer.status_code in (302, 409, 422), answer.status_code
    if answer.status_code != 302:
        after = snapshot()
        if answer.status_code == 409 and "emailed your personal link" in answer.text:
            # The address already replied: its owner gets their link again (one queued
            # email, at most one in ten minutes), and nothing else changes.
            assert len(after.pop("outbound_email")) == len(before.pop("outbound_email")) + 1
        assert after == before
        return
    stored = db.session.scalars(sa.select(Rsvp).order_by(Rsvp.id.desc()).limit(1)).one()
    assert stored.name == name.strip() and stored.name and len(stored.name) <= 80
    assert not CONTROL_ONE_LINE.search(stored.name + stored.dietary + (stored.email or ""))
    assert not CONTROL.search(stored.note)
    assert stored.email == (email.strip().lower() or None)
    assert stored.response == response
    assert stored.plus_ones == (0 if response == "declined" else as_int(plus_ones) or 0)
    assert stored.seen_it is seen_it
    assert stored.dietary == dietary.strip() and stored.note == note.strip()
    db.session.rollback()


@pytest.fixture(scope="module")
def party_world(module_app):
    world = fresh_world()
    return world, client_as(module_app, world, "host")


TIMEZONES = ["Europe/London", "America/New_York", "Asia/Kathmandu", "Pacific/Chatham", "UTC", "Mars/Base", ""]
LOCAL_TIMES = st.one_of(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2035, 1, 1)).map(
        lambda value: value.strftime("%Y-%m-%dT%H:%M")),
    st.just(future_local()), ANY_TEXT,
)


@HYPOTHESIS_SETTINGS
@given(
    title=TEXT, area=TEXT, address=st.one_of(TEXT, st.text(st.characters(codec="utf-8"), max_size=600)),
    description=TEXT, capacity=NUMBER, max_plus_ones=NUMBER, starts_at=LOCAL_TIMES,
    timezone=st.sampled_from(TIMEZONES), online_url=st.one_of(st.just(""), st.sampled_from(
        ["https://meet.example/x", "javascript:alert(1)", "http://", "ftp://x.example"]), ANY_TEXT),
)
def test_property_a_party_is_stored_as_normalised_or_changes_nothing(
    module_app, party_world, title, area, address, description, capacity, max_plus_ones, starts_at, timezone,
    online_url,
):
    world, host = party_world
    data = {**party_form(world), "title": title, "area": area, "address": address, "description": description,
            "capacity": capacity, "max_plus_ones": max_plus_ones, "starts_at": starts_at, "timezone": timezone,
            "online_url": online_url}
    before = snapshot()
    answer = submit(host, "POST", "/parties/new", data, False)
    assert answer.status_code in (302, 409, 422), answer.status_code
    if answer.status_code != 302:
        assert snapshot() == before
        return
    party = db.session.scalars(sa.select(Party).order_by(Party.id.desc()).limit(1)).one()
    assert party.title == title.strip() and party.area == area.strip()
    assert party.address == address.strip() and party.description == description.strip()
    assert party.online_url == online_url.strip()
    assert party.capacity == (as_int(capacity) if capacity.strip() else None)
    assert party.max_plus_ones == (as_int(max_plus_ones) or 0)
    assert party.timezone == timezone
    local = datetime.strptime(starts_at.strip(), "%Y-%m-%dT%H:%M").replace(tzinfo=ZoneInfo(timezone))
    assert party.starts_at == local
    db.session.rollback()


@pytest.fixture(scope="module")
def item_world(module_app):
    world = fresh_world()  # 3 items: the examples stay within the list's 100
    return world, client_as(module_app, world, "guest")


@HYPOTHESIS_SETTINGS
@given(name=TEXT, category=st.sampled_from(["snack", "drink", "supplies", "other", "", "food", "SNACK"]),
       quantity=NUMBER, note=st.one_of(TEXT, st.text(st.characters(codec="utf-8"), max_size=250)))
def test_property_an_added_item_is_stored_as_normalised_or_changes_nothing(
    module_app, item_world, name, category, quantity, note
):
    world, guest = item_world
    before = snapshot()
    answer = submit(guest, "POST", f"/p/{world.token}/items",
                    {"name": name, "category": category, "quantity": quantity, "note": note}, False)
    assert answer.status_code in (302, 409, 422), answer.status_code
    if answer.status_code != 302:
        assert snapshot() == before
        return
    item = db.session.scalars(sa.select(SignupItem).order_by(SignupItem.id.desc()).limit(1)).one()
    assert item.name == " ".join(name.split()) and item.name
    assert item.note == " ".join(note.split())
    assert item.category == category
    assert item.quantity_needed == as_int(quantity) and item.claimed == item.quantity_needed
    db.session.rollback()


# ---------------------------------------------------------------- odd uploads


@pytest.mark.parametrize("filename", ["", "a\x00b.txt", "../../etc/passwd.txt", "x" * 1000 + ".md",
                                      "<script>alert(1)</script>.txt", "article.exe", "🎬.md"])
def test_odd_upload_file_names_are_refused_or_read_never_a_server_error(module_app, filename):
    world = fresh_world()
    host = client_as(module_app, world, "host")
    before = snapshot()
    answer = submit(host, "POST", f"/films/{world.film.slug}/reviews/import",
                    {"file": (b"A title\n\nSome text.", filename)}, True)
    assert answer.status_code in (200, 422)
    assert not dangerous_in(answer.text)
    assert snapshot() == before  # the import only previews
    answer = submit(host, "POST", "/films/new", {"title": "Poster test", "year": "2020",
                                                 "poster": (tiny_png(), filename)}, True)
    assert answer.status_code in (302, 422)
    assert not dangerous_in(answer.text)



# ---------------------------------------------------------------- the bugs these checks found, one test each


def test_a_next_with_a_line_break_is_ignored_not_a_server_error(module_app):
    """A CR/LF in `next` reached the Location header: werkzeug refuses it, and the answer was a 500."""
    world = fresh_world()
    host = client_as(module_app, world, "host")
    answer = host.get("/accounts/login?next=/%0d%0aSet-Cookie:%20stolen=1")
    assert (answer.status_code, answer.headers["Location"]) == (302, "/")
    assert "stolen" not in str(answer.headers)
    visitor = module_app.test_client()
    address = f"w{world.n}-crlf@example.com"
    answer = visitor.post("/accounts/register?next=/films/%0a", data={
        "email": address, "display_name": "Cr Lf",
        "password": "a long enough password", "confirm": "a long enough password"})
    assert (answer.status_code, answer.headers["Location"]) == (302, "/accounts/code/verify")
    from watchparty.accounts import codes  # the sign-up finishes with the emailed code (#22)

    answer = visitor.post("/accounts/code/verify", data={"email": address, "code": codes.code_of(codes.row_for(address))})
    assert (answer.status_code, answer.headers["Location"]) == (302, "/")
    guest = client_as(module_app, world, "guest")
    answer = guest.post(f"/p/{world.token}/items/{world.crisps.id}/claim",
                        data={"quantity": "1", "next": f"/p/{world.token}\r\nX-Injected: 1"})
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/p/{world.token}#item-{world.crisps.id}"


def test_a_film_slug_with_a_nul_is_a_404_on_every_film_route(module_app):
    """PostgreSQL cannot hold a NUL: the slug reached a query and the film page was a 500 there."""
    world = fresh_world()
    host = client_as(module_app, world, "host")
    for path in ["/films/a%00b", "/films/%00", "/films/a%00b/edit", "/films/a%00b/poster.svg",
                 f"/films/a%00b/reviews/{world.review.id}", "/films/a%00b/reviews/import"]:
        assert host.get(path).status_code == 404, path
    assert host.post("/films/a%00b/reviews", data={"title": "x"}).status_code == 404


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_a_rating_that_is_not_a_finite_number_is_a_form_error(module_app, value):
    """Decimal("sNaN") broke the range check and "NaN" the rating-against-scale comparison: a 500."""
    world = fresh_world()
    host = client_as(module_app, world, "host")
    before = snapshot()
    answer = host.post(f"/films/{world.film.slug}/reviews", data={
        "title": "Rated", "rating_value": value, "rating_scale": "5", "sections-0-body": "Text."})
    assert answer.status_code == 422
    assert "Enter a number, like 4 or 8.5." in answer.text
    assert snapshot() == before


def test_an_account_without_a_password_takes_hostile_input_in_its_own_settings_forms(module_app):
    """An account made by a code sees other fields (#22): the first password (no current one) and the
    deletion by typed address. Every corpus entry, one field at a time: never a 5xx, never shown
    unescaped, and a refusal changes nothing."""
    from watchparty.accounts import codes, registration
    from watchparty.models import User

    fresh_world()
    registration.create_verified_user("nopass@example.com", "No Pass")
    codes.issue("nopass@example.com")
    db.session.commit()
    browser = module_app.test_client()
    code = codes.code_of(codes.row_for("nopass@example.com"))
    assert browser.post("/accounts/code/verify", data={"email": "nopass@example.com", "code": code}).status_code == 302
    forms = [
        ("/accounts/settings/password", {"password": "lantern oyster violin", "confirm": "lantern oyster violin"},
         ("password", "confirm", "current_password")),
        # (A password sent with the right address is ignored, and the account goes: not attacked here.)
        ("/accounts/delete", {"confirm_email": "nopass@example.com"}, ("confirm_email",)),
    ]
    for path, valid, fields in forms:
        for field in fields:
            for label, payload in CORPUS:
                if (path, field, payload) == ("/accounts/delete", "confirm_email", "nopass@example.com"):
                    continue
                data = {**valid, field: payload}
                before = snapshot()
                answer = browser.post(path, data=data)
                assert answer.status_code < 500, (path, field, label)
                assert not dangerous_in(answer.text), (path, field, label)
                if answer.status_code >= 400:
                    assert snapshot() == before, (path, field, label)
                else:
                    # A valid new password (the payload went to a field the form ignores), and this
                    # browser signed in anew: back to no password for the next entry.
                    assert path.endswith("password"), (path, field, label)
                    db.session.execute(sa.update(User).where(User.email == "nopass@example.com").values(password_hash="!"))
                    db.session.commit()
