"""Security headers on every answer: pages, static files, the API and errors alike.

The pages load scripts only from this server (``script-src 'self'``: no inline script, no
``eval``; page data travels in a ``<script type="application/json">`` block, which is data, not
code). Styles may be inline because Plotly writes its own ``<style>`` rules. Nothing may frame
the app (``frame-ancestors 'none'``, and ``X-Frame-Options`` for old browsers), types are not
sniffed, and other sites get no path in ``Referer``. With ``server.secure_cookies`` (the app is
served over HTTPS) browsers are told to keep to HTTPS for a year.

The interactive API docs (``/api/v1/docs``) are FastAPI's Swagger UI, which loads its script from
jsDelivr and starts it inline: that one page gets a policy allowing exactly that.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response

APP_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
DOCS_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
        "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
        "img-src 'self' data: https://fastapi.tiangolo.com",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(*, https: bool) -> dict[str, str]:
    """The headers every answer gets (the docs page swaps in its own policy).

    >>> sorted(security_headers(https=True))  # doctest: +NORMALIZE_WHITESPACE
    ['Content-Security-Policy', 'Cross-Origin-Opener-Policy', 'Referrer-Policy', 'Strict-Transport-Security',
     'X-Content-Type-Options', 'X-Frame-Options']
    >>> "Strict-Transport-Security" in security_headers(https=False)
    False
    """
    headers = {
        "Content-Security-Policy": APP_POLICY,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if https:
        headers["Strict-Transport-Security"] = HSTS
    return headers


async def add_security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    state = getattr(request.app.state, "bizsight", None)
    https = bool(state and state.project.settings.server.secure_cookies)
    for name, value in security_headers(https=https).items():
        response.headers.setdefault(name, value)
    if request.url.path == request.app.docs_url:
        response.headers["Content-Security-Policy"] = DOCS_POLICY
    return response
