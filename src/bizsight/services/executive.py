"""The executive view: five sections scored 0–100 from their KPIs (bizsight.yml ``executive:``),
with drivers and a written summary. Metric KPIs are read through the metrics layer, so row-level
security applies; the operational figures (freshness, quarantine, failed jobs) describe the whole
warehouse and are withheld from callers who may not see data status (restricted users, say).

The rule itself lives in :mod:`bizsight.analytics.health`; docs/executive.md states it.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import sqlalchemy as sa

from bizsight.analytics import health
from bizsight.app.models import Job, JobState
from bizsight.app.store import MetadataStore
from bizsight.config.executive import OPERATIONAL, KpiRule
from bizsight.errors import BizsightError
from bizsight.metrics.periods import period_end, period_start, shift
from bizsight.metrics.query import Grain, Query
from bizsight.services.access import Permission, Principal, allowed, scoped_query
from bizsight.services.market import data_end
from bizsight.services.presentation import presentation
from bizsight.services.project import Project
from bizsight.services.query import catalogue, run_query
from bizsight.warehouse.connection import Warehouse

OPERATIONAL_UNITS = {"data_freshness_days": "days", "quarantine_rate": "percent", "failed_jobs_7d": "count"}
OPERATIONAL_LABELS = {
    "data_freshness_days": "Days since the data were last loaded",
    "quarantine_rate": "Quarantine rate",
    "failed_jobs_7d": "Failed jobs (7 days)",
}


def scored_period(end: dt.date, grain: str, fiscal_year_start: int = 1) -> dt.date:
    """The last ``grain`` period the data cover to its last day.

    >>> scored_period(dt.date(2026, 9, 30), "quarter"), scored_period(dt.date(2026, 9, 29), "quarter")
    (datetime.date(2026, 7, 1), datetime.date(2026, 4, 1))
    """
    start = period_start(end, grain, fiscal_year_start)
    return start if period_end(start, grain) <= end else shift(start, grain, -1)


def _series(
    project: Project,
    wh: Warehouse,
    principal: Principal | None,
    metric: str,
    periods: list[dt.date],
    grain: str,
) -> list[float | None]:
    query = Query(metrics=(metric,), grain=Grain(grain), start=periods[0], end=period_end(periods[-1], grain))
    if principal is not None:
        query = scoped_query(principal, query, catalogue(project))
    rows = run_query(project, query, wh=wh).table.to_pylist()
    found = {r["period"]: r[metric] for r in rows}
    # a ratio over an empty period is NaN (0/0), not a value to score
    return [
        float(v) if (v := found.get(p)) is not None and math.isfinite(float(v)) else None for p in periods
    ]


def operational_figures(
    wh: Warehouse, store: MetadataStore | None, now: dt.datetime
) -> dict[str, float | None]:
    """Days since the last load or refresh, the share of rows quarantined by the loads of the 30
    days up to the latest load, and jobs that failed or were interrupted in the last 7 days."""
    last = wh.scalar(
        "SELECT max(t) FROM (SELECT max(finished_at) AS t FROM meta.loads "
        "UNION ALL SELECT max(finished_at) FROM meta.refreshes)"
    )
    fresh = (now.date() - last.date()).days if isinstance(last, dt.datetime) else None
    read, quarantined = wh.rows(
        "SELECT sum(rows_read), sum(quarantined) FROM meta.loads "
        "WHERE finished_at >= (SELECT max(finished_at) FROM meta.loads) - INTERVAL 30 DAY"
    )[0]
    rate = float(quarantined or 0) / float(read) if read else None
    failed: float | None = None
    if store is not None:
        since = now.replace(tzinfo=None) - dt.timedelta(days=7)
        states = (JobState.FAILED.value, JobState.INTERRUPTED.value)
        with store.session() as session:
            failed = float(
                session.scalar(
                    sa.select(sa.func.count()).where(Job.state.in_(states), Job.created_at >= since)
                )
                or 0
            )
    return {"data_freshness_days": fresh, "quarantine_rate": rate, "failed_jobs_7d": failed}


def executive_view(
    project: Project,
    wh: Warehouse,
    principal: Principal | None = None,
    *,
    store: MetadataStore | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Every section's score, KPIs, drivers and summary for the last complete period."""
    settings = project.settings.executive
    now = now or dt.datetime.now(dt.UTC)
    cat = catalogue(project)
    end = data_end(wh)
    grain = settings.grain
    period = scored_period(end, grain, project.settings.fiscal_year_start) if end else None
    periods = [shift(period, grain, -k) for k in range(settings.history + 1, -1, -1)] if period else []
    # forward-looking KPIs (pipeline coverage) are read for the period after the one the data end in
    ahead = [shift(period_start(end, grain, project.settings.fiscal_year_start), grain, 1)] if end else []
    show_ops = principal is None or allowed(principal, Permission.DATA_STATUS)
    ops = operational_figures(wh, store, now) if show_ops else {}
    cache: dict[tuple[str, str], tuple[list[float | None], str | None]] = {}

    def series_of(rule: KpiRule) -> tuple[list[float | None], str | None]:
        if rule.metric in OPERATIONAL:
            if not show_ops:
                return [], "withheld: data status is not shown to this user"
            value = ops.get(rule.metric)
            return [value], None if value is not None else "not recorded (no metadata store or no loads)"
        if rule.metric not in cat.metrics:
            return [], "not in the metrics catalogue"
        if not periods:
            return [], "no orders loaded"
        key = (rule.metric, rule.period)
        if key not in cache:
            read = ahead if rule.period == "next" else periods
            try:
                cache[key] = (_series(project, wh, principal, rule.metric, read, grain), None)
            except BizsightError as error:
                cache[key] = ([], str(error))
        return cache[key]

    pres = presentation(project, wh)
    units = {**OPERATIONAL_UNITS, **{m: str(cat.metrics[m].unit) for m in cat.metrics}}
    labels = {**OPERATIONAL_LABELS, **{m: cat.metrics[m].label for m in cat.metrics}}

    def fmt(value: float | None, key: str) -> str:
        metric, _, change = key.partition(":")
        text = pres.format(value, metric, unit=units.get(metric, "number"))
        return f"{'+' if change and (value or 0) > 0 else ''}{text}"

    sections = []
    for name, rules in settings.sections.items():
        kpis = []
        for rule in rules:
            values, why = series_of(rule)
            # a value KPI judges the last period against the `history` before it (the first is
            # only there for a change KPI's first difference)
            whole = rule.measure == "change" or rule.period == "next" or rule.metric in OPERATIONAL
            kept = values if whole else values[1:]
            kpis.append(health.kpi_score(rule, kept, why))
        scored = health.section_score(name, kpis)
        summary = health.summarise(scored, lambda m: labels.get(m, m), fmt)
        sections.append({**scored.as_dict(), "summary": summary})
    return {
        "period": period,
        "period_end": period_end(period, grain) if period else None,
        "next_period": ahead[0] if ahead else None,
        "next_period_end": period_end(ahead[0], grain) if ahead else None,
        "grain": grain,
        "data_end": end,
        "sections": sections,
        "units": {
            k: v
            for k, v in units.items()
            if any(k == r.metric for rs in settings.sections.values() for r in rs)
        },
        "labels": {
            k: v
            for k, v in labels.items()
            if any(k == r.metric for rs in settings.sections.values() for r in rs)
        },
        "restricted": bool(principal and principal.restricted),
    }
