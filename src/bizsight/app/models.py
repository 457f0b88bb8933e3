"""Tables of the metadata store. Change them only together with a migration in migrations/versions."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, MetaData, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so migrations can refer to them on every database.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Role(StrEnum):
    """What a user may do; the permission matrix is ``bizsight.services.access.MATRIX``."""

    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)  # stored naive, always UTC


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class RoleRow(Base):
    __tablename__ = "roles"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    description: Mapped[str] = mapped_column(String(200))
    pii: Mapped[bool] = mapped_column(default=False)  # its users see names and e-mails (admin: yes)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32), ForeignKey("roles.name"))
    active: Mapped[bool] = mapped_column(default=True)
    pii: Mapped[bool] = mapped_column(default=False)  # sees names and e-mails whatever the role
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    restrictions: Mapped[list[Restriction]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin", order_by="Restriction.id"
    )


class Restriction(Base):
    """Row-level security: the user sees only rows where ``dimension`` (a catalogue dimension)
    is one of ``values``. Several restrictions on one user all apply."""

    __tablename__ = "restrictions"
    __table_args__ = (UniqueConstraint("user_id", "dimension"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    dimension: Mapped[str] = mapped_column(String(64))
    values: Mapped[list[str]] = mapped_column(JSON)
    user: Mapped[User] = relationship(back_populates="restrictions")


class ApiToken(Base):
    """A Bearer token for programs; only its SHA-256 is stored (the token is shown once)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists so a user can tell tokens apart
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    revoked: Mapped[bool] = mapped_column(default=False)


class Session(Base):
    """A browser login: the cookie holds a random token, the table its SHA-256 and the CSRF token."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()


class Dashboard(Base):
    __tablename__ = "dashboards"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2000), default="")
    widgets: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # validated by services.dashboards
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # global filters
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    shares: Mapped[list[DashboardShare]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="DashboardShare.id"
    )


class DashboardShare(Base):
    """A grant to read a dashboard: to one user or to everyone with a role."""

    __tablename__ = "dashboard_shares"

    id: Mapped[int] = mapped_column(primary_key=True)
    dashboard_id: Mapped[int] = mapped_column(ForeignKey("dashboards.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), default=None)
    role: Mapped[str | None] = mapped_column(String(32), ForeignKey("roles.name"), default=None)


class AuditEvent(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(64))  # username; None for the system
    action: Mapped[str] = mapped_column(String(64))  # login, login_failed, export, user.add, ...
    target: Mapped[str | None] = mapped_column(String(200), default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # never secrets
    client: Mapped[str | None] = mapped_column(String(64), default=None)


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # the server stopped (or died) while it ran; its work was rolled back
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self not in (JobState.QUEUED, JobState.RUNNING)


class Job(Base):
    """Work the server runs for someone: ingest, refresh, backup (later: reports, alerts). This
    row is the truth about it; the runner updates it as the work goes on."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # ingest, refresh, backup, ...
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    requested_by: Mapped[str | None] = mapped_column(String(64), default=None)  # username; None: system
    origin: Mapped[str] = mapped_column(String(32), default="api")  # api, web, cli, schedule
    schedule_id: Mapped[int | None] = mapped_column(default=None)
    late: Mapped[bool] = mapped_column(default=False)  # a scheduled run made up for at start
    state: Mapped[str] = mapped_column(String(16), default=JobState.QUEUED.value)
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # 0 … 1
    message: Mapped[str] = mapped_column(String(500), default="")  # the current step
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    error: Mapped[str | None] = mapped_column(String(2000), default=None)


class Schedule(Base):
    """A job made on a timetable: a cron expression in a time zone. ``next_run_at`` is kept, so
    a run that fell due while the server was down is seen (and made up once) at the next start."""

    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(32))  # refresh, watch, backup, alerts
    cron: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # folder, keep, ...
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # e.g. files a watch has taken
    enabled: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    next_run_at: Mapped[dt.datetime | None] = mapped_column(default=None)  # UTC
    last_run_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_job_id: Mapped[int | None] = mapped_column(default=None)


class ReportDefinition(Base):
    """A report to send: a template, its filters and relative period, the formats and the
    recipients. It is run as its owner: the owner's row-level restrictions apply to every copy.
    A subscription to a dashboard is one of these (template ``dashboard``)."""

    __tablename__ = "report_definitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    template: Mapped[str] = mapped_column(String(64))  # executive, sales, customers, quality, dashboard
    dashboard_id: Mapped[int | None] = mapped_column(
        ForeignKey("dashboards.id", ondelete="CASCADE"), default=None
    )
    range: Mapped[str | None] = mapped_column(String(32), default=None)  # a relative range: last_month
    filters: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # {dimension, op, values}
    formats: Mapped[list[str]] = mapped_column(JSON, default=list)  # pdf, xlsx, csv (html: the body)
    recipients: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)  # {channel, to}
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    schedule_id: Mapped[int | None] = mapped_column(default=None)  # its row in schedules (kind report)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ReportRun(Base):
    """One rendering of a report: the files made (kept under .bizsight/reports/<id>/, so a
    delivery finished after a restart sends the very same files) and the period they cover."""

    __tablename__ = "report_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_definitions.id", ondelete="SET NULL"), default=None, index=True
    )
    job_id: Mapped[int | None] = mapped_column(default=None)
    template: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    period: Mapped[str] = mapped_column(String(200), default="")
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # name, media_type, size
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DeliveryState(StrEnum):
    PENDING = "pending"  # intended, not known to be sent: finished after a restart
    SENT = "sent"
    FAILED = "failed"  # every attempt failed, or a failure that retrying cannot mend


class Delivery(Base):
    """One message to one recipient. The row is written (pending) before the message is sent and
    updated after, keyed by an idempotency key per (run or alert event, channel, recipient): a
    server killed between the two finishes what is pending at its next start, once."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    report_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_runs.id", ondelete="CASCADE"), default=None, index=True
    )
    alert_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("alert_events.id", ondelete="CASCADE"), default=None, index=True
    )
    channel: Mapped[str] = mapped_column(String(100))  # a channel's name in bizsight.yml
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default=DeliveryState.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(2000), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    receipt: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class AlertRule(Base):
    """An alert: its rule (as given; ``bizsight.alerts.rules.parse_rule`` validates it), who
    hears of it, and its current state (``AlertState.to_json``); its history is alert_events."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    recipients: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)  # {channel, to}
    escalation: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)  # the second channel
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    enabled: Mapped[bool] = mapped_column(default=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    schedule_id: Mapped[int | None] = mapped_column(default=None)  # its own timetable, if any
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AlertEvent(Base):
    """A step in an alert's life: a notification (triggered, reminder, worsened, escalated,
    recovered) or a person's action (acknowledged)."""

    __tablename__ = "alert_events"
    __table_args__ = (Index("ix_alert_events_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # the alert's state after this event
    value: Mapped[float | None] = mapped_column(Float, default=None)
    severity: Mapped[str] = mapped_column(String(8), default="medium")
    detail: Mapped[str] = mapped_column(String(2000), default="")
    actor: Mapped[str | None] = mapped_column(String(64), default=None)  # who acknowledged; None: system
