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


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32), ForeignKey("roles.name"))
    active: Mapped[bool] = mapped_column(default=True)
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
    kind: Mapped[str] = mapped_column(String(32))  # refresh, watch, backup
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
