"""One way to send an email, used by every feature.

With no MAIL_SERVER the message is written to the outbox folder as an .eml
file and logged, so that a developer can read reset links; with MAIL_SERVER
set it goes over SMTP.

Party emails are *queued*: `queue_template` stores the rendered message in
the `outbound_email` table inside the request's transaction (a rolled-back
change sends nothing), the request sends it after its commit, and a message
the mail server refused stays pending for the next `flask parties remind`.
Password-reset emails are sent at once and never stored: their links are
bearer secrets.
"""

import email
import email.policy
import smtplib
import ssl
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app, g, render_template
from sqlalchemy.dialects import postgresql, sqlite

from watchparty.extensions import db
from watchparty.models import OutboundEmail, utcnow

# A queued message is given up after this many failed attempts.
MAX_ATTEMPTS = 8
# A "sending" claim older than this belongs to a sender that died mid-way.
STALE_CLAIM = timedelta(minutes=10)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str  # "text/calendar"


def build_message(
    to: str | list[str],
    subject: str,
    text: str,
    html: str | None = None,
    attachments: tuple[Attachment, ...] = (),
    sender: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender or current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = ", ".join(to) if isinstance(to, list) else to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="watchparty.local")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for attachment in attachments:
        maintype, subtype = attachment.mimetype.split("/", 1)
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message


def deliver(message: EmailMessage) -> None:
    """Send one message; raises OSError or smtplib.SMTPException on failure."""
    config = current_app.config
    if not config["MAIL_SERVER"]:
        _write_to_outbox(message)
        return
    timeout = config["MAIL_TIMEOUT"]
    if config["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(
            config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout,
            context=ssl.create_default_context(),
        )
    else:
        smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
    with smtp:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)


def render_message(to: str, subject: str, template: str, **context) -> EmailMessage:
    """`templates/email/<template>.txt` and `.html` as one message; `attachments`
    and `headers` in the context go to the message too."""
    text = render_template(f"email/{template}.txt", **context)
    html = render_template(f"email/{template}.html", **context)
    return build_message(
        to, subject, text, html, attachments=context.get("attachments", ()), headers=context.get("headers")
    )


def send_template(to: str, subject: str, template: str, **context) -> EmailMessage:
    """Render a message and deliver it now (raises on a mail failure); for
    mail that must not be stored, like password-reset links."""
    message = render_message(to, subject, template, **context)
    deliver(message)
    return message


# ---------------------------------------------------------------- the queue


def queue_template(to: str, subject: str, template: str, *, party_id: int | None = None, **context) -> OutboundEmail:
    """Render a message now and store it in the current transaction; the
    request sends it after its commit (see `send_queued_after_request`)."""
    message = render_message(to, subject, template, **context)
    row = OutboundEmail(recipient=to, subject=subject, message=bytes(message), party_id=party_id)
    db.session.add(row)
    db.session.flush()
    g.setdefault("queued_mail", []).append(row.id)
    return row


def queue_once(dedupe_key: str, to: str, subject: str, template: str, *, party_id: int | None = None,
               **context) -> int | None:
    """Queue a message unless one with this key exists: the database's unique
    key decides, so two overlapping runs queue it once. Returns the new id or None."""
    message = render_message(to, subject, template, **context)
    values = {
        "recipient": to, "subject": subject, "message": bytes(message), "party_id": party_id,
        "dedupe_key": dedupe_key, "status": "pending", "attempts": 0, "last_error": "", "created_at": utcnow(),
    }
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(OutboundEmail)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboundEmail.id)
    )
    return db.session.scalar(statement)


def _claim(row_id: int, now: datetime) -> bool:
    """Take one message for sending: a guarded UPDATE, so only one sender gets it."""
    table = OutboundEmail.__table__
    result = db.session.execute(
        sa.update(table)
        .where(
            table.c.id == row_id,
            sa.or_(
                table.c.status == "pending",
                sa.and_(table.c.status == "sending", table.c.claimed_at < now - STALE_CLAIM),
            ),
        )
        .values(status="sending", claimed_at=now, attempts=table.c.attempts + 1)
    )
    db.session.commit()
    return result.rowcount == 1


def send_pending(ids: list[int] | None = None, now: datetime | None = None, limit: int = 500) -> list[OutboundEmail]:
    """Send queued messages (all that are due, or just `ids`), each claimed
    first so that overlapping senders never send one twice. A failure is
    logged and left pending for the next run. Commits; returns what was sent."""
    now = now or utcnow()
    table = OutboundEmail.__table__
    due = sa.select(table.c.id).where(
        sa.or_(
            table.c.status == "pending",
            sa.and_(table.c.status == "sending", table.c.claimed_at < now - STALE_CLAIM),
        )
    )
    if ids is not None:
        due = due.where(table.c.id.in_(ids))
    candidates = list(db.session.scalars(due.order_by(table.c.id).limit(limit)))
    db.session.commit()
    sent = []
    for row_id in candidates:
        if not _claim(row_id, now):
            continue
        row = db.session.get(OutboundEmail, row_id)
        message = email.message_from_bytes(row.message, policy=email.policy.default)
        try:
            deliver(message)
        except (OSError, smtplib.SMTPException) as error:
            current_app.logger.warning("mail %s to %s failed (attempt %s): %s", row.id, row.recipient, row.attempts, error)
            row.status = "failed" if row.attempts >= MAX_ATTEMPTS else "pending"
            row.last_error = str(error)[:500]
        else:
            row.status = "sent"
            row.sent_at = utcnow()
            sent.append(row)
        db.session.commit()
    return sent


def send_queued_after_request(response):
    """Send what this request queued, after its commit. Never fails the request:
    whatever goes wrong here leaves the mail pending for the next run."""
    queued = g.pop("queued_mail", None)
    if queued:
        try:
            send_pending(queued)
        except Exception:
            db.session.rollback()
            current_app.logger.exception("could not send queued mail %s", queued)
    return response


def init_app(app: Flask) -> None:
    app.after_request(send_queued_after_request)


def _write_to_outbox(message: EmailMessage) -> Path:
    outbox = Path(current_app.config["MAIL_OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    # Time-ordered names, so the newest message sorts last.
    path = outbox / f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
    path.write_bytes(bytes(message))
    current_app.logger.info(
        "mail to %s, %r, written to %s\n%s",
        message["To"], message["Subject"], path, message.get_body(("plain",)).get_content(),
    )
    return path
