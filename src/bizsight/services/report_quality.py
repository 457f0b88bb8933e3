"""Data quality: what each load read, loaded, quarantined and skipped as duplicate (meta.loads,
the quality report each load stored), why rows were quarantined, missing values and match rates,
and how fresh the warehouse is (:func:`bizsight.services.status.collect`, the status page's).

The report shows every row of the warehouse unfiltered, so it needs the ``data:quality``
permission, which readers with row-level restrictions never have.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlglot import exp

from bizsight.presentation import Unit
from bizsight.reports import Column, Document, Finding, Findings, Kpi, Kpis, Table
from bizsight.services.access import Permission, authorize
from bizsight.services.project import Project
from bizsight.services.report_parts import cite, literal
from bizsight.services.report_period import period_of
from bizsight.services.report_templates import ReportRequest, template
from bizsight.services.status import collect
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.sql import table

MAX_LOADS = 200
COLUMNS = (
    "load_id",
    "entity",
    "source_file",
    "finished_at",
    "rows_read",
    "quarantined",
    "exact_duplicates",
    "resent_duplicates",
    "quality",
)


def _loads(wh: Warehouse, request: ReportRequest) -> list[dict[str, Any]]:
    """The loads (newest first), those that finished in the request's dates when it gives any."""
    rows = wh.records(
        exp.select(*COLUMNS).from_(table("meta", "loads")).order_by("load_id DESC").limit(MAX_LOADS)
    )
    lo, hi = request.start or dt.date.min, request.end or dt.date.max
    kept = []
    for r in rows:
        day = r["finished_at"].date() if r["finished_at"] else None
        if (request.start or request.end) and (day is None or not lo <= day <= hi):
            continue
        quality = json.loads(r["quality"]) if r["quality"] else {}
        duplicates = int(r["exact_duplicates"] or 0) + int(r["resent_duplicates"] or 0)
        loaded = quality.get("loaded", int(r["rows_read"] or 0) - int(r["quarantined"] or 0) - duplicates)
        kept.append({**r, "quality": quality, "duplicates": duplicates, "loaded": loaded})
    return kept


@template(
    "quality",
    title="Data quality",
    description="Loads with rows read, loaded, quarantined and skipped per file; quarantine reasons; "
    "missing values and match rates; freshness",
)
def quality(project: Project, wh: Warehouse, request: ReportRequest) -> Document:
    """The Data quality report (docs/reports.md, "Templates")."""
    authorize(request.principal, Permission.DATA_QUALITY)
    if request.range:
        span = period_of(project, wh, request)
        request = ReportRequest(
            template=request.template, start=span.start, end=span.end, brand=request.brand
        )
    status = collect(wh)
    loads = _loads(wh, request)
    totals = {
        k: sum(int(r[k] or 0) for r in loads) for k in ("rows_read", "loaded", "quarantined", "duplicates")
    }
    cards = (
        Kpi(label="Files loaded", value=len(loads), unit=Unit.COUNT),
        Kpi(label="Rows read", value=totals["rows_read"], unit=Unit.COUNT),
        Kpi(label="Rows loaded", value=totals["loaded"], unit=Unit.COUNT),
        Kpi(label="Rows quarantined", value=totals["quarantined"], unit=Unit.COUNT),
        Kpi(label="Duplicates skipped", value=totals["duplicates"], unit=Unit.COUNT),
    )
    files = Table(
        title="Loads",
        columns=(
            Column(key="load_id", label="Load"),
            Column(key="source_file", label="File"),
            Column(key="entity", label="Entity"),
            Column(key="finished_at", label="Finished"),
            Column(key="rows_read", label="Rows read", unit=Unit.COUNT),
            Column(key="loaded", label="Loaded", unit=Unit.COUNT),
            Column(key="quarantined", label="Quarantined", unit=Unit.COUNT),
            Column(key="duplicates", label="Duplicates", unit=Unit.COUNT),
            Column(key="balanced", label="Read = loaded + quarantined + duplicates"),
        ),
        rows=tuple(
            (
                r["load_id"],
                r["source_file"],
                r["entity"],
                f"{r['finished_at']:%Y-%m-%d %H:%M}" if r["finished_at"] else None,
                r["rows_read"],
                r["loaded"],
                r["quarantined"],
                r["duplicates"],
                "yes" if r["rows_read"] == r["loaded"] + r["quarantined"] + r["duplicates"] else "no",
            )
            for r in loads
        ),
    )
    reasons = Table(
        title="Quarantine reasons",
        columns=(
            Column(key="entity", label="Entity"),
            Column(key="rule", label="Rule"),
            Column(key="rows", label="Rows", unit=Unit.COUNT),
        ),
        rows=tuple((q["entity"], q["rule"], q["rows"]) for q in status["quarantine"]),
    )
    missing = Table(
        title="Missing values",
        columns=(
            Column(key="source_file", label="File"),
            Column(key="column", label="Column"),
            Column(key="rows", label="Rows missing", unit=Unit.COUNT),
            Column(key="share", label="Share of rows read", unit=Unit.PERCENT),
        ),
        rows=tuple(
            (r["source_file"], name, n, r["quality"].get("missing_share", {}).get(name))
            for r in loads
            for name, n in r["quality"].get("missing_rows", {}).items()
            if n
        ),
    )
    matches = Table(
        title="Match rates",
        columns=(
            Column(key="source_file", label="File"),
            Column(key="reference", label="Reference"),
            Column(key="rate", label="Rows matched", unit=Unit.PERCENT),
        ),
        rows=tuple(
            (r["source_file"], name, rate)
            for r in loads
            for name, rate in r["quality"].get("match_rate", {}).items()
            if rate is not None
        ),
    )
    fresh = status["freshness"]
    freshness = Table(
        title="Freshness",
        columns=(Column(key="what", label="What"), Column(key="when", label="When")),
        rows=(
            ("Last load", _when(fresh["last_load"])),
            ("Last refresh", _when(fresh["last_refresh"])),
            ("Latest order", _when(fresh["latest_order"])),
            ("Needs a refresh", "yes" if status["needs_refresh"] else "no"),
        ),
    )
    said = [
        Finding(
            text="{0} rows read from {1} files: {2} loaded, {3} quarantined, {4} skipped as duplicates.",
            numbers=(
                (totals["rows_read"], Unit.COUNT),
                (len(loads), Unit.COUNT),
                (totals["loaded"], Unit.COUNT),
                (totals["quarantined"], Unit.COUNT),
                (totals["duplicates"], Unit.COUNT),
            ),
        )
    ]
    if reasons.rows:
        top = reasons.rows[0]
        said.append(
            Finding(
                text=f"The most common reason for quarantine is {literal(top[1])} in {literal(top[0])}: "
                + "{0} rows.",
                numbers=(cite(top[2], Unit.COUNT),),
            )
        )
    covers = (
        f"Loads from {request.start or 'the first'} to {request.end or 'the last'}"
        if request.start or request.end
        else f"All loads, data version {status['data_version']}"
    )
    return Document(
        title="Data quality",
        period=covers,
        brand=request.brand,
        sections=(
            Kpis(title="Loads", cards=cards),
            files,
            reasons,
            missing,
            matches,
            freshness,
            Findings(title="Findings", items=tuple(said)),
        ),
    )


def _when(moment: dt.datetime | None) -> str | None:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else None
