"""A real SMTP server on loopback for tests that send mail: aiosmtpd, in its own thread.

Django's SMTP backend talks to it over a real socket, so what a test reads is what a mail
server would have received: the raw message, parsed with the modern email policy. Tests tell
the server how to answer: accept, refuse for now (4xx), refuse for good (5xx), or answer too
slowly for EMAIL_TIMEOUT.

Load the fixtures with `from tests.smtp import *` in a conftest.py.
"""

import asyncio
import datetime
import email
import email.policy
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

__all__ = ["closed_port", "smtp_server", "smtp_sink"]

HOST = "127.0.0.1"
ACCEPTED = "250 2.0.0 Message accepted for delivery"
# What a greylisting or overloaded server says: the client should try again later.
TRANSIENT = "451 4.3.0 Temporary failure, try again later"
# What a server says about a message it will never take.
PERMANENT = "550 5.7.1 Message rejected"


@dataclass
class Received:
    message: EmailMessage
    mail_from: str
    rcpt_tos: list[str]
    # (host, port) of the client's end of the connection: one value per SMTP connection.
    peer: tuple
    # When the server took the message (on the test's clock, frozen or not).
    received_at: datetime.datetime


@dataclass
class SinkHandler:
    """aiosmtpd handler that keeps every message it accepts. Tests set how it answers.

    It runs in the server's thread while tests read it from theirs: appending to a list and
    bumping an int are atomic in CPython, which is all the sharing it needs.
    """

    received: list[Received] = field(default_factory=list)
    # None accepts; a reply such as TRANSIENT or PERMANENT refuses at that stage.
    rcpt_reply: str | None = None
    data_reply: str | None = None
    # Seconds to wait before answering DATA: longer than EMAIL_TIMEOUT makes the client give up.
    data_delay: float = 0.0
    data_attempts: int = 0
    # Called with each accepted message, in the server's thread, before the reply goes out.
    on_receive: Callable[[Received], None] | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_attempts += 1
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
            # The client has hung up by now; keeping the message would count a send that
            # the sender recorded as failed.
            return TRANSIENT
        if self.data_reply:
            return self.data_reply
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        received = Received(
            message=message,
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            peer=tuple(session.peer),
            received_at=datetime.datetime.now(datetime.UTC),
        )
        self.received.append(received)
        if self.on_receive:
            self.on_receive(received)
        return ACCEPTED


class _LoopbackController(Controller):
    """Listens on a port the OS picks, so parallel test runs never collide.

    aiosmtpd connects to `self.port` once to check that the server is up; with port 0 it must
    first learn the real one. `_trigger_server` is the hook it calls for that check, once the
    listening socket exists (aiosmtpd is pinned in requirements.txt).
    """

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    def __init__(self, handler: SinkHandler, controller: Controller):
        self.handler = handler
        self.host = controller.hostname
        self.port = controller.port

    @property
    def messages(self) -> list[EmailMessage]:
        return [item.message for item in self.handler.received]

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def accept(self) -> None:
        self.handler.rcpt_reply = self.handler.data_reply = None
        self.handler.data_delay = 0.0

    def refuse_data(self, reply: str) -> None:
        self.handler.data_reply = reply

    def refuse_recipients(self, reply: str) -> None:
        self.handler.rcpt_reply = reply

    def answer_slowly(self, seconds: float) -> None:
        self.handler.data_delay = seconds

    def wait_for_messages(self, count: int, *, timeout: float) -> list[EmailMessage]:
        """For mail sent by another process: poll until `count` messages arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.handler.received) >= count:
                return self.messages
            time.sleep(0.1)
        pytest.fail(
            f"Timed out after {timeout:.0f}s waiting for {count} message(s); "
            f"got {len(self.handler.received)}."
        )


@pytest.fixture
def smtp_server():
    """A running SMTP server on 127.0.0.1; it accepts everything until told otherwise."""
    handler = SinkHandler()
    controller = _LoopbackController(handler, hostname=HOST, port=0)
    controller.start()
    try:
        yield SmtpServer(handler, controller)
    finally:
        controller.stop()


@pytest.fixture
def smtp_sink(settings, smtp_server):
    """Django's mail goes to `smtp_server` over SMTP (not to the locmem outbox)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    # Short, so a test that hangs on the server fails in seconds; the slow test lowers it.
    settings.EMAIL_TIMEOUT = 5
    return smtp_server


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]
