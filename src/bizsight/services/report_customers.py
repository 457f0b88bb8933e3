"""Customer health in reports: RFM segments and how customers moved between them over the
period, churn risk and revenue at risk, cohorts, CLV — each limited to the customers the reader
may see (:func:`~bizsight.services.access.customer_rows`), from the marts the Customers page reads.

The ``customers`` template (Customer health) is here; the executive summary borrows its parts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from bizsight.analytics.rfm import migration_query
from bizsight.errors import AccessDeniedError
from bizsight.metrics.periods import months_apart
from bizsight.presentation import Unit
from bizsight.reports import Column, Document, Finding, Findings, Kpis, Table
from bizsight.services import customers as customer_views
from bizsight.services.access import CUSTOMER_MODEL, customer_rows
from bizsight.services.page_data import clv_distribution
from bizsight.services.project import Project
from bizsight.services.report_parts import TESTS_NOTE, Reading, cite
from bizsight.services.report_templates import ReportRequest, template
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.sql import col, ident, table

BANDS = ("high", "medium", "low")
COHORT_MONTHS = 6  # months after the first shown per cohort
COHORTS = 12  # the latest cohorts


def withheld(title: str) -> Callable[[Callable[[Reading], Table]], Callable[[Reading], Table]]:
    """A customer table a reader's restrictions cannot be applied to (restricted by product
    category, say: a customer buys in many) says so instead of failing the whole report."""

    def wrap(make: Callable[[Reading], Table]) -> Callable[[Reading], Table]:
        @functools.wraps(make)
        def guarded(reading: Reading) -> Table:
            try:
                return make(reading)
            except AccessDeniedError as err:
                why = Column(key="withheld", label="Withheld")
                return Table(title=title, columns=(why,), rows=((str(err),),))

        return guarded

    return wrap


def _visible_ids(reading: Reading) -> exp.Select | None:
    """The ids of the customers the reader may see (None: all)."""
    rows = customer_rows(reading.request.principal, reading.cat, CUSTOMER_MODEL, reading.period.last)
    if rows is None:
        return None
    return exp.select(col("customer_id", "v")).from_(exp.alias_(exp.Subquery(this=rows), ident("v")))


@withheld("RFM segments")
def segments_table(reading: Reading) -> Table:
    """RFM segments at the last refresh: customers, their revenue and average predicted CLV."""
    found = customer_views.segments(
        reading.project, reading.wh, reading.request.principal, today=reading.period.last
    )
    return Table(
        title="RFM segments",
        columns=(
            Column(key="segment", label="Segment"),
            Column(key="customers", label="Customers", unit=Unit.COUNT),
            Column(key="revenue", label="Revenue", unit=Unit.MONEY),
            Column(key="avg_clv", label="Average CLV", unit=Unit.MONEY),
        ),
        rows=tuple((r["segment"], r["customers"], r["revenue"], r["avg_clv"]) for r in found),
    )


@withheld("Segment movement")
def movement_table(reading: Reading) -> Table:
    """Customers by their RFM segment at the end of the previous period and at the period's end
    (the project's RFM rules, worked out at both dates), the moves of ten customers or more first."""
    before = reading.period.previous[1]
    select = migration_query(before, reading.period.end, reading.project.settings.customers.rfm)
    ids = _visible_ids(reading)
    if ids is not None:
        who = exp.func("coalesce", col("customer_id", "a"), col("customer_id", "b"))
        select = select.where(who.isin(query=ids))
    moves = [r for r in reading.wh.records(select) if r["segment_from"] != r["segment_to"]]
    moves.sort(key=lambda r: (-r["customers"], str(r["segment_from"]), str(r["segment_to"])))
    return Table(
        title="Segment movement",
        columns=(
            Column(key="segment_from", label=f"Segment on {before.isoformat()}"),
            Column(key="segment_to", label=f"Segment on {reading.period.end.isoformat()}"),
            Column(key="customers", label="Customers", unit=Unit.COUNT),
        ),
        rows=tuple(
            (r["segment_from"] or "(new)", r["segment_to"] or "(none)", r["customers"]) for r in moves[:15]
        ),
    )


@withheld("Churn risk")
def churn_table(reading: Reading) -> Table:
    """Customers and revenue at risk by churn risk band (marts.churn_scores, the last refresh)."""
    rows: tuple[tuple[Any, ...], ...] = ()
    if reading.wh.table_exists("marts", "churn_scores"):
        select = (
            exp.select("risk_band", "count(*) AS customers", "sum(revenue_at_risk) AS revenue_at_risk")
            .from_(table("marts", "churn_scores"))
            .group_by("risk_band")
        )
        ids = _visible_ids(reading)
        if ids is not None:
            select = select.where(col("customer_id").isin(query=ids))
        found = {r["risk_band"]: r for r in reading.wh.records(select)}
        rows = tuple(
            (band, found[band]["customers"], found[band]["revenue_at_risk"])
            for band in BANDS
            if band in found
        )
    return Table(
        title="Churn risk",
        columns=(
            Column(key="risk_band", label="Risk"),
            Column(key="customers", label="Customers", unit=Unit.COUNT),
            Column(key="revenue_at_risk", label="Revenue at risk", unit=Unit.MONEY),
        ),
        rows=rows,
    )


def churn_finding(churn: Table) -> Finding | None:
    """The customers at high churn risk and their revenue at risk, as :func:`churn_table` shows them."""
    high = [r for r in churn.rows if r[0] == "high"]
    if not high:
        return None
    return Finding(
        text="{0} customers are at high risk of churning, holding {1} of revenue at risk.",
        numbers=(cite(high[0][1], Unit.COUNT), cite(high[0][2], Unit.MONEY)),
    )


@withheld("Cohort retention")
def cohorts_table(reading: Reading) -> Table:
    """Retention of the latest monthly cohorts up to the period's end: the share of each
    cohort's first-month customers active n months later."""
    found = customer_views.cohorts(
        reading.project,
        reading.wh,
        reading.request.principal,
        end=reading.period.end,
        today=reading.period.last,
    )
    by_cohort: dict[Any, dict[int, Any]] = {}
    sizes: dict[Any, Any] = {}
    for r in found:
        if r["months_since_first"] <= COHORT_MONTHS:
            by_cohort.setdefault(r["cohort"], {})[r["months_since_first"]] = r["retention"]
            sizes[r["cohort"]] = r["cohort_customers"]
    latest = sorted(by_cohort)[-COHORTS:]
    months = range(1, COHORT_MONTHS + 1)
    return Table(
        title="Cohort retention",
        columns=(
            Column(key="cohort", label="Cohort"),
            Column(key="cohort_customers", label="Customers", unit=Unit.COUNT),
            *(Column(key=f"month_{m}", label=f"Month {m}", unit=Unit.PERCENT) for m in months),
        ),
        rows=tuple(
            (
                c,
                sizes[c],
                *(by_cohort[c].get(m) if months_apart(c, reading.period.end) >= m else None for m in months),
            )
            for c in latest
        ),
    )


@template(
    "customers",
    title="Customer health",
    description="Active, new and returning customers, retention, RFM segments and their movement, "
    "cohorts, CLV and churn risk",
)
def customer_health(project: Project, wh: Warehouse, request: ReportRequest) -> Document:
    """The Customer health report (docs/reports.md, "Templates")."""
    reading = Reading.of(project, wh, request)
    kpis = reading.kpis(
        (
            "active_customers",
            "new_customers",
            "returning_customers",
            "customer_retention_rate",
            "repeat_purchase_rate",
            "average_clv",
        ),
        target=False,
    )
    try:
        clv = clv_distribution(project, wh, request.principal)
    except AccessDeniedError:
        clv = {"customers": 0, "mean": None, "median": None}
    churn = churn_table(reading)
    segments = segments_table(reading)
    findings = [
        Finding(
            text="{0} active customers in the period, {1} of them new.",
            numbers=((kpis[0].value, Unit.COUNT), (kpis[1].value, Unit.COUNT)),
        )
    ]
    if clv["customers"]:
        findings.append(
            Finding(
                text="The predicted lifetime value of a customer is {0} on average (median {1}).",
                numbers=((clv["mean"], Unit.MONEY), (clv["median"], Unit.MONEY)),
            )
        )
    risk = churn_finding(churn)
    if risk is not None:
        findings.append(risk)
    clv_table = Table(
        title="Lifetime value",
        columns=(
            Column(key="customers", label="Customers scored", unit=Unit.COUNT),
            Column(key="mean", label="Mean CLV", unit=Unit.MONEY),
            Column(key="median", label="Median CLV", unit=Unit.MONEY),
        ),
        rows=((clv["customers"], clv["mean"], clv["median"]),),
    )
    return Document(
        title="Customer health",
        period=reading.period.label,
        brand=request.brand,
        sections=(
            Kpis(title="Customers", cards=kpis, note=TESTS_NOTE),
            reading.monthly("active_customers", "new_customers", title="Customers by month"),
            segments,
            movement_table(reading),
            cohorts_table(reading),
            clv_table,
            churn,
            Findings(title="Findings", items=tuple(findings)),
        ),
    )
