"""What every channel sends and answers: a :class:`Message`, a :class:`Receipt`, the
:class:`Channel` protocol."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message: its name, its bytes and its media type. With a
    ``content_id`` it is an inline part of the HTML body instead (a logo the HTML shows as
    ``<img src="cid:brand-logo">``): email sends it beside the HTML, and it never counts
    against the size limit nor is listed as an attachment.

    >>> Attachment("sales.csv", b"a,b\\n1,2\\n", "text/csv").size
    8
    >>> Attachment("logo.png", b"...", "image/png", content_id="brand-logo").inline
    True
    """

    name: str
    data: bytes = field(repr=False)
    media_type: str = "application/octet-stream"
    content_id: str | None = None

    @property
    def inline(self) -> bool:
        return self.content_id is not None

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Message:
    """One message for one recipient, the same for every channel.

    ``idempotency_key`` names this delivery (a run and a recipient): a receiver that sees the
    same key twice has seen the same message twice. ``link`` is where the attachments can be
    downloaded when they are too large to send (and what chat channels point to).

    >>> m = Message("Weekly sales", "Revenue rose 4%.", idempotency_key="run-7:ann@example.com")
    >>> m.attachment_bytes
    0
    """

    subject: str
    text: str
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    idempotency_key: str = ""
    link: str | None = None

    @property
    def files(self) -> tuple[Attachment, ...]:
        """The attachments a reader downloads (not the inline parts of the HTML)."""
        return tuple(a for a in self.attachments if not a.inline)

    @property
    def attachment_bytes(self) -> int:
        """The size of :attr:`files`, which the email size limit bounds."""
        return sum(a.size for a in self.files)


@dataclass(frozen=True)
class Receipt:
    """What a channel answers when a message was accepted: by whom, when, and the server's word."""

    channel: str
    recipient: str
    idempotency_key: str
    detail: str = ""
    sent_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@runtime_checkable
class Channel(Protocol):
    """A way out of bizsight. ``send`` delivers one message or raises
    :class:`bizsight.errors.DeliveryError` saying whether a retry may succeed."""

    name: str

    def send(self, message: Message, recipient: str) -> Receipt: ...
