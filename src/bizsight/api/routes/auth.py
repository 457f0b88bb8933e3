"""Logging in and out of the browser UI (cookie sessions with a CSRF token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from bizsight.api.deps import SESSION_COOKIE, Client, CurrentUser, StateDep, cookie_scheme
from bizsight.api.schemas import LoggedIn, Login, Me, Ok, Session
from bizsight.api.schemas.errors import ERRORS
from bizsight.services.access import Permission, Principal, allowed
from bizsight.services.users import login as do_login
from bizsight.services.users import logout as do_logout
from bizsight.services.users import session_principal

router = APIRouter(prefix="/auth", tags=["auth"], responses=ERRORS)


@router.post("/login")
def login(body: Login, response: Response, state: StateDep, client: Client) -> LoggedIn:
    """Check the password, set the session cookie, return the CSRF token to send on changes."""
    server = state.project.settings.server
    principal, cookie, csrf = do_login(
        state.store,
        body.username,
        body.password,
        hours=server.session_hours,
        guard=state.login_guard,
        client=client,
    )
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=int(server.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=server.secure_cookies,
        path="/",
    )
    return LoggedIn(user=_me(principal), csrf_token=csrf)


@router.post("/logout")
def logout(
    user: CurrentUser,
    response: Response,
    state: StateDep,
    cookie: Annotated[str | None, Depends(cookie_scheme)],
) -> Ok:
    if cookie:
        do_logout(state.store, cookie, user)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return Ok(ok=True)


@router.get("/me")
def me(user: CurrentUser, state: StateDep, cookie: Annotated[str | None, Depends(cookie_scheme)]) -> Session:
    """Who is calling, what they may do, and (for a cookie session) the CSRF token."""
    found = session_principal(state.store, cookie) if cookie else None
    return Session(user=_me(user), csrf_token=found[1] if found else None)


def _me(user: Principal) -> Me:
    return Me(
        id=user.user_id,
        username=user.username,
        role=user.role,
        restrictions=list(user.restrictions),
        permissions=[p.value for p in Permission if allowed(user, p)],
    )
