"""Reading the .eml files the app writes to its outbox in development and tests."""

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path


class Outbox:
    def __init__(self, folder: Path):
        self.folder = folder

    def messages(self) -> list[EmailMessage]:
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
