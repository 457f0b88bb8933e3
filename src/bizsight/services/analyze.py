"""The analyze use cases: customer lifetime value and churn risk from the warehouse, with the
project's ``customers:`` settings unless a command overrides them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from bizsight.analytics.clv_summary import TIME_UNITS, RFMSummary, summary_sql
from bizsight.config.customers import CLVSettings
from bizsight.console import NullReporter, Reporter
from bizsight.errors import InvalidArgumentError, NotInitializedError, did_you_mean
from bizsight.services.project import Project
from bizsight.services.query import product_names
from bizsight.warehouse.connection import Warehouse

if TYPE_CHECKING:  # the fit needs scipy: imported when a CLV is fitted, not to list reports
    from bizsight.analytics.clv import CLVAnalysis

MIN_CUSTOMERS = 50  # fewer than this and the models' parameters mean little
PURCHASE_STATUSES = ("completed", "refunded")  # a cancelled order is no purchase occasion


def _require_orders(project: Project) -> None:
    if not project.paths.warehouse.exists():
        raise NotInitializedError(
            f"no warehouse in {project.root.resolve()}: run `bizsight ingest PATH` first"
        )


def clv_analysis(
    wh: Warehouse,
    *,
    calibration_end: dt.date | None = None,
    holdout_end: dt.date | None = None,
    settings: CLVSettings | None = None,
    reporter: Reporter | None = None,
) -> CLVAnalysis:
    """Fit BG/NBD and Gamma-Gamma on purchases up to ``calibration_end`` (default: the last
    order), validate on the holdout up to ``holdout_end``, and score every customer."""
    settings = settings or CLVSettings()
    unit_days = TIME_UNITS[settings.time_unit]
    last = wh.scalar("SELECT max(order_date) FROM core.fact_order_line")
    if last is None:
        raise NotInitializedError("no order lines in the warehouse: ingest sales_transactions first")
    observation_end = holdout_end or last
    calibration = calibration_end or observation_end
    if calibration > observation_end:
        raise InvalidArgumentError(
            f"--calibration-end {calibration} is after --holdout-end {observation_end}"
        )
    sql = summary_sql(
        calibration_end=calibration,
        observation_end=observation_end,
        time_unit_days=unit_days,
        statuses=PURCHASE_STATUSES,
    )
    table = wh.con.sql(sql).to_arrow_table()
    if table.num_rows < MIN_CUSTOMERS:
        raise InvalidArgumentError(
            f"{table.num_rows} customers bought before {calibration}; CLV models need at least {MIN_CUSTOMERS}"
        )
    (reporter or NullReporter()).step(f"fitting BG/NBD and Gamma-Gamma on {table.num_rows:,} customers")
    from bizsight.analytics.clv import analyze_clv

    summary = RFMSummary.from_arrow(table, time_unit_days=unit_days)
    return analyze_clv(summary, settings)


def analyze_clv_for(
    project: Project,
    *,
    calibration_end: dt.date | None = None,
    holdout_end: dt.date | None = None,
    time_unit: str | None = None,
    reporter: Reporter | None = None,
) -> dict[str, Any]:
    """What ``bizsight analyze clv`` prints: the project's CLV settings, with ``time_unit``
    overriding theirs when given. Its steps go to ``reporter``."""
    _require_orders(project)
    settings = project.settings.customers.clv
    if time_unit is not None:
        if time_unit not in TIME_UNITS:
            raise InvalidArgumentError(
                f"unknown time unit '{time_unit}'{did_you_mean(time_unit, TIME_UNITS)}; use day, week or month"
            )
        settings = settings.model_copy(update={"time_unit": time_unit})
    with project.warehouse(read_only=True) as wh:
        analysis = clv_analysis(
            wh, calibration_end=calibration_end, holdout_end=holdout_end, settings=settings, reporter=reporter
        )
        return analysis.to_dict()


def clv_scores(wh: Warehouse, settings: CLVSettings | None = None) -> pa.Table | None:
    """Current CLV scores for ``marts.clv``, or None when there are too few customers to fit."""
    try:
        return clv_analysis(wh, settings=settings).scores
    except InvalidArgumentError:
        return None


def analyze_churn_for(
    project: Project,
    *,
    churn_days: int | None = None,
    save_model: bool = False,
    reporter: Reporter | None = None,
) -> dict[str, Any]:
    """What ``bizsight analyze churn`` prints: the temporal-holdout evaluation, the risk bands and
    the first customers of the retention target list (ranked by revenue at risk). Its steps
    (features, fits, evaluation, scoring) go to ``reporter``."""
    from bizsight.analytics.churn import retention_targets
    from bizsight.services.churn import analyze_churn

    _require_orders(project)
    if churn_days is not None and churn_days < 1:
        raise InvalidArgumentError("--churn-days must be 1 or more")
    models = project.paths.state_dir / "models" / "churn" if save_model else None
    churn_days = churn_days or project.settings.customers.churn.days
    with project.warehouse(read_only=True) as wh:
        analysis = analyze_churn(wh, churn_days=churn_days, models_dir=models, reporter=reporter)
    return {**analysis.to_dict(), "targets": retention_targets(analysis.scores, 20).to_pylist()}


def segments_for(
    project: Project, *, as_of: dt.date | None = None, since: dt.date | None = None
) -> dict[str, Any]:
    """RFM segments at ``as_of`` (default: the last order date) with the project's rules: size,
    revenue share and average predicted CLV per segment; with ``since``, how customers moved
    between the segments they had at ``since`` and at ``as_of``."""
    from bizsight.analytics.rfm import ClvColumn, migration, segment_summary

    _require_orders(project)
    rules = project.settings.customers.rfm
    with project.warehouse(read_only=True) as wh:
        last = wh.scalar("SELECT max(order_date) FROM core.fact_order_line")
        if last is None:
            raise NotInitializedError("no order lines in the warehouse: ingest sales_transactions first")
        as_of = as_of or last
        if since is not None and since >= as_of:
            raise InvalidArgumentError(f"--since {since} must be before the as-of date {as_of}")
        clv = ClvColumn() if wh.table_exists("marts", "clv") else None
        summary = segment_summary(wh, as_of, rules, clv).drop_columns(["ordinal"])
        moves = migration(wh, since, as_of, rules).to_pylist() if since else None
    return {
        "as_of": as_of.isoformat(),
        "since": since.isoformat() if since else None,
        "segments": summary.to_pylist(),
        "migration": moves,
    }


def cohorts_for(
    project: Project,
    *,
    grain: str | None = None,
    anchor: str | None = None,
    split_by: str | None = None,
    max_periods: int | None = None,
) -> list[dict[str, Any]]:
    """The cohort × period table (retention, revenue retention, cumulative revenue per customer,
    churn rate), with the project's cohort settings unless overridden."""
    from pydantic import ValidationError

    from bizsight.analytics.cohorts import CohortSettings, cohorts

    _require_orders(project)
    defaults = project.settings.customers.cohorts
    try:
        settings = CohortSettings(
            grain=grain or defaults.grain,  # type: ignore[arg-type]
            anchor=anchor or defaults.anchor,  # type: ignore[arg-type]
            split_by=split_by,
            max_periods=max_periods,
        )
    except ValidationError as err:
        raise InvalidArgumentError(err.errors()[0]["msg"].removeprefix("Value error, ")) from None
    with project.warehouse(read_only=True) as wh:
        rows: list[dict[str, Any]] = cohorts(wh, settings).to_pylist()
    return rows


def _mart(wh: Warehouse, name: str) -> pa.Table:
    from sqlglot import exp

    from bizsight.warehouse.sql import render, table

    if not wh.table_exists("marts", name):
        raise NotInitializedError(f"marts.{name} is missing: run `bizsight refresh` first")
    return wh.con.cursor().sql(render(exp.select("*").from_(table("marts", name)))).to_arrow_table()


def reviews_for(project: Project, *, by: str = "product", top: int = 3) -> dict[str, Any]:
    """Review sentiment from marts.review_sentiment: how well the text agrees with the stars,
    sentiment by product, category or month, and each product's most negative recent reviews."""
    from bizsight.analytics import sentiment

    if by not in ("product", "category", "month"):
        raise InvalidArgumentError(f"cannot group reviews by '{by}'; use product, category or month")
    if top < 1:
        raise InvalidArgumentError("--top must be 1 or more")
    _require_orders(project)
    with project.warehouse(read_only=True) as wh:
        scored = _mart(wh, "review_sentiment")
        agreement = sentiment.rating_agreement(wh, scored).to_pylist()[0]
        grouped = sentiment.sentiment_by(wh, scored, by).to_pylist()  # type: ignore[arg-type]
        worst = sentiment.most_negative(wh, scored, top=top).to_pylist()
    return {"agreement": agreement, "by": by, "groups": grouped, "most_negative": worst}


def top_pairs(wh: Warehouse, *, top: int, min_orders: int | None = None) -> list[dict[str, Any]]:
    """The ``top`` product pairs of marts.product_affinity by shrunk lift, among pairs held by at
    least ``min_orders`` orders (default :data:`~bizsight.analytics.affinity.MIN_ORDERS`: with two
    orders a lift of 700 is chance). Each row says in ``orders`` how many orders back it."""
    from sqlglot import exp

    from bizsight.analytics.affinity import MIN_ORDERS, RANKING
    from bizsight.warehouse.sql import lit, table

    if not wh.table_exists("marts", "product_affinity"):
        raise NotInitializedError("marts.product_affinity is missing: run `bizsight refresh` first")
    floor = MIN_ORDERS if min_orders is None else min_orders
    pairs = (
        exp.select(exp.Star())
        .from_(table("marts", "product_affinity"))
        .where(exp.column("orders") >= lit(floor))
        .order_by(*RANKING)
        .limit(lit(top))
    )
    if not wh.table_exists("core", "dim_product"):
        return wh.records(pairs)
    named = exp.select(
        exp.Column(this=exp.Star(), table=exp.to_identifier("t")),
        exp.alias_(
            exp.func("coalesce", exp.column("product_name", "a"), exp.column("product_a", "t")),
            "product_a_name",
        ),
        exp.alias_(
            exp.func("coalesce", exp.column("product_name", "b"), exp.column("product_b", "t")),
            "product_b_name",
        ),
    ).from_(exp.alias_(exp.Subquery(this=pairs), "t"))
    for alias, key in (("a", "product_a"), ("b", "product_b")):
        named = named.join(
            exp.alias_(table("core", "dim_product"), alias),
            on=exp.EQ(this=exp.column("product_id", alias), expression=exp.column(key, "t")),
            join_type="left",
        )
    return wh.records(named.order_by(*(f"t.{r}" for r in RANKING)))


def affinity_for(
    project: Project, *, product: str | None = None, top: int = 10, min_orders: int = 10
) -> dict[str, Any]:
    """Products bought together (orders, support, confidence, lift, shrunk lift) from
    marts.product_affinity, or "bought X, also bought" for one product; and the category
    cross-sell matrix. Pairs held by fewer than ``min_orders`` orders are left out; the rest are
    ranked by shrunk lift (docs/customer-analytics.md)."""
    from bizsight.analytics import affinity

    if top < 1 or min_orders < 1:
        raise InvalidArgumentError("--top and --min-orders must be 1 or more")
    _require_orders(project)
    with project.warehouse(read_only=True) as wh:
        if product is None:
            items = top_pairs(wh, top=top, min_orders=min_orders)
        else:
            known = [p for (p,) in wh.rows("SELECT product_id FROM core.dim_product")]
            if product not in known:
                raise InvalidArgumentError(f"unknown product '{product}'{did_you_mean(product, known)}")
            settings = affinity.AffinitySettings(min_orders=min_orders)
            items = affinity.also_bought(wh, product, top=top, settings=settings).to_pylist()
            found = product_names(project, wh, [product, *(r["also_bought"] for r in items)])
            items = [{**r, "also_bought_name": found.get(r["also_bought"])} for r in items]
        matrix = _mart(wh, "category_affinity").to_pylist()
    report = {"product": product, "min_orders": min_orders, "items": items, "categories": matrix}
    return {**report, "product_name": found.get(product)} if product is not None else report
