"""Compiling a metric query to one SQL syntax tree, rendered for DuckDB, Spark or PostgreSQL.

Each model's aggregates are computed in their own subquery, grouped by the requested period and
dimensions; a spine of every period × dimension combination holds them together with left
joins. So a join never multiplies rows (metrics of different tables never share a GROUP BY),
ratios are computed from their summed components at the query's grain, and empty periods show
zeros. Comparisons and growth join the same subqueries again on a shifted period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sqlglot import exp

from bizsight.errors import InvalidArgumentError, did_you_mean
from bizsight.metrics.definitions import TIME, Aggregate, Catalogue, Compare, Metric
from bizsight.metrics.expressions import (
    aliased_table,
    date_literal,
    period_key,
    ratio,
    shift_period_key,
    snippet,
)
from bizsight.metrics.periods import MONTHS, add_months, previous_span, previous_year
from bizsight.metrics.query import Filter, Grain, Query
from bizsight.presentation import Unit
from bizsight.warehouse.sql import col, ident

PERIOD = "period"
# Which join alias holds each (metric, compare) in one compiled query: made by
# QueryCompiler._join_parts inside compile() and passed to value(), never kept on the compiler.
Holders = Mapping[tuple[str, Compare | None], str]


@dataclass(frozen=True)
class Compiled:
    tree: exp.Select
    columns: tuple[str, ...]
    units: dict[str, Unit]  # metric column → what it measures (bizsight.presentation)

    def sql(self, dialect: str = "duckdb", *, pretty: bool = False) -> str:
        return self.tree.sql(dialect=dialect, pretty=pretty)


def compile_query(
    catalogue: Catalogue, query: Query, *, today: dt.date, fiscal_year_start: int = 1
) -> Compiled:
    """The SQL that answers ``query``; see the module docstring for its shape."""
    return QueryCompiler(catalogue, query, today, fiscal_year_start).compile()


class QueryCompiler:
    """Compiles one query; :func:`compile_query` is the way in, drill-down reuses the parts.

    Everything on the compiler is set in ``__init__`` and only read afterwards; what one
    compilation builds (the joins and which alias holds each metric) stays local to
    :meth:`compile`, so compiling twice, or from two threads, gives the same tree each time.
    """

    def __init__(
        self,
        catalogue: Catalogue,
        query: Query,
        today: dt.date,
        fiscal_year_start: int,
        *,
        shifted: bool = True,
    ) -> None:
        """``shifted=False`` leaves out the shifted periods that comparisons and growth read
        (drill-down lists the rows of the current period only)."""
        self.cat = catalogue
        self.q = query
        self.fiscal = fiscal_year_start
        for name in query.metrics:
            catalogue.metric(name)
        for name in (*query.dimensions, *(f.dimension for f in query.filters)):
            if name != TIME:
                catalogue.dimension(name)
        if TIME in query.dimensions:
            raise InvalidArgumentError(
                "group by time with a grain (day, week, month, quarter, year), not as a dimension"
            )
        self.lo, self.hi = query.bounds(today, fiscal_year_start)
        self.aggregates = catalogue.aggregates(list(query.metrics))
        self.models: list[str] = list(
            dict.fromkeys(m for a in self.aggregates if (m := catalogue.metrics[a].model) is not None)
        )
        self._check_grain()
        needed = tuple(self._shifts_needed())  # checks that the query can compare at all
        self.shifts = needed if shifted else ()
        self._check_dimensions()

    # -- what is needed -------------------------------------------------------------------------

    def _shifts_needed(self) -> list[Compare]:
        needed = set()
        for name in self.q.metrics:
            needed |= self._growth_compares(name)
        if self.q.compare:
            needed.add(self.q.compare)
            for name in self.q.metrics:
                needed |= {Compare.PREVIOUS_YEAR} & self._growth_compares(name)
        if (
            (needed or self._needs_retention())
            and self.q.grain is None
            and (self.lo is None or self.hi is None)
        ):
            raise InvalidArgumentError(
                "comparing with an earlier period needs a time grain (--grain) or a date range (--from/--to)"
            )
        return sorted(needed)

    def _needs_retention(self) -> bool:
        """Whether an aggregate looks at the period before (retention)."""
        return any(
            (agg := self.cat.metrics[a].aggregate) is not None and agg.needs_previous_period
            for a in self.aggregates
        )

    def _growth_compares(self, name: str) -> set[Compare]:
        metric = self.cat.metrics[name]
        found = {metric.compare} if metric.growth and metric.compare else set()
        for ref in self.cat.references(name):
            found |= self._growth_compares(ref)
        return found

    def _check_grain(self) -> None:
        """A model stated per quarter (market data) cannot answer by month, week or day."""
        order = list(Grain)
        for model in self.models:
            stated = Grain(self.cat.models[model].grain)
            if self.q.grain is not None and order.index(self.q.grain) < order.index(stated):
                users = [a for a in self.aggregates if self.cat.metrics[a].model == model]
                raise InvalidArgumentError(
                    f"{', '.join(users)} (rows of {model}) are stated per {stated}; "
                    f"ask with --grain {' or '.join(order[order.index(stated) :])}, not {self.q.grain}"
                )

    def _check_dimensions(self) -> None:
        for name in [*self.q.dimensions, *(f.dimension for f in self.q.filters)]:
            for model in self.models:
                if model not in self.cat.dimensions[name].sql:
                    users = [a for a in self.aggregates if self.cat.metrics[a].model == model]
                    raise InvalidArgumentError(
                        f"dimension '{name}' does not apply to {', '.join(users)} (rows of {model}); "
                        f"it applies to {', '.join(self.cat.dimensions[name].sql)}"
                    )

    # -- periods ---------------------------------------------------------------------------------

    def period_of(self, time: exp.Expr) -> exp.Expr:
        if self.q.grain is None:
            return self._range_period(time)
        return period_key(time, self.q.grain, self.fiscal)

    def _range_period(self, time: exp.Expr) -> exp.Expr:
        """Without a grain the whole range is one period, keyed by its first day; earlier ranges
        needed for comparisons are keyed by theirs."""
        if self.lo is None or self.hi is None:
            return exp.Literal.number(0)
        ranges = [(self.lo, self.hi), *(self._shifted_range(c) for c in self._all_shifts())]
        case = exp.Case()
        for lo, hi in ranges:
            case = case.when(
                exp.Between(this=exp.cast(time, "DATE"), low=date_literal(lo), high=date_literal(hi)),
                date_literal(lo),
            )
        return case

    def _all_shifts(self) -> list[Compare]:
        shifts = list(self.shifts)
        if self._needs_retention() and Compare.PREVIOUS_PERIOD not in shifts:
            shifts.append(Compare.PREVIOUS_PERIOD)
        return shifts

    def _shifted_range(self, compare: Compare) -> tuple[dt.date, dt.date]:
        assert self.lo is not None and self.hi is not None
        if compare is Compare.PREVIOUS_YEAR:
            return previous_year(self.lo), previous_year(self.hi)
        return previous_span(self.lo, self.hi)

    def shift_period(self, period: exp.Expr, compare: Compare, *, forward: bool = False) -> exp.Expr:
        """The key of the period ``compare`` refers to (or, forward, the one that refers to it)."""
        sign = 1 if forward else -1
        grain = self.q.grain
        if grain is None:
            assert self.lo is not None
            target = self._shifted_range(compare)[0]
            source, dest = (target, self.lo) if forward else (self.lo, target)
            return exp.Case().when(exp.EQ(this=period, expression=date_literal(source)), date_literal(dest))
        return shift_period_key(period, grain, previous_year=compare is Compare.PREVIOUS_YEAR, by=sign)

    def data_lower_bound(self) -> dt.date | None:
        """The earliest date any subquery must read (the range extended for comparisons)."""
        if self.lo is None:
            return None
        lows = [self.lo]
        for compare in self._all_shifts():
            if self.q.grain is None:
                lows.append(self._shifted_range(compare)[0])
            elif compare is Compare.PREVIOUS_YEAR:
                lows.append(previous_year(self.lo) - dt.timedelta(days=31))
            else:
                step = {Grain.DAY: 1, Grain.WEEK: 14}.get(self.q.grain)
                lows.append(
                    self.lo - dt.timedelta(days=step)
                    if step
                    else add_months(self.lo, -MONTHS[self.q.grain] - 1)
                )
        return min(lows)

    # -- subqueries -------------------------------------------------------------------------------

    def rows_of(self, model_name: str, snippets: list[exp.Expr], lower: dt.date | None) -> exp.Select:
        """FROM the model's table with the joins the snippets use, WHERE range and filters."""
        model = self.cat.models[model_name]
        select = exp.select().from_(aliased_table(model.table, "f"))
        filters = [self._filter(f, model_name) for f in self.q.filters]
        used = {c.table for s in [*snippets, *filters] for c in s.find_all(exp.Column) if c.table}
        for name in [n for n in model.joins if n in used]:
            join = model.joins[name]
            on = exp.EQ(this=col(join.key, name), expression=col(join.key, "f"))
            select = select.join(aliased_table(join.table, name), on=on, join_type="left")
        unknown = used - set(model.joins) - {"f"}
        if unknown:
            raise InvalidArgumentError(f"model {model_name} has no join named '{sorted(unknown)[0]}'")
        time = col(model.time, "f")
        conditions: list[exp.Expr] = []
        if lower is not None:
            conditions.append(exp.GTE(this=time, expression=date_literal(lower)))
        if self.hi is not None:
            conditions.append(exp.LTE(this=time, expression=date_literal(self.hi)))
        conditions += filters
        return select.where(exp.and_(*conditions)) if conditions else select

    def _filter(self, f: Filter, model: str) -> exp.Expr:
        target = snippet(self.cat.dimensions[f.dimension].sql[model])
        values = [exp.convert(v) for v in f.values]
        if f.op == "in":
            return exp.In(this=target, expressions=values)
        if f.op == "not_in":
            return exp.not_(exp.In(this=target, expressions=values))
        operator = {"=": exp.EQ, "!=": exp.NEQ, ">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE}[f.op]
        return operator(this=target, expression=values[0])

    def group_keys(self, model: str) -> list[tuple[str, exp.Expr]]:
        time = col(self.cat.models[model].time, "f")
        keys: list[tuple[str, exp.Expr]] = [(PERIOD, self.period_of(time))]
        keys += [(d, snippet(self.cat.dimensions[d].sql[model])) for d in self.q.dimensions]
        return keys

    def _standard(self, model: str, names: list[str]) -> exp.Select:
        keys = self.group_keys(model)
        snippets = [e for _, e in keys]
        aggregates = []
        for name in names:
            metric = self.cat.metrics[name]
            aggregates.append(exp.alias_(self._aggregate(metric), ident(name)))
            snippets += [snippet(t) for t in (metric.sql, metric.filter) if t]
        select = self.rows_of(model, snippets, self.data_lower_bound())
        select = select.select(*(exp.alias_(e, ident(k)) for k, e in keys), *aggregates)
        return select.group_by(*(exp.Literal.number(i + 1) for i in range(len(keys))))

    def _aggregate(self, metric: Metric) -> exp.Expr:
        assert metric.sql is not None
        value = snippet(metric.sql)
        if metric.filter:
            value = exp.Case().when(snippet(metric.filter), value)
        agg = metric.aggregate
        if agg is Aggregate.COUNT_DISTINCT:
            return exp.Count(this=exp.Distinct(expressions=[value]))
        function = {
            Aggregate.SUM: exp.Sum,
            Aggregate.COUNT: exp.Count,
            Aggregate.AVG: exp.Avg,
            Aggregate.MIN: exp.Min,
            Aggregate.MAX: exp.Max,
        }[agg]  # type: ignore[index]
        return function(this=value)

    # -- assembly --------------------------------------------------------------------------------

    def compile(self) -> Compiled:
        from bizsight.metrics.customer_level import customer_level_query  # it builds on this class

        parts: list[tuple[str, exp.Select, list[str]]] = []  # alias, subquery, metrics it holds
        for model in self.models:
            standard = [
                a
                for a in self.aggregates
                if self.cat.metrics[a].model == model and self.cat.metrics[a].aggregate in _STANDARD
            ]
            if standard:
                parts.append((f"m_{model}", self._standard(model, standard), standard))
        for name in self.aggregates:
            if self.cat.metrics[name].aggregate not in _STANDARD:
                parts.append((f"c_{name}", customer_level_query(self, name), [name]))
        select = exp.select().from_(exp.alias_(exp.to_table("spine"), "s"))
        for alias, subquery, _ in parts:
            select = select.with_(alias, subquery)
        select = select.with_("spine", self._spine(parts))
        select, holders = self._join_parts(select, parts)
        columns: list[str] = []
        outputs: list[exp.Expr] = []
        if self.q.grain is not None:
            outputs.append(exp.alias_(col(PERIOD, "s"), PERIOD))
            columns.append(PERIOD)
        for d in self.q.dimensions:
            outputs.append(exp.alias_(col(d, "s"), ident(d)))
            columns.append(d)
        units: dict[str, Unit] = {}
        for name in self.q.metrics:
            current = self.value(name, None, holders)
            outputs.append(exp.alias_(current, ident(name)))
            columns.append(name)
            units[name] = self.cat.metrics[name].unit
            if self.q.compare:
                previous = self.value(name, self.q.compare, holders)
                change = exp.Sub(this=current.copy(), expression=previous.copy())
                pct = ratio(change.copy(), previous.copy())
                for suffix, value, unit in (
                    ("previous", previous, units[name]),
                    ("change", change, units[name]),
                    ("change_pct", pct, Unit.PERCENT),
                ):
                    outputs.append(exp.alias_(value, ident(f"{name}__{suffix}")))
                    columns.append(f"{name}__{suffix}")
                    units[f"{name}__{suffix}"] = unit
        select = select.select(*outputs)
        order = self._order(columns)
        if order:
            select = select.order_by(*order)
        if self.q.limit:
            select = select.limit(self.q.limit)
        return Compiled(select, tuple(columns), units)

    def _join_parts(
        self, select: exp.Select, parts: list[tuple[str, exp.Select, list[str]]]
    ) -> tuple[exp.Select, Holders]:
        """``select`` with each part left-joined on the spine, once for the current period and once
        per shift, and which join alias holds each (metric, compare)."""
        keys = [PERIOD, *self.q.dimensions]
        holders: dict[tuple[str, Compare | None], str] = {}
        for alias, _, names in parts:
            for compare in [None, *self.shifts]:
                join_alias = alias if compare is None else f"{alias}__{compare.value}"
                period = col(PERIOD, "s") if compare is None else self.shift_period(col(PERIOD, "s"), compare)
                on = exp.and_(
                    exp.EQ(this=col(PERIOD, join_alias), expression=period),
                    *(exp.NullSafeEQ(this=col(k, join_alias), expression=col(k, "s")) for k in keys[1:]),
                )
                select = select.join(exp.alias_(exp.to_table(alias), join_alias), on=on, join_type="left")
                for name in names:
                    holders[(name, compare)] = join_alias
        return select, MappingProxyType(holders)

    def _spine(self, parts: list[tuple[str, exp.Select, list[str]]]) -> exp.Select:
        """Every period of the range × every combination of dimension values seen."""
        if self.q.grain is not None:
            date = col("date", "d")
            periods = (
                exp.select(exp.alias_(self.period_of(date), PERIOD))
                .distinct()
                .from_(aliased_table("core.dim_date", "d"))
            )
            low = date_literal(self.lo) if self.lo else self._data_bound("MIN")
            high = date_literal(self.hi) if self.hi else self._data_bound("MAX")
            periods = periods.where(exp.Between(this=date, low=low, high=high))
        else:
            value = (
                date_literal(self.lo)
                if self.lo is not None and self.hi is not None
                else exp.Literal.number(0)
            )
            periods = exp.select(exp.alias_(value, PERIOD))
        if not self.q.dimensions:
            return periods
        seen: exp.Expr | None = None
        for alias, _, _ in parts:
            values = exp.select(*(col(d) for d in self.q.dimensions)).from_(alias)
            seen = values if seen is None else exp.union(seen, values, distinct=True)
        assert isinstance(seen, exp.Query)
        combos = exp.select(*(col(d) for d in self.q.dimensions)).distinct().from_(seen.subquery("u"))
        return (
            exp.select(col(PERIOD, "p"), *(col(d, "c") for d in self.q.dimensions))
            .from_(periods.subquery("p"))
            .join(combos.subquery("c"), join_type="cross")
        )

    def _data_bound(self, function: str) -> exp.Expr:
        values = [
            exp.select(exp.func(function, col(self.cat.models[m].time, "f")))
            .from_(aliased_table(self.cat.models[m].table, "f"))
            .subquery()
            for m in self.models
        ]
        combine = exp.Least if function == "MIN" else exp.Greatest
        return values[0] if len(values) == 1 else combine(this=values[0], expressions=values[1:])

    def value(self, name: str, compare: Compare | None, holders: Holders) -> exp.Expr:
        """The SQL value of metric ``name`` in the current period, or in the compared one, read
        from the join aliases ``holders`` (of :meth:`_join_parts`)."""
        metric = self.cat.metrics[name]
        if metric.kind == "aggregate":
            column = col(name, holders[(name, compare)])
            assert metric.aggregate is not None
            return (
                exp.Coalesce(this=column, expressions=[exp.Literal.number(0)])
                if metric.aggregate.additive
                else column
            )
        if metric.ratio:
            return ratio(
                self.value(metric.ratio[0], compare, holders), self.value(metric.ratio[1], compare, holders)
            )
        if metric.growth:
            assert metric.compare is not None
            if compare is not None:
                # The growth of an earlier period would need a period further back still.
                return exp.Null()
            current = self.value(metric.growth, None, holders)
            earlier = self.value(metric.growth, metric.compare, holders)
            return exp.Sub(this=ratio(current, earlier), expression=exp.Literal.number(1))
        assert metric.derived is not None
        tree = snippet(metric.derived)
        # With a division, compute in DOUBLE from the start: engines divide decimals differently
        # (Spark exactly, to six places; DuckDB in floating point). Sums and differences stay exact.
        divides = tree.find(exp.Div) is not None

        def operand(name: str) -> exp.Expr:
            value = self.value(name, compare, holders)
            return exp.paren(exp.cast(value, "DOUBLE") if divides else value)

        return tree.transform(lambda node: operand(node.name) if isinstance(node, exp.Column) else node)

    def _order(self, columns: list[str]) -> list[exp.Ordered]:
        if not self.q.order_by:
            # NULLs last everywhere: engines disagree on the default (Spark puts them first).
            keys = columns[: (self.q.grain is not None) + len(self.q.dimensions)]
            return [exp.Ordered(this=col(c), nulls_first=False) for c in keys]
        ordered = []
        for spec in self.q.order_by:
            name, descending = (spec[1:], True) if spec.startswith("-") else (spec, False)
            if name not in columns:
                raise InvalidArgumentError(
                    f"cannot order by '{name}'{did_you_mean(name, columns)}: not in the result"
                )
            ordered.append(exp.Ordered(this=col(name), desc=descending, nulls_first=False))
        return ordered


# Plain SQL aggregates; the others are customer-level (metrics/customer_level.py).
_CUSTOMER_LEVEL = {Aggregate.REPEAT_CUSTOMERS, Aggregate.RETAINED, Aggregate.PREVIOUS_PERIOD_COUNT}
_STANDARD = frozenset(Aggregate) - _CUSTOMER_LEVEL
