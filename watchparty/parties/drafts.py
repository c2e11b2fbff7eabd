"""Create first, account at publish (#19): a party typed by a host whose email is not
confirmed waits as a draft (models.PartyDraft) until they enter the emailed code.

1. `save_draft`: the form's values, checked by the same rules as a real party
   (create_party run inside a savepoint that is rolled back), are kept with a
   random token for the host's session; for a signed-in host the code goes out at once.
2. `ask_for_code`: a visitor gives a name and an email; the code goes out.
3. `sign_in_with_code` / `sign_in_with_link`: the code (or the one-click link,
   from any browser) signs the host in — creating the account, with the email
   verified, when the address has none — and publishes the draft through
   `parties.service.create_party` and `signups.items.add_host_items`. A draft
   that no longer passes (the date went by meanwhile) is kept, and comes back in
   the form with the error beside its field; the host is signed in all the same.

Nothing half-created: no Party, and for a visitor no User, exists before the code.
"""

import dataclasses
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from watchparty import clock
from watchparty.accounts import codes, passwords
from watchparty.accounts import registration as registrations
from watchparty.accounts import service as accounts
from watchparty.errors import DomainError
from watchparty.extensions import db
from watchparty.models import Party, PartyDraft, SignInCode, User
from watchparty.parties import service as parties
from watchparty.polls import service as polls
from watchparty.signups import items as signup_items
from watchparty.timezones import is_timezone

DRAFT_LIFETIME = timedelta(days=1)
# The form as posted, kept to show it again: far more than any real party form.
MAX_FORM_CHARS = 100_000


class DraftTooLarge(parties.InvalidParty):
    pass


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _encode(fields: parties.PartyFields, items: list[signup_items.ItemFields], form: list[tuple[str, str]]) -> str:
    values = dataclasses.asdict(fields)
    for name in ("starts_at", "rsvp_deadline"):
        values[name] = values[name].isoformat() if values[name] is not None else None
    if values["poll"] is not None:
        poll = values["poll"]
        poll["dates"] = [when.isoformat() if when is not None else None for when in poll["dates"]]
        poll["closes_at"] = poll["closes_at"].isoformat() if poll["closes_at"] is not None else None
    return json.dumps({"fields": values, "items": [dataclasses.asdict(item) for item in items], "form": form})


def _decode(draft: PartyDraft) -> tuple[parties.PartyFields, list[signup_items.ItemFields]]:
    data = json.loads(draft.form_data)
    values = dict(data["fields"])
    for name in ("starts_at", "rsvp_deadline"):
        values[name] = datetime.fromisoformat(values[name]) if values[name] is not None else None
    poll = values.get("poll")
    if poll is not None:
        values["poll"] = polls.PollFields(
            films=list(poll["films"]),
            dates=[datetime.fromisoformat(when) if when is not None else None for when in poll["dates"]],
            closes_at=datetime.fromisoformat(poll["closes_at"]) if poll["closes_at"] is not None else None,
            yes_means_going=bool(poll["yes_means_going"]),
        )
    return parties.PartyFields(**values), [signup_items.ItemFields(**item) for item in data["items"]]


def form_pairs(draft: PartyDraft) -> list[tuple[str, str]]:
    """The party form as the host posted it, to fill the form again."""
    return [(name, value) for name, value in json.loads(draft.form_data)["form"]]


def title_of(draft: PartyDraft) -> str:
    """The title the party will have: the host's, or "<Film> night" (parties.default_title)."""
    fields, _ = _decode(draft)
    if fields.title:
        return fields.title
    if fields.poll is not None and fields.poll.films:
        return parties.UNDECIDED_TITLE
    try:
        host = db.session.get(User, draft.user_id) if draft.user_id is not None else None
        film = parties.find_film(fields.film, host, fields.film_slug)
    except DomainError:  # a film the party adds when it is published
        return f"{fields.film} night"
    return parties.default_title(film)


def _publish(host: User, fields: parties.PartyFields, items: list[signup_items.ItemFields], now: datetime) -> Party:
    party = parties.create_party(host, fields, now=now)
    signup_items.add_host_items(party, items, now=now)
    return party


def _check(fields: parties.PartyFields, items: list[signup_items.ItemFields], host: User | None, now: datetime) -> None:
    """Raise what create_party would, writing nothing: the same rules, run in a savepoint rolled back."""
    savepoint = db.session.begin_nested()
    try:
        if host is None:
            host = User(email=f"{secrets.token_hex(8)}@draft.invalid", display_name="Draft",
                        password_hash=passwords.NO_PASSWORD)
            db.session.add(host)
        _publish(host, fields, items, now)
    finally:
        savepoint.rollback()


def save_draft(fields: parties.PartyFields, items: list[signup_items.ItemFields], form: list[tuple[str, str]],
               user: User | None = None, now: datetime | None = None) -> str:
    """Keep a checked party form until its host confirms an address; returns the
    draft's token (for the host's session). A signed-in host is sent the code now."""
    now = now or clock.now()
    _check(fields, items, user, now)
    data = _encode(fields, items, form)
    if len(data) > MAX_FORM_CHARS:
        raise DraftTooLarge("This party is too long to keep: shorten the description or the list.")
    db.session.execute(sa.delete(PartyDraft).where(PartyDraft.expires_at <= now))
    token = secrets.token_urlsafe(32)
    draft = PartyDraft(token_hash=_hash(token), form_data=data, created_at=now, expires_at=now + DRAFT_LIFETIME)
    if user is not None:
        draft.user_id, draft.email, draft.display_name = user.id, user.email, user.display_name
    db.session.add(draft)
    db.session.flush()
    if user is not None:
        codes.issue(user.email, draft_id=draft.id, now=now)
    return token


def publish(host: User, fields: parties.PartyFields, items: list[signup_items.ItemFields],
            draft_token: str | None = None, now: datetime | None = None) -> Party:
    """A verified host's party, published at once; the draft it was typed from (if any) goes."""
    now = now or clock.now()
    party = _publish(host, fields, items, now)
    draft = draft_by_token(draft_token, now)
    if draft is not None:
        db.session.delete(draft)
        db.session.flush()
    return party


def draft_by_token(token: str | None, now: datetime | None = None) -> PartyDraft | None:
    """The unexpired draft a session's token names."""
    if not token or not isinstance(token, str) or len(token) > 64:
        return None
    now = now or clock.now()
    return db.session.scalar(
        sa.select(PartyDraft).where(PartyDraft.token_hash == _hash(token), PartyDraft.expires_at > now)
    )


def problem(draft: PartyDraft, now: datetime | None = None) -> DomainError | None:
    """What would stop the draft being published now (a date gone by), if anything."""
    fields, items = _decode(draft)
    user = db.session.get(User, draft.user_id) if draft.user_id else None
    try:
        _check(fields, items, user, now or clock.now())
    except DomainError as error:
        return error
    return None


def ask_for_code(draft: PartyDraft, display_name: str, email: str, now: datetime | None = None) -> None:
    """The visitor's name and address: the code (and one-click link) go to that address."""
    draft.display_name = display_name
    draft.email = email.strip().lower()
    db.session.flush()
    codes.issue(draft.email, draft_id=draft.id, now=now)


@dataclass
class SignIn:
    """What a code or link did: who is signed in (and whether a sign-up made the
    account); the party published, or the draft kept (with a fresh token for this
    browser) and why it was not."""

    user: User
    party: Party | None = None
    draft_token: str | None = None
    error: DomainError | None = None
    registered: bool = False  # the account was made just now, by a sign-up's code


def _timezone_of(fields: parties.PartyFields) -> str:
    return fields.timezone if is_timezone(fields.timezone) else "UTC"


def _finish(row: SignInCode, now: datetime, registration_token: str | None = None) -> SignIn:
    row_email, draft_id = row.email, row.draft_id
    user = accounts.user_by_email(row_email)
    draft = db.session.get(PartyDraft, draft_id) if draft_id else None
    if draft is not None and (draft.expires_at <= now or draft.email != row_email):
        draft = None
    registration = codes.live_registration(row, now)
    if user is not None:
        # A sign-up with an existing address never touches the account (its password stays).
        registrations.drop_registration(row_email)
    elif registration is not None:
        user = registrations.finish_registration(registration, registration_token, now=now)
        return SignIn(user, registered=True)
    if user is None:
        if draft is None or not draft.display_name:
            # Nobody to sign in: no account, no party waiting (the email was never sent).
            raise codes.CodeRefused("That code is not right. Check the newest email, or ask for a new code.")
        fields, _ = _decode(draft)
        user = registrations.create_verified_user(row_email, draft.display_name, _timezone_of(fields), now=now)
    registrations.mark_verified(user, now=now)
    if draft is None:
        return SignIn(user)
    fields, items = _decode(draft)
    savepoint = db.session.begin_nested()
    try:
        party = _publish(user, fields, items, now)
    except DomainError as error:
        savepoint.rollback()
        token = secrets.token_urlsafe(32)
        draft.token_hash, draft.user_id = _hash(token), user.id
        db.session.flush()
        return SignIn(user, draft_token=token, error=error)
    savepoint.commit()
    db.session.delete(draft)
    db.session.flush()
    return SignIn(user, party=party)


def sign_in_with_code(email: str, code: str, now: datetime | None = None,
                      registration_token: str | None = None) -> SignIn:
    """Sign in by the emailed code, publishing the party it was sent for (or making
    the account a sign-up waits for: with its password in the browser that typed it,
    `registration_token`). A wrong code raises CodeRefused with the try counted:
    commit before showing it."""
    now = now or clock.now()
    row = codes.check(email, code, now)
    return _finish(row, now, registration_token)


def sign_in_with_link(token: str, now: datetime | None = None, registration_token: str | None = None) -> SignIn:
    """The same through the one-click link, which works in any browser."""
    now = now or clock.now()
    row = codes.check_link(token, now)
    return _finish(row, now, registration_token)
