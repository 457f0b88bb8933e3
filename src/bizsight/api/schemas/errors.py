"""The error answer every route may give (bizsight.serving.errors), documented on each router so
clients and schemathesis know the statuses and the body."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from bizsight.api.schemas.common import Answer


class ErrorDetail(Answer):
    type: str = Field(description="the exception's name, e.g. InvalidArgumentError, NotFoundError")
    code: str = Field(
        description="stable: invalid_argument, invalid_request, unknown_name, not_found, unauthenticated, forbidden, conflict, "
        "not_ready, rate_limited, too_large, query_failed, warehouse_locked, internal, ..."
    )
    message: str = Field(description="one line, with a did-you-mean where one fits; never an engine's text")
    request_id: str | None = Field(description="the X-Request-Id of the answer; the server log uses it")


class ErrorBody(Answer):
    error: ErrorDetail


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


# Statuses a logged-in call may get.
ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("bad input: an unknown metric, dimension or value, a bad date, ..."),
    422: _error("the request does not fit its schema: the field and the rule are named"),
    401: _error("not logged in: no, an expired or a revoked token or session"),
    403: _error("not allowed: the role lacks the permission, a row-level restriction, or no CSRF token"),
    404: _error("no such thing (also when a restriction hides it)"),
    409: _error("not ready: no data loaded or refreshed yet, or the job was cancelled"),
    429: _error("too many requests: see Retry-After"),
    503: _error("the warehouse is locked by another process"),
}
