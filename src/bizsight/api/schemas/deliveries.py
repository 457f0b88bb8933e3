"""A row of the delivery log, as every endpoint that shows deliveries answers it (the reports'
log, an alert's history): :func:`bizsight.services.deliveries.view`, never a channel's settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bizsight.api.schemas.common import Answer, UtcTimestamp


class DeliveryRow(Answer):
    """One copy of a message to one recipient."""

    id: int
    idempotency_key: str = Field(
        description="report-run-<run>:<channel>:<recipient> or alert-event-<event>:<channel>:<recipient>; one row per key"
    )
    source: Literal["report", "alert"]
    report_run_id: int | None
    alert_event_id: int | None
    channel: str = Field(description="a channel's name in bizsight.yml (never its settings)")
    recipient: str
    subject: str
    status: Literal["pending", "sent", "failed"]
    attempts: int
    last_error: str | None
    created_at: UtcTimestamp
    sent_at: UtcTimestamp | None
