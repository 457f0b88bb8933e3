"""What-if: scenario overlays beside a metric's baseline forecast (see analytics/whatif)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from bizsight.analytics.whatif import (
    Scenario,
    new_customer_multiplier,
    overlay,
    price_multiplier,
)
from bizsight.errors import InvalidArgumentError, did_you_mean
from bizsight.metrics.periods import add_months, last_complete_month_end, period_start
from bizsight.metrics.query import Grain, Query
from bizsight.presentation import Unit
from bizsight.services.forecast import (
    MetricForecast,
    data_bounds,
)
from bizsight.services.project import Project
from bizsight.services.query import catalogue, run_query
from bizsight.warehouse.connection import Warehouse

PRICE_UNITS = (Unit.MONEY, Unit.COUNT)  # money moves with price × quantity, counts with quantity


@dataclass(frozen=True)
class WhatIf:
    forecasts: pa.Table  # the baseline's columns plus scenario, scenario_lo_*, scenario_hi_*
    multiplier: float
    assumptions: tuple[str, ...]


def what_if(project: Project, wh: Warehouse, fc: MetricForecast, scenarios: Sequence[Scenario]) -> WhatIf:
    """The baseline ``fc`` with every scenario applied (their multipliers multiply)."""
    multiplier, assumptions = 1.0, []
    metric = catalogue(project).metrics[fc.metric]
    for scenario in scenarios:
        if scenario.kind == "price":
            if metric.unit not in PRICE_UNITS or metric.kind != "aggregate":
                raise InvalidArgumentError(
                    f"a price scenario applies to money or counts of sales (revenue, orders, units), not {fc.metric}"
                )
            factor = price_multiplier(scenario, money=metric.unit is Unit.MONEY)
            assumptions.append(
                f"{scenario.label}: demand × (1 {scenario.change:+.3f})^{scenario.elasticity}"
                f"{', revenue also × the price' if metric.unit is Unit.MONEY else ''} → × {factor:.4f}"
            )
        else:
            share = new_customer_share(project, wh, fc.metric, scenario.channel)
            factor = new_customer_multiplier(scenario, share)
            assumptions.append(
                f"{scenario.label}: new customers of {scenario.channel or 'all channels'} made {share:.1%} of "
                f"{fc.metric} in their first month over the last 12 months; extra ones are assumed to do the same "
                f"(later repeat purchases not counted) → × {factor:.4f}"
            )
        multiplier *= factor
    return WhatIf(overlay(fc.forecasts, multiplier), multiplier, tuple(assumptions))


def new_customer_share(project: Project, wh: Warehouse, metric: str, channel: str | None) -> float:
    """The share of ``metric`` over the last 12 complete months that came from customers (of
    ``channel``) in the month they were acquired."""
    cat = catalogue(project)
    needed = ("acquisition_channel", "cohort_month")
    models = {cat.metrics[name].model for name in cat.aggregates([metric])}
    if not all(model in cat.dimensions[d].sql for d in needed for model in models):
        raise InvalidArgumentError(
            f"a new-customer scenario needs a metric of orders or new customers, not {metric}"
        )
    _, last = data_bounds(project, wh, metric)
    end = last_complete_month_end(last)
    start = add_months(period_start(end, "month"), -11)
    query = Query(metrics=(metric,), dimensions=needed, grain=Grain.MONTH, start=start, end=end)
    table = run_query(project, query, wh=wh).table
    values = np.nan_to_num(table.column(metric).cast(pa.float64()).to_numpy(zero_copy_only=False))
    new = np.array(table.column("period").to_pylist()) == np.array(table.column("cohort_month").to_pylist())
    if channel is not None:
        found = np.array(table.column("acquisition_channel").to_pylist(), dtype=object)
        channels = {str(c) for c in found if c is not None}
        if channel not in channels:
            raise InvalidArgumentError(
                f"unknown acquisition channel '{channel}'{did_you_mean(channel, channels)}; "
                f"known: {', '.join(sorted(channels))}"
            )
        new &= found == channel
    total, first_month = float(values.sum()), float(values[new].sum())
    return float(first_month / total) if total else 0.0
