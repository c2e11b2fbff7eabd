"""Emailed sign-in codes (#19, #22): a 6-digit code and a one-click link per address.

One row per address (models.SignInCode). Asking again gives the row a new nonce,
so the newer code replaces the older one; the code and the link's token are
HMACs of that nonce under SECRET_KEY, so the database holds nothing usable
without the key, and the mail worker computes the code as it sends the email
(`render_when_sent`). Every answer is the same whether or not the address has
an account: the work done is the same, and the worker drops a code email that
has nobody to sign in (no account and no party waiting).

Limits, each decided by one guarded statement so that simultaneous requests
cannot pass them:
- a code works once, for CODE_LIFETIME, and for MAX_TRIES wrong tries;
- per address, MAX_FAILURES wrong codes and MAX_SENDS codes per WINDOW;
- the one-click link (a 128-bit secret, not guessable) is not held back by the
  wrong-try limits, so nobody can lock an address's owner out by guessing.
"""

import hashlib
import hmac
import json
import secrets
from datetime import datetime, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app

from watchparty import clock, mail, mail_messages
from watchparty.errors import DomainError
from watchparty.extensions import changed_rows, conflict_insert, db
from watchparty.links import public_url
from watchparty.models import PartyDraft, PendingRegistration, SignInCode, User, UTCDateTime

CODE_LIFETIME = timedelta(minutes=15)
MAX_TRIES = 5
WINDOW = timedelta(hours=1)
MAX_FAILURES = 10
MAX_SENDS = 5

CODE_KIND = "sign_in_code"
CODE_SUBJECT = "Your Watchparty sign-in code"
# A sign-up's code, queued alike whether or not the address has an account (the
# worker writes either the confirmation or the owner's warning, `_render_code`).
REGISTRATION_SUBJECT = "Your Watchparty sign-up"


class CodeRefused(DomainError):
    """A code (or link) that does not sign anyone in; shown beside the code field."""

    status = 422
    field = "code"


class TooManyCodes(DomainError):
    status = 429
    field = "email"


def _mac(purpose: str, nonce: str) -> bytes:
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(key, f"watchparty.sign-in.{purpose}:{nonce}".encode(), hashlib.sha256).digest()


def code_of(row: SignInCode) -> str:
    """The row's current 6-digit code."""
    return f"{int.from_bytes(_mac('code', row.nonce)[:8], 'big') % 1_000_000:06d}"


def link_token_of(row: SignInCode) -> str:
    """The one-click link's token: the row's id and a MAC of its nonce."""
    return f"{row.id}.{_mac('link', row.nonce)[:16].hex()}"


def normalise_code(text: str) -> str:
    """What a person types: "123 456", "123-456" → "123456"."""
    return "".join(character for character in (text or "") if character.isdigit())


def _timestamp(value: datetime):
    return sa.literal(value, UTCDateTime())


def issue(email: str, draft_id: int | None = None, now: datetime | None = None,
          registration_id: int | None = None) -> SignInCode:
    """A new code for `email` (the old one stops working), for the party draft or the
    sign-up (models.PendingRegistration) if given; TooManyCodes past MAX_SENDS in the
    window (the latest email stays good)."""
    now = now or clock.now()
    email = email.strip().lower()
    table = SignInCode.__table__
    nonce = secrets.token_hex(16)
    statement = conflict_insert(table).values(
        email=email, nonce=nonce, issued_at=now, expires_at=now + CODE_LIFETIME, used_at=None, tries=0,
        window_start=now, window_failures=0, window_sends=1, draft_id=draft_id, registration_id=registration_id,
    )
    window_over = table.c.window_start <= _timestamp(now - WINDOW)
    statement = statement.on_conflict_do_update(
        index_elements=["email"],
        set_={
            "nonce": nonce, "issued_at": now, "expires_at": now + CODE_LIFETIME, "used_at": None, "tries": 0,
            "draft_id": draft_id, "registration_id": registration_id,
            "window_start": sa.case((window_over, _timestamp(now)), else_=table.c.window_start),
            "window_failures": sa.case((window_over, 0), else_=table.c.window_failures),
            "window_sends": sa.case((window_over, 1), else_=table.c.window_sends + 1),
        },
        where=sa.or_(window_over, table.c.window_sends < MAX_SENDS),
    ).returning(table.c.id)
    row_id = db.session.scalar(statement)
    if row_id is None:
        raise TooManyCodes(
            f"We have sent {MAX_SENDS} codes to this address in the last hour: use the newest email, "
            "or ask again later."
        )
    mail.queue_kind(CODE_KIND, email, REGISTRATION_SUBJECT if registration_id is not None else CODE_SUBJECT)
    row = db.session.get(SignInCode, row_id, populate_existing=True)
    assert row is not None
    return row


def row_for(email: str) -> SignInCode | None:
    return db.session.scalar(
        sa.select(SignInCode).where(SignInCode.email == email.strip().lower()).execution_options(populate_existing=True)
    )


def live(row: SignInCode | None, now: datetime) -> bool:
    """Whether the row's code can still sign someone in (ignoring the per-try limits)."""
    return row is not None and row.used_at is None and row.expires_at > now


def _why_not(row: SignInCode | None, now: datetime) -> str:
    if row is None:
        return "That code is not right. Check the newest email, or ask for a new code."
    if row.used_at is not None:
        return "That code was already used. Ask for a new one."
    if row.expires_at <= now:
        return f"That code has expired: codes work for {CODE_LIFETIME.seconds // 60} minutes. Ask for a new one."
    if row.tries >= MAX_TRIES:
        return "That code had too many wrong tries. Ask for a new one."
    return (
        "Too many wrong codes for this address: use the link in the email, or try again in an hour."
    )


def _spend(row_id: int, now: datetime) -> None:
    spent = changed_rows(db.session.execute(
        sa.update(SignInCode)
        .where(SignInCode.id == row_id, SignInCode.used_at.is_(None))
        .values(used_at=_timestamp(now))
        .execution_options(synchronize_session=False)
    ))
    if spent != 1:  # another request used it a moment ago
        raise CodeRefused("That code was already used. Ask for a new one.")


def check(email: str, code: str, now: datetime | None = None) -> SignInCode:
    """The address's row, spent, if `code` is its live code; CodeRefused otherwise.

    Each try is counted before the code is compared, and only while the code and
    the address have tries left: however many arrive at once, at most MAX_TRIES
    codes are compared per code and MAX_FAILURES per address and window. A wrong
    try stays counted: the caller commits even when this raises."""
    now = now or clock.now()
    email = (email or "").strip().lower()
    table = SignInCode.__table__
    window_over = table.c.window_start <= _timestamp(now - WINDOW)
    counted = db.session.scalar(
        sa.update(table)
        .where(
            table.c.email == email,
            table.c.used_at.is_(None),
            table.c.expires_at > _timestamp(now),
            table.c.tries < MAX_TRIES,
            sa.or_(window_over, table.c.window_failures < MAX_FAILURES),
        )
        .values(
            tries=table.c.tries + 1,
            window_failures=sa.case((window_over, 1), else_=table.c.window_failures + 1),
            window_start=sa.case((window_over, _timestamp(now)), else_=table.c.window_start),
        )
        .returning(table.c.id)
    )
    row = row_for(email)
    if counted is None or row is None:
        raise CodeRefused(_why_not(row, now))
    if not hmac.compare_digest(code_of(row), normalise_code(code)):
        left = MAX_TRIES - row.tries
        raise CodeRefused(
            "That code is not right. "
            + (f"{left} {'try' if left == 1 else 'tries'} left." if left else "Ask for a new one.")
        )
    # A right code is no failure.
    db.session.execute(
        sa.update(table).where(table.c.id == row.id)
        .values(tries=table.c.tries - 1, window_failures=table.c.window_failures - 1)
        .execution_options(synchronize_session=False)
    )
    _spend(row.id, now)
    db.session.refresh(row)
    return row


def check_link(token: str, now: datetime | None = None) -> SignInCode:
    """The row the one-click link was sent for, spent; CodeRefused if it is wrong,
    used, replaced by a newer code, or expired."""
    now = now or clock.now()
    row = peek_link(token, now)
    if row is None:
        raise CodeRefused("This link has expired or was already used. Ask for a new code.")
    _spend(row.id, now)
    db.session.refresh(row)
    return row


def peek_link(token: str, now: datetime | None = None) -> SignInCode | None:
    """The live row a link token names, without spending it (for the page that asks to confirm)."""
    now = now or clock.now()
    id_part, _, mac = (token or "").partition(".")
    if not (id_part.isdigit() and len(id_part) <= 9 and len(mac) == 32):
        return None
    row = db.session.get(SignInCode, int(id_part), populate_existing=True)
    if row is None or not hmac.compare_digest(link_token_of(row), token) or not live(row, now):
        return None
    return row


def live_registration(row: SignInCode, now: datetime) -> PendingRegistration | None:
    """The unexpired sign-up the row's current code was sent for, if any."""
    if row.registration_id is None:
        return None
    registration = db.session.get(PendingRegistration, row.registration_id)
    if registration is None or registration.expires_at <= now or registration.email != row.email:
        return None
    return registration


@mail.render_when_sent(CODE_KIND)
def _render_code(address: str) -> EmailMessage | None:
    """The address's current code and link, computed now (nothing usable was stored).
    Dropped when the code is spent or expired, or when it would sign nobody in (no
    account, no party and no sign-up waiting for this address). A code out of tries
    still goes: its link works, so guessing cannot keep the owner out.

    A sign-up's code becomes one of two emails: for a new address, the code that
    finishes the sign-up; for an address with an account, a word to its owner that
    someone tried to sign up with it, with the code (it signs the owner in, and
    changes nothing) and the way to a new password."""
    now = clock.now()
    row = row_for(address)
    if row is None or not live(row, now):
        return None
    user = db.session.scalar(sa.select(User).where(User.email == row.email))
    draft = db.session.get(PartyDraft, row.draft_id) if row.draft_id else None
    registration = live_registration(row, now)
    minutes = max(1, int((row.expires_at - now).total_seconds() // 60))
    link = public_url("accounts.code_link", token=link_token_of(row))
    if registration is not None and user is not None:
        return mail_messages.render_message(
            row.email, "Someone tried to sign up with your address", "registration_attempt",
            name=user.display_name, code=code_of(row), link=link, minutes=minutes,
            reset_link=public_url("accounts.reset_request"),
        )
    if registration is not None:
        # Nothing the sign-up typed goes into it (no name): whoever typed an address cannot
        # put words of theirs into a stranger's inbox.
        return mail_messages.render_message(
            row.email, "Confirm your Watchparty account", "registration_code", code=code_of(row), link=link,
            minutes=minutes,
        )
    if user is None and (draft is None or not draft.display_name):
        return None
    party_title = str(json.loads(draft.form_data)["fields"].get("title") or "") if draft is not None else ""
    return mail_messages.render_message(
        row.email, CODE_SUBJECT, "sign_in_code",
        name=user.display_name if user is not None else (draft.display_name if draft is not None else ""),
        code=code_of(row), link=link, minutes=minutes, party_title=party_title,
    )
