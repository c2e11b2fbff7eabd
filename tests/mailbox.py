"""Reading the .eml files the mail worker writes to its outbox folder in development and tests."""

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path


class Outbox:
    """What the mail worker delivered: each look first runs the worker (`flask mail
    work --once`, without the timed jobs: a test runs those itself, at the time it
    chooses) in an app context of its own, as the worker process would."""

    def __init__(self, folder: Path, app=None):
        self.folder = folder
        self.app = app

    def deliver(self) -> None:
        if self.app is None:
            return
        from flask import has_app_context

        from watchparty import mail_worker
        from watchparty.extensions import db

        if has_app_context():
            # The test's own session ends its transaction first, as a request does: on SQLite
            # a read begun before the worker's writes could not write afterwards.
            db.session.commit()
        with self.app.app_context():
            mail_worker.work(once=True, timed_jobs=False)  # timed jobs run when a test calls them

    def messages(self) -> list[EmailMessage]:
        self.deliver()
        if not self.folder.exists():
            return []
        return [
            BytesParser(policy=policy.default).parsebytes(path.read_bytes())
            for path in sorted(self.folder.glob("*.eml"))
        ]

    def last(self) -> EmailMessage:
        messages = self.messages()
        assert messages, "the outbox is empty"
        return messages[-1]

    def __len__(self) -> int:
        return len(self.messages())


def text_body(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def first_link(message: EmailMessage, path_prefix: str) -> str:
    """The path of the first link in the plain-text body that starts with path_prefix."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s]*)", text_body(message))
    assert match, f"no link to {path_prefix} in the message"
    return match.group(1)
