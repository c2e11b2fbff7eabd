"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives and
counts the connections that said hello."""

import socket
import threading
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class Recorder:
    """aiosmtpd handler keeping every message it receives, and every connection's greeting."""

    def __init__(self):
        self.envelopes = []
        self.greetings = 0
        self.lock = threading.Lock()
        self.port = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname  # aiosmtpd leaves this to a handler that takes the hook
        with self.lock:
            self.greetings += 1  # smtplib greets once per connection
        return responses

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.envelopes.append(envelope)
        return "250 OK"

    def messages(self):
        with self.lock:
            return [
                (list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default))
                for envelope in self.envelopes
            ]

    def connections(self) -> int:
        with self.lock:
            return self.greetings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve():
    """Start a Recorder on a free loopback port (the `smtp_server` fixture in conftest)."""
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    recorder.port = controller.port
    yield recorder
    controller.stop()


def smtp_config(port: int, timeout: float = 5) -> dict:
    """The app settings that send through the loopback server on `port`."""
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_USE_TLS": False, "MAIL_TIMEOUT": timeout}
