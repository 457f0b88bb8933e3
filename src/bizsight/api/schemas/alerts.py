"""Request and answer models of the alerts endpoints (docs/alerts.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bizsight.api.schemas.common import Answer, UtcTimestamp
from bizsight.api.schemas.deliveries import DeliveryRow

Status = Literal["ok", "triggered", "acknowledged", "resolved"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewAlert(_Strict):
    definition: dict[str, Any] = Field(
        description="the rule: name, kind (threshold, change, anomaly, pacing), metric, filters, window, "
        "severity, cooldown, escalate_after and the kind's keys (docs/alerts.md)",
        examples=[
            {
                "name": "low revenue",
                "kind": "threshold",
                "metric": "revenue",
                "direction": "below",
                "value": 1000,
            }
        ],
    )
    recipients: list[str] = Field(
        min_length=1, max_length=50, description="CHANNEL or CHANNEL:ADDRESS of bizsight.yml channels"
    )
    escalation: list[str] = Field(
        default=[], max_length=50, description="who hears of it when not acknowledged within escalate_after"
    )
    cron: str | None = Field(
        default=None, max_length=100, description="also check it on this timetable ('*/15 * * * *', 'hourly')"
    )


class AlertChange(_Strict):
    enabled: bool


class AlertTestRequest(_Strict):
    send: bool = Field(default=False, description="also send a message marked as a test to its recipients")


class RecipientOut(Answer):
    channel: str
    to: str


class AlertOut(Answer):
    """A rule with its state and its checks."""

    id: int
    name: str
    kind: str | None
    metric: str | None
    severity: str
    definition: dict[str, Any] = Field(description="the rule as it was given")
    recipients: list[RecipientOut]
    escalation: list[RecipientOut]
    enabled: bool
    status: Status
    since: str | None = Field(description="when the current incident began (ISO 8601, UTC)")
    acknowledged_by: str | None
    escalated: bool
    last_value: float | None = Field(description="the value the last check observed")
    value_unit: str | None = Field(description="percent, number, or null: the metric's own unit")
    last_detail: str | None = Field(description="what the last check saw, in words")
    last_checked: str | None = Field(description="ISO 8601, UTC")
    error: str | None = Field(description="why the last check could not judge the rule")
    schedule: str | None = Field(description="the rule's own timetable (cron), if any")
    next_check: str | None = Field(
        description="the next scheduled check (ISO 8601, UTC); refreshes check too"
    )


class AlertList(Answer):
    alerts: list[AlertOut]


class AlertDeliveryOut(DeliveryRow):
    """One copy of a notification to one recipient: the delivery log's row."""


class AlertEventOut(Answer):
    id: int
    at: str | None
    kind: str = Field(description="triggered, reminder, worsened, escalated, recovered or acknowledged")
    status: Status = Field(description="the alert's state after it")
    value: float | None
    severity: str
    detail: str
    actor: str | None = Field(description="who acknowledged; null for the checks")
    deliveries: list[AlertDeliveryOut]


class AlertHistory(Answer):
    events: list[AlertEventOut]


class WouldSend(Answer):
    kind: str
    channel: Literal["primary", "escalation"]
    recipients: list[str]
    subject: str
    text: str


class TestSent(Answer):
    recipient: str
    status: Literal["sent", "failed"]
    attempts: int
    last_error: str | None


class AlertTestOut(Answer):
    """What the rule sees now and what a check would send; nothing was stored."""

    rule: str
    at: UtcTimestamp
    breached: bool | None
    value: float | None
    severity: str | None
    detail: str | None
    error: str | None
    status: Status
    status_after: Status
    would_send: list[WouldSend]
    sent: list[TestSent]
