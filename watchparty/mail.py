"""Email: requests queue it, the mail worker sends it.

No request ever talks to a mail server. A service that changes something
queues the emails the change implies in the `outbound_email` table, in the
same transaction (a rolled-back change sends nothing). The worker
(`flask mail work`, watchparty.mail_worker) sends them; messages are built by
watchparty.mail_messages.

Most messages are rendered when queued: a retry sends exactly what was written
at the time. A few carry a secret that must not lie in the database, like a
password-reset link: they are queued as a kind and a recipient only, and the
worker renders them as it sends (`render_when_sent`).

This module is what services call: queueing, "never email me again", and the
registries of late-rendered kinds and timed jobs that the worker runs.
"""

from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage

import sqlalchemy as sa

from watchparty import clock
from watchparty.extensions import conflict_insert, db

# Services hand Attachments to queue_template with the rest of a message's context.
from watchparty.mail_messages import Attachment as Attachment
from watchparty.mail_messages import render_message
from watchparty.models import OutboundEmail, SuppressedAddress

# ---------------------------------------------------------------- queueing (requests, services, the CLI)


def queue_template(to: str, subject: str, template: str, *, party_id: int | None = None,
                   not_before: datetime | None = None, **context) -> OutboundEmail:
    """Render a message now and store it in the current transaction, for the worker
    to send (not before `not_before`, when given: a message scheduled by its sender)."""
    message = render_message(to, subject, template, **context)
    row = OutboundEmail(
        recipient=to, subject=subject, message=bytes(message), party_id=party_id,
        next_attempt_at=not_before or clock.now(),
    )
    db.session.add(row)
    db.session.flush()
    return row


def queue_once(dedupe_key: str, to: str, subject: str, template: str, *, party_id: int | None = None,
               not_before: datetime | None = None, **context) -> int | None:
    """Queue a message unless one with this key exists: the database's unique
    key decides, so two overlapping runs queue it once. Returns the new id or None."""
    message = render_message(to, subject, template, **context)
    now = clock.now()
    values = {
        "recipient": to, "subject": subject, "message": bytes(message), "party_id": party_id,
        "dedupe_key": dedupe_key, "kind": "message", "status": "pending", "attempts": 0, "last_error": "",
        "created_at": now, "next_attempt_at": not_before or now,
    }
    statement = (
        conflict_insert(OutboundEmail)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboundEmail.id)
    )
    return db.session.scalar(statement)


# Messages rendered by the worker as it sends them: kind -> render(recipient) -> message, or None to drop it.
LateRenderer = Callable[[str], EmailMessage | None]
_late_renderers: dict[str, LateRenderer] = {}
# Kinds the recipient asked for just then (a reset link, a sign-in code): sent even
# to an address that asked never to be emailed, which would otherwise lock them out.
_asked_for_kinds: set[str] = set()


def render_when_sent(kind: str, *, asked_for: bool = False) -> Callable[[LateRenderer], LateRenderer]:
    """Register how the worker renders messages of `kind` (see queue_kind). With
    `asked_for`, the message goes even to a suppressed address (see suppress)."""

    def register(render: LateRenderer) -> LateRenderer:
        _late_renderers[kind] = render
        if asked_for:
            _asked_for_kinds.add(kind)
        return render

    return register


def late_renderer(kind: str) -> LateRenderer:
    """How the worker renders a message of `kind` (registered by render_when_sent)."""
    return _late_renderers[kind]


def is_asked_for(kind: str) -> bool:
    """Does a message of `kind` go even to a suppressed address (see render_when_sent)?"""
    return kind in _asked_for_kinds


# ---------------------------------------------------------------- never email me again

# The footer's link (mail_messages.never_email_url) lands here; the worker drops
# every message to a suppressed address, whoever queued it.


def suppress(address: str) -> None:
    """Never email `address` again (idempotent: the unique key decides)."""
    db.session.execute(
        conflict_insert(SuppressedAddress)
        .values(email=address.strip().lower(), created_at=clock.now())
        .on_conflict_do_nothing(index_elements=["email"])
    )


def is_suppressed(address: str) -> bool:
    return db.session.scalar(
        sa.select(SuppressedAddress.id).where(SuppressedAddress.email == address.strip().lower())
    ) is not None


def queue_kind(kind: str, to: str, subject: str, *, party_id: int | None = None,
               not_before: datetime | None = None) -> OutboundEmail:
    """Queue a message the worker renders when it sends it, so that no secret it
    carries is stored, or so that it says what is true at that time (a digest).
    The renderer may drop it (an address with no account, nothing new to tell)."""
    row = OutboundEmail(
        recipient=to, subject=subject, kind=kind, message=None, party_id=party_id,
        next_attempt_at=not_before or clock.now(),
    )
    db.session.add(row)
    db.session.flush()
    return row


# ---------------------------------------------------------------- timed jobs

# Jobs the worker runs about once a minute (and on every `--once` run): each
# queues the emails that have fallen due (reminders, digests, the morning-after
# email) and returns how many. A job must be safe to run twice at once, from two
# workers: the outbox's dedupe key or a guarded update decides.
TimedJob = Callable[[datetime], int]
_timed_jobs: dict[str, TimedJob] = {}


def timed_job(name: str) -> Callable[[TimedJob], TimedJob]:
    """Register a job the worker runs every mail_worker.JOBS_EVERY (see mail_worker.run_timed_jobs)."""

    def register(job: TimedJob) -> TimedJob:
        _timed_jobs[name] = job
        return job

    return register


def timed_jobs() -> list[tuple[str, TimedJob]]:
    """The registered jobs, by name (the worker runs them: mail_worker.run_timed_jobs)."""
    return sorted(_timed_jobs.items())
