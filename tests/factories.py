"""Small factories for test data: real rows in the test database."""

from watchparty.accounts import service as accounts
from watchparty.extensions import db

DEFAULT_PASSWORD = "correct horse battery"


def make_user(email="alice@example.com", display_name="Alice", password=DEFAULT_PASSWORD, **fields):
    user = accounts.register_user(email, display_name, password, fields.pop("timezone", "Europe/London"))
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
    from watchparty.films import service as films

    kinds = {
        "cast": films.CastEntry,
        "crew": films.CrewEntry,
        "awards": films.AwardEntry,
        "trivia": films.TriviaEntry,
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
