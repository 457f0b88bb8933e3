"""Insights as the pages, the API and the executive report get them: worked out for one reader
and period (:func:`build`), written as text through the presentation layer (:func:`as_json`),
and kept after each refresh (:func:`store`, the ``insights`` job) in ``marts.insights`` so the
Overview and Executive pages read them at once.

What is kept is the whole business's view of the default period (the last complete quarter). A
reader with row-level restrictions, or a request for another period, gets insights worked out
for them on request — never the kept ones, which hold other regions' numbers — and those are
remembered per data version, restrictions and period, so the next page view is fast too.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from bizsight.analytics.insights import Insight, Recommendation
from bizsight.errors import InvalidArgumentError
from bizsight.metrics.periods import DAY
from bizsight.metrics.query import relative_range
from bizsight.services.access import SYSTEM, Principal
from bizsight.services.insight_parts import p_text
from bizsight.services.insights import compute
from bizsight.services.page_data import data_bounds
from bizsight.services.presentation import Presentation, presentation
from bizsight.services.project import Project
from bizsight.services.query import data_version
from bizsight.services.recommendations import recommend
from bizsight.services.report_parts import Reading
from bizsight.services.report_templates import ReportRequest
from bizsight.warehouse.connection import Warehouse

MART = "insights"
SHOWN = 12  # insights kept and shown, the highest impact first
_MEMO: dict[tuple[Any, ...], dict[str, Any]] = {}
_MEMO_SIZE = 64
_LOCK = threading.Lock()


@dataclass(frozen=True)
class InsightSet:
    """The insights and recommendations of one reader over one period."""

    reading: Reading
    insights: list[Insight]
    recommendations: list[Recommendation]


def default_period(project: Project, wh: Warehouse) -> tuple[dt.date, dt.date]:
    """The last complete (fiscal) quarter of the data: the quarter before the one the day after
    the last order falls in, cut to the days with data."""
    bounds = data_bounds(wh)
    first, last = bounds["first"], bounds["last"]
    if first is None or last is None:
        raise InvalidArgumentError("no orders loaded yet: run `bizsight ingest` and `bizsight refresh` first")
    lo, hi = relative_range("last_quarter", last + DAY, project.settings.fiscal_year_start)
    if hi < first:  # less than a quarter of data: all of it
        return first, last
    return max(lo, first), hi


def build(
    project: Project,
    wh: Warehouse,
    principal: Principal = SYSTEM,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> InsightSet:
    """The insights and recommendations of ``principal`` over ``start``–``end`` (default: the
    last complete quarter), against the period before it of as many days."""
    if start is None and end is None:
        start, end = default_period(project, wh)
    request = ReportRequest(template="insights", start=start, end=end, principal=principal)
    reading = Reading.of(project, wh, request)
    found = compute(reading)
    return InsightSet(reading, found[:SHOWN], recommend(reading, found))


def as_json(found: InsightSet, shown: Presentation) -> dict[str, Any]:
    """The insights and recommendations with their sentences written by the presentation layer."""
    write = _writer(shown)
    period = found.reading.period
    return {
        "start": period.start,
        "end": period.end,
        "previous_start": max(period.previous[0], period.first),
        "previous_end": period.previous[1],
        "restricted": found.reading.restricted,
        "insights": [
            {
                "kind": i.kind,
                "title": i.title,
                "text": i.render(write),
                "numbers": [_number(v, u, write) for v, u in i.numbers],
                "impact": round(i.impact, 2),
                "impact_text": write(i.impact, "money"),
                "direction": i.direction,
                "subject": {k: str(v) for k, v in i.subject.items()},
                "evidence": _plain(dict(i.evidence)),
                "drill": _plain(i.drill) if i.drill else None,
            }
            for i in found.insights
        ],
        "recommendations": [
            {
                "action": r.action,
                "title": r.title,
                "text": r.render(write),
                "why": r.reason(write),
                "priority": r.priority,
                "expected_impact": round(r.expected_impact, 2) if r.expected_impact is not None else None,
                "expected_impact_text": write(r.expected_impact, "money")
                if r.expected_impact is not None
                else None,
                "confidence": r.confidence,
                "link": _plain(dict(r.link)) if r.link else None,
            }
            for r in found.recommendations
        ],
    }


def _writer(shown: Presentation) -> Any:
    def write(value: Any, unit: str) -> str:
        if unit == "text":
            return str(value)
        if unit == "p_value":
            return p_text(shown.presenter, value)
        return shown.presenter.format(value, unit)

    return write


def _number(value: Any, unit: str, write: Any) -> dict[str, Any]:
    number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    return {"value": number if unit != "text" else None, "unit": unit, "text": write(value, unit)}


def _plain(value: Any) -> Any:
    """JSON-ready: dates as ISO text, tuples as lists, numbers as floats."""
    return json.loads(
        json.dumps(value, default=lambda v: v.isoformat() if isinstance(v, dt.date) else str(v))
    )


def store(project: Project, wh: Warehouse) -> int:
    """Work out the whole business's insights of the default period and keep them in
    ``marts.insights`` (one row: the data version, when, the JSON); how many insights. Without
    orders there is nothing to say: no row is kept."""
    if data_bounds(wh)["last"] is None:
        wh.run("DROP TABLE IF EXISTS marts.insights")
        return 0
    found = build(project, wh)
    payload = as_json(found, presentation(project, wh))
    rows = pa.table(
        {
            "data_version": pa.array([_version(wh)], pa.string()),
            "computed_at": pa.array([dt.datetime.now(dt.UTC).replace(tzinfo=None)], pa.timestamp("us")),
            "period_start": pa.array([found.reading.period.start], pa.date32()),
            "period_end": pa.array([found.reading.period.end], pa.date32()),
            "payload": pa.array([json.dumps(_plain(payload))], pa.string()),
        }
    )
    wh.replace_table("marts", MART, rows)
    return len(found.insights)


def _version(wh: Warehouse) -> str:
    return json.dumps([str(v) for v in data_version(wh)])


def _kept(wh: Warehouse) -> dict[str, Any] | None:
    """The kept insights, when refresh made them from the data as they are now."""
    if not wh.table_exists("marts", MART):
        return None
    rows = wh.rows("SELECT data_version, payload FROM marts.insights LIMIT 1")
    if not rows or rows[0][0] != _version(wh):
        return None
    return dict(json.loads(rows[0][1]))


def insights(
    project: Project,
    wh: Warehouse,
    principal: Principal,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> dict[str, Any]:
    """What ``GET /api/v1/insights`` answers: the kept insights for an unrestricted reader of
    the default period, else insights worked out for this reader and period (remembered)."""
    if start is None and end is None and not principal.restricted:
        kept = _kept(wh)
        if kept is not None:
            return {**kept, "kept": True}
    key = (str(wh.path), data_version(wh), principal.restrictions, start, end)
    with _LOCK:
        if key in _MEMO:
            return _MEMO[key]
    answer = {
        **_plain(as_json(build(project, wh, principal, start=start, end=end), presentation(project, wh))),
        "kept": False,
    }
    with _LOCK:
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.pop(next(iter(_MEMO)))
        _MEMO[key] = answer
    return answer
