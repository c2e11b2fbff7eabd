"""The mail worker (`flask mail work`): it claims what is due in batches, sends
each batch over one SMTP connection, and on failure tries again on a schedule
(RETRY_DELAYS, then hourly) for a day before giving the message up as failed
(logged, and listed by `flask mail status`). About once a minute it runs the
timed jobs that queue what has fallen due (mail.timed_job).

With no MAIL_SERVER the worker writes each message to the outbox folder as an
.eml file and logs it, so that a developer can follow its links.

Only the CLI runs it: no request ever talks to a mail server.
"""

import email
import itertools
import smtplib
import ssl
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from watchparty import clock, mail
from watchparty.extensions import changed_rows, db, writing_transactions
from watchparty.mail_messages import MAIL_POLICY
from watchparty.models import OutboundEmail, SuppressedAddress

# After the n-th failed attempt the next one waits RETRY_DELAYS[n - 1]; then hourly.
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
# A message not delivered within this time of being queued is given up.
GIVE_UP_AFTER = timedelta(days=1)
# A "sending" claim older than this belongs to a worker that died mid-way.
STALE_CLAIM = timedelta(minutes=10)
# Messages claimed (and sent over one connection) at a time.
BATCH_SIZE = 100


# ---------------------------------------------------------------- timed jobs

# How often the running worker runs the jobs registered with mail.timed_job.
JOBS_EVERY = timedelta(minutes=1)


def run_timed_jobs(now: datetime | None = None) -> dict[str, int]:
    """Run every registered job (mail.timed_job), each in its own transaction; a job
    that fails is logged and the others still run. Returns what each queued."""
    now = now or clock.now()
    queued = {}
    for name, job in mail.timed_jobs():
        try:
            with writing_transactions():
                queued[name] = job(now)
                db.session.commit()
        except Exception:
            db.session.rollback()
            current_app.logger.exception("timed job %s failed", name)
    return queued


# ---------------------------------------------------------------- the worker


@dataclass
class Outcome:
    """One message the worker handled, as it stands after the attempt."""

    id: int
    recipient: str
    subject: str
    attempts: int
    next_attempt_at: datetime | None = None
    last_error: str = ""


@dataclass
class Delivery:
    """What one pass of the worker did."""

    sent: list[Outcome] = field(default_factory=list)
    retrying: list[Outcome] = field(default_factory=list)
    failed: list[Outcome] = field(default_factory=list)
    dropped: list[Outcome] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sent) + len(self.retrying) + len(self.failed) + len(self.dropped)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    return RETRY_DELAYS[attempts - 1] if attempts <= len(RETRY_DELAYS) else RETRY_DELAYS[-1]


_outbox = OutboundEmail.__table__


def _due(now: datetime):
    return sa.or_(
        sa.and_(_outbox.c.status == "pending", _outbox.c.next_attempt_at <= now),
        sa.and_(_outbox.c.status == "sending", _outbox.c.claimed_at < now - STALE_CLAIM),
    )


def _suppressed_among(addresses: set[str]) -> set[str]:
    folded = {address.strip().lower() for address in addresses}
    return set(db.session.scalars(sa.select(SuppressedAddress.email).where(SuppressedAddress.email.in_(folded))))


def _claim_batch(now: datetime, limit: int) -> list[int]:
    """Take up to `limit` due messages in one guarded UPDATE: a row another worker
    claimed first no longer matches, so each message goes to one worker only.
    (PostgreSQL skips rows another worker is claiming instead of waiting for them.)"""
    pick = (
        sa.select(_outbox.c.id)
        .where(_due(now))
        .order_by(_outbox.c.next_attempt_at, _outbox.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    with writing_transactions():
        ids = db.session.scalars(
            sa.update(_outbox)
            .where(_outbox.c.id.in_(pick.scalar_subquery()), _due(now))
            .values(status="sending", claimed_at=now, attempts=_outbox.c.attempts + 1)
            .returning(_outbox.c.id)
        ).all()
        db.session.commit()
    return sorted(ids)


def has_due(now: datetime | None = None) -> bool:
    """Is anything waiting to be sent? A read only, cheap enough to poll every second."""
    found = db.session.scalar(sa.select(_outbox.c.id).where(_due(now or clock.now())).limit(1))
    db.session.rollback()
    return found is not None


def send_due(now: datetime | None = None, limit: int = BATCH_SIZE) -> Delivery:
    """Send one batch of due messages over one connection; returns what happened to each.

    The database is never held while the mail server is talked to: the batch is
    read in one short transaction, and each message's outcome is written in its own.
    """
    now = now or clock.now()
    delivery = Delivery()
    ids = _claim_batch(now, limit)
    if not ids:
        return delivery
    batch = db.session.execute(
        sa.select(_outbox.c.id, _outbox.c.kind, _outbox.c.recipient, _outbox.c.subject, _outbox.c.message,
                  _outbox.c.attempts, _outbox.c.created_at)
        .where(_outbox.c.id.in_(ids))
        .order_by(_outbox.c.id)
    ).all()
    suppressed = _suppressed_among({row.recipient for row in batch})
    db.session.rollback()
    waiting = []
    for row in batch:
        if row.recipient.strip().lower() in suppressed and not mail.is_asked_for(row.kind):
            _record(row, "dropped", delivery.dropped)
        else:
            waiting.append(row)
    try:
        with _connection() as send:
            while waiting:
                _send_one(waiting[0], send, now, delivery)
                waiting.pop(0)
    except (OSError, smtplib.SMTPException) as error:
        # The connection failed: every message not yet handled waits for the next attempt.
        db.session.rollback()
        for row in waiting:
            _retry_later(row, error, now, delivery)
    return delivery


def _send_one(row, send: Callable[[EmailMessage], object], now: datetime, delivery: Delivery) -> None:
    try:
        message = _message_of(row.kind, row.recipient, row.message)
    except Exception as error:  # a message that cannot be made: retried, then given up, never a dead worker
        db.session.rollback()
        current_app.logger.exception("mail %s to %s could not be rendered", row.id, row.recipient)
        _retry_later(row, error, now, delivery)
        return
    if message is None:
        _record(row, "dropped", delivery.dropped)
        return
    try:
        send(message)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
        # This message was refused; the connection still serves the others.
        _retry_later(row, error, now, delivery)
    else:
        _record(row, "sent", delivery.sent)


def _message_of(kind: str, recipient: str, stored: bytes | None) -> EmailMessage | None:
    if stored is not None:
        return email.message_from_bytes(stored, policy=MAIL_POLICY)
    message = mail.late_renderer(kind)(recipient)
    db.session.rollback()  # the renderer's reads: no transaction stays open while the server is talked to
    return message


def _update(row_id: int, **values) -> None:
    # One message at a time, each in its own short write: a worker that dies
    # mid-batch re-sends none of the messages it already recorded.
    with writing_transactions():
        db.session.execute(sa.update(_outbox).where(_outbox.c.id == row_id).values(**values))
        db.session.commit()


def _record(row, status: str, bucket: list[Outcome]) -> None:
    _update(row.id, status=status, sent_at=clock.now() if status == "sent" else None)
    bucket.append(Outcome(row.id, row.recipient, row.subject, row.attempts))


def _retry_later(row, error: Exception, now: datetime, delivery: Delivery) -> None:
    last_error = str(error)[:500]
    next_attempt = now + retry_delay(row.attempts)
    outcome = Outcome(row.id, row.recipient, row.subject, row.attempts, last_error=last_error)
    if next_attempt - row.created_at > GIVE_UP_AFTER:
        _update(row.id, status="failed", last_error=last_error)
        current_app.logger.error(
            "mail %s to %s given up after %s attempts: %s", row.id, row.recipient, row.attempts, error
        )
        delivery.failed.append(outcome)
        return
    _update(row.id, status="pending", last_error=last_error, next_attempt_at=next_attempt)
    current_app.logger.warning(
        "mail %s to %s failed (attempt %s), next try at %s: %s",
        row.id, row.recipient, row.attempts, next_attempt.isoformat(timespec="seconds"), error,
    )
    outcome.next_attempt_at = next_attempt
    delivery.retrying.append(outcome)


def forget_sent_bodies(now: datetime | None = None) -> int:
    """Sent messages keep their metadata but lose their body after MAIL_RETENTION_DAYS:
    bodies hold guests' personal links. Returns how many were emptied."""
    now = now or clock.now()
    cutoff = now - timedelta(days=current_app.config["MAIL_RETENTION_DAYS"])
    with writing_transactions():
        emptied = changed_rows(db.session.execute(
            sa.update(_outbox)
            .where(_outbox.c.status == "sent", _outbox.c.sent_at < cutoff, sa.func.length(_outbox.c.message) > 0)
            .values(message=b"")
        ))
        db.session.commit()
    return emptied


# How often a running worker empties old bodies.
FORGET_EVERY = timedelta(hours=1)


def work(
    once: bool = False, poll_seconds: float = 1.0, log: Callable[[str], None] | None = None, timed_jobs: bool = True
) -> None:
    """The worker's loop: send what is due, batch after batch; when nothing is, wait
    `poll_seconds` and look again. With `once`, stop when nothing is left that is due.
    Once a minute the timed jobs queue what has fallen due (run_timed_jobs); once
    an hour (and on every `once` run) old sent bodies are emptied. Without
    `timed_jobs` it only sends (tests run the jobs themselves, at a time they choose)."""
    last_forgotten = None
    last_jobs = None
    while True:
        if timed_jobs and (last_jobs is None or clock.now() - last_jobs >= JOBS_EVERY):
            for name, count in run_timed_jobs().items():
                if count and log is not None:
                    log(f"{name}: queued {count}")
            last_jobs = clock.now()
            db.session.remove()
        if last_forgotten is None or clock.now() - last_forgotten >= FORGET_EVERY:
            emptied = forget_sent_bodies()
            last_forgotten = clock.now()
            if emptied and log is not None:
                log(f"emptied the bodies of {emptied} sent message(s) past the retention time")
        if has_due():
            delivery = send_due()
            if log is not None:
                for row in delivery.sent:
                    log(f"sent: {row.subject} -> {row.recipient}")
                for row in delivery.retrying:
                    log(f"will retry at {row.next_attempt_at:%H:%M:%S} UTC: {row.subject} -> {row.recipient}")
                for row in delivery.failed:
                    log(f"gave up: {row.subject} -> {row.recipient} ({row.last_error})")
            db.session.remove()
            if delivery.sent or delivery.dropped:
                continue  # more may be due at once
        if once:
            return
        time.sleep(poll_seconds)


def counts_by_status() -> list[tuple[str, int]]:
    return [
        (status, count)
        for status, count in db.session.execute(
            sa.select(_outbox.c.status, sa.func.count()).group_by(_outbox.c.status).order_by(_outbox.c.status)
        )
    ]


def failed_messages(limit: int = 100) -> list[OutboundEmail]:
    """Messages given up, newest first: what an admin reads to find a mail server's fault."""
    return list(
        db.session.scalars(
            sa.select(OutboundEmail).where(OutboundEmail.status == "failed").order_by(OutboundEmail.id.desc()).limit(limit)
        )
    )


# ---------------------------------------------------------------- the connection


@contextmanager
def _connection() -> Iterator[Callable[[EmailMessage], object]]:
    """One SMTP session (or the outbox folder) for a batch; yields send(message)."""
    config = current_app.config
    if not config["MAIL_SERVER"]:
        yield _write_to_outbox
        return
    timeout = config["MAIL_TIMEOUT"]
    if config["MAIL_USE_SSL"]:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
    with smtp:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        yield smtp.send_message


_written = itertools.count()


def _write_to_outbox(message: EmailMessage) -> Path:
    outbox = Path(current_app.config["MAIL_OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    # Time-ordered names, so the newest message sorts last (the counter orders a batch
    # written within one tick of the clock, or under a test's frozen clock).
    path = outbox / f"{time.time_ns()}-{next(_written):08d}-{uuid.uuid4().hex[:8]}.eml"
    path.write_bytes(bytes(message))
    body = message.get_body(("plain",))
    current_app.logger.info(
        "mail to %s, %r, written to %s\n%s",
        message["To"], message["Subject"], path, body.get_content() if body is not None else "",
    )
    return path
