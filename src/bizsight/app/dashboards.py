"""Dashboards and who they are shared with, in the metadata store."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session as OrmSession

from bizsight.app.models import Dashboard, DashboardShare, User, utcnow
from bizsight.errors import NotFoundError


def visible_to(s: OrmSession, user: User, *, everything: bool = False) -> list[Dashboard]:
    """Dashboards ``user`` owns or that are shared with them or their role (all, if ``everything``)."""
    query = select(Dashboard).order_by(Dashboard.id)
    if not everything:
        shared = select(DashboardShare.dashboard_id).where(
            or_(DashboardShare.user_id == user.id, DashboardShare.role == user.role)
        )
        query = query.where(or_(Dashboard.owner_id == user.id, Dashboard.id.in_(shared)))
    return list(s.scalars(query))


def get(s: OrmSession, dashboard_id: int) -> Dashboard:
    row = s.get(Dashboard, dashboard_id)
    if row is None:
        raise NotFoundError(f"no dashboard with id {dashboard_id}")
    return row


def save(
    s: OrmSession,
    row: Dashboard | None,
    *,
    owner_id: int,
    title: str,
    description: str,
    widgets: list[dict[str, Any]],
    filters: dict[str, Any],
    share_users: list[int],
    share_roles: list[str],
) -> Dashboard:
    """Create (``row`` None) or replace a dashboard, with its shares."""
    if row is None:
        row = Dashboard(owner_id=owner_id, shares=[])
        s.add(row)
    row.title, row.description, row.widgets, row.filters = title, description, widgets, filters
    row.updated_at = utcnow()
    row.shares.clear()
    s.flush()
    row.shares.extend(DashboardShare(user_id=u) for u in share_users)
    row.shares.extend(DashboardShare(role=r) for r in share_roles)
    s.flush()
    return row


def remove(s: OrmSession, row: Dashboard) -> None:
    s.delete(row)
