"""What the insight finders share (services.insights, services.insight_watch): the period's
spans, what a unit of a metric is worth in money, the query a cited number is the value of, the
drill-down an insight links to, and insights as the executive report's findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from bizsight.presentation import Presenter, Unit
from bizsight.reports import Finding
from bizsight.services.presentation import presentation
from bizsight.services.report_parts import Reading, literal


def number(value: Any) -> float:
    """A table cell as a float (a cell that is not a number counts 0).

    >>> number(Decimal("2.50")), number(None), number("Europe")
    (2.5, 0.0, 0.0)
    """
    return float(value) if isinstance(value, int | float | Decimal) and not isinstance(value, bool) else 0.0


def source(
    reading: Reading, metric: str, span: tuple[dt.date, dt.date], where: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The metric query a number is the value of (filters as dimension → member)."""
    return {
        "metric": metric,
        "start": span[0].isoformat(),
        "end": span[1].isoformat(),
        "where": dict(where or {}),
    }


def drill(
    reading: Reading,
    metric: str,
    where: dict[str, Any],
    *,
    grain: str | None = None,
    cell: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A drill-down the pages open (``B.drill(query, metric, cell)``): the rows behind ``metric``
    over the period for the members in ``where``."""
    query: dict[str, Any] = {
        "metrics": [metric],
        "dimensions": list(where),
        "start": reading.period.start.isoformat(),
        "end": reading.period.end.isoformat(),
    }
    if grain:
        query["grain"] = grain
    return {"query": query, "metric": metric, "cell": {**where, **(cell or {})}}


def span(reading: Reading) -> tuple[dt.date, dt.date]:
    return reading.period.start, reading.period.end


def previous_span(reading: Reading) -> tuple[dt.date, dt.date] | None:
    lo, hi = reading.period.previous
    return None if hi < reading.period.first else (max(lo, reading.period.first), hi)


def money_per(reading: Reading, metric: str) -> float:
    """What one unit of ``metric`` is worth in revenue this period (1 for money; revenue per
    order for orders; revenue per active customer for customer counts): how a count's change is
    turned into an impact in money."""
    unit = reading.unit(metric).value
    if unit == "money":
        return 1.0
    if not reading.visible("revenue"):
        return 0.0
    revenue = float(reading.value("revenue") or 0.0)
    per = {"orders": "orders"}.get(metric, "active_customers")
    count = float(reading.value(per) or 0.0) if reading.visible(per) else 0.0
    return revenue / count if count else 0.0


def p_text(presenter: Presenter, value: Any) -> str:
    """A p-value in a sentence: "p = 0.012", "p < 0.001"."""
    written = presenter.p_value(None if value is None else float(value))
    return "p " + written if written.startswith("<") else "p = " + written


def to_finding(text: str, numbers: Sequence[tuple[Any, str]], reading: Reading) -> Finding:
    """A sentence as a report's :class:`~bizsight.reports.Finding`: names and p-values are
    written into the text now (by the presentation layer), the other numbers stay numbers the
    renderer writes."""
    presenter = presentation(reading.project, reading.wh).presenter
    parts: list[str] = []
    kept: list[tuple[Any, Unit]] = []
    for value, unit in numbers:
        if unit == "text":
            parts.append(literal(value))
        elif unit == "p_value":
            parts.append(literal(p_text(presenter, value)))
        else:
            parts.append("{" + str(len(kept)) + "}")
            kept.append((value, Unit(unit)))
    return Finding(text=text.format(*parts), numbers=tuple(kept))
