"""Small factories for test data: real rows in the test database."""

from watchparty.accounts import registration
from watchparty.extensions import db

DEFAULT_PASSWORD = "correct horse battery"


def make_user(email="alice@example.com", display_name="Alice", password=DEFAULT_PASSWORD, **fields):
    """An account, with its email verified unless told `email_verified_at=None`."""
    from watchparty.models import utcnow

    fields.setdefault("email_verified_at", utcnow())
    user = registration.register_user(email, display_name, password, fields.pop("timezone", "Europe/London"))
    for name, value in fields.items():
        setattr(user, name, value)
    db.session.commit()
    return user


def log_in(client, email="alice@example.com", password=DEFAULT_PASSWORD, **extra):
    return client.post("/accounts/login", data={"email": email, "password": password, **extra})


def make_film(title="Anora", year=2024, created_by=None, poster=None, **fields):
    """A film through the catalogue's own service. cast/crew/awards/trivia may be
    given as tuples: ("Mikey Madison", "Ani"), ("director", "Sean Baker"),
    ("97th Academy Awards", 2025, "Best Picture", "", True), ("A fact", False)."""
    from watchparty.films import data as film_data
    from watchparty.films import service as films

    kinds = {
        "cast": film_data.CastEntry,
        "crew": film_data.CrewEntry,
        "awards": film_data.AwardEntry,
        "trivia": film_data.TriviaEntry,
    }
    for name, kind in kinds.items():
        fields[name] = [entry if isinstance(entry, kind) else kind(*entry) for entry in fields.get(name, [])]
    film = films.create_film(films.FilmData(title=title, year=year, **fields), created_by=created_by, poster=poster)
    db.session.commit()
    return film


def make_party(host, film=None, starts_in=None, **fields):
    """A party row as the host form would leave it (a week ahead unless told);
    `film` defaults to a new catalogue film."""
    from datetime import timedelta

    from watchparty.models import Party, utcnow

    values = {
        "title": "Film night",
        "timezone": "Europe/London",
        "area": "Hackney, London",
        "address": "12 Secret Street, London E8",
        "max_plus_ones": 2,
    }
    values.update(fields)
    party = Party(
        host=host,
        film=film or make_film(),
        starts_at=utcnow() + (starts_in if starts_in is not None else timedelta(days=7)),
        **values,
    )
    db.session.add(party)
    db.session.commit()
    return party


def make_reply(party, name="Guest", response="going", user=None, now=None, **fields):
    """A reply through the RSVP service (so seats and the waitlist are honoured)."""
    from watchparty.rsvp import service as rsvp

    reply = rsvp.reply_to_party(party, rsvp.ReplyFields(name=name, response=response, **fields), user=user, now=now)
    db.session.commit()
    return reply


def make_review(film, title="A review", sections=(("Intro", "A spoiler-free opening.", False),), author="Jo Critic",
                source_name="The Paper", rating=(8, 10), published_on=None):
    """An editorial review through the reviews service. `sections` are (heading, Markdown body, is_spoiler)."""
    from watchparty.reviews import service as reviews

    value, scale = rating if rating is not None else (None, None)
    review = reviews.save_review(
        film,
        reviews.ReviewInput(
            title, author, source_name, "", published_on, value, scale,
            [reviews.SectionInput(heading, body, spoiler) for heading, body, spoiler in sections],
        ),
        None,
    )
    db.session.commit()
    return review


def make_verdict(party, score, rater=None, text="", is_spoiler=False, now=None):
    """A crew verdict through the reviews service: `rater` is a guest's reply, or None for the host.
    `now` defaults to an hour after the party's start."""
    from datetime import timedelta

    from watchparty.reviews import verdicts
    from watchparty.rsvp.service import Viewer

    viewer = Viewer(party, is_host=rater is None, rsvp=rater)
    when = now or party.starts_at + timedelta(hours=1)
    review = verdicts.rate_film(party, viewer, verdicts.VerdictInput(score, text, is_spoiler), now=when)
    db.session.commit()
    return review


def make_items(party, *items, now=None):
    """Items on the host's list: names, or (name, quantity) / (name, quantity, category) tuples."""
    from watchparty.signups import items as signup_items

    rows = []
    for item in items:
        name, quantity, category = (item, 1, "snack") if isinstance(item, str) else (*item, "snack")[:3]
        rows.append(signup_items.ItemFields(name=name, category=category, quantity=quantity))
    created = signup_items.add_host_items(party, rows, now=now)
    db.session.commit()
    return created


def make_claim(party, item, quantity=1, rsvp=None, note="", now=None):
    """A claim through the sign-up service: by `rsvp`, or by the host when rsvp is None."""
    from watchparty.rsvp.service import Viewer
    from watchparty.signups import service as signups

    claim = signups.claim_item(
        party, Viewer(party, is_host=rsvp is None, rsvp=rsvp), item.id, quantity, note, now=now
    )
    db.session.commit()
    return claim


# ---------------------------------------------------------------- many accounts, one whole world
# (added for the hostile-input suites: test_authorisation, test_input_corpus, test_data_safety)

# One PBKDF2 round instead of scrypt: logging in through the real login form
# stays cheap in tests that need hundreds of accounts. Never used by the app.
QUICK_HASH_METHOD = "pbkdf2:sha256:1"


def make_quick_user(email, display_name="User", password=DEFAULT_PASSWORD, **fields):
    """An account like make_user's, with a cheap password hash (for tests that build many)."""
    from werkzeug.security import generate_password_hash

    from watchparty.models import User, utcnow

    fields.setdefault("email_verified_at", utcnow())
    user = User(
        email=email.lower(), display_name=display_name,
        password_hash=generate_password_hash(password, method=QUICK_HASH_METHOD), **fields,
    )
    db.session.add(user)
    db.session.commit()
    return user


def tiny_png() -> bytes:
    """A valid 2 x 3 PNG, for poster uploads."""
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (2, 3), (200, 30, 60)).save(buffer, "PNG")
    return buffer.getvalue()


_worlds = iter(range(1, 10**9))


class World:
    """Everything one party involves, with names unique to this world so that
    many worlds can share one database: a host, another account, an admin;
    a film (created by the host, with a poster and a review); the party with
    three items, a seated guest who claimed one, a waitlisted guest, an
    invitation; and a second party (of the other account) with its own guest.
    `started=True` moves the party's start an hour into the past (the crew's
    verdict needs it; replies and sign-ups are then closed)."""

    def __init__(self, started=False):
        from datetime import timedelta

        from watchparty.models import Invitation, utcnow

        n = next(_worlds)
        self.n = n
        self.password = DEFAULT_PASSWORD
        self.host = make_quick_user(f"w{n}-host@example.com", "Hana Host")
        self.other_user = make_quick_user(f"w{n}-other@example.com", "Otto Other")
        self.admin = make_quick_user(f"w{n}-admin@example.com", "Ada Admin", is_admin=True)
        self.film = make_film(
            f"World {n} Film", 2024, created_by=self.host, poster=tiny_png(), runtime_minutes=120,
            cast=[("Mikey Madison", "Ani")], crew=[("director", "Sean Baker")],
        )
        self.review = make_review(self.film, title=f"World {n} review")
        self.party = make_party(self.host, self.film, title=f"World {n} night", capacity=3, max_plus_ones=2)
        self.popcorn, self.ice, self.crisps = make_items(self.party, ("Popcorn", 5), ("Ice", 3), ("Crisps", 2))
        self.guest = make_reply(self.party, "Gina Guest", email=f"w{n}-gina@example.com", plus_ones=1)
        # Plain values: a test may remove the guest, and the row with it.
        self.guest_id, self.guest_manage_token = self.guest.id, self.guest.manage_token
        self.claim = make_claim(self.party, self.popcorn, 2, rsvp=self.guest)
        self.host_claim = make_claim(self.party, self.ice, 1)
        self.waiting = make_reply(self.party, "Walt Waiting", email=f"w{n}-walt@example.com", plus_ones=1)
        self.invitation = Invitation(party_id=self.party.id, email=f"w{n}-ivy@example.com")
        db.session.add(self.invitation)
        self.other_party = make_party(self.other_user, self.film, title=f"World {n} other night", capacity=None)
        self.other_guest = make_reply(self.other_party, "Olga Elsewhere", email=f"w{n}-olga@example.com")
        (self.other_item,) = make_items(self.other_party, ("Other popcorn", 4))
        self.other_claim = make_claim(self.other_party, self.other_item, 1, rsvp=self.other_guest)
        db.session.commit()
        if started:
            self.party.starts_at = utcnow() - timedelta(hours=1)
            db.session.commit()

    @property
    def token(self) -> str:
        return self.party.share_token

    @property
    def manage_path(self) -> str:
        return f"/p/{self.party.share_token}/rsvp/{self.guest_manage_token}"
