"""Real receivers on loopback for the delivery tests: an SMTP server (aiosmtpd) and an HTTP
server (http.server in a thread) that record what they were sent. conftest.py starts them."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.smtp import AuthResult, Envelope, Session

from bizsight.delivery import verify_signature
from bizsight.errors import InvalidSignatureError

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


# --- SMTP -----------------------------------------------------------------------------------


class Mailbox:
    """An aiosmtpd handler that answers DATA from a script (``"451 ..."`` first, say) and keeps
    what it accepted."""

    def __init__(self, refusals: list[str] | None = None) -> None:
        self.refusals = list(refusals or [])
        self.attempts = 0
        self.received: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        self.attempts += 1
        if self.refusals:
            return self.refusals.pop(0)
        assert isinstance(envelope.content, bytes)
        mail = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        self.received.append(mail)
        self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 OK"


@dataclass
class SmtpServer:
    mailbox: Mailbox
    port: int
    logins: list[tuple[str, str]] = field(default_factory=list)


def authenticator(logins: list[tuple[str, str]], password: str) -> Callable[..., AuthResult]:
    def check(server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        user, given = data.login.decode(), data.password.decode()
        logins.append((user, given))
        return AuthResult(success=given == password, handled=False)

    return check


# --- HTTP -----------------------------------------------------------------------------------


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    verdict: str = ""

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver(ThreadingHTTPServer):
    """Answers each POST with the next status of ``statuses`` (then 200). With a ``secret`` it
    checks the signature as a user's receiver would, and answers 401 when it is wrong or old."""

    def __init__(self) -> None:
        super().__init__((HOST, 0), Handler)
        self.requests: list[Request] = []
        self.statuses: list[int] = []
        self.secret: str | None = None
        self.tolerance_s = 300.0
        self.clock: Callable[[], float] = time.time
        self.retry_after: str | None = None  # sent with every refusal when set

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/hook"

    @property
    def accepted(self) -> list[Request]:
        return [r for r in self.requests if 200 <= r.status < 300]


@contextmanager
def receiving() -> Iterator[Receiver]:
    """A :class:`Receiver` answering on a thread until the block ends."""
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        headers = dict(self.headers.items())
        status, verdict = (self.server.statuses.pop(0) if self.server.statuses else 200), ""
        if self.server.secret is not None and status == 200:
            try:
                verify_signature(
                    self.server.secret, headers, body, self.server.tolerance_s, now=self.server.clock()
                )
                verdict = "valid"
            except InvalidSignatureError as error:
                status, verdict = 401, str(error)
        self.server.requests.append(Request(self.path, headers, body, status, verdict))
        answer = b"ok" if status < 300 else b"refused"
        self.send_response(status)
        if status >= 300 and self.server.retry_after is not None:
            self.send_header("Retry-After", self.server.retry_after)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass
