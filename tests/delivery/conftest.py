"""Fixtures of the delivery tests: the receivers of delivery_support.py, started and stopped."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.delivery.delivery_support import (
    HOST,
    Mailbox,
    Receiver,
    SmtpServer,
    authenticator,
    free_port,
    receiving,
)


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., SmtpServer]]:
    """Start an SMTP server: ``smtp_server(refusals=[...], password=..., tls=..., starttls=...)``."""
    controllers: list[Controller] = []

    def start(
        refusals: list[str] | None = None,
        password: str | None = None,
        tls: ssl.SSLContext | None = None,
        starttls: ssl.SSLContext | None = None,
    ) -> SmtpServer:
        server = SmtpServer(Mailbox(refusals), free_port())
        kwargs: dict[str, Any] = {}
        if password is not None:
            kwargs.update(
                authenticator=authenticator(server.logins, password),
                auth_require_tls=False,
            )
        if starttls is not None:
            kwargs.update(tls_context=starttls, require_starttls=True)
        controller = Controller(server.mailbox, hostname=HOST, port=server.port, ssl_context=tls, **kwargs)
        controller.start()
        controllers.append(controller)
        return server

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1 (made with openssl) and a server context using it."""
    if shutil.which("openssl") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("openssl is needed for the TLS delivery tests")
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return cert, context


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as server:
        yield server


@pytest.fixture
def no_sleep() -> Callable[[float], None]:
    """A sleep that records the waits instead of waiting, for retries."""
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)

    sleep.waits = waits  # type: ignore[attr-defined]
    return sleep
