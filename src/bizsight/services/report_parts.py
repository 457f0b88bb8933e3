"""The parts report templates are made of: every figure read through the metrics layer with the
reader's row-level restrictions (:func:`~bizsight.services.access.scoped_query`), KPI cards with
their comparisons and significance tests, tables of a dimension this period against the last,
and monthly trend charts.

A :class:`Reading` is one report's view of the warehouse: the project, the period, the filters
and the principal. Templates call its methods and never build a query of their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from bizsight.analytics.significance import POISSON, WELCH, ChangeTest, poisson_rates_test, welch_test
from bizsight.errors import AccessDeniedError, BizsightError
from bizsight.metrics.definitions import Aggregate, Catalogue
from bizsight.metrics.periods import add_months
from bizsight.metrics.query import Filter, Grain, Query
from bizsight.presentation import Unit
from bizsight.reports import Chart, Column, Comparison, Kpi, Series, Table
from bizsight.services.access import scoped_query
from bizsight.services.overview import fits
from bizsight.services.project import Project
from bizsight.services.query import catalogue, run_query
from bizsight.services.report_period import ReportPeriod, period_of
from bizsight.services.report_templates import ReportRequest
from bizsight.services.targets import targets_report
from bizsight.warehouse.connection import Warehouse

Span = tuple[dt.date, dt.date]
# Aggregates whose totals over disjoint periods add up (so monthly targets add up to a quarter's)
ADDITIVE = (Aggregate.SUM, Aggregate.COUNT)
VS_PREVIOUS = "vs previous period"
VS_YEAR = "vs previous year"
VS_TARGET = "vs target"
TESTS_NOTE = (
    "* a significant change against the previous period (p < 0.05): counts by the exact test of "
    "two Poisson rates, amounts and averages by Welch's t-test of daily values; unmarked changes "
    "may be noise."
)


@dataclass(frozen=True)
class Reading:
    """One report's access to the numbers: ``period`` and the request's filters and principal."""

    project: Project
    wh: Warehouse
    request: ReportRequest
    period: ReportPeriod
    # Totals and daily series read ahead for several metrics at once (:meth:`kpis`): one query
    # per span instead of one per metric and span.
    _totals: dict[tuple[Span, str], Any] = field(default_factory=dict, init=False, compare=False, repr=False)
    _days: dict[str, dict[dt.date, Any]] = field(default_factory=dict, init=False, compare=False, repr=False)

    @classmethod
    def of(cls, project: Project, wh: Warehouse, request: ReportRequest) -> Reading:
        reading = cls(project, wh, request, period_of(project, wh, request))
        for f in request.filters:
            reading.cat.dimension(f.dimension)  # an unknown name is an error, with the nearest one
        return reading

    @cached_property
    def cat(self) -> Catalogue:
        return catalogue(self.project)

    @property
    def restricted(self) -> bool:
        """Whether the report is narrowed (filters or the reader's restrictions): figures kept for
        the whole business (targets, stored forecasts, anomalies) then show only what fits."""
        return bool(self.request.filters or self.request.principal.restricted)

    def unit(self, metric: str) -> Unit:
        return Unit(self.cat.metrics[metric].unit.value)

    def common_unit(self, metrics: set[str]) -> Unit:
        """The one unit of ``metrics`` (a table column has one), else plain numbers."""
        units = {self.unit(m) if m in self.cat.metrics else Unit.NUMBER for m in metrics}
        return units.pop() if len(units) == 1 else Unit.NUMBER

    def label(self, metric: str) -> str:
        return self.cat.metrics[metric].label or metric

    def rows(
        self,
        *metrics: str,
        dimensions: tuple[str, ...] = (),
        grain: Grain | None = None,
        span: Span | None = None,
    ) -> list[dict[str, Any]]:
        """``metrics`` over ``span`` (default: the period) as the reader may see them: the request's
        filters (those the metrics can take) and the reader's restrictions applied."""
        lo, hi = span or (self.period.start, self.period.end)
        filters = tuple(
            f for f in self.request.filters if all(fits(self.cat, m, f.dimension) for m in metrics)
        )
        query = Query(metrics=metrics, dimensions=dimensions, grain=grain, start=lo, end=hi, filters=filters)
        scoped = scoped_query(self.request.principal, query, self.cat)
        return run_query(self.project, scoped, today=self.period.last, wh=self.wh).table.to_pylist()

    def value(self, metric: str, span: Span | None = None) -> Any:
        """One metric's total over ``span`` (None before the data start)."""
        if span is not None and span[1] < self.period.first:
            return None
        key = (span or (self.period.start, self.period.end), metric)
        if key in self._totals:
            return self._totals[key]
        found = self.rows(metric, span=span)
        return found[0][metric] if found else None

    def kpis(self, metrics: Sequence[str], *, target: bool = True) -> tuple[Kpi, ...]:
        """A card per metric (:meth:`kpi`), their figures read together: the metrics that take
        the same filters share one query per span, and one by day for the significance tests."""
        shown = [m for m in metrics if self.visible(m)]
        groups: dict[tuple[str, ...], list[str]] = {}
        for metric in shown:
            taken = tuple(f.dimension for f in self.request.filters if fits(self.cat, metric, f.dimension))
            groups.setdefault(taken, []).append(metric)
        spans = [(self.period.start, self.period.end), self.period.previous, self.period.last_year]
        try:
            for together in groups.values():
                for span in spans:
                    if span[1] >= self.period.first:
                        found = self.rows(*together, span=span)
                        for metric in together:
                            self._totals[(span, metric)] = found[0][metric] if found else None
                tested = [m for m in together if self.test_kind(m) == WELCH]
                if tested:
                    lo = max(self.period.previous[0], self.period.first)
                    by_day = self.rows(*tested, grain=Grain.DAY, span=(lo, self.period.end))
                    for metric in tested:
                        self._days[metric] = {r["period"]: r[metric] for r in by_day}
        except BizsightError:  # one metric the others cannot be read with: each on its own
            self._totals.clear()
            self._days.clear()
        return tuple(self.kpi(m, target=target) for m in metrics)

    def kpi(self, metric: str, *, title: str | None = None, target: bool = True) -> Kpi:
        """A card: the metric over the period against the previous period (with its test), the
        same dates a year earlier and, when one covers the period, the target. A metric the
        reader's restrictions cannot filter (new customers by category, say) is withheld: no
        value, never an unfiltered one."""
        if not self.visible(metric):
            return Kpi(label=title or self.label(metric), value=None, unit=self.unit(metric))
        current = self.value(metric)
        previous = self.value(metric, self.period.previous)
        tested = self.change_test(metric, current, previous)
        comparisons = [
            Comparison(
                label=VS_PREVIOUS,
                value=previous,
                significant=tested.significant if tested else None,
                p_value=tested.p_value if tested else None,
                test=tested.test if tested else None,
            ),
            Comparison(label=VS_YEAR, value=self.value(metric, self.period.last_year)),
        ]
        if target and any(r["metric"] == metric for r in self.pacing()):
            comparisons.append(Comparison(label=VS_TARGET, value=self.target(metric)))
        return Kpi(
            label=title or self.label(metric),
            value=current,
            unit=self.unit(metric),
            comparisons=tuple(comparisons),
        )

    def test_kind(self, metric: str) -> str | None:
        """Which test a change of ``metric`` gets (module :mod:`bizsight.analytics.significance`):
        counts of events the Poisson test, sums and ratios of sums Welch's; others none."""
        definition = self.cat.metrics[metric]
        if (
            definition.aggregate in (Aggregate.COUNT, Aggregate.COUNT_DISTINCT)
            and definition.unit == Unit.COUNT
        ):
            return POISSON
        if definition.aggregate is Aggregate.SUM:
            return WELCH
        if definition.ratio is not None:
            parts = [self.cat.metrics[p].aggregate for p in definition.ratio]
            if all(p in (Aggregate.SUM, Aggregate.COUNT, Aggregate.COUNT_DISTINCT) for p in parts):
                return WELCH
        return None

    def change_test(self, metric: str, current: Any, previous: Any) -> ChangeTest | None:
        """The test of ``metric``'s change from the previous period to this one (None when the
        metric gets none or the previous period is before the data)."""
        kind = self.test_kind(metric)
        lo, hi = self.period.previous
        if kind is None or current is None or previous is None or hi < self.period.first:
            return None
        if kind == POISSON:
            exposure = (hi - max(lo, self.period.first)).days + 1  # days that could hold data
            return poisson_rates_test(int(current), self.period.days, int(previous), exposure)
        return welch_test(self.daily(metric, None), self.daily(metric, self.period.previous))

    def daily(self, metric: str, span: Span | None) -> list[float]:
        """The metric by day over ``span``: a sum's days without rows are 0, a ratio's have none."""
        lo, hi = span or (self.period.start, self.period.end)
        lo = max(lo, self.period.first)
        if metric in self._days:
            found = {d: v for d, v in self._days[metric].items() if d is not None and lo <= _day(d) <= hi}
        else:
            found = {r["period"]: r[metric] for r in self.rows(metric, grain=Grain.DAY, span=(lo, hi))}
        if self.cat.metrics[metric].aggregate is Aggregate.SUM:
            days = (hi - lo).days + 1
            return [float(found.get(lo + dt.timedelta(days=i)) or 0.0) for i in range(days)]
        return [float(v) for v in found.values() if v is not None]

    def target(self, metric: str) -> float | None:
        """The sum of the unfiltered targets of ``metric`` that tile the period exactly (the
        targets are for the whole business: none for a narrowed report)."""
        if self.restricted or self.cat.metrics[metric].aggregate not in ADDITIVE:
            return None
        rows = [
            r
            for r in self.pacing()
            if r["metric"] == metric
            and not r["filter"]
            and r["period_start"] >= self.period.start
            and r["period_end"] <= self.period.end
        ]
        covered = sum((r["period_end"] - r["period_start"]).days + 1 for r in rows)
        if not rows or covered != self.period.days:
            return None
        return float(sum(r["target"] for r in rows))

    @cached_property
    def _pacing(self) -> list[dict[str, Any]]:
        try:
            return targets_report(self.project, self.wh)
        except BizsightError:
            return []

    def pacing(self) -> list[dict[str, Any]]:
        """Every target with its pacing (marts.target_pacing), or none for a narrowed report."""
        return [] if self.restricted else self._pacing

    def by(
        self,
        dimension: str,
        metric: str,
        *extra: str,
        title: str,
        top: int | None = None,
        by_change: bool = False,
    ) -> Table:
        """``metric`` by ``dimension`` this period against the previous one (and its change),
        then ``extra`` metrics; biggest first, or with ``by_change`` the best change first and
        the worst last (members new to the period after them)."""
        now = {r[dimension]: r for r in self.rows(metric, *extra, dimensions=(dimension,))}
        before = {
            r[dimension]: r[metric]
            for r in self.rows(metric, dimensions=(dimension,), span=self.period.previous)
        }
        names = _names(now)
        ordered = sorted((k for k in now if k is not None), key=lambda k: -float(now[k][metric] or 0))[:top]
        rows = []
        for key in ordered:
            previous = before.get(key)
            change = Comparison(label="", value=previous).change(now[key][metric])
            rows.append(
                (names.get(key, key), now[key][metric], previous, change, *(now[key][e] for e in extra))
            )
        if by_change:
            rows.sort(key=lambda row: (row[3] is None, -float(row[3] or 0)))
        columns = (
            Column(key=dimension, label=self.cat.dimensions[dimension].label or dimension),
            Column(key=metric, label=self.label(metric), unit=self.unit(metric)),
            Column(key=f"previous_{metric}", label="Previous period", unit=self.unit(metric)),
            Column(key="change", label="Change", unit=Unit.PERCENT),
            *(Column(key=e, label=self.label(e), unit=self.unit(e)) for e in extra),
        )
        return Table(title=title, columns=columns, rows=tuple(rows))

    def monthly(self, *metrics: str, title: str, months: int = 12, style: str = "line") -> Chart:
        """``metrics`` (of one unit) by month over the ``months`` up to the period's end; those
        the reader's restrictions cannot filter are left out."""
        metrics = tuple(m for m in metrics if self.visible(m)) or metrics[:1]
        start = max(add_months(self.period.end.replace(day=1), 1 - months), self.period.first.replace(day=1))
        found = {
            r["period"]: r for r in self.rows(*metrics, grain=Grain.MONTH, span=(start, self.period.end))
        }
        x = tuple(sorted(p for p in found if p is not None))
        return Chart(
            title=title,
            style=style,  # type: ignore[arg-type]
            unit=self.unit(metrics[0]),
            x=x,
            series=tuple(Series(label=self.label(m), values=tuple(found[p][m] for p in x)) for m in metrics),
        )

    def visible(self, metric: str) -> bool:
        """Whether the reader's restrictions can be applied to ``metric`` (else it is withheld)."""
        try:
            scoped_query(self.request.principal, Query(metrics=(metric,)), self.cat)
        except AccessDeniedError:
            return False
        return True

    def member(self) -> tuple[str, tuple[Any, ...]] | None:
        """The one dimension and its values the report is narrowed to, when it is narrowed by
        exactly one ``=``/``in`` filter (a stored series per member can then stand in for it)."""
        filters: tuple[Filter, ...] = (*self.request.filters, *self.request.principal.restrictions)
        if len(filters) != 1 or filters[0].op not in ("=", "in"):
            return None
        return filters[0].dimension, filters[0].values


def cite(value: Any, unit: Unit) -> tuple[int | float | Decimal | None, Unit]:
    """A table's cell as a finding's number (a cell that is not a number cites nothing).

    >>> cite(3, Unit.COUNT), cite("Europe", Unit.COUNT)
    ((3, <Unit.COUNT: 'count'>), (None, <Unit.COUNT: 'count'>))
    """
    number = value if isinstance(value, int | float | Decimal) and not isinstance(value, bool) else None
    return number, unit


def literal(name: Any) -> str:
    """A member's name inside a finding's text, its braces kept as braces.

    >>> literal("Toys {new}")
    'Toys {{new}}'
    """
    return str(name).replace("{", "{{").replace("}", "}}")


def _names(rows: dict[Any, dict[str, Any]]) -> dict[Any, Any]:
    """Members shown by name where the query gave one (``product_name`` beside ``product``)."""
    return {k: r["product_name"] for k, r in rows.items() if r.get("product_name")}


def change_of(table: Table, key: Any) -> Any:
    """A row's change in a :meth:`Reading.by` table, by its first cell."""
    for row in table.rows:
        if row[0] == key:
            return row[3]
    return None


def _day(period: dt.date | dt.datetime) -> dt.date:
    return period.date() if isinstance(period, dt.datetime) else period
