"""Users, restrictions, API tokens and browser sessions in the metadata store.

Functions take an open ORM session (one unit of work) and never see a clear-text secret after
hashing it; checking the rules (roles, dimension names, password length) is the service's job.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session as OrmSession

from bizsight.app.models import ApiToken, Restriction, Session, User, utcnow
from bizsight.app.security import new_token, token_hash
from bizsight.errors import InvalidArgumentError, NotFoundError

LAST_USED_PRECISION = dt.timedelta(minutes=1)


def count_users(s: OrmSession) -> int:
    return int(s.scalar(select(func.count()).select_from(User)) or 0)


def user_named(s: OrmSession, username: str) -> User | None:
    return s.scalar(select(User).where(User.username == username))


def user_by_id(s: OrmSession, user_id: int) -> User:
    user = s.get(User, user_id)
    if user is None:
        raise NotFoundError(f"no user with id {user_id}")
    return user


def require_user(s: OrmSession, username: str) -> User:
    user = user_named(s, username)
    if user is None:
        from bizsight.errors import did_you_mean

        names = s.scalars(select(User.username)).all()
        raise NotFoundError(f"no user named '{username}'{did_you_mean(username, names)}")
    return user


def list_users(s: OrmSession) -> list[User]:
    return list(s.scalars(select(User).order_by(User.id)))


def create_user(s: OrmSession, username: str, password_hash: str, role: str) -> User:
    if user_named(s, username) is not None:
        raise InvalidArgumentError(f"a user named '{username}' exists already")
    user = User(username=username, password_hash=password_hash, role=role, restrictions=[])
    s.add(user)
    s.flush()
    return user


def set_restrictions(s: OrmSession, user: User, restrictions: dict[str, list[str]]) -> None:
    """Replace the user's restrictions: dimension → the values they may see."""
    user.restrictions.clear()
    s.flush()
    for dimension, values in sorted(restrictions.items()):
        user.restrictions.append(Restriction(dimension=dimension, values=list(values)))
    s.flush()


def create_token(
    s: OrmSession, user: User, name: str, expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """A new API token; the clear token is returned here once and never stored."""
    token, digest = new_token()
    row = ApiToken(user_id=user.id, name=name, token_hash=digest, prefix=token[:12], expires_at=expires_at)
    s.add(row)
    s.flush()
    return row, token


def user_for_token(s: OrmSession, token: str) -> User | None:
    row = s.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    now = utcnow()
    if row is None or row.revoked or (row.expires_at is not None and row.expires_at <= now):
        return None
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_PRECISION:
        row.last_used_at = now  # not on every request: a write per call would slow reads down
    user = s.get(User, row.user_id)
    return user if user is not None and user.active else None


def list_tokens(s: OrmSession, user_id: int | None = None) -> list[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.id)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return list(s.scalars(query))


def token_by_id(s: OrmSession, token_id: int) -> ApiToken:
    row = s.get(ApiToken, token_id)
    if row is None:
        raise NotFoundError(f"no token with id {token_id}")
    return row


def create_session(s: OrmSession, user: User, hours: float) -> tuple[str, str]:
    """A browser session for ``user``: the cookie value and the CSRF token."""
    token, digest = new_token("bzsess_")
    csrf = secrets.token_urlsafe(32)
    s.add(
        Session(
            token_hash=digest,
            user_id=user.id,
            csrf_token=csrf,
            expires_at=utcnow() + dt.timedelta(hours=hours),
        )
    )
    s.execute(delete(Session).where(Session.expires_at <= utcnow()))  # forget expired ones
    return token, csrf


def session_for(s: OrmSession, token: str) -> tuple[User, Session] | None:
    row = s.scalar(select(Session).where(Session.token_hash == token_hash(token)))
    if row is None or row.expires_at <= utcnow():
        return None
    user = s.get(User, row.user_id)
    return (user, row) if user is not None and user.active else None


def end_session(s: OrmSession, token: str) -> None:
    s.execute(delete(Session).where(Session.token_hash == token_hash(token)))


def end_sessions_of(s: OrmSession, user_id: int) -> None:
    s.execute(delete(Session).where(Session.user_id == user_id))
