"""The users use cases, shared by ``bizsight users`` and the API: accounts, roles, row-level
restrictions, API tokens, logins and the first admin."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import object_session

from bizsight.app import accounts, audit
from bizsight.app.models import ApiToken, Role, RoleRow, User, utcnow
from bizsight.app.security import hash_password, new_password, password_problem, verify_password
from bizsight.app.store import MetadataStore, store_url
from bizsight.config import ServerSettings
from bizsight.errors import AuthenticationError, ConflictError, InvalidArgumentError, did_you_mean
from bizsight.services.access import Principal, restriction_filters
from bizsight.services.login_guard import LoginGuard
from bizsight.services.project import Project

if TYPE_CHECKING:
    from bizsight.metrics.definitions import Catalogue

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
FIRST_ADMIN = "admin"
SYSTEM = None  # the actor of changes made on the command line (whoever runs it owns the files)


def open_store(project: Project) -> MetadataStore:
    """The project's metadata store, migrated to the newest schema."""
    return MetadataStore.open(store_url(project.paths, project.settings.server))


def user_view(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role,
        "active": user.active,
        "pii": user.pii,
        "created_at": user.created_at,
        "restrictions": {r.dimension: list(r.values) for r in user.restrictions},
    }


def token_view(row: ApiToken) -> dict[str, Any]:
    return {
        "id": row.id,
        "user_id": row.user_id,
        "name": row.name,
        "prefix": row.prefix,
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "last_used_at": row.last_used_at,
        "revoked": row.revoked,
    }


def principal_of(user: User) -> Principal:
    """The caller ``user`` is (read inside the session that loaded it)."""
    session = object_session(user)
    role = session.get(RoleRow, user.role) if session is not None else None
    return Principal(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        restrictions=restriction_filters({r.dimension: list(r.values) for r in user.restrictions}),
        pii=user.pii or bool(role and role.pii),
    )


def ensure_admin(store: MetadataStore, settings: ServerSettings) -> tuple[str, str | None] | None:
    """On first run (no users yet) create the admin. Returns (name, generated password) — the
    password is None when it came from $BIZSIGHT_ADMIN_PASSWORD — or None when users exist."""
    with store.session() as s:
        if accounts.count_users(s):
            return None
        if settings.admin_password:
            _check_password(settings.admin_password, FIRST_ADMIN)
        password = settings.admin_password or new_password()
        accounts.create_user(s, FIRST_ADMIN, hash_password(password), Role.ADMIN)
        audit.record(
            s, "user.add", actor=SYSTEM, target=FIRST_ADMIN, detail={"role": "admin", "first_run": True}
        )
    return FIRST_ADMIN, None if settings.admin_password else password


def add_user(
    store: MetadataStore, username: str, role: str, password: str | None = None, *, actor: str | None = SYSTEM
) -> tuple[dict[str, Any], str | None]:
    """A new user; returns it and the generated password when none was given."""
    _check_username(username)
    generated = new_password() if password is None else None
    password = generated or password or ""
    _check_password(password, username)
    with store.session() as s:
        user = accounts.create_user(s, username, hash_password(password), _role(role))
        audit.record(s, "user.add", actor=actor, target=username, detail={"role": role})
        return user_view(user), generated


def list_users(store: MetadataStore) -> list[dict[str, Any]]:
    with store.session() as s:
        return [user_view(u) for u in accounts.list_users(s)]


def update_user(
    store: MetadataStore,
    username: str,
    *,
    role: str | None = None,
    active: bool | None = None,
    password: str | None = None,
    pii: bool | None = None,
    actor: str | None = SYSTEM,
) -> dict[str, Any]:
    """Change a user's role, active flag, password or ``pii`` grant (names and e-mails shown
    whatever the role); any change ends their browser sessions."""
    with store.session() as s:
        user = accounts.require_user(s, username)
        changes: dict[str, Any] = {}
        _keep_an_admin(s, user, role=_role(role) if role is not None else None, active=active)
        if role is not None:
            user.role = _role(role)
            changes["role"] = role
        if active is not None:
            user.active = active
            changes["active"] = active
        if pii is not None:
            user.pii = pii
            changes["pii"] = pii
        if password is not None:
            _check_password(password, username)
            user.password_hash = hash_password(password)
            changes["password_changed"] = True
        accounts.end_sessions_of(s, user.id)
        audit.record(s, "user.update", actor=actor, target=username, detail=changes)
        return user_view(user)


def grant_pii_to_role(
    store: MetadataStore, role: str, pii: bool, *, actor: str | None = SYSTEM
) -> dict[str, bool]:
    """Give every user of ``role`` the ``pii`` grant, or take it back; every role's grant."""
    with store.session() as s:
        row = s.get(RoleRow, _role(role).value)
        assert row is not None  # seeded by the first migration
        row.pii = pii
        for user in accounts.list_users(s):
            if user.role == row.name:
                accounts.end_sessions_of(s, user.id)
        audit.record(s, "role.pii", actor=actor, target=row.name, detail={"pii": pii})
        return role_grants(s)


def role_grants(s: OrmSession) -> dict[str, bool]:
    return {r.name: r.pii for r in s.scalars(select(RoleRow).order_by(RoleRow.name))}


def restrict(
    store: MetadataStore,
    catalogue: Catalogue,
    username: str,
    restrictions: dict[str, list[str]],
    *,
    actor: str | None = SYSTEM,
) -> dict[str, Any]:
    """Replace a user's row-level restrictions (dimension → values); {} lifts them all."""
    for dimension, values in restrictions.items():
        catalogue.dimension(dimension)  # unknown names fail with a did-you-mean
        if not values or not all(isinstance(v, str) and v for v in values):
            raise InvalidArgumentError(f"restriction on {dimension}: give one or more non-empty values")
    with store.session() as s:
        user = accounts.require_user(s, username)
        _keep_an_admin(s, user, restricted=bool(restrictions))
        accounts.set_restrictions(s, user, restrictions)
        accounts.end_sessions_of(s, user.id)
        audit.record(s, "user.restrict", actor=actor, target=username, detail={"restrictions": restrictions})
        return user_view(user)


def parse_restrictions(texts: list[str]) -> dict[str, list[str]]:
    """``region=EMEA,APAC`` words as {dimension: values}.

    >>> parse_restrictions(["region=EMEA,APAC", "customer_segment=Consumer"])
    {'region': ['EMEA', 'APAC'], 'customer_segment': ['Consumer']}
    """
    found: dict[str, list[str]] = {}
    for text in texts:
        dimension, sep, values = text.partition("=")
        if not sep or not dimension.strip() or not values.strip():
            raise InvalidArgumentError(f"cannot read restriction '{text}': write DIMENSION=VALUE[,VALUE...]")
        found[dimension.strip()] = [v.strip() for v in values.split(",") if v.strip()]
    return found


def create_token(
    store: MetadataStore,
    username: str,
    name: str,
    *,
    days: float | None = None,
    actor: str | None = SYSTEM,
) -> tuple[dict[str, Any], str]:
    """A new API token for ``username``: its description and the token itself (shown once)."""
    if not name.strip() or len(name) > 100:
        raise InvalidArgumentError("a token needs a name of 1 to 100 characters")
    if days is not None and days <= 0:
        raise InvalidArgumentError("--days must be more than 0")
    expires = utcnow() + dt.timedelta(days=days) if days else None
    with store.session() as s:
        user = accounts.require_user(s, username)
        row, token = accounts.create_token(s, user, name.strip(), expires)
        audit.record(s, "token.create", actor=actor, target=username, detail={"name": row.name, "id": row.id})
        return token_view(row), token


def list_tokens(store: MetadataStore, user_id: int | None = None) -> list[dict[str, Any]]:
    with store.session() as s:
        return [token_view(t) for t in accounts.list_tokens(s, user_id)]


def revoke_token(store: MetadataStore, token_id: int, principal: Principal, *, any_user: bool) -> None:
    """Revoke a token: one's own, or anyone's when ``any_user`` (admins)."""
    from bizsight.errors import NotFoundError

    with store.session() as s:
        row = accounts.token_by_id(s, token_id)
        if row.user_id != principal.user_id and not any_user:
            raise NotFoundError(f"no token with id {token_id}")  # do not reveal others' tokens
        row.revoked = True
        audit.record(s, "token.revoke", actor=principal.username, target=str(token_id))


def login(
    store: MetadataStore,
    username: str,
    password: str,
    *,
    hours: float,
    guard: LoginGuard,
    client: str | None,
) -> tuple[Principal, str, str]:
    """Check a password and open a browser session: the caller, the cookie value, the CSRF token.
    Attempts are throttled per client address, per account and across accounts (``guard``);
    failures, locked accounts and sprayed passwords are audited."""
    guard.check(client, username, password)
    with store.session() as s:
        user = accounts.user_named(s, username)
        ok = verify_password(user.password_hash if user else None, password)
        if not ok or user is None or not user.active:
            audit.record(s, "login_failed", actor=username[:64], client=client)
            for event in guard.failed(client, username, password):  # account_locked, password_spray
                audit.record(s, event, actor=username[:64], client=client)
    if not ok or user is None or not user.active:
        raise AuthenticationError("wrong user name or password")
    guard.succeeded(username)
    with store.session() as s:
        user = accounts.require_user(s, username)
        cookie, csrf = accounts.create_session(s, user, hours)
        audit.record(s, "login", actor=user.username, client=client)
        return principal_of(user), cookie, csrf


def logout(store: MetadataStore, cookie: str, principal: Principal) -> None:
    with store.session() as s:
        accounts.end_session(s, cookie)
        audit.record(s, "logout", actor=principal.username)


def session_principal(store: MetadataStore, cookie: str) -> tuple[Principal, str] | None:
    """The caller of a browser session and its CSRF token, or None."""
    with store.session() as s:
        found = accounts.session_for(s, cookie)
        return (principal_of(found[0]), found[1].csrf_token) if found else None


def token_principal(store: MetadataStore, token: str) -> Principal | None:
    with store.session() as s:
        user = accounts.user_for_token(s, token)
        return principal_of(user) if user else None


def audit_log(store: MetadataStore, *, limit: int, action: str | None) -> list[dict[str, Any]]:
    with store.session() as s:
        return [
            {
                "id": e.id,
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "target": e.target,
                "detail": e.detail,
                "client": e.client,
            }
            for e in audit.recent(s, limit=limit, action=action)
        ]


def record(store: MetadataStore, action: str, principal: Principal, **details: Any) -> None:
    """Audit one action of ``principal`` (exports, for instance)."""
    target = details.pop("target", None)
    client = details.pop("client", None)
    with store.session() as s:
        audit.record(s, action, actor=principal.username, target=target, detail=details, client=client)


def _keep_an_admin(
    s: OrmSession,
    user: User,
    *,
    role: Role | None = None,
    active: bool | None = None,
    restricted: bool | None = None,
) -> None:
    """Refuse a change that would leave nobody able to manage users: the last active admin
    without row-level restrictions (restricted users may not manage users) stays one."""

    def manages(
        u: User, role: Role | None = None, active: bool | None = None, restricted: bool | None = None
    ) -> bool:
        return (
            (role or u.role) == Role.ADMIN
            and (u.active if active is None else active)
            and not (bool(u.restrictions) if restricted is None else restricted)
        )

    if not manages(user) or manages(user, role, active, restricted):
        return
    if not any(manages(other) for other in accounts.list_users(s) if other.id != user.id):
        raise ConflictError(f"{user.username} is the last active admin; make another user an admin first")


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        names = [r.value for r in Role]
        raise InvalidArgumentError(
            f"unknown role '{role}'{did_you_mean(role, names)}; use {', '.join(names)}"
        ) from None


def _check_username(username: str) -> None:
    if not USERNAME.match(username):
        raise InvalidArgumentError(
            f"user name {username!r}: use 1-64 letters, digits and . _ @ -, starting with a letter or digit"
        )


def _check_password(password: str, username: str) -> None:
    problem = password_problem(password, username)
    if problem:
        raise InvalidArgumentError(problem)
