"""Forecasts, forecast accuracy, anomalies, targets and trends as the API and the web pages show
them: each cut to the rows the caller may see (row-level security, failing closed).

A restricted user's forecast and trends are those of their slice (the metric query with their
restrictions added, through :func:`bizsight.services.access.scoped_query`). What is stored or
scored over all the data (tracked accuracy, anomalies, target pacing) is shown to them only for
the series that lie inside their restriction; everything else is withheld.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from bizsight.analytics.whatif import parse_scenario
from bizsight.errors import AccessDeniedError, InvalidArgumentError, did_you_mean
from bizsight.metrics.query import Filter, Query
from bizsight.services.access import SYSTEM, Principal, scoped_query
from bizsight.services.anomalies import list_anomalies
from bizsight.services.forecast import TOTAL, forecast_metric, metric_history, require_warehouse
from bizsight.services.forecast_store import (
    STORED_LEVELS,
    current_forecast,
    stored_dimensions,
    tracked_accuracy,
)
from bizsight.services.project import Project
from bizsight.services.query import catalogue
from bizsight.services.targets import FILTER_COLUMNS, targets_report
from bizsight.services.trends import trends
from bizsight.services.whatif import what_if
from bizsight.warehouse.connection import Warehouse


def _slice(project: Project, principal: Principal, metric: str, by: str | None) -> tuple[Filter, ...]:
    """The caller's restrictions as filters of ``metric`` (none when unrestricted); refused when
    the metric cannot be filtered by them. Unknown names are left to the use case to report."""
    cat = catalogue(project)
    if metric not in cat.metrics or (by is not None and by not in cat.dimensions):
        return ()
    query = Query(metrics=(metric,), dimensions=(by,) if by else ())
    return scoped_query(principal, query, catalogue(project)).filters


def forecast_view(
    project: Project,
    wh: Warehouse,
    principal: Principal,
    metric: str,
    *,
    by: str | None = None,
    grain: str = "month",
    horizon: int | None = None,
    scenarios: Sequence[str] = (),
    levels: Sequence[int] = STORED_LEVELS,
    candidates: str = "auto",
) -> dict[str, Any]:
    """History and forecast (80 and 95% intervals, the model chosen per series) of the caller's
    slice of ``metric``; with ``scenarios`` (``price:+5%:elasticity=-1.2``...) their overlay in
    the columns scenario, scenario_lo_*, scenario_hi_*. The forecast refresh stored from the
    current data when it answers the question (``basis`` says which), else one made now."""
    parsed = [parse_scenario(text) for text in scenarios]  # bad input fails before any work
    if principal.restricted and any(s.kind != "price" for s in parsed):
        # the new-customer share is measured over all the data: not for a restricted user
        raise AccessDeniedError("with a row-level restriction only price scenarios are available")
    filters = _slice(project, principal, metric, by)
    why = _made_now_because(bool(parsed), bool(filters), levels, candidates)
    if not why:
        stored = _stored_view(project, wh, metric, by=by, grain=grain, horizon=horizon)
        if isinstance(stored, dict):
            return stored
        why = stored
    fc = forecast_metric(
        project, metric, by=by, grain=grain, horizon=horizon, levels=levels, filters=filters,
        candidates=candidates, wh=wh,
    )  # fmt: skip
    out = {
        **fc.to_dict(),
        "restricted": principal.restricted,
        "history": fc.history.to_pylist(),
        "basis": f"forecast made now {why}",
    }
    if parsed:
        overlay = what_if(project, wh, fc, parsed)
        out["forecasts"] = overlay.forecasts.to_pylist()
        out["scenario"] = {"multiplier": overlay.multiplier, "assumptions": list(overlay.assumptions)}
    return out


def _made_now_because(scenario: bool, restricted: bool, levels: Sequence[int], candidates: str) -> str:
    """Why no stored forecast can answer (it is unrestricted, at 80 and 95 %, from the default
    candidates, without a scenario), or "" when one may.

    >>> _made_now_because(False, False, (80, 95), "fast")
    'from the fast candidates'
    """
    if scenario:
        return "with a scenario"
    if restricted:
        return "for your restricted slice"
    if tuple(levels) != STORED_LEVELS:
        return f"at levels {', '.join(map(str, levels))}"
    return f"from the {candidates} candidates" if candidates != "auto" else ""


def forecast_answer(project: Project, metric: str, **options: Any) -> dict[str, Any]:
    """What ``bizsight forecast`` shows: :func:`forecast_view` for the project's owner, so the
    command prints the forecast the Forecasts page shows (see ``forecast_view`` for ``options``)."""
    require_warehouse(project)
    with project.warehouse(read_only=True) as wh:
        return forecast_view(project, wh, SYSTEM, metric, **options)


def _stored_view(
    project: Project, wh: Warehouse, metric: str, *, by: str | None, grain: str, horizon: int | None
) -> dict[str, Any] | str:
    """The forecast refresh stored from the current data, as :func:`forecast_view` answers
    (``by`` None: the total of a stored forecast by any dimension), or why it does not serve."""
    dims = [by] if by else stored_dimensions(wh, metric, grain)
    why = f"(refresh stores no {grain}ly forecast of {metric}" + (f" by {by})" if by else ")")
    for dim in dims:
        found = current_forecast(wh, metric, grain, dim)
        if found is None:
            continue
        rows = found.forecasts
        if by is None:
            rows = rows.filter(pc.equal(rows.column("series"), pa.scalar(TOTAL)))
        steps = pc.max(rows.column("step")).as_py() or 0
        if horizon is not None and horizon > steps:
            why = f"(the stored forecast reaches {steps} periods ahead)"
            continue
        if horizon is not None:
            rows = rows.filter(pc.less_equal(rows.column("step"), pa.scalar(horizon, pa.int32())))
        history = metric_history(project, wh, metric, grain=grain, by=by)
        detail = dict(found.detail)
        if by is None:
            for key in ("selection", "accuracy"):
                detail[key] = [r for r in detail.get(key, []) if r.get("unique_id", TOTAL) == TOTAL]
        return {
            **detail,
            "metric": metric,
            "grain": grain,
            "dimension": by,
            "origin": found.origin,
            "forecasts": rows.to_pylist(),
            "history": history.to_pylist(),
            "restricted": False,
            "basis": found.basis,
        }
    return why


def inside(principal: Principal, dimension: str | None, value: object) -> bool:
    """Whether the series ``dimension = value`` lies inside the caller's restriction: every
    restriction must be on that dimension and allow the value. The total is inside only for an
    unrestricted caller."""
    if not principal.restricted:
        return True
    if dimension is None or value is None:
        return False
    return all(f.dimension == dimension and str(value) in map(str, f.values) for f in principal.restrictions)


def accuracy_view(
    project: Project,
    wh: Warehouse,
    principal: Principal,
    metric: str,
    *,
    by: str | None = None,
    grain: str = "month",
) -> dict[str, Any]:
    """Stored forecasts of ``metric`` against the actuals; a restricted caller sees the rows of
    the series inside their restriction, and nothing (``withheld`` says why) unless ``by`` is
    their restricted dimension."""
    cat = catalogue(project)
    if metric not in cat.metrics:
        raise InvalidArgumentError(f"unknown metric '{metric}'{did_you_mean(metric, cat.metrics)}")
    if by is not None and by not in cat.dimensions:
        raise InvalidArgumentError(f"unknown dimension '{by}'{did_you_mean(by, cat.dimensions)}")
    _slice(project, principal, metric, by)
    if principal.restricted and not any(f.dimension == by for f in principal.restrictions):
        dims = ", ".join(sorted({f.dimension for f in principal.restrictions}))
        withheld = f"stored forecasts cover all the data; with your restriction they are shown by {dims} only"
        return {"metric": metric, "grain": grain, "dimension": by, "rows": [], "by_step": [], "by_origin": [],
                "restricted": True, "withheld": withheld}  # fmt: skip
    found = tracked_accuracy(project, metric, grain=grain, by=by, wh=wh)
    if not principal.restricted:
        return found
    rows = [r for r in found["rows"] if r.get("series") != TOTAL and inside(principal, by, r.get("series"))]
    return {**found, "rows": rows, "by_step": [], "by_origin": [], "restricted": True}


def anomalies_view(
    project: Project,
    wh: Warehouse,
    principal: Principal,
    *,
    since: dt.date | None = None,
    metrics: tuple[str, ...] = (),
    severity: str | None = None,
) -> dict[str, Any]:
    """Anomalies of the last refresh; a restricted caller gets only those of dimension values
    inside their restriction (the totals' are withheld)."""
    found = list_anomalies(project, since=since, metrics=metrics, severity=severity, wh=wh)
    table = found.table
    if principal.restricted:
        keep = [inside(principal, r["dimension"], r["dimension_value"]) for r in table.to_pylist()]
        table = table.filter(pa.array(keep, pa.bool_()))
    out = found.as_dict()
    out.update(anomalies=table.to_pylist(), total=found.total if not principal.restricted else None)
    return out


def target_filters(text: str) -> dict[str, str] | None:
    """A pacing row's ``filter`` ("region=Europe, category=Toys") as dimension → value, or None
    when it cannot be read back unambiguously."""
    if not text:
        return {}
    found: dict[str, str] = {}
    for part in text.split(", "):
        dimension, sep, value = part.partition("=")
        if not sep or dimension not in FILTER_COLUMNS.values() or dimension in found:
            return None
        found[dimension] = value
    return found


def targets_view(project: Project, wh: Warehouse, principal: Principal) -> dict[str, Any]:
    """Every target's pacing; a restricted caller sees the targets whose filter lies inside
    their restriction (one allowed value on each restricted dimension), the others are withheld."""
    rows = targets_report(project, wh)
    if principal.restricted:
        rows = [r for r in rows if _target_inside(principal, target_filters(str(r.get("filter") or "")))]
    return {"targets": rows, "restricted": principal.restricted}


def _target_inside(principal: Principal, filters: dict[str, str] | None) -> bool:
    if filters is None:
        return False
    return all(
        f.dimension in filters and filters[f.dimension] in map(str, f.values) for f in principal.restrictions
    )


def trends_view(
    project: Project,
    wh: Warehouse,
    principal: Principal,
    metric: str,
    *,
    grain: str = "month",
    by: str | None = None,
) -> dict[str, Any]:
    """Moving averages, growth and seasonal decomposition of the caller's slice of ``metric``."""
    filters = _slice(project, principal, metric, by)
    return trends(project, metric, grain=grain, by=by, filters=filters, wh=wh).as_dict()
