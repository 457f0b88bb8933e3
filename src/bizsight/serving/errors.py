"""Errors leave the API as JSON bodies with a 4xx status: ``{"error": {"type", "message"}}``.
Anything unexpected is a 500 with a generic body; the traceback goes to the server log only."""

from __future__ import annotations

import logging
import math

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bizsight import errors

log = logging.getLogger("bizsight.api")

STATUS: list[tuple[type[errors.BizsightError], int]] = [  # first match wins
    (errors.AuthenticationError, 401),
    (errors.AccessDeniedError, 403),
    (errors.NotFoundError, 404),
    (errors.RateLimitedError, 429),
    (errors.PayloadTooLargeError, 413),
    (errors.JobCancelledError, 409),
    (errors.ConflictError, 409),
    (errors.WarehouseLockedError, 503),
    (errors.NotInitializedError, 409),
    (errors.BizsightError, 400),
]


def status_of(err: errors.BizsightError) -> int:
    return next(code for kind, code in STATUS if isinstance(err, kind))


def body(kind: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"type": kind, "message": message}}


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.BizsightError)
    async def bizsight_error(request: Request, err: errors.BizsightError) -> JSONResponse:
        status = status_of(err)
        headers = {}
        if isinstance(err, errors.RateLimitedError):
            headers["Retry-After"] = str(max(1, math.ceil(err.retry_after)))
        if status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return JSONResponse(body(type(err).__name__, str(err)), status_code=status, headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, err: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return JSONResponse(body("InternalError", "internal error; see the server log"), status_code=500)
