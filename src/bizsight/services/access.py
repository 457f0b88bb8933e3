"""Who may do what, and which rows they may see.

:data:`MATRIX` is the permission matrix (docs/security.md prints it; the API tests iterate it).
Row-level security lives here and only here: :func:`scoped_query` adds a restricted user's filters
to every metric query (and so to drill-downs and exports of them), and :func:`customer_rows`
gives the rows of a model a user may see, for customer views, through the metrics layer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlglot import exp

from bizsight.app.models import Role
from bizsight.errors import AccessDeniedError
from bizsight.metrics.definitions import Catalogue
from bizsight.metrics.query import Filter, Query
from bizsight.metrics.rows import dimensions_of, model_rows


class Permission(StrEnum):
    CATALOGUE = "catalogue:read"  # metrics and dimensions
    QUERY = "query:run"  # metric queries and drill-down
    CUSTOMERS = "customers:read"  # customer search, lists, detail, segments, cohorts
    EXPORT = "export"  # CSV / XLSX / Parquet downloads (audited)
    DATA_STATUS = "data:status"  # warehouse status and loads
    DATA_QUALITY = "data:quality"  # quality reports and quarantined rows
    DASHBOARDS_READ = "dashboards:read"  # own dashboards and those shared with the user or role
    DASHBOARDS_WRITE = "dashboards:write"  # create, change, share, delete own dashboards
    TOKENS = "tokens:own"  # the user's own API tokens
    USERS = "users:manage"  # users, roles, restrictions, everyone's tokens, every dashboard
    AUDIT = "audit:read"
    DATA_LOAD = "data:load"  # upload and ingest files, refresh, cancel jobs
    JOBS = "jobs:read"  # the jobs the server runs: progress, results, errors
    SCHEDULES = "schedules:manage"  # refresh, watch and backup timetables
    BACKUPS = "backups"  # take backups of the project and list them
    REPORTS_READ = "reports:read"  # own report definitions, previews, runs, their deliveries; subscribe
    REPORTS_MANAGE = "reports:manage"  # define and schedule reports for anyone; every definition and delivery
    PRIVACY = "privacy:erase"  # erase a person's personal data; list erasures
    ALERTS_READ = "alerts:read"  # alert rules, their states and history
    ALERTS_ACK = "alerts:acknowledge"  # acknowledge a triggered alert
    ALERTS_MANAGE = "alerts:manage"  # add, change, test and remove alert rules
    MARKETING = "marketing:read"  # the Marketing page: CAC, LTV:CAC, payback, funnel by channel
    PIPELINE = "pipeline:read"  # the sales pipeline: summary, scored open deals, the scoring model
    ASK = "ask:run"  # questions in plain English, answered as metric queries (rows filtered)
    INSIGHTS = "insights:read"  # automated insights and recommendations (worked out from the caller's rows)


ALL = frozenset(Role)
MATRIX: dict[Permission, frozenset[Role]] = {
    Permission.CATALOGUE: ALL,
    Permission.QUERY: ALL,
    Permission.CUSTOMERS: ALL,
    Permission.EXPORT: ALL,
    Permission.DATA_STATUS: ALL,
    Permission.DATA_QUALITY: frozenset({Role.ADMIN, Role.EDITOR}),
    Permission.DASHBOARDS_READ: ALL,
    Permission.DASHBOARDS_WRITE: frozenset({Role.ADMIN, Role.EDITOR}),
    Permission.TOKENS: ALL,
    Permission.USERS: frozenset({Role.ADMIN}),
    Permission.AUDIT: frozenset({Role.ADMIN}),
    Permission.DATA_LOAD: frozenset({Role.ADMIN, Role.EDITOR}),
    Permission.JOBS: frozenset({Role.ADMIN, Role.EDITOR}),
    Permission.SCHEDULES: frozenset({Role.ADMIN, Role.EDITOR}),
    Permission.BACKUPS: frozenset({Role.ADMIN}),
    Permission.REPORTS_READ: ALL,
    Permission.REPORTS_MANAGE: frozenset({Role.ADMIN, Role.EDITOR}),
    Permission.PRIVACY: frozenset({Role.ADMIN}),
    Permission.ALERTS_READ: ALL,
    Permission.ALERTS_ACK: ALL,
    Permission.ALERTS_MANAGE: frozenset({Role.ADMIN, Role.EDITOR}),
    Permission.MARKETING: ALL,
    Permission.PIPELINE: ALL,
    Permission.ASK: ALL,
    Permission.INSIGHTS: ALL,
}

# Unfiltered views of the warehouse (row counts of every table, raw rejected rows) and the power
# to change restrictions: a user with row-level restrictions cannot be kept to their rows there
# (or could lift their own), so they are refused whatever the role. Loading data, jobs (whose
# results count rows of every table), schedules and backups (a copy of everything) likewise, and
# alerts, whose values are the unfiltered metric's.
UNSCOPED = frozenset(
    {
        Permission.DATA_STATUS,
        Permission.DATA_QUALITY,
        Permission.AUDIT,
        Permission.USERS,
        Permission.DATA_LOAD,
        Permission.JOBS,
        Permission.SCHEDULES,
        Permission.BACKUPS,
        Permission.PRIVACY,
        Permission.ALERTS_READ,
        Permission.ALERTS_ACK,
        Permission.ALERTS_MANAGE,
    }
)

CUSTOMER_MODEL = "new_customers"  # one row per customer who ordered, with customer-level dimensions


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    user_id: int
    username: str
    role: Role
    restrictions: tuple[Filter, ...] = ()
    pii: bool = False  # sees names and e-mails (the role's or the user's grant; see services.privacy)

    @property
    def restricted(self) -> bool:
        return bool(self.restrictions)


# The project's owner, unrestricted: the command line, scheduled reports and the server's own jobs.
SYSTEM = Principal(user_id=0, username="bizsight", role=Role.ADMIN, pii=True)


def allowed(principal: Principal, permission: Permission) -> bool:
    if principal.role not in MATRIX[permission]:
        return False
    return not (principal.restricted and permission in UNSCOPED)


def authorize(principal: Principal, permission: Permission) -> None:
    if principal.role not in MATRIX[permission]:
        raise AccessDeniedError(f"the {principal.role} role may not do {permission}")
    if principal.restricted and permission in UNSCOPED:
        raise AccessDeniedError(
            f"{permission} shows unfiltered data; users with row-level restrictions may not"
        )


def restriction_filters(restrictions: dict[str, list[str]]) -> tuple[Filter, ...]:
    """Stored restrictions (dimension → allowed values) as metric filters."""
    return tuple(
        Filter(dimension=dimension, op="in", values=tuple(values))
        for dimension, values in sorted(restrictions.items())
    )


def scoped_query(principal: Principal, query: Query, catalogue: Catalogue) -> Query:
    """``query`` with the caller's restrictions added to its filters. A metric whose rows cannot be
    filtered by a restricted dimension (marketing spend by region, say) is refused, never shown
    unfiltered."""
    if not principal.restricted:
        return query
    for name in query.metrics:
        catalogue.metric(name)  # an unknown name is an error before anything else
    models = {m for a in catalogue.aggregates(list(query.metrics)) if (m := catalogue.metrics[a].model)}
    for model in sorted(models):
        _require_dimensions(principal, catalogue, model, f"metrics on {model}")
    return query.model_copy(update={"filters": (*query.filters, *principal.restrictions)})


def customer_rows(
    principal: Principal, catalogue: Catalogue, model: str, today: dt.date
) -> exp.Select | None:
    """The rows of ``model`` (new_customers, order_lines, reviews) the caller may see, or None
    when they may see all of them."""
    if not principal.restricted:
        return None
    _require_dimensions(principal, catalogue, model, "customer views")
    return model_rows(catalogue, model, principal.restrictions, today=today)


def _require_dimensions(principal: Principal, catalogue: Catalogue, model: str, what: str) -> None:
    available = dimensions_of(catalogue, model)
    for f in principal.restrictions:
        if f.dimension not in available:
            raise AccessDeniedError(
                f"your access is restricted by {f.dimension}, which {what} cannot be filtered by"
            )
