"""SMTP email: STARTTLS, implicit TLS or plain; optional login; attachments, replaced by a link
above a size limit."""

from __future__ import annotations

import hashlib
import html
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bizsight.errors import ConfigError, DeliveryError
from bizsight.presentation.numbers import Presenter, Unit

from .message import Message, Receipt
from .secrets import Secret

DEFAULT_PORTS = {"starttls": 587, "tls": 465, "plain": 25}


def size_text(size: int, presenter: Presenter | None = None) -> str:
    """A size in bytes for a reader: megabytes, or kilobytes below one megabyte.

    >>> size_text(12_345_678), size_text(10_240)
    ('12.35 MB', '10 kB')
    """
    presenter = presenter or Presenter()
    if size >= 1_000_000:
        return presenter.format(size / 1_000_000, Unit.NUMBER) + " MB"
    return presenter.format(max(1, round(size / 1000)), Unit.COUNT) + " kB"


def fit_attachments(message: Message, max_bytes: int) -> Message:
    """``message`` as it may be sent by a server that accepts ``max_bytes`` of attachments: the
    same when they fit; otherwise without them, its text and HTML saying so and giving ``link``.
    With no link a too-large message cannot be sent and the error is not retried.

    >>> from bizsight.delivery.message import Attachment
    >>> big = Message("Q3", "Numbers.", attachments=(Attachment("q3.pdf", b"x" * 2_000_000),), link="https://bi/r/9")
    >>> small = fit_attachments(big, 1_000_000)
    >>> small.attachments, small.text.splitlines()[-1]
    ((), 'The attachments (q3.pdf, 2.00 MB) are larger than 1.00 MB, the limit for email; download them: https://bi/r/9')
    """
    if message.attachment_bytes <= max_bytes:
        return message
    names = ", ".join(a.name for a in message.files)
    note = (
        f"The attachments ({names}, {size_text(message.attachment_bytes)}) are larger than "
        f"{size_text(max_bytes)}, the limit for email"
    )
    if not message.link:
        raise DeliveryError(f"{note}, and the message has no link to them", retryable=False)
    text = f"{message.text}\n\n{note}; download them: {message.link}"
    body_html = message.html
    if body_html is not None:
        link = html.escape(message.link, quote=True)
        body_html += f'\n<p>{html.escape(note)}; <a href="{link}">download them</a>.</p>'
    inline = tuple(a for a in message.attachments if a.inline)
    return Message(message.subject, text, body_html, inline, message.idempotency_key, message.link)


def message_id(idempotency_key: str) -> str:
    """A Message-ID made from the idempotency key, so a retried email is recognisably the same.

    >>> message_id("run-7:ann@example.com")
    '<...@bizsight>'
    """
    return f"<{hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]}@bizsight>"


def smtp_error(error: Exception) -> DeliveryError:
    """A failed SMTP exchange as a :class:`DeliveryError`: 4xx answers and lost connections may
    succeed later, 5xx answers (535: the login was refused) and TLS failures will not.

    >>> smtp_error(smtplib.SMTPDataError(451, b"try later")).retryable
    True
    >>> smtp_error(smtplib.SMTPAuthenticationError(535, b"bad credentials"))
    DeliveryError('the mail server refused the login: 535 bad credentials')
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        answers = "; ".join(
            f"{code} {text.decode(errors='replace')}" for code, text in error.recipients.values()
        )
        return DeliveryError(
            f"the mail server refused the recipient: {answers}", retryable=all(400 <= c < 500 for c in codes)
        )
    if isinstance(error, smtplib.SMTPResponseException):
        answer = error.smtp_error
        text = answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
        what = "refused the login" if isinstance(error, smtplib.SMTPAuthenticationError) else "answered"
        return DeliveryError(
            f"the mail server {what}: {error.smtp_code} {text}".strip(),
            retryable=400 <= error.smtp_code < 500,
        )
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return DeliveryError(f"the mail server closed the connection: {error}", retryable=True)
    if isinstance(error, ssl.SSLError | ssl.CertificateError):
        return DeliveryError(f"TLS with the mail server failed: {error}", retryable=False)
    if isinstance(error, smtplib.SMTPException):
        return DeliveryError(f"the mail server cannot take the message: {error}", retryable=False)
    return DeliveryError(f"the mail server could not be reached: {error}", retryable=True)


class SmtpChannel(BaseModel):
    """Email through an SMTP server.

    ``security`` is ``starttls`` (port 587), ``tls`` (implicit TLS, port 465) or ``plain`` (no
    encryption: only for a relay on the same host). ``max_bytes`` bounds the attachments of one
    email; above it they are replaced by the message's link. ``ca_file`` trusts a private CA.

    >>> SmtpChannel(host="smtp.example.com", sender="bi@example.com", username="bi", password="hunter2")
    SmtpChannel(name='email', host='smtp.example.com', port=None, security='starttls', ..., password=Secret('***'), ...)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "email"
    host: str
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["starttls", "tls", "plain"] = "starttls"
    sender: str
    username: str | None = None
    password: Secret | None = None
    max_bytes: int = Field(default=10_000_000, ge=0)
    timeout_s: float = Field(default=30.0, gt=0)
    ca_file: str | None = None

    def model_post_init(self, __context: Any) -> None:
        if (self.username is None) != (self.password is None):
            raise ConfigError("an SMTP channel needs both username and password, or neither")

    def compose(self, message: Message, recipient: str) -> EmailMessage:
        """The email for ``recipient``, attachments fitted to ``max_bytes``."""
        message = fit_attachments(message, self.max_bytes)
        mail = EmailMessage()
        try:
            mail["From"] = self.sender
            mail["To"] = recipient
            mail["Subject"] = message.subject
            mail["Date"] = formatdate(localtime=False, usegmt=True)
            if message.idempotency_key:
                mail["Message-ID"] = message_id(message.idempotency_key)
                mail["X-Bizsight-Idempotency-Key"] = message.idempotency_key
            else:
                mail["Message-ID"] = make_msgid(domain="bizsight")
        except ValueError as error:  # a line break in a header: refused, never a header injection
            raise DeliveryError(f"the email cannot be written: {error}", retryable=False) from None
        mail.set_content(message.text)
        if message.html is not None:
            mail.add_alternative(message.html, subtype="html")
            html_part = mail.get_body(("html",))
            assert html_part is not None
            for a in message.attachments:
                if a.content_id is not None:  # multipart/related beside the HTML that shows it
                    maintype, subtype = _media(a.media_type)
                    html_part.add_related(
                        a.data, maintype=maintype, subtype=subtype, cid=f"<{a.content_id}>", filename=a.name
                    )
        for a in message.files:
            maintype, subtype = _media(a.media_type)
            mail.add_attachment(a.data, maintype=maintype, subtype=subtype, filename=a.name)
        return mail

    def send(self, message: Message, recipient: str) -> Receipt:
        mail = self.compose(message, recipient)
        password = self.password.reveal() if self.password is not None else None
        try:
            with self._connect() as smtp:
                if self.username is not None and password is not None:
                    smtp.login(self.username, password)
                smtp.send_message(mail, from_addr=self.sender, to_addrs=[recipient])
        except (smtplib.SMTPException, OSError) as error:
            raise smtp_error(error) from None
        return Receipt(self.name, recipient, message.idempotency_key, f"accepted by {self.host}")

    def _connect(self) -> smtplib.SMTP:
        port = self.port or DEFAULT_PORTS[self.security]
        if self.security == "tls":
            return smtplib.SMTP_SSL(self.host, port, timeout=self.timeout_s, context=self._tls())
        smtp = smtplib.SMTP(self.host, port, timeout=self.timeout_s)
        if self.security == "starttls":
            try:
                smtp.starttls(context=self._tls())
            except BaseException:
                smtp.close()
                raise
        return smtp

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)


def _media(media_type: str) -> tuple[str, str]:
    """``image/png`` → ``("image", "png")``; anything unclear is ``application/octet-stream``.

    >>> _media("image/png"), _media("weird")
    (('image', 'png'), ('application', 'octet-stream'))
    """
    maintype, _, subtype = media_type.partition("/")
    return (maintype, subtype) if maintype and subtype else ("application", "octet-stream")
