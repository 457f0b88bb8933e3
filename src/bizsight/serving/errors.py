"""Errors leave the server as JSON bodies: ``{"error": {"type", "code", "message", "request_id"}}``.

``code`` is stable (scripts may rely on it; ``type`` is the exception's name); ``message`` is one
line written for the person asking. What an engine said about a failed query, and the traceback
of anything unexpected, go to the server log under the request's id — which every answer carries
in ``X-Request-Id`` — never to the client. Validation errors of the request itself (422) name the
field and the rule, without echoing what was sent.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from bizsight import errors
from bizsight.serving.headers import security_headers

log = logging.getLogger("bizsight.api")
REQUEST_ID_HEADER = "X-Request-Id"

STATUS: list[tuple[type[errors.BizsightError], int, str]] = [  # first match wins
    (errors.AuthenticationError, 401, "unauthenticated"),
    (errors.AccessDeniedError, 403, "forbidden"),
    (errors.NotFoundError, 404, "not_found"),
    (errors.RateLimitedError, 429, "rate_limited"),
    (errors.PayloadTooLargeError, 413, "too_large"),
    (errors.JobCancelledError, 409, "cancelled"),
    (errors.ConflictError, 409, "conflict"),
    (errors.WarehouseLockedError, 503, "warehouse_locked"),
    (errors.NotInitializedError, 409, "not_ready"),
    (errors.EngineError, 400, "query_failed"),
    (errors.UnknownNameError, 400, "unknown_name"),
    (errors.ConfigError, 400, "invalid_configuration"),
    (errors.InvalidArgumentError, 400, "invalid_argument"),
    (errors.BizsightError, 400, "bad_request"),
]


def status_of(err: errors.BizsightError) -> int:
    return next(code for kind, code, _ in STATUS if isinstance(err, kind))


def code_of(err: errors.BizsightError) -> str:
    """
    >>> code_of(errors.NotFoundError("no dashboard 4")), code_of(errors.EngineError("Conversion Error"))
    ('not_found', 'query_failed')
    """
    return next(name for kind, _, name in STATUS if isinstance(err, kind))


def body(
    kind: str, code: str, message: str, request_id: str | None = None
) -> dict[str, dict[str, str | None]]:
    return {"error": {"type": kind, "code": code, "message": message, "request_id": request_id}}


def request_id(request: Request) -> str:
    found: str | None = getattr(request.state, "request_id", None)
    if found is None:
        found = request.state.request_id = uuid.uuid4().hex[:16]
    return found


async def tag_request(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Give each request an id, sent back in ``X-Request-Id`` and written beside its log lines."""
    rid = request_id(request)
    response = await call_next(request)
    response.headers[REQUEST_ID_HEADER] = rid
    return response


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.BizsightError)
    async def bizsight_error(request: Request, err: errors.BizsightError) -> JSONResponse:
        status, rid = status_of(err), request_id(request)
        headers = {REQUEST_ID_HEADER: rid}
        if isinstance(err, errors.RateLimitedError):
            headers["Retry-After"] = str(max(1, math.ceil(err.retry_after)))
        if status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        message = str(err)
        if isinstance(err, errors.EngineError):
            log.warning("request %s: %s %s: %s", rid, request.method, request.url.path, message)
            message = f"the query could not be run; the server log has the details under request id {rid}"
        return JSONResponse(
            body(type(err).__name__, code_of(err), message, rid), status_code=status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, err: RequestValidationError) -> JSONResponse:
        rid = request_id(request)
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}"
            for e in err.errors()[:5]
        )
        return JSONResponse(
            body("RequestValidationError", "invalid_request", reasons[:1000], rid),
            status_code=422,
            headers={REQUEST_ID_HEADER: rid},
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, err: Exception) -> JSONResponse:
        rid = request_id(request)
        log.exception("request %s: internal error on %s %s", rid, request.method, request.url.path)
        message = f"internal error; the server log has the details under request id {rid}"
        # This answer leaves from the outermost middleware, past the one that adds these.
        state = getattr(request.app.state, "bizsight", None)
        https = bool(state and state.project.settings.server.secure_cookies)
        headers = {REQUEST_ID_HEADER: rid, **security_headers(https=https)}
        return JSONResponse(body("InternalError", "internal", message, rid), status_code=500, headers=headers)
