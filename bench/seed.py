"""Seed the benchmark's parties through the app's own services.

typical: 30 replies with plus-ones, 15 items, 40 claims, 3 reviews of 10
sections, 8 trivia, a film with 20 cast, 20 comments and 3 announcements.
large: 300 replies, 60 items, 200 claims, 10 reviews, 40 cast, 200 comments
and 5 announcements.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from watchparty.extensions import db
from watchparty.models import Party, User, utcnow


@dataclass(frozen=True)
class Shape:
    name: str
    replies: int
    items: int
    claims: int
    reviews: int
    sections: int
    trivia: int
    cast: int
    comments: int = 0
    announcements: int = 0


TYPICAL = Shape("typical", replies=30, items=15, claims=40, reviews=3, sections=10, trivia=8, cast=20,
                comments=20, announcements=3)
LARGE = Shape("large", replies=300, items=60, claims=200, reviews=10, sections=10, trivia=8, cast=40,
              comments=200, announcements=5)

PARAGRAPH = (
    "The film moves with a restless energy, and **Mikey Madison** carries every scene with a performance "
    "that is funny, furious and tender in turn. The camera stays close, the dialogue overlaps, and the "
    "city at night becomes a character of its own."
)


def _film(shape: Shape, host: User):
    from watchparty.films import data as film_data
    from watchparty.films import service as films

    data = films.FilmData(
        title=f"Bench film {shape.name}",
        year=2024,
        runtime_minutes=139,
        tagline="A Cinderella story, of sorts.",
        synopsis="A young woman from Brooklyn marries the son of a Russian oligarch. " * 4,
        genres=["Comedy", "Drama"],
        formats=["cinema", "streaming"],
        cast=[film_data.CastEntry(f"Actor {i:02d}", f"Character {i:02d}") for i in range(shape.cast)],
        crew=[film_data.CrewEntry("director", "Sean Baker"), film_data.CrewEntry("writer", "Sean Baker")],
        awards=[film_data.AwardEntry("Cannes Film Festival", 2024, "Palme d'Or", "", True)],
        trivia=[film_data.TriviaEntry(f"Trivia fact number {i}.", is_spoiler=i % 4 == 0) for i in range(shape.trivia)],
    )
    return films.create_film(data, created_by=host)


def _reviews(shape: Shape, film, host: User) -> list[int]:
    from watchparty.reviews import service as reviews

    ids = []
    for r in range(shape.reviews):
        sections = [
            reviews.SectionInput(f"Section {s}", "\n\n".join([PARAGRAPH] * 3), is_spoiler=s == shape.sections - 1)
            for s in range(shape.sections)
        ]
        data = reviews.ReviewInput(
            title=f"Review {r}", author=f"Critic {r}", source_name="Bench Weekly",
            source_url="https://example.com/review", published_on=date(2024, 10, 1) + timedelta(days=r),
            rating_value=8.0, rating_scale=10, sections=sections,
        )
        ids.append(reviews.save_review(film, data, host).id)
    return ids


def _replies(shape: Shape, party: Party) -> list:
    from watchparty.rsvp import service as rsvp

    replies = []
    for i in range(shape.replies):
        response = ("going", "going", "going", "maybe", "declined")[i % 5]
        replies.append(
            rsvp.reply_to_party(
                party,
                rsvp.ReplyFields(
                    name=f"Guest {i:03d}", response=response, email=f"guest{i}@example.com",
                    plus_ones=i % 3 if response == "going" else 0, dietary="vegetarian" if i % 7 == 0 else "",
                ),
            )
        )
    return replies


def _signups(shape: Shape, party: Party, replies: list) -> None:
    from watchparty.rsvp.service import Viewer
    from watchparty.signups import items as signup_items
    from watchparty.signups import service as signups

    takers = [reply for reply in replies if reply.response in ("going", "maybe") and reply.state == "confirmed"]
    items = signup_items.add_host_items(
        party,
        [
            signup_items.ItemFields(
                name=f"Item {i:02d}", category=("snack", "drink", "supplies", "other")[i % 4],
                quantity=max(2, shape.claims // shape.items + 2), note="vegan" if i % 5 == 0 else "",
            )
            for i in range(shape.items)
        ],
    )
    # Claims spread over the guests as at a real party (one or two each), not
    # piled on a few: claim i is guest i mod g's, of item i mod n, while no
    # guest claims the same item twice (true while i < lcm(g, n)).
    pairs = {(i % len(takers), i % len(items)) for i in range(shape.claims)}
    assert len(pairs) == shape.claims, "too few guests or items for this many claims"
    for i in range(shape.claims):
        taker = takers[i % len(takers)]
        signups.claim_item(party, Viewer(party, rsvp=taker), items[i % len(items)].id, 1)


def _talk(shape: Shape, party: Party, replies: list) -> None:
    """Comments by the guests who may post (every fourth a reply, every seventh a spoiler)
    and the host's announcements to the going guests, through the talk's services."""
    from watchparty.rsvp.service import Viewer
    from watchparty.talk import service as talk

    posters = [reply for reply in replies if reply.response in ("going", "maybe")]
    start = utcnow() - timedelta(days=1)
    threads: list[int] = []
    for i in range(shape.comments):
        viewer = Viewer(party, rsvp=posters[i % len(posters)])
        fields = talk.CommentFields(
            f"Comment {i}: can't wait for this one, see https://example.com/trailer/{i}",
            is_spoiler=i % 7 == 6, reply_to=threads[-1] if i % 4 == 3 and threads else None,
        )
        # A minute apart: each guest stays under the per-minute limit.
        comment = talk.post_comment(party, viewer, fields, now=start + timedelta(minutes=i))
        if comment.reply_to_id is None:
            threads.append(comment.id)
    for i in range(shape.announcements):
        talk.post_announcement(
            party, talk.AnnouncementFields(f"Announcement {i}: doors open at 19:30.", ("going",)),
            now=start + timedelta(minutes=i),
        )


BENCH_HOST_EMAIL = "bench-host@example.com"
BENCH_HOST_PASSWORD = "popcorn lantern velvet 42"  # noqa: S105  (a throwaway bench database)


def seed_host() -> User:
    """The benchmark's host, registered through the accounts service, so the
    password rule holds for it as for anyone (tests/test_performance.py seeds it too)."""
    from watchparty.accounts.registration import mark_verified, register_user

    host = register_user(BENCH_HOST_EMAIL, "Bench Host", BENCH_HOST_PASSWORD, "UTC")
    mark_verified(host)  # its parties' announcements are sent only by a host with a confirmed address
    db.session.commit()
    return host


def seed_party(shape: Shape, host: User) -> Party:
    """One party of the given shape, committed; returns it."""
    from watchparty.parties import service as parties

    film = _film(shape, host)
    _reviews(shape, film, host)
    db.session.flush()
    starts = (utcnow() + timedelta(days=5)).replace(tzinfo=None, second=0, microsecond=0)
    party = parties.create_party(
        host,
        parties.PartyFields(
            title=f"Bench party ({shape.name})", film=film.slug, starts_at=starts, timezone="UTC",
            area="Hackney, London", address="1 Bench Street", capacity=None, max_plus_ones=2,
            description="Benchmark party.", guest_list_visible=True,
        ),
    )
    replies = _replies(shape, party)
    _signups(shape, party, replies)
    _talk(shape, party, replies)
    db.session.commit()
    return party
