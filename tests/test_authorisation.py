"""Who may do what: every route of the app, for every kind of visitor → the status the contract promises.

The table EXPECTED has an entry for every endpoint in `app.url_map` and every
method it accepts (GET and POST apart). A new route without an entry fails
`test_the_table_covers_every_route`, so nobody forgets to decide who may use it.

Roles:
  anonymous    a browser with nothing
  other_user   logged in, unrelated to the party (hosts a party of their own)
  guest        not logged in; replied to this party, remembered by its cookie
  other_guest  not logged in; replied to ANOTHER party, remembered by that party's cookie
  host         logged in, hosts the party and created the film
  admin        logged in with is_admin, not the host

Statuses: numbers are HTTP statuses; LOGIN is a 302 to the login page, GO any
other 302 (the action happened and the browser is sent on).

Each case runs against a world of its own (see tests.factories.World), so a
case that changes something (cancels the party, releases a claim) cannot
change the outcome of the next one. Bearer links are what they say: the
manage link, the reset link and the "stop emails" links work for whoever
holds them — that is the contract (DESIGN.md §3), and they carry ≥128 random
bits or a signature.
"""

import itertools
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from tests.conftest import empty_all_tables, make_app
from tests.factories import DEFAULT_PASSWORD, World, log_in
from watchparty.extensions import db
from watchparty.mail_messages import never_email_url
from watchparty.models import Invitation, Party, utcnow

_numbers = itertools.count(1)
ROLES = ("anonymous", "other_user", "guest", "other_guest", "host", "admin")
LOGIN = "login"
GO = "go"


# ---------------------------------------------------------------- role shorthands


def everyone(outcome):
    return dict.fromkeys(ROLES, outcome)


def accounts_only(outcome):
    """Any logged-in account; visitors are sent to log in."""
    return {"anonymous": LOGIN, "other_user": outcome, "guest": LOGIN, "other_guest": LOGIN,
            "host": outcome, "admin": outcome}


def host_only(outcome):
    """The host's routes: visitors log in first, any other account (an admin too) gets a 404."""
    return {"anonymous": LOGIN, "other_user": 404, "guest": LOGIN, "other_guest": LOGIN,
            "host": outcome, "admin": 404}


def film_editors(outcome):
    """The film's creator (the host here) and admins."""
    return {"anonymous": LOGIN, "other_user": 403, "guest": LOGIN, "other_guest": LOGIN,
            "host": outcome, "admin": outcome}


def crew(outcome, refused):
    """The host and guests who replied (going and seated, or maybe)."""
    return {"anonymous": refused, "other_user": refused, "guest": outcome, "other_guest": refused,
            "host": outcome, "admin": refused}


def visitors(outcome, logged_in):
    """Pages for people without an account (login, register): accounts are sent on."""
    return {"anonymous": outcome, "other_user": logged_in, "guest": outcome, "other_guest": outcome,
            "host": logged_in, "admin": logged_in}


# ---------------------------------------------------------------- how to call each route


def future_local(days=10) -> str:
    return (utcnow() + timedelta(days=days)).strftime("%Y-%m-%dT20:00")


def party_form(world: World, **overrides) -> dict:
    """A valid party form for the world's film."""
    data = {
        "title": f"World {world.n} party", "film": world.film.slug, "starts_at": future_local(),
        "timezone": "Europe/London", "area": "Hackney, London", "address": "1 Test Street",
        "online_url": "", "screening_notes": "", "capacity": "12", "rsvp_deadline": "",
        "max_plus_ones": "2", "description": "Bring snacks", "show_address_to_guests": "y",
    }
    data.update(overrides)
    return data


def reply_form(**overrides) -> dict:
    data = {"name": "Bob", "email": "", "response": "going", "plus_ones": "0", "dietary": "", "note": ""}
    data.update(overrides)
    return data


def reset_token(world: World) -> str:
    from watchparty.accounts.service import make_reset_token

    return make_reset_token(world.host)


def email_change_token(world: World) -> str:
    """A fresh confirmation link of an email change the other account asked for."""
    from watchparty.accounts.settings import make_email_change_token

    world.other_user.pending_email = f"w{world.n}-moved-{next(_numbers)}@example.com"
    db.session.commit()
    return make_email_change_token(world.other_user)


def host_stop_path(world: World) -> str:
    """The path of the host's "stop update emails" link (signed for the party and its host)."""
    from urllib.parse import urlsplit

    from watchparty.notifications.host import host_stop_url

    return urlsplit(host_stop_url(world.party)).path


def user_of(world: World, role: str):
    return {"other_user": world.other_user, "host": world.host, "admin": world.admin}.get(role)


def guest_comment(world: World) -> int:
    """The id of a comment by the world's guest (made on first use)."""
    if "comment_id" not in world.__dict__:
        from watchparty.models import Comment

        comment = Comment(party_id=world.party.id, rsvp_id=world.guest_id, author_name="Gina Guest", body="Hi")
        db.session.add(comment)
        db.session.commit()
        world.comment_id = comment.id
    return world.comment_id


def announcement(world: World) -> int:
    """The id of an announcement of the world's party to its going guests (made on first use)."""
    if "announcement_id" not in world.__dict__:
        from watchparty.models import Announcement

        row = Announcement(party_id=world.party.id, message="Bring a blanket", to_going=True, sent_at=utcnow())
        db.session.add(row)
        db.session.commit()
        world.announcement_id = row.id
    return world.announcement_id


def world_poll(world: World):
    """An open poll on the world's party (two films, two dates, open to nominations) with one
    vote (made on first use)."""
    if "poll" not in world.__dict__:
        from tests.factories import make_film
        from watchparty.models import Poll, PollDate, PollFilm, PollVote

        second = make_film(f"World {world.n} Other Film", 2020)
        world.nominee = make_film(f"World {world.n} Nominee", 2021)  # in the catalogue, not yet in the vote
        poll = Poll(party_id=world.party.id, decides_film=True, decides_date=True, guests_nominate=True)
        poll.films = [PollFilm(film_id=world.film.id, position=0), PollFilm(film_id=second.id, position=1)]
        poll.dates = [PollDate(starts_at=world.party.starts_at + timedelta(days=day), position=day) for day in (0, 1)]
        db.session.add(poll)
        world.party.undecided = True
        db.session.flush()
        vote = PollVote(poll_id=poll.id, name="Vera Voter")
        db.session.add(vote)
        db.session.commit()
        world.poll, world.vote_token = poll, vote.manage_token
    return world.poll


def ballot(world: World) -> dict:
    poll = world_poll(world)
    return {"name": "Vic", **{f"date-{date.id}": "yes" for date in poll.dates}, "approve": str(poll.films[0].id)}


@dataclass
class Route:
    """How to call one endpoint in a world: its path, and for POST a valid form."""

    path: Callable[[World], str]
    data: Callable[[World, str], dict] = field(default=lambda world, role: {})
    started: bool = False  # the party has started (the crew's verdict)


ROUTES: dict[str, Route] = {
    "main.index": Route(lambda w: "/"),
    "main.healthz": Route(lambda w: "/healthz"),
    "main.card": Route(lambda w: "/card.png"),
    "main.robots": Route(lambda w: "/robots.txt"),
    "accounts.login": Route(
        lambda w: "/accounts/login", lambda w, role: {"email": w.host.email, "password": DEFAULT_PASSWORD}
    ),
    "accounts.logout": Route(lambda w: "/accounts/logout"),
    "accounts.logout_everywhere": Route(lambda w: "/accounts/logout-everywhere"),
    "accounts.register": Route(
        lambda w: "/accounts/register",
        lambda w, role: {"email": f"w{w.n}-new-{role}-{next(_numbers)}@example.com", "display_name": "Newcomer",
                         "password": "a brand new password", "confirm": "a brand new password"},
    ),
    "accounts.reset_request": Route(lambda w: "/accounts/reset", lambda w, role: {"email": w.host.email}),
    "accounts.reset_password": Route(
        lambda w: f"/accounts/reset/{reset_token(w)}",
        lambda w, role: {"password": "a brand new password", "confirm": "a brand new password"},
    ),
    "accounts.confirm_email": Route(lambda w: f"/accounts/email/{email_change_token(w)}"),
    "accounts.settings": Route(
        lambda w: "/accounts/settings",
        lambda w, role: {"display_name": "Renamed", "email": user_of(w, role).email if user_of(w, role) else "x@y.z",
                         "timezone": "Europe/Paris"},
    ),
    "accounts.change_password": Route(
        lambda w: "/accounts/settings/password",
        lambda w, role: {"current_password": DEFAULT_PASSWORD, "password": "another long password",
                         "confirm": "another long password"},
    ),
    "accounts.delete_account": Route(lambda w: "/accounts/delete", lambda w, role: {"password": DEFAULT_PASSWORD}),
    "accounts.request_code": Route(lambda w: "/accounts/code", lambda w, role: {"email": w.host.email}),
    # No code was asked for: a guess is refused beside the field, for everyone alike.
    "accounts.verify_code": Route(
        lambda w: "/accounts/code/verify", lambda w, role: {"email": w.host.email, "code": "123456"}
    ),
    "accounts.code_link": Route(lambda w: f"/accounts/code/link/1.{'0' * 32}"),
    "parties.confirm_host": Route(
        lambda w: "/parties/new/confirm", lambda w, role: {"display_name": "Newcomer", "email": "new@example.com"}
    ),
    "films.index": Route(lambda w: "/films/?q=world"),
    "films.search": Route(lambda w: "/films/search?q=world"),
    "films.detail": Route(lambda w: f"/films/{w.film.slug}"),
    # Ticked "a different film": the worlds' earlier "Brand new film"s are close matches.
    "films.new": Route(
        lambda w: "/films/new",
        lambda w, role: {"title": f"Brand new film {w.n} {role}", "year": "2020", "different_film": "y"},
    ),
    "films.approve": Route(lambda w: f"/films/{w.film.slug}/approve"),
    "films.edit": Route(
        lambda w: f"/films/{w.film.slug}/edit",
        lambda w, role: {"title": w.film.title, "year": "2024", "runtime_minutes": "100"},
    ),
    "films.generated_poster": Route(lambda w: f"/films/{w.film.slug}/poster.svg"),
    "films.card": Route(lambda w: f"/films/{w.film.slug}/card.png"),
    "films.poster_file": Route(lambda w: f"/films/posters/{w.film.poster_filename}"),
    "reviews.detail": Route(lambda w: f"/films/{w.film.slug}/reviews/{w.review.id}"),
    "reviews.import_article": Route(
        lambda w: f"/films/{w.film.slug}/reviews/import",
        lambda w, role: {"text": "A night to remember\n\nBy Jo Critic\n\nThe film is a delight from start to end."},
    ),
    "reviews.create": Route(
        lambda w: f"/films/{w.film.slug}/reviews",
        lambda w, role: {"title": "Saved review", "sections-0-heading": "Opening", "sections-0-body": "Lovely."},
    ),
    "rsvp.party": Route(lambda w: f"/p/{w.token}"),
    "rsvp.calendar": Route(lambda w: f"/p/{w.token}/calendar.ics"),
    "rsvp.qr": Route(lambda w: f"/p/{w.token}/qr.svg"),
    "rsvp.card": Route(lambda w: f"/p/{w.token}/card.png"),
    "rsvp.reply": Route(lambda w: f"/p/{w.token}/rsvp", lambda w, role: reply_form(name="Newcomer", response="maybe")),
    "rsvp.manage": Route(
        lambda w: w.manage_path,
        lambda w, role: reply_form(name="Gina Guest", email=w.guest.email, plus_ones="1", dietary="vegan"),
    ),
    "rsvp.withdraw": Route(lambda w: f"{w.manage_path}/withdraw"),
    "rsvp.confirm_withdraw": Route(lambda w: f"{w.manage_path}/withdraw"),
    "rsvp.forget": Route(lambda w: f"/p/{w.token}/forget"),
    "rsvp.verdict": Route(lambda w: f"/p/{w.token}/verdict", lambda w, role: {"score": "8"}, started=True),
    "notifications.stop_guest": Route(lambda w: f"{w.manage_path}/emails"),
    "notifications.stop_invitation": Route(lambda w: f"/p/{w.token}/invitations/{w.invitation.token}/stop"),
    "notifications.never_email": Route(lambda w: "/emails/never/" + never_email_url(w.guest.email).rsplit("/", 1)[1]),
    "notifications.stop_host": Route(lambda w: host_stop_path(w)),
    "notifications.host_updates": Route(lambda w: f"/parties/{w.party.id}/updates", lambda w, role: {"host_updates": "digest"}),
    "notifications.nudge": Route(lambda w: f"/parties/{w.party.id}/nudges/unreplied"),
    "notifications.invite": Route(
        lambda w: f"/parties/{w.party.id}/invitations", lambda w, role: {"emails": f"w{w.n}-new@example.com"}
    ),
    "signups.add_item": Route(
        lambda w: f"/p/{w.token}/items", lambda w, role: {"name": "Dip", "category": "snack", "quantity": "1"}
    ),
    "signups.claim": Route(lambda w: f"/p/{w.token}/items/{w.crisps.id}/claim", lambda w, role: {"quantity": "1"}),
    "signups.release": Route(lambda w: f"/p/{w.token}/claims/{w.claim.id}/delete"),
    "signups.host_add_item": Route(
        lambda w: f"/parties/{w.party.id}/items",
        lambda w, role: {"item-name": "Dip", "item-category": "snack", "item-quantity": "2"},
    ),
    "signups.edit_item": Route(
        lambda w: f"/parties/{w.party.id}/items/{w.popcorn.id}/edit",
        lambda w, role: {"name": "Popcorn", "category": "snack", "quantity": "6", "note": "salted"},
    ),
    "signups.move_item": Route(
        lambda w: f"/parties/{w.party.id}/items/{w.popcorn.id}/move", lambda w, role: {"direction": "down"}
    ),
    "signups.remove_item": Route(lambda w: f"/parties/{w.party.id}/items/{w.crisps.id}/remove"),
    "signups.starter": Route(
        lambda w: f"/parties/{w.party.id}/items/starter",
        lambda w, role: {"items-0-name": "Nachos", "items-0-category": "snack", "items-0-quantity": "2"},
    ),
    "parties.new": Route(lambda w: "/parties/new", lambda w, role: party_form(w)),
    "parties.dashboard": Route(lambda w: f"/parties/{w.party.id}"),
    "parties.edit": Route(lambda w: f"/parties/{w.party.id}/edit", lambda w, role: party_form(w, title="Edited")),
    "parties.again": Route(
        lambda w: f"/parties/{w.party.id}/again", lambda w, role: party_form(w, title="Again", invite_same_guests="y")
    ),
    "parties.cancel": Route(lambda w: f"/parties/{w.party.id}/cancel", lambda w, role: {"message": "Sorry"}),
    "parties.guests_csv": Route(lambda w: f"/parties/{w.party.id}/guests.csv"),
    "parties.remove_guest": Route(lambda w: f"/parties/{w.party.id}/guests/{w.guest_id}/remove"),
    "parties.choose_reviews": Route(
        lambda w: f"/parties/{w.party.id}/reviews", lambda w, role: {"shown": [str(w.review.id)]}
    ),
    "parties.regenerate_link": Route(lambda w: f"/parties/{w.party.id}/share-link"),
    "polls.vote": Route(lambda w: f"/p/{w.token}/vote" if world_poll(w) else "", lambda w, role: ballot(w)),
    "polls.manage": Route(lambda w: f"/p/{w.token}/vote/{world_poll(w) and w.vote_token}"),
    "polls.close": Route(lambda w: f"/p/{w.token}/poll/close" if world_poll(w) else ""),
    "polls.confirm": Route(lambda w: f"/p/{w.token}/poll/going/{world_poll(w) and w.vote_token}"),
    "polls.add_option": Route(lambda w: f"/p/{w.token}/poll/options" if world_poll(w) else "",
                              lambda w, role: {"starts_at": future_local(days=20)}),
    "polls.remove_option": Route(lambda w: f"/p/{w.token}/poll/options/date/{world_poll(w).dates[0].id}/remove"),
    "polls.nominate": Route(lambda w: f"/p/{w.token}/poll/nominate" if world_poll(w) else "",
                            lambda w, role: {"film": w.nominee.title, "name": "Nia"}),
    "polls.pick": Route(lambda w: f"/p/{w.token}/poll/pick" if world_poll(w) else "",
                        lambda w, role: {"film": str(world_poll(w).films[0].id)}),
    "polls.stop_emails": Route(lambda w: f"/p/{w.token}/vote/{world_poll(w) and w.vote_token}/emails"),
    "polls.change_closing": Route(lambda w: f"/p/{w.token}/poll/closing" if world_poll(w) else "",
                                  lambda w, role: {"closes_at": future_local(days=2)}),
    "talk.comment": Route(lambda w: f"/p/{w.token}/comments", lambda w, role: {"body": "Hello all"}),
    "talk.delete_comment": Route(lambda w: f"/p/{w.token}/comments/{guest_comment(w)}/delete"),
    "talk.all_comments": Route(lambda w: f"/p/{w.token}/comments"),
    "talk.reply": Route(lambda w: f"/p/{w.token}/comments/{guest_comment(w)}/reply"),
    "talk.hide_comment": Route(lambda w: f"/p/{w.token}/comments/{guest_comment(w)}/hide"),
    "talk.announcements": Route(
        lambda w: f"/parties/{w.party.id}/announcements",
        lambda w, role: {"message": "Door code 1234", "audience": ["going"]},
    ),
    "talk.edit_announcement": Route(
        lambda w: f"/parties/{w.party.id}/announcements/{announcement(w)}/edit",
        lambda w, role: {"message": "Door code 4321", "audience": ["going"]},
    ),
    "talk.delete_announcement": Route(lambda w: f"/parties/{w.party.id}/announcements/{announcement(w)}/delete"),
}


# ---------------------------------------------------------------- the contract

EXPECTED: dict[tuple[str, str], dict[str, object]] = {
    ("main.index", "GET"): everyone(200),
    ("main.healthz", "GET"): everyone(200),
    ("main.card", "GET"): everyone(200),
    ("main.robots", "GET"): everyone(200),
    # Accounts. Logging in or registering again while logged in just sends the browser on.
    ("accounts.login", "GET"): visitors(200, logged_in=GO),
    ("accounts.login", "POST"): everyone(GO),
    ("accounts.logout", "POST"): everyone(GO),
    ("accounts.logout_everywhere", "POST"): accounts_only(GO),
    ("accounts.register", "GET"): visitors(200, logged_in=GO),
    ("accounts.register", "POST"): everyone(GO),
    ("accounts.reset_request", "GET"): everyone(200),
    ("accounts.reset_request", "POST"): everyone(GO),
    # The emailed reset link is a bearer secret (signed, expiring, single-use).
    ("accounts.reset_password", "GET"): everyone(200),
    ("accounts.reset_password", "POST"): everyone(GO),
    # The link sent to a new address is a bearer link: whoever opens it confirms.
    ("accounts.confirm_email", "GET"): everyone(200),
    ("accounts.confirm_email", "POST"): everyone(GO),
    ("accounts.settings", "GET"): accounts_only(200),
    ("accounts.settings", "POST"): accounts_only(GO),
    ("accounts.change_password", "POST"): accounts_only(GO),
    ("accounts.delete_account", "POST"): accounts_only(GO),
    # Emailed sign-in codes: for anyone, answering alike whether or not an account exists.
    ("accounts.request_code", "GET"): everyone(200),
    ("accounts.request_code", "POST"): everyone(GO),
    ("accounts.verify_code", "GET"): everyone(200),
    ("accounts.verify_code", "POST"): everyone(422),
    ("accounts.code_link", "GET"): everyone(400),
    ("accounts.code_link", "POST"): everyone(400),
    # The catalogue: read by all; added to by accounts; edited by the film's creator and admins.
    ("films.index", "GET"): everyone(200),
    ("films.search", "GET"): everyone(200),  # the film picker's JSON
    ("films.detail", "GET"): everyone(200),
    ("films.generated_poster", "GET"): everyone(200),
    ("films.card", "GET"): everyone(200),
    ("films.poster_file", "GET"): everyone(200),
    ("films.new", "GET"): accounts_only(200),
    ("films.new", "POST"): accounts_only(GO),
    ("films.edit", "GET"): film_editors(200),
    ("films.edit", "POST"): film_editors(GO),
    # Listing a film a host added is an admin's call, not its creator's.
    ("films.approve", "POST"): {"anonymous": LOGIN, "other_user": 403, "guest": LOGIN, "other_guest": LOGIN,
                                "host": 403, "admin": GO},
    ("reviews.detail", "GET"): everyone(200),
    ("reviews.import_article", "GET"): film_editors(200),
    ("reviews.import_article", "POST"): film_editors(200),  # the preview, nothing saved yet
    ("reviews.create", "POST"): film_editors(GO),
    # The share link: anyone who has it.
    ("rsvp.party", "GET"): everyone(200),
    ("rsvp.calendar", "GET"): everyone(200),
    ("rsvp.qr", "GET"): everyone(200),
    ("rsvp.card", "GET"): everyone(200),
    # Anyone with the link may reply; a host replying to their own party is harmless
    # (their page shows "You're hosting", not the form), so it is not refused.
    ("rsvp.reply", "POST"): everyone(GO),
    ("rsvp.forget", "POST"): everyone(GO),
    # The manage link and the "stop emails" links are bearer links.
    ("rsvp.manage", "GET"): everyone(200),
    ("rsvp.manage", "POST"): everyone(GO),
    ("rsvp.withdraw", "POST"): everyone(GO),
    ("rsvp.confirm_withdraw", "GET"): everyone(200),
    ("notifications.stop_guest", "GET"): everyone(200),
    ("notifications.stop_guest", "POST"): everyone(200),
    ("notifications.stop_invitation", "GET"): everyone(200),
    ("notifications.stop_invitation", "POST"): everyone(200),
    ("notifications.never_email", "GET"): everyone(200),
    ("notifications.never_email", "POST"): everyone(200),
    # The host's "stop update emails" link is signed for the party and its host: a bearer link too.
    ("notifications.stop_host", "GET"): everyone(200),
    ("notifications.stop_host", "POST"): everyone(200),
    # The crew: the host and guests who replied. Someone else's claim looks like no claim.
    ("rsvp.verdict", "POST"): crew(GO, refused=403),
    ("signups.add_item", "POST"): crew(GO, refused=403),
    ("signups.claim", "POST"): crew(GO, refused=403),
    ("signups.release", "POST"): crew(GO, refused=404),
    # The party form is open to anyone (a visitor's party waits as a draft for an emailed code);
    # the step after it, without a draft in the session, sends the browser back to the form.
    ("parties.new", "GET"): everyone(200),
    ("parties.new", "POST"): everyone(GO),
    ("parties.confirm_host", "GET"): everyone(GO),
    ("parties.confirm_host", "POST"): everyone(GO),
    # Hosting: the host's alone.
    ("parties.dashboard", "GET"): host_only(200),
    ("parties.edit", "GET"): host_only(200),
    ("parties.edit", "POST"): host_only(GO),
    ("parties.again", "GET"): host_only(200),
    ("parties.again", "POST"): host_only(GO),
    ("parties.cancel", "GET"): host_only(200),  # the confirmation step
    ("parties.cancel", "POST"): host_only(GO),
    ("parties.guests_csv", "GET"): host_only(200),
    ("parties.remove_guest", "POST"): host_only(GO),
    ("parties.choose_reviews", "POST"): host_only(GO),
    ("parties.regenerate_link", "GET"): host_only(200),  # the confirmation step
    ("parties.regenerate_link", "POST"): host_only(GO),
    ("notifications.invite", "POST"): host_only(GO),
    ("notifications.host_updates", "POST"): host_only(GO),
    ("notifications.nudge", "POST"): host_only(GO),
    ("signups.host_add_item", "POST"): host_only(GO),
    ("signups.edit_item", "GET"): host_only(200),
    ("signups.edit_item", "POST"): host_only(GO),
    ("signups.move_item", "POST"): host_only(GO),
    ("signups.remove_item", "GET"): host_only(200),
    ("signups.remove_item", "POST"): host_only(GO),
    ("signups.starter", "GET"): host_only(200),
    ("signups.starter", "POST"): host_only(GO),
    # The talk: guests who replied and the host post; a comment's author or the host deletes
    # it, the host hides it; to anyone who cannot read the comments, one looks like no comment.
    # Polls: the ballot and the voter's personal link are for anyone with the share link;
    # only the host closes. "I'm going" from the result email answers 409 while the vote is open.
    ("polls.vote", "POST"): everyone(GO),
    ("polls.manage", "GET"): everyone(GO),
    ("polls.close", "POST"): {**everyone(403), "host": GO},
    ("polls.confirm", "GET"): everyone(200),
    ("polls.confirm", "POST"): everyone(409),
    ("polls.add_option", "POST"): {**everyone(403), "host": GO},
    ("polls.remove_option", "POST"): {**everyone(403), "host": GO},
    ("polls.change_closing", "POST"): {**everyone(403), "host": GO},
    # A guest nominates one film when the host allowed it (the world's poll does); the host
    # picks among tied candidates only once the vote is closed (409 while it is open); the
    # voter's stop link is a bearer link, as the other stop links.
    ("polls.nominate", "POST"): everyone(GO),
    ("polls.pick", "POST"): {**everyone(403), "host": 409},
    ("polls.stop_emails", "GET"): everyone(200),
    ("polls.stop_emails", "POST"): everyone(200),
    ("talk.comment", "POST"): crew(GO, refused=403),
    ("talk.delete_comment", "POST"): crew(GO, refused=404),
    ("talk.reply", "GET"): crew(200, refused=404),
    ("talk.all_comments", "GET"): crew(200, refused=404),
    ("talk.hide_comment", "POST"): {**crew(GO, refused=404), "guest": 403},
    ("talk.announcements", "GET"): host_only(200),
    ("talk.announcements", "POST"): host_only(GO),
    ("talk.edit_announcement", "GET"): host_only(200),
    ("talk.edit_announcement", "POST"): host_only(GO),
    ("talk.delete_announcement", "POST"): host_only(GO),
}


# ---------------------------------------------------------------- machinery


@contextmanager
def app_for_the_module(database, folder):
    """One app for a whole module of thousands of requests; the tables are emptied at its end.

    On PostgreSQL its connections commit without waiting for the disk
    (synchronous_commit=off): a test database needs no durability, and waiting
    for fsync on every one of those commits was most of the module's time.
    """
    options = dict(database.engine_options)
    if database.is_postgres:
        connect_args = dict(options.get("connect_args", {}))
        connect_args["options"] = f"{connect_args.get('options', '')} -csynchronous_commit=off".strip()
        options["connect_args"] = connect_args
    app = make_app(database, folder, SQLALCHEMY_ENGINE_OPTIONS=options)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            empty_all_tables()
            db.engine.dispose()


@pytest.fixture(scope="module")
def module_app(database, tmp_path_factory):
    """Every case builds its own world, so nothing needs emptying between cases."""
    with app_for_the_module(database, tmp_path_factory.mktemp("authorisation")) as app:
        yield app


def route_methods(app) -> set[tuple[str, str]]:
    """(endpoint, method) for every route of the app but static files."""
    pairs = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            pairs.add((rule.endpoint, method))
    return pairs


def client_as(app, world: World, role: str):
    """A browser for one role in one world."""
    client = app.test_client()
    user = user_of(world, role)
    if user is not None:
        response = log_in(client, email=user.email)
        assert response.status_code == 302, f"{role} could not log in"
    elif role == "guest":
        client.get(world.manage_path)  # the manage link makes the browser remember the guest
    elif role == "other_guest":
        client.get(f"/p/{world.other_party.share_token}/rsvp/{world.other_guest.manage_token}")
    return client


def outcome_of(response):
    if response.status_code == 302:
        # Flask-Login sends visitors to the login page with ?next=; a success may land there without it.
        return LOGIN if response.headers["Location"].startswith("/accounts/login?next=") else GO
    return response.status_code


def call(client, method: str, path: str, data: dict | None = None):
    """One request; the response is read and closed (a served file would otherwise stay open)."""
    response = client.open(path, method=method, data=data if method == "POST" else None)
    response.get_data()
    response.close()
    return response


def check_route(app, endpoint: str, method: str) -> list[str]:
    """Run one endpoint and method for every role; the mismatches, as readable lines."""
    route = ROUTES[endpoint]
    expected = EXPECTED[(endpoint, method)]
    mismatches = []
    # A GET changes nothing, nor does a refusal: the next role gets the same world. After a
    # POST that went through (it may have cancelled the party, released the claim …) a new one.
    world, fresh = None, True
    for role in ROLES:
        if fresh:
            world = World(started=route.started)
        client = client_as(app, world, role)
        path = route.path(world)
        response = call(client, method, path, route.data(world, role) if method == "POST" else None)
        actual = outcome_of(response)
        fresh = method == "POST" and actual in (GO, 200)
        if actual != expected[role]:
            mismatches.append(f"{method} {endpoint} as {role}: expected {expected[role]}, got {actual} ({path})")
    return mismatches


# ---------------------------------------------------------------- the tests


def test_the_table_covers_every_route(module_app):
    routes = route_methods(module_app)
    missing = sorted(routes - EXPECTED.keys())
    stale = sorted(EXPECTED.keys() - routes)
    assert not missing, (
        f"Routes without an entry in tests/test_authorisation.py: {missing}. "
        "Add each to EXPECTED (who may use it) and to ROUTES (how to call it)."
    )
    assert not stale, f"EXPECTED lists routes the app no longer has: {stale}"
    assert {endpoint for endpoint, _ in routes} <= ROUTES.keys()
    for endpoint, method in EXPECTED:
        assert set(EXPECTED[(endpoint, method)]) == set(ROLES), (endpoint, method)


def test_every_route_answers_every_role_as_the_contract_says(module_app):
    mismatches = []
    cases = 0
    for endpoint, method in sorted(route_methods(module_app)):
        mismatches += check_route(module_app, endpoint, method)
        cases += len(ROLES)
    endpoints = len({endpoint for endpoint, _ in route_methods(module_app)})
    print(f"\nauthorisation: {endpoints} endpoints, {len(route_methods(module_app))} endpoint×method pairs, "
          f"{len(ROLES)} roles: {cases} cases checked, {len(mismatches)} mismatches")
    assert not mismatches, "\n".join(mismatches)


# ---------------------------------------------------------------- one party's ids and tokens under another's


def test_another_partys_ids_and_tokens_are_404_under_this_party(module_app):
    world = World()
    # An invitation of the other party, to try its token under this party's link.
    elsewhere = Invitation(party_id=world.other_party.id, email=f"w{world.n}-elsewhere@example.com")
    db.session.add(elsewhere)
    db.session.commit()
    host = client_as(module_app, world, "host")
    guest = client_as(module_app, world, "guest")
    party, token = world.party.id, world.token
    other_manage = world.other_guest.manage_token
    cases = [
        (host, f"/parties/{party}/items/{world.other_item.id}/edit", "GET"),
        (host, f"/parties/{party}/items/{world.other_item.id}/edit", "POST"),
        (host, f"/parties/{party}/items/{world.other_item.id}/move", "POST"),
        (host, f"/parties/{party}/items/{world.other_item.id}/remove", "GET"),
        (host, f"/parties/{party}/items/{world.other_item.id}/remove", "POST"),
        (host, f"/parties/{party}/guests/{world.other_guest.id}/remove", "POST"),
        (host, f"/p/{token}/claims/{world.other_claim.id}/delete", "POST"),
        (host, f"/p/{token}/items/{world.other_item.id}/claim", "POST"),
        (guest, f"/p/{token}/items/{world.other_item.id}/claim", "POST"),
        (guest, f"/p/{token}/claims/{world.other_claim.id}/delete", "POST"),
        (guest, f"/p/{token}/claims/{world.host_claim.id}/delete", "POST"),  # the host's claim, not the guest's
        (guest, f"/p/{token}/rsvp/{other_manage}", "GET"),
        (guest, f"/p/{token}/rsvp/{other_manage}", "POST"),
        (guest, f"/p/{token}/rsvp/{other_manage}/withdraw", "POST"),
        (guest, f"/p/{token}/rsvp/{other_manage}/emails", "GET"),
        (guest, f"/p/{token}/rsvp/{other_manage}/emails", "POST"),
        (guest, f"/p/{token}/invitations/{elsewhere.token}/stop", "GET"),
        (guest, f"/p/{token}/invitations/{elsewhere.token}/stop", "POST"),
        (guest, f"/films/{world.film.slug}/reviews/{world.review.id + 10_000}", "GET"),
    ]
    before = snapshot()
    wrong = []
    for client, path, method in cases:
        data = {"quantity": "1", "name": "X", "category": "snack", "response": "going", "direction": "up",
                "confirm": "yes"}
        status = call(client, method, path, data).status_code
        if status != 404:
            wrong.append(f"{method} {path}: {status}")
    assert not wrong, "\n".join(wrong)
    assert snapshot() == before, "a refused request changed something"


def test_a_review_of_another_film_cannot_be_chosen_for_the_party(module_app):
    world = World()
    other = World()
    host = client_as(module_app, world, "host")
    before = snapshot()
    response = host.post(f"/parties/{world.party.id}/reviews", data={"shown": [str(other.review.id)]})
    assert response.status_code == 422
    response = host.post(f"/parties/{world.party.id}/reviews",
                         data={"shown": [str(world.review.id)], "pinned": str(other.review.id)})
    assert response.status_code == 422
    assert snapshot() == before


def test_a_guest_cookie_renamed_for_another_party_is_worth_nothing(module_app):
    """The remembered-guest cookie holds a manage token, which only counts on its own party."""
    world = World()
    browser = client_as(module_app, world, "other_guest")
    cookie = browser.get_cookie(f"wp_guest_{world.other_party.id}", path="/p/")
    assert cookie is not None
    browser.set_cookie(f"wp_guest_{world.party.id}", cookie.value, path="/p/")
    before = snapshot()
    response = browser.post(f"/p/{world.token}/items/{world.crisps.id}/claim", data={"quantity": "1"})
    assert response.status_code == 403
    assert "Reply going or maybe first" in response.text
    assert snapshot() == before


def test_a_forged_guest_cookie_is_ignored(module_app):
    world = World()
    browser = module_app.test_client()
    browser.set_cookie(f"wp_guest_{world.party.id}", f'"{world.guest.manage_token}"', path="/p/")
    response = browser.post(f"/p/{world.token}/items/{world.crisps.id}/claim", data={"quantity": "1"})
    assert response.status_code == 403


def test_the_old_share_link_stops_working_when_the_host_makes_a_new_one(module_app):
    world = World()
    old_token, old_manage = world.token, world.manage_path
    host = client_as(module_app, world, "host")
    assert host.post(f"/parties/{world.party.id}/share-link").status_code == 302
    visitor = module_app.test_client()
    for path in [f"/p/{old_token}", f"/p/{old_token}/calendar.ics", f"/p/{old_token}/qr.svg", f"/p/{old_token}/card.png", old_manage]:
        assert visitor.get(path).status_code == 404, path


def test_a_deleted_hosts_parties_have_no_host_routes(module_app):
    """host_id becomes NULL: no account, not even a new one with the same id, owns the party."""
    world = World()
    party_id = world.party.id
    host = client_as(module_app, world, "host")
    assert host.post("/accounts/delete", data={"password": DEFAULT_PASSWORD}).status_code == 302
    assert db.session.get(Party, party_id).host_id is None
    for role in ("other_user", "admin"):
        assert client_as(module_app, world, role).get(f"/parties/{party_id}").status_code == 404


# ---------------------------------------------------------------- helpers shared with the other hostile-input suites


# Counters of tries, like the rate limiter's: a refused wrong password is counted there on
# purpose (accounts.throttle), and that is no change a refusal must leave alone.
BOOKKEEPING = {"login_throttle"}


def snapshot() -> dict:
    """Every row of every table (but BOOKKEEPING), as plain tuples: the tests that use it keep
    the database small. (Plain SQL: this runs around every one of thousands of requests.)"""
    db.session.expire_all()
    connection = db.session.connection()
    state = {}
    for table in db.metadata.sorted_tables:
        if table.name in BOOKKEEPING:
            continue
        rows = connection.exec_driver_sql(f'SELECT * FROM "{table.name}" ORDER BY 1, 2').fetchall()
        state[table.name] = [tuple(row) for row in rows]
    db.session.rollback()
    return state


def empty_tables() -> None:
    """Delete every row: quicker than TRUNCATE on PostgreSQL for the few rows these tests make."""
    db.session.remove()
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


# ---------------------------------------------------------------- who may keep a response (Cache-Control)

KEPT = "may be kept"  # no `no-store`, not `private`: a shared cache may keep it
PRIVATE = "private, no-store"


def same_for_everyone():
    return everyone(KEPT)


def personal():
    return everyone(PRIVATE)


def own_header(value):
    """The view says for itself, the same for everyone."""
    return everyone(value)


def same_for_visitors():
    """Kept for a browser the site does not know; private for everyone it knows: an
    account, and a remembered guest (whose browser holds a guest cookie and a session
    from the manage page's form: the session is what the site knows them by outside
    the party's pages, where the guest cookie is not sent)."""
    return {**everyone(PRIVATE), "anonymous": KEPT}


# Every GET route of the app (but static files: see below): who may keep its answer.
CACHING: dict[str, dict[str, str]] = {
    "main.index": same_for_visitors(),
    "films.index": same_for_visitors(),
    "films.search": personal(),  # a host also finds the films they added
    "films.detail": same_for_visitors(),
    "reviews.detail": same_for_visitors(),
    "films.poster_file": same_for_everyone(),
    "films.generated_poster": same_for_everyone(),
    "main.healthz": own_header("no-store"),
    "rsvp.qr": own_header("private, max-age=600"),  # the share link as a picture: no person in it
    "rsvp.card": own_header("private, max-age=300"),  # the link-preview card: no person in it either
    "films.card": same_for_everyone(),
    "main.card": same_for_everyone(),
    "main.robots": same_for_everyone(),
    # Forms carry the session's CSRF token; the rest show a person's data.
    "accounts.login": personal(),
    "accounts.register": personal(),
    "accounts.reset_request": personal(),
    "accounts.reset_password": personal(),
    "accounts.confirm_email": personal(),
    "accounts.settings": personal(),
    "accounts.request_code": personal(),
    "accounts.verify_code": personal(),
    "accounts.code_link": personal(),
    "parties.confirm_host": personal(),
    "films.new": personal(),
    "films.edit": personal(),
    "reviews.import_article": personal(),
    "rsvp.party": personal(),
    "rsvp.calendar": personal(),
    "rsvp.manage": personal(),
    "notifications.stop_guest": personal(),
    "notifications.stop_invitation": personal(),
    "notifications.never_email": personal(),
    "notifications.stop_host": personal(),
    "rsvp.confirm_withdraw": personal(),
    "parties.new": personal(),
    "parties.dashboard": personal(),
    "parties.edit": personal(),
    "parties.again": personal(),
    "parties.cancel": personal(),
    "parties.regenerate_link": personal(),
    "parties.guests_csv": personal(),
    "signups.edit_item": personal(),
    "signups.remove_item": personal(),
    "signups.starter": personal(),
    "talk.announcements": personal(),
    "talk.edit_announcement": personal(),
    "talk.reply": personal(),
    "talk.all_comments": personal(),
    "polls.manage": personal(),
    "polls.confirm": personal(),
    "polls.stop_emails": personal(),
}


def caching_of(response) -> str:
    cache_control = response.headers.get("Cache-Control", "")
    if cache_control == PRIVATE:
        return PRIVATE
    return cache_control if ("no-store" in cache_control or "private" in cache_control) else KEPT


def test_the_cache_table_covers_every_get_route(module_app):
    gets = {endpoint for endpoint, method in route_methods(module_app) if method == "GET"}
    missing = sorted(gets - CACHING.keys())
    assert not missing, (
        f"GET routes without an entry in CACHING (tests/test_authorisation.py): {missing}. Decide who may keep "
        "the answer; a page that is the same for everyone goes in watchparty.security's SHARED_PAGES or SAME_FOR_EVERYONE."
    )
    assert not sorted(CACHING.keys() - gets), "CACHING lists routes the app no longer has"


def test_no_personal_answer_may_be_kept_by_a_cache(module_app):
    """Every GET route, every role, whatever the status (a login redirect, a 404 too)."""
    wrong = []
    for endpoint in sorted(CACHING):
        world = World(started=ROUTES[endpoint].started)
        for role in ROLES:
            response = call(client_as(module_app, world, role), "GET", ROUTES[endpoint].path(world))
            if (actual := caching_of(response)) != CACHING[endpoint][role]:
                wrong.append(f"GET {endpoint} as {role} ({response.status_code}): expected {CACHING[endpoint][role]!r}, "
                             f"got {actual!r}")
    assert not wrong, "\n".join(wrong)


def test_a_shared_page_stays_private_for_every_view_by_a_browser_holding_a_session(app_factory):
    """A browser the site gave a session (here a form's CSRF token) is someone: the home page
    is private to it on every view, not only on the first (it was private then only because
    Flask-Login happened to write the session back). A browser with no cookie may have it kept."""
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        known = app.test_client()
        call(known, "GET", "/accounts/login")
        assert known.get_cookie("session") is not None
        assert [caching_of(call(known, "GET", "/")) for _ in range(3)] == [PRIVATE] * 3
        unknown = call(app.test_client(), "GET", "/")
        assert caching_of(unknown) == KEPT and "Cookie" in unknown.vary


def test_static_files_stay_cacheable_for_everyone(module_app):
    world = World()
    for role in ROLES:
        response = call(client_as(module_app, world, role), "GET", "/static/css/site.css")
        assert response.status_code == 200
        assert caching_of(response) == KEPT and "max-age" in response.headers["Cache-Control"], role


def test_a_page_for_visitors_is_private_once_it_shows_a_message(module_app):
    """A flash message is this browser's alone: the landing page that shows it must not be kept."""
    world = World()
    browser = client_as(module_app, world, "host")
    browser.post("/accounts/logout")
    response = browser.get("/")
    assert "You are logged out." in response.text
    assert response.headers["Cache-Control"] == PRIVATE
    again = browser.get("/")
    assert caching_of(again) == KEPT and "Cookie" in again.headers["Vary"]


def test_a_review_opened_by_a_remembered_guest_is_private(module_app):
    """The guest cookie alone (the session ended with the browser) follows "I've seen it" onto film pages."""
    world = World()
    remembered = client_as(module_app, world, "guest")
    browser = module_app.test_client()
    for path in ("/p/", "/films/"):
        browser.set_cookie(f"wp_guest_{world.party.id}", remembered.get_cookie(f"wp_guest_{world.party.id}",
                                                                                path=path).value, path=path)
    response = browser.get(f"/films/{world.film.slug}/reviews/{world.review.id}?party={world.token}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == PRIVATE
    assert caching_of(module_app.test_client().get(f"/films/{world.film.slug}/reviews/{world.review.id}")) == KEPT
