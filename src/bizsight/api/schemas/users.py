"""Answers of sessions, users, tokens, dashboards and the audit log."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from bizsight.api.schemas.common import Answer, UtcTimestamp
from bizsight.app.models import Role
from bizsight.metrics.query import Filter
from bizsight.services.dashboards import GlobalFilters, Period, Widget


class Me(Answer):
    id: int
    username: str
    role: Role
    restrictions: list[Filter] = Field(description="filters added to every query of this user")
    permissions: list[str]


class Session(Answer):
    user: Me
    csrf_token: str | None = Field(
        description="send as X-CSRF-Token on changes; null without a cookie session"
    )


class LoggedIn(Session):
    csrf_token: str


class Ok(Answer):
    ok: bool


class UserOut(Answer):
    id: int
    username: str
    role: Role
    active: bool
    pii: bool = Field(description="sees names and e-mails whatever the role (see also the role's grant)")
    created_at: UtcTimestamp
    restrictions: dict[str, list[str]] = Field(description="dimension → values the user may see")


class UserList(Answer):
    users: list[UserOut]


class NewUserOut(Answer):
    user: UserOut
    password: str | None = Field(description="the generated password, shown once; null when one was given")


class TokenOut(Answer):
    id: int
    user_id: int
    name: str
    prefix: str = Field(description="the token's first characters, to recognise it")
    created_at: UtcTimestamp
    expires_at: UtcTimestamp | None
    last_used_at: UtcTimestamp | None
    revoked: bool


class TokenList(Answer):
    tokens: list[TokenOut]


class NewTokenOut(TokenOut):
    token: str = Field(description="the token itself, shown once: send as Authorization: Bearer ...")


class AuditEvent(Answer):
    id: int
    at: UtcTimestamp
    actor: str | None
    action: str
    target: str | None
    detail: dict[str, Any] | None = Field(description="what the action changed or asked for")
    client: str | None = Field(description="the client's address")


class AuditLog(Answer):
    events: list[AuditEvent] = Field(description="newest first")


class DashboardOut(Answer):
    id: int
    owner_id: int | None
    title: str
    description: str
    widgets: list[Widget]
    filters: GlobalFilters
    period: Period | None = Field(
        default=None,
        description="the dates the dashboard shows today (only when one dashboard is read): a relative range "
        "resolved against the last day with data, a fixed one as saved",
    )
    share_users: list[int]
    share_roles: list[Role]
    created_at: UtcTimestamp
    updated_at: UtcTimestamp


class DashboardList(Answer):
    dashboards: list[DashboardOut]


class RoleGrants(Answer):
    pii: dict[str, bool] = Field(description="role → whether its users see names and e-mails")
