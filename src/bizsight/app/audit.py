"""The audit log: who did what, when, from where. Details never hold secrets."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from bizsight.app.models import AuditEvent

SECRET_WORDS = ("password", "token", "secret", "cookie", "csrf")


def record(
    s: OrmSession,
    action: str,
    *,
    actor: str | None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    client: str | None = None,
) -> None:
    clean = {k: v for k, v in (detail or {}).items() if not any(w in k.lower() for w in SECRET_WORDS)}
    s.add(AuditEvent(action=action, actor=actor, target=target, detail=clean, client=client))


def recent(s: OrmSession, *, limit: int = 100, action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return list(s.scalars(query))
