"""Request and answer models of the reports endpoints: definitions, their schedules, previews,
run files, dashboard subscriptions and the delivery log."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bizsight.api.job_schemas import ScheduleOut
from bizsight.api.schemas.common import Answer, UtcTimestamp
from bizsight.api.schemas.deliveries import DeliveryRow

ReportFormat = Literal["pdf", "xlsx", "csv"]
PreviewFormat = Literal["html", "pdf", "xlsx", "csv"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RecipientIn(_Strict):
    channel: str = Field(min_length=1, max_length=100, description="a channel's name in bizsight.yml")
    to: str | None = Field(
        default=None, max_length=320, description="the address for email; a name kept in the log otherwise"
    )


class RecipientOut(Answer):
    channel: str
    to: str


class NewReport(_Strict):
    name: str = Field(min_length=1, max_length=90, description="letters, digits, '-', '_' or '.'")
    template: str = Field(
        min_length=1, max_length=64, description="executive, sales, customers, quality, dashboard"
    )
    range: str | None = Field(
        default=None, max_length=32, description="last_7_days, last_month, ...; null: the template's"
    )
    where: list[str] = Field(default=[], max_length=20, description="filters as DIMENSION=VALUE")
    formats: list[ReportFormat] = Field(
        default=["pdf"], max_length=3, description="attachments; the body is HTML"
    )
    recipients: list[RecipientIn] = Field(default=[], max_length=100)
    dashboard_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="for the dashboard template"
    )


class ReportChange(_Strict):
    template: str | None = Field(default=None, min_length=1, max_length=64)
    range: str | None = Field(default=None, max_length=32)
    where: list[str] | None = Field(default=None, max_length=20)
    formats: list[ReportFormat] | None = Field(default=None, max_length=3)
    recipients: list[RecipientIn] | None = Field(default=None, max_length=100)


class ReportSchedule(_Strict):
    when: str | None = Field(
        max_length=200,
        description="a preset ('weekly on monday at 07:00') or 5 cron fields; null: no schedule",
    )
    timezone: str | None = Field(
        default=None, max_length=64, description="IANA zone; bizsight.yml's by default"
    )


class Subscription(_Strict):
    to: str | None = Field(
        default=None, max_length=320, description="your address; your user name when it is one"
    )
    channel: str | None = Field(
        default=None, max_length=100, description="an email channel; the first by default"
    )
    formats: list[ReportFormat] = Field(default=["pdf"], max_length=3)
    when: str | None = Field(
        default="weekly at 07:00", max_length=200, description="null: only when sent by hand"
    )


class LastRun(Answer):
    id: int
    created_at: UtcTimestamp
    period: str
    status: Literal["sent", "failed", "pending", "rendered"] = Field(
        description="sent: every delivery; failed: any failed; pending: some not yet; rendered: no recipients"
    )
    deliveries: dict[str, int] = Field(description="sent, failed and pending counts")


class ReportOut(Answer):
    id: int
    name: str
    template: str
    dashboard_id: int | None
    range: str | None
    period: str = Field(description="the range, or the template's default period")
    filters: list[str] = Field(description="as DIMENSION=VALUE")
    formats: list[str]
    recipients: list[RecipientOut]
    owner: str | None = Field(description="the user it runs as: their row-level restrictions apply")
    schedule: ScheduleOut | None
    last_run: LastRun | None
    created_at: UtcTimestamp
    updated_at: UtcTimestamp


class ReportList(Answer):
    reports: list[ReportOut]


class TemplateOut(Answer):
    name: str
    title: str
    description: str


class TemplateList(Answer):
    templates: list[TemplateOut]


class DeliveryOut(DeliveryRow):
    """A row of the delivery log, with the name of its report."""

    report: str | None = Field(
        description="the report's name (null for an alert, or once the report is removed)"
    )


class DeliveryList(Answer):
    deliveries: list[DeliveryOut]
