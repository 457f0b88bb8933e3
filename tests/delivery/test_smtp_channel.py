"""SMTP email against aiosmtpd on loopback: content, attachments, retries, refused logins,
TLS, and the size limit."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from bizsight.delivery import Attachment, Message, RetryPolicy, SmtpChannel, send_with_retries
from tests.delivery.delivery_support import SmtpServer

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40  # binary, so a lossy encoding would show
REPORT = Message(
    "Weekly sales",
    "Revenue rose 4% to $1.2M.",
    html="<p>Revenue rose <b>4%</b> to $1.2M.</p>",
    attachments=(
        Attachment("weekly.pdf", PDF, "application/pdf"),
        Attachment("weekly.csv", b"a,b\n1,2\n", "text/csv"),
    ),
    idempotency_key="run-41:ann@example.com",
    link="https://bi.example.com/reports/41",
)


def channel(server: SmtpServer, **settings: object) -> SmtpChannel:
    return SmtpChannel.model_validate(
        {
            "host": "127.0.0.1",
            "port": server.port,
            "security": "plain",
            "sender": "bi@example.com",
            "timeout_s": 5,
        }
        | settings
    )


def test_the_email_arrives_with_subject_body_and_attachments(smtp_server) -> None:
    server = smtp_server()
    receipt = channel(server).send(REPORT, "ann@example.com")

    (mail,) = server.mailbox.received
    assert server.mailbox.envelopes == [("bi@example.com", ["ann@example.com"])]
    assert mail["Subject"] == "Weekly sales"
    assert mail["To"] == "ann@example.com"
    assert mail["X-Bizsight-Idempotency-Key"] == "run-41:ann@example.com"
    body = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert body is not None and body.get_content().strip() == "Revenue rose 4% to $1.2M."
    assert html is not None and "<b>4%</b>" in html.get_content()
    files = {
        part.get_filename(): (part.get_content_type(), part.get_content()) for part in mail.iter_attachments()
    }
    assert files == {"weekly.pdf": ("application/pdf", PDF), "weekly.csv": ("text/csv", "a,b\n1,2\n")}
    assert receipt.recipient == "ann@example.com" and receipt.idempotency_key == REPORT.idempotency_key


def test_a_temporary_refusal_is_retried_and_the_email_arrives_once(smtp_server, no_sleep) -> None:
    server = smtp_server(refusals=["451 4.3.0 try again later", "451 4.3.0 try again later"])
    result = send_with_retries(
        channel(server), REPORT, "ann@example.com", RetryPolicy(max_attempts=5, base_s=0.5), sleep=no_sleep
    )

    assert result.ok and result.attempts == 3
    assert result.last_error == "the mail server answered: 451 4.3.0 try again later"
    assert server.mailbox.attempts == 3
    assert len(server.mailbox.received) == 1
    assert len(no_sleep.waits) == 2 and all(0 <= w <= 0.5 * 2**i for i, w in enumerate(no_sleep.waits))


def test_a_refused_login_is_not_retried(smtp_server, no_sleep) -> None:
    server = smtp_server(password="right")
    result = send_with_retries(
        channel(server, username="bi", password="wrong"), REPORT, "ann@example.com", sleep=no_sleep
    )

    assert not result.ok and result.attempts == 1
    assert result.last_error is not None and "535" in result.last_error and "login" in result.last_error
    assert set(server.logins) == {("bi", "wrong")}  # smtplib tries PLAIN, then LOGIN, in one attempt
    assert server.mailbox.received == [] and no_sleep.waits == []


def test_a_login_with_the_password_from_the_environment(smtp_server, monkeypatch) -> None:
    server = smtp_server(password="from-env")
    monkeypatch.setenv("BIZSIGHT_TEST_SMTP_PASSWORD", "from-env")
    channel(server, username="bi", password="env:BIZSIGHT_TEST_SMTP_PASSWORD").send(REPORT, "ann@example.com")

    assert server.logins == [("bi", "from-env")]
    assert len(server.mailbox.received) == 1


def test_a_permanent_refusal_is_not_retried(smtp_server, no_sleep) -> None:
    server = smtp_server(refusals=["554 5.6.0 message refused"])
    result = send_with_retries(channel(server), REPORT, "ann@example.com", sleep=no_sleep)

    assert (result.status, result.attempts) == ("failed", 1)
    assert server.mailbox.received == []


def test_no_server_listening_is_retried_until_the_attempts_run_out(no_sleep) -> None:
    from tests.delivery.delivery_support import free_port

    mail = SmtpChannel(
        host="127.0.0.1", port=free_port(), security="plain", sender="bi@example.com", timeout_s=2
    )
    result = send_with_retries(mail, REPORT, "ann@example.com", RetryPolicy(max_attempts=3), sleep=no_sleep)

    assert (result.status, result.attempts) == ("failed", 3)
    assert result.last_error is not None and "could not be reached" in result.last_error
    assert len(no_sleep.waits) == 2


def test_attachments_over_the_limit_are_replaced_by_the_link(smtp_server) -> None:
    server = smtp_server()
    channel(server, max_bytes=5_000).send(REPORT, "ann@example.com")

    (mail,) = server.mailbox.received
    assert list(mail.iter_attachments()) == []
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None
    assert "weekly.pdf, weekly.csv" in text.get_content()
    assert "download them: https://bi.example.com/reports/41" in text.get_content()
    assert '<a href="https://bi.example.com/reports/41">' in html.get_content()


def test_attachments_over_the_limit_without_a_link_fail_without_retrying(smtp_server, no_sleep) -> None:
    server = smtp_server()
    no_link = Message(REPORT.subject, REPORT.text, attachments=REPORT.attachments, idempotency_key="k")
    result = send_with_retries(channel(server, max_bytes=5_000), no_link, "ann@example.com", sleep=no_sleep)

    assert (result.status, result.attempts) == ("failed", 1)
    assert result.last_error is not None and "no link" in result.last_error
    assert server.mailbox.attempts == 0


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls(smtp_server, certificate: tuple[Path, ssl.SSLContext], security: str) -> None:
    cert, context = certificate
    server = smtp_server(**{security: context}, password="pw")
    channel(server, security=security, ca_file=str(cert), username="bi", password="pw").send(
        REPORT, "ann@example.com"
    )

    assert len(server.mailbox.received) == 1
    assert server.logins == [("bi", "pw")]


def test_an_untrusted_certificate_is_not_retried(smtp_server, certificate, no_sleep) -> None:
    _, context = certificate
    server = smtp_server(starttls=context)
    result = send_with_retries(
        channel(server, security="starttls"), REPORT, "ann@example.com", sleep=no_sleep
    )

    assert (result.status, result.attempts) == ("failed", 1)
    assert result.last_error is not None and result.last_error.startswith("TLS with the mail server failed")


def test_a_line_break_in_a_header_is_refused_not_injected(smtp_server, no_sleep) -> None:
    server = smtp_server()
    sneaky = Message("Weekly sales\nBcc: thief@example.com", "t", idempotency_key="k")
    result = send_with_retries(channel(server), sneaky, "ann@example.com", sleep=no_sleep)

    assert (result.status, result.attempts) == ("failed", 1)
    assert result.last_error is not None and result.last_error.startswith("the email cannot be written")
    assert server.mailbox.attempts == 0


def test_every_email_has_a_message_id(smtp_server) -> None:
    server = smtp_server()
    mail = channel(server)
    mail.send(Message("a", "t"), "ann@example.com")
    mail.send(Message("b", "t", idempotency_key="run-1:ann"), "ann@example.com")
    mail.send(Message("c", "t", idempotency_key="run-1:ann"), "ann@example.com")

    ids = [m["Message-ID"] for m in server.mailbox.received]
    assert all(ids) and ids[1] == ids[2] != ids[0]  # a retry of the same delivery keeps its id


LOGO = Attachment("logo.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png", content_id="brand-logo")


def test_an_inline_logo_travels_beside_the_html_and_is_kept_over_the_limit(smtp_server) -> None:
    server = smtp_server()
    branded = Message(
        "Weekly sales",
        "Revenue rose 4%.",
        html='<img src="cid:brand-logo" alt="Acme"><p>Revenue rose 4%.</p>',
        attachments=(LOGO, Attachment("weekly.pdf", PDF, "application/pdf")),
        idempotency_key="run-42:ann@example.com",
        link="https://bi.example.com/reports/42",
    )
    mail = channel(server)
    mail.send(branded, "ann@example.com")
    channel(server, max_bytes=5_000).send(branded, "ann@example.com")

    for received, files in zip(server.mailbox.received, (["weekly.pdf"], []), strict=True):
        related = next(p for p in received.walk() if p.get_content_type() == "multipart/related")
        html, logo = related.iter_parts()
        assert 'src="cid:brand-logo"' in html.get_content()
        assert logo["Content-ID"] == "<brand-logo>" and logo.get_content() == LOGO.data
        assert [a.get_filename() for a in received.iter_attachments()] == files
    over = server.mailbox.received[1].get_body(("plain",))
    assert over is not None and "(weekly.pdf, 10 kB) are larger than 5 kB" in over.get_content()
