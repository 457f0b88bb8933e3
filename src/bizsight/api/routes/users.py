"""Users, roles, row-level restrictions and API tokens; the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from bizsight.api.deps import Admin, Auditor, ProjectDep, StoreDep, TokenUser
from bizsight.api.schemas import (
    AuditLog,
    NewToken,
    NewTokenOut,
    NewUser,
    NewUserOut,
    Restrictions,
    TokenList,
    UserChange,
    UserList,
    UserOut,
)
from bizsight.api.schemas.errors import ERRORS
from bizsight.api.schemas.requests import RolePii
from bizsight.api.schemas.users import RoleGrants
from bizsight.app.models import Role
from bizsight.services import users as service
from bizsight.services.access import Permission, allowed
from bizsight.services.query import catalogue

router = APIRouter(tags=["users"], responses=ERRORS)

Username = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/users")
def list_users(user: Admin, store: StoreDep) -> UserList:
    return UserList.model_validate({"users": service.list_users(store)})


@router.post("/users", status_code=201)
def add_user(body: NewUser, user: Admin, store: StoreDep) -> NewUserOut:
    """A new user; a generated password is returned here once when none is given."""
    created, password = service.add_user(store, body.username, body.role, body.password, actor=user.username)
    return NewUserOut.model_validate({"user": created, "password": password})


@router.patch("/users/{username}")
def change_user(username: Username, body: UserChange, user: Admin, store: StoreDep) -> UserOut:
    """Change a role, (de)activate, or set a password; the user's browser sessions end."""
    changed = service.update_user(
        store,
        username,
        role=body.role,
        active=body.active,
        password=body.password,
        pii=body.pii,
        actor=user.username,
    )
    return UserOut.model_validate(changed)


@router.put("/roles/{role}/pii")
def grant_role_pii(role: Role, body: RolePii, user: Admin, store: StoreDep) -> RoleGrants:
    """Give every user of ``role`` the sight of names and e-mails, or take it back."""
    return RoleGrants.model_validate(
        {"pii": service.grant_pii_to_role(store, role.value, body.pii, actor=user.username)}
    )


@router.put("/users/{username}/restrictions")
def restrict_user(
    username: Username, body: Restrictions, user: Admin, store: StoreDep, project: ProjectDep
) -> UserOut:
    """Replace the user's row-level restrictions (dimension → values they may see)."""
    changed = service.restrict(store, catalogue(project), username, body.restrictions, actor=user.username)
    return UserOut.model_validate(changed)


@router.get("/tokens")
def list_tokens(
    user: TokenUser, store: StoreDep, all_users: Annotated[bool, Query(alias="all")] = False
) -> TokenList:
    """The caller's API tokens (an admin may ask for everyone's with ``all=true``)."""
    everyone = all_users and allowed(user, Permission.USERS)
    return TokenList.model_validate(
        {"tokens": service.list_tokens(store, None if everyone else user.user_id)}
    )


@router.post("/tokens", status_code=201)
def create_token(body: NewToken, user: TokenUser, store: StoreDep) -> NewTokenOut:
    """A new API token for the caller; the token itself is shown here once."""
    view, token = service.create_token(store, user.username, body.name, days=body.days, actor=user.username)
    return NewTokenOut.model_validate({"token": token, **view})


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(
    token_id: Annotated[int, Path(ge=1, le=2**31 - 1)], user: TokenUser, store: StoreDep
) -> None:
    service.revoke_token(store, token_id, user, any_user=allowed(user, Permission.USERS))


@router.get("/audit")
def audit_log(
    user: Auditor,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    action: Annotated[str | None, Query(max_length=64)] = None,
) -> AuditLog:
    """Logins, failed logins, exports and admin actions, newest first."""
    return AuditLog.model_validate({"events": service.audit_log(store, limit=limit, action=action)})
