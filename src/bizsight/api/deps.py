"""Dependencies of the API's handlers, as ``Annotated`` aliases: the caller and one guard per
permission (which also rate-limits expensive calls); the state, warehouse cursor, store and
project come from :mod:`bizsight.serving.deps` and are re-exported here for the routes.

Handlers then read like ``def query(body: Query, user: QueryUser, wh: WarehouseDep)``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from bizsight.app.security import same
from bizsight.errors import AccessDeniedError, AuthenticationError
from bizsight.services.access import Permission, Principal, authorize
from bizsight.services.users import session_principal, token_principal
from bizsight.serving.deps import (
    SESSION_COOKIE,
    Client,
    ProjectDep,
    StateDep,
    StoreDep,
    WarehouseDep,
)

CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer_scheme = HTTPBearer(
    auto_error=False, description="An API token from `bizsight users token` or POST /api/v1/tokens"
)
cookie_scheme = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="The browser session from /api/v1/auth/login"
)
csrf_scheme = APIKeyHeader(
    name=CSRF_HEADER, auto_error=False, description="With the session cookie on POST/PUT/PATCH/DELETE"
)


def current_principal(
    request: Request,
    store: StoreDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    cookie: Annotated[str | None, Depends(cookie_scheme)],
    csrf: Annotated[str | None, Depends(csrf_scheme)],
) -> Principal:
    """The caller, from a Bearer token or the session cookie. With the cookie, a request that
    changes something must carry the session's CSRF token in X-CSRF-Token (a page of another
    site can make the browser send the cookie, but cannot read the token)."""
    if bearer is not None:
        principal = token_principal(store, bearer.credentials)
        if principal is None:
            raise AuthenticationError("unknown, revoked or expired API token")
        return principal
    if cookie:
        found = session_principal(store, cookie)
        if found is None:
            raise AuthenticationError("your session has ended; log in again")
        principal, expected = found
        if request.method not in SAFE_METHODS and not (csrf and same(csrf, expected)):
            raise AccessDeniedError(f"missing or wrong {CSRF_HEADER} header for a cookie session")
        return principal
    raise AuthenticationError("log in, or send an API token as 'Authorization: Bearer <token>'")


CurrentUser = Annotated[Principal, Depends(current_principal)]


def local_caller(
    state: StateDep, bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
) -> None:
    """The CLI on this machine: it proves itself with the token of ``.bizsight/server.json``,
    a file only the server's user can read."""
    expected = state.local_token
    if expected is None or bearer is None or not same(bearer.credentials, expected):
        raise AuthenticationError("commands are taken only from the CLI of the server's own user")


LocalCaller = Annotated[None, Depends(local_caller)]


class Guard:
    """A dependency that lets the caller through when their role has ``permission``; for an
    expensive call it also spends one token of the caller's rate limit."""

    def __init__(self, permission: Permission, *, expensive: bool = False) -> None:
        self.permission = permission
        self.expensive = expensive

    def __call__(self, principal: CurrentUser, state: StateDep) -> Principal:
        authorize(principal, self.permission)
        if self.expensive:
            state.query_limiter.take(principal.user_id)
        return principal


class LocalOrGuard(Guard):
    """Like :class:`Guard`, but the CLI of the server's own user (the token of
    ``.bizsight/server.json``) also gets through, as the unrestricted owner it is when it works
    on the project without a server: ``bizsight report run`` asks the server this way."""

    def __call__(  # type: ignore[override]
        self,
        request: Request,
        state: StateDep,
        store: StoreDep,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
        cookie: Annotated[str | None, Depends(cookie_scheme)],
        csrf: Annotated[str | None, Depends(csrf_scheme)],
    ) -> Principal:
        from bizsight.services.access import SYSTEM

        expected = state.local_token
        if bearer is not None and expected is not None and same(bearer.credentials, expected):
            return SYSTEM
        return super().__call__(current_principal(request, store, bearer, cookie, csrf), state)


CatalogueUser = Annotated[Principal, Depends(Guard(Permission.CATALOGUE))]
QueryUser = Annotated[Principal, Depends(Guard(Permission.QUERY, expensive=True))]
AskUser = Annotated[Principal, Depends(Guard(Permission.ASK, expensive=True))]
CustomersUser = Annotated[Principal, Depends(Guard(Permission.CUSTOMERS, expensive=True))]
ExportUser = Annotated[Principal, Depends(Guard(Permission.EXPORT, expensive=True))]
MarketingUser = Annotated[Principal, Depends(Guard(Permission.MARKETING, expensive=True))]
InsightsUser = Annotated[Principal, Depends(Guard(Permission.INSIGHTS, expensive=True))]
StatusUser = Annotated[Principal, Depends(Guard(Permission.DATA_STATUS))]
QualityUser = Annotated[Principal, Depends(Guard(Permission.DATA_QUALITY))]
DashboardReader = Annotated[Principal, Depends(Guard(Permission.DASHBOARDS_READ))]
DashboardWriter = Annotated[Principal, Depends(Guard(Permission.DASHBOARDS_WRITE))]
TokenUser = Annotated[Principal, Depends(Guard(Permission.TOKENS))]
Admin = Annotated[Principal, Depends(Guard(Permission.USERS))]
Auditor = Annotated[Principal, Depends(Guard(Permission.AUDIT))]
LoadUser = Annotated[Principal, Depends(Guard(Permission.DATA_LOAD))]
JobsUser = Annotated[Principal, Depends(Guard(Permission.JOBS))]
ScheduleUser = Annotated[Principal, Depends(Guard(Permission.SCHEDULES))]
BackupUser = Annotated[Principal, Depends(Guard(Permission.BACKUPS))]
ReportReader = Annotated[Principal, Depends(Guard(Permission.REPORTS_READ))]
ReportPreviewer = Annotated[Principal, Depends(Guard(Permission.REPORTS_READ, expensive=True))]
ReportManager = Annotated[Principal, Depends(Guard(Permission.REPORTS_MANAGE))]
PrivacyUser = Annotated[Principal, Depends(Guard(Permission.PRIVACY))]
ReportUser = Annotated[Principal, Depends(LocalOrGuard(Permission.EXPORT, expensive=True))]
AlertReader = Annotated[Principal, Depends(Guard(Permission.ALERTS_READ))]
AlertAcknowledger = Annotated[Principal, Depends(Guard(Permission.ALERTS_ACK))]
AlertManager = Annotated[Principal, Depends(Guard(Permission.ALERTS_MANAGE))]
PipelineUser = Annotated[Principal, Depends(Guard(Permission.PIPELINE, expensive=True))]

__all__ = [
    "SESSION_COOKIE",
    "Client",
    "ProjectDep",
    "StateDep",
    "StoreDep",
    "WarehouseDep",
]
