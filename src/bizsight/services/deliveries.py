"""Deliveries: the log that makes at-least-once sending exactly once (DESIGN.md, "Jobs, schedules
and delivery").

Every message to one recipient is a row of the ``deliveries`` table, keyed by an idempotency key
per (report run or alert event, channel, recipient). The order is always: record the intent
(:func:`intend`, a ``pending`` row, committed), send with retries (:func:`send`), record the
outcome (``sent`` or ``failed``, the attempts and the last error). A row that is not pending is
never sent again, so a job run twice, or a server killed mid-delivery and restarted, sends each
message once; :func:`finish_pending` — the ``deliver`` job the server queues at start — sends
what a killed server left pending, rebuilding each message from what its source (a report run's
stored files, an alert event) registered with :func:`message_source`.

The one window left is a kill after the receiver accepted a message and before its row says so:
that message is sent again at restart with the same key, which email carries as its
``Message-ID`` and a webhook as ``Idempotency-Key``, so the receiver can drop it (docs/delivery.md).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from bizsight.app.models import Delivery, DeliveryState, utcnow
from bizsight.app.store import MetadataStore
from bizsight.console import NullReporter, Reporter
from bizsight.delivery import Channel, Message, RetryPolicy, build_channel, send_with_retries
from bizsight.errors import BizsightError, ConfigError, InvalidArgumentError, did_you_mean
from bizsight.services.project import Project

log = logging.getLogger("bizsight.delivery")


@dataclass(frozen=True)
class Recipient:
    """Where one copy goes: a channel named in bizsight.yml and, for email, the address (for the
    webhook, Slack and Teams, a name kept in the log; the channel's URL decides where it goes).

    >>> Recipient.parse("mail:ann@example.com"), Recipient.parse("ops-hook")
    (Recipient(channel='mail', to='ann@example.com'), Recipient(channel='ops-hook', to='ops-hook'))
    """

    channel: str
    to: str

    @classmethod
    def parse(cls, text: str) -> Recipient:
        """``CHANNEL:TO`` or a bare ``CHANNEL``, as the CLI and forms take it."""
        channel, _, to = text.strip().partition(":")
        if not channel:
            raise InvalidArgumentError(f"recipient {text!r}: expected CHANNEL or CHANNEL:ADDRESS")
        return cls(channel, to.strip() or channel)

    def as_dict(self) -> dict[str, str]:
        return {"channel": self.channel, "to": self.to}

    def __str__(self) -> str:
        return self.to if self.to == self.channel else f"{self.channel}:{self.to}"


def recipients(project: Project, items: Iterable[Mapping[str, str] | str | Recipient]) -> list[Recipient]:
    """``items`` as recipients whose channels exist in bizsight.yml (an unknown channel is an
    error naming the nearest)."""
    known = project.settings.channels
    found = []
    for item in items:
        recipient = (
            item
            if isinstance(item, Recipient)
            else Recipient.parse(item)
            if isinstance(item, str)
            else Recipient(item["channel"], item.get("to") or item["channel"])
        )
        if recipient.channel not in known:
            raise InvalidArgumentError(
                f"no channel '{recipient.channel}'{did_you_mean(recipient.channel, known)} in bizsight.yml"
                f" (channels: {', '.join(sorted(known)) or 'none yet; see docs/delivery.md'})"
            )
        found.append(recipient)
    return found


def channel(project: Project, name: str) -> Channel:
    """The channel ``name`` of bizsight.yml, built (its secrets are read only when it sends)."""
    settings = project.settings.channels.get(name)
    if settings is None:
        raise ConfigError(
            f"no channel '{name}'{did_you_mean(name, project.settings.channels)} in bizsight.yml"
        )
    return build_channel(settings.kind, settings.options())


def retry_policy(project: Project) -> RetryPolicy:
    d = project.settings.delivery
    return RetryPolicy(max_attempts=d.max_attempts, base_s=d.base_seconds, cap_s=d.cap_seconds)


def intend(
    s: OrmSession,
    key: str,
    recipient: Recipient,
    subject: str,
    *,
    report_run_id: int | None = None,
    alert_event_id: int | None = None,
) -> Delivery:
    """The delivery row of ``key``: the existing one, or a new pending one."""
    row = s.scalar(select(Delivery).where(Delivery.idempotency_key == key))
    if row is None:
        row = Delivery(
            idempotency_key=key,
            channel=recipient.channel,
            recipient=recipient.to,
            subject=subject[:500],
            report_run_id=report_run_id,
            alert_event_id=alert_event_id,
        )
        s.add(row)
        s.flush()
    return row


def send(
    project: Project,
    store: MetadataStore,
    delivery_id: int,
    message: Message,
    *,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Send the pending delivery ``delivery_id`` (with retries) and record how it went; a
    delivery already sent or failed is left as it is. Its row, as :func:`view` shows it."""
    with store.session() as s:
        row = s.get(Delivery, delivery_id)
        if row is None:
            raise InvalidArgumentError(f"no delivery {delivery_id}")
        if row.status != DeliveryState.PENDING.value:
            return view(row)
        name, to, key = row.channel, row.recipient, row.idempotency_key
    message = dataclasses.replace(message, idempotency_key=key)
    try:
        result = send_with_retries(
            channel(project, name), message, to, policy or retry_policy(project), sleep=sleep
        )
        status, attempts, error = result.status, result.attempts, result.last_error
        receipt = result.receipt
    except ConfigError as err:  # the channel is gone from bizsight.yml, or badly set
        status, attempts, error, receipt = "failed", 0, str(err), None
    with store.session() as s:
        row = s.get(Delivery, delivery_id)
        assert row is not None
        row.status = status
        row.attempts += attempts
        row.last_error = error[:2000] if error else None
        row.updated_at = utcnow()
        if receipt is not None:
            row.sent_at = receipt.sent_at.replace(tzinfo=None)
            row.receipt = {"detail": receipt.detail[:500]}
        return view(row)


MessageSource = Callable[[Project, OrmSession, Delivery], Message]
SOURCES: dict[str, MessageSource] = {}


def message_source(name: str) -> Callable[[MessageSource], MessageSource]:
    """Register how to rebuild the message of a pending delivery of source ``name`` (``report``:
    the row has a report run; ``alert``: an alert event)."""

    def register(build: MessageSource) -> MessageSource:
        SOURCES[name] = build
        return build

    return register


def source_of(row: Delivery) -> str:
    return "report" if row.report_run_id is not None else "alert"


def pending(store: MetadataStore) -> list[int]:
    """The ids of deliveries intended and not yet known to be sent, oldest first."""
    with store.session() as s:
        return list(
            s.scalars(
                select(Delivery.id)
                .where(Delivery.status == DeliveryState.PENDING.value)
                .order_by(Delivery.id)
            )
        )


def finish_pending(
    project: Project,
    store: MetadataStore,
    reporter: Reporter | None = None,
    *,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[dict[str, Any]]:
    """Send every pending delivery once (what a stopped or killed server left); their rows."""
    reporter = reporter or NullReporter()
    ids = pending(store)
    done = []
    for n, delivery_id in enumerate(ids, 1):
        with store.session() as s:
            row = s.get(Delivery, delivery_id)
            if row is None or row.status != DeliveryState.PENDING.value:
                continue
            source = source_of(row)
            if source not in SOURCES:
                raise ConfigError(f"delivery {delivery_id}: no message source '{source}' is registered")
            try:
                message: Message | None = SOURCES[source](project, s, row)
                error = None
            except BizsightError as err:  # its source is gone (a report's files removed): say so
                message, error = None, f"the message could not be rebuilt: {err}"
        if message is None:
            done.append(_fail(store, delivery_id, error or "the message could not be rebuilt"))
        else:
            done.append(send(project, store, delivery_id, message, policy=policy, sleep=sleep))
        reporter.advance(n, len(ids), f"delivered {n} of {len(ids)}")
    return done


def _fail(store: MetadataStore, delivery_id: int, error: str) -> dict[str, Any]:
    """Record a pending delivery as failed without trying it; its row."""
    with store.session() as s:
        row = s.get(Delivery, delivery_id)
        assert row is not None
        row.status, row.last_error, row.updated_at = DeliveryState.FAILED.value, error[:2000], utcnow()
        return view(row)


def view(row: Delivery) -> dict[str, Any]:
    """A delivery as the log shows it (no secrets: a channel's name, never its settings)."""
    return {
        "id": row.id,
        "idempotency_key": row.idempotency_key,
        "source": source_of(row),
        "report_run_id": row.report_run_id,
        "alert_event_id": row.alert_event_id,
        "channel": row.channel,
        "recipient": row.recipient,
        "subject": row.subject,
        "status": row.status,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "created_at": row.created_at,
        "sent_at": row.sent_at,
    }
