"""Email messages: how one is built (headers, text and HTML parts, attachments)
from a template, and the "never email me" link in every footer.

Queueing them is `mail`'s job; sending them, `mail_worker`'s.
"""

import email.policy
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app, render_template
from itsdangerous import BadSignature, URLSafeSerializer

from watchparty import clock
from watchparty.links import public_url

# Header lines up to RFC 5322's 998 characters: with the default 78, a long unsubscribe
# URL (which has no space to fold at) went out as an RFC 2047 encoded word, which mail
# clients do not read as a URL.
MAIL_POLICY = email.policy.default.clone(max_line_length=998)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str  # "text/calendar"
    params: tuple[tuple[str, str], ...] = ()  # Content-Type parameters: (("method", "REQUEST"),)


def build_message(
    to: str | list[str],
    subject: str,
    text: str,
    html: str | None = None,
    attachments: tuple[Attachment, ...] = (),
    sender: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = sender or current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = ", ".join(to) if isinstance(to, list) else to
    message["Subject"] = subject
    message["Date"] = format_datetime(clock.now())  # "+0000": UTC, said so
    message["Message-ID"] = make_msgid(domain=current_app.extensions["public_links"].host or "watchparty.local")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for attachment in attachments:
        maintype, subtype = attachment.mimetype.split("/", 1)
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename,
            params=dict(attachment.params),
        )
    return message


def render_message(to: str, subject: str, template: str, **context) -> EmailMessage:
    """`templates/email/<template>.txt` and `.html` as one message; `attachments`
    in the context go to the message too, and a `stop_link` (every party email
    has one) becomes its one-click unsubscribe (RFC 2369 and RFC 8058)."""
    # Every email's footer offers "never email me from this site again" (see suppress).
    context.setdefault("never_link", never_email_url(to))
    text = render_template(f"email/{template}.txt", **context)
    html = render_template(f"email/{template}.html", **context)
    headers = {}
    if context.get("stop_link"):
        headers = {"List-Unsubscribe": f"<{context['stop_link']}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return build_message(to, subject, text, html, attachments=context.get("attachments", ()), headers=headers)


# ---------------------------------------------------------------- never email me again

# The link in every email's footer: anyone, with or without an account, can stop
# all email from the site to their address. The token is the address, signed
# (no expiry: a link in an old email must still work); the worker drops every
# message to a suppressed address, whoever queued it (mail.suppress).
_NEVER_SALT = "never-email"


def _never_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_NEVER_SALT)


def never_email_url(address: str) -> str:
    return public_url("notifications.never_email", token=_never_serializer().dumps(address.strip().lower()))


def address_of_never_token(token: str) -> str | None:
    try:
        address = _never_serializer().loads(token)
    except BadSignature:
        return None
    return address if isinstance(address, str) else None

