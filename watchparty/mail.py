"""One way to send an email, used by every feature.

With no MAIL_SERVER the message is written to the outbox folder as an .eml
file and logged, so that a developer can read reset links; with MAIL_SERVER
set it goes over SMTP.
"""

import smtplib
import ssl
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, render_template


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


def send_template(to: str, subject: str, template: str, **context) -> EmailMessage:
    """Render `templates/email/<template>.txt` (and `.html`) and deliver it."""
    text = render_template(f"email/{template}.txt", **context)
    html = render_template(f"email/{template}.html", **context)
    message = build_message(to, subject, text, html, attachments=context.get("attachments", ()))
    deliver(message)
    return message


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
