"""Customer views for the API and the web app: search, lists, one customer's profile with RFM,
CLV, churn risk and reasons, orders and reviews; RFM segments and cohorts. Every read honours the
caller's row-level restrictions through :mod:`bizsight.services.access`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlglot import exp

from bizsight.errors import InvalidArgumentError, NotFoundError, NotInitializedError, did_you_mean
from bizsight.metrics.periods import months_apart
from bizsight.metrics.query import Grain, Query
from bizsight.services.access import CUSTOMER_MODEL, Principal, customer_rows, scoped_query
from bizsight.services.privacy import mask_records, searchable
from bizsight.services.project import Project
from bizsight.services.query import RESULTS, catalogue, product_names, run_query
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.model import CUSTOMERS
from bizsight.warehouse.sql import col, ident, lit, table, template

MAX_PAGE = 1000
SORTS = {  # sort key → column of the list
    "revenue": "net_revenue",
    "orders": "orders",
    "last_order": "last_order_date",
    "clv": "clv",
    "churn_risk": "churn_probability",
    "name": "customer_name",
}
_PROFILE = [column.name for column in CUSTOMERS.columns]  # the canonical customer columns
_HISTORY = ["orders", "net_revenue", "first_order_date", "last_order_date", "cohort_month"]
_MARTS: dict[str, list[str]] = {  # optional marts: the columns a list shows from each
    "rfm_segments": ["segment", "rfm_code", "recency_days", "frequency", "monetary", "as_of"],
    "clv": ["clv", "p_alive", "expected_purchases"],
    "churn_scores": [
        "churn_probability",
        "risk_band",
        "reason_1",
        "reason_2",
        "reason_3",
        "revenue_at_risk",
        "churn_days",
    ],
}
_RENAMED = {"segment": "rfm_segment", "as_of": "scores_as_of"}  # mart column → the view's name


def _columns(wh: Warehouse, mart: str) -> set[str]:
    """The columns of marts.<mart> (none when it does not exist)."""
    return {
        r[0]
        for r in wh.rows(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'marts' AND table_name = ?",
            [mart],
        )
    }


def _marts(wh: Warehouse) -> dict[str, list[str]]:
    """The optional marts that exist, with the listed columns each really has."""
    found = {}
    for name, wanted in _MARTS.items():
        if wh.table_exists("marts", name):
            have = _columns(wh, name)
            found[name] = [c for c in wanted if c in have]
    return found


def require_customers(wh: Warehouse) -> None:
    """Customer views need the core tables a refresh builds."""
    if not (wh.table_exists("core", "customer_orders") and wh.table_exists("core", "dim_date")):
        raise NotInitializedError(
            "no customer data yet: load files with `bizsight ingest`, then `bizsight refresh`"
        )


def _base(wh: Warehouse, principal: Principal, project: Project, today: dt.date) -> exp.Select:
    """Customers with their order history and scores, limited to the rows the caller may see."""
    require_customers(wh)
    select = exp.select(*[col(c, "c") for c in _PROFILE], *[col(c, "o") for c in _HISTORY]).from_(
        exp.alias_(table("core", "dim_customer"), ident("c"))
    )
    select = select.join(
        exp.alias_(table("core", "customer_orders"), ident("o")),
        on=exp.EQ(this=col("customer_id", "o"), expression=col("customer_id", "c")),
        join_type="left",
    )
    marts = _marts(wh)
    for mart, columns in marts.items():
        select = select.join(
            exp.alias_(table("marts", mart), ident(mart)),
            on=exp.EQ(this=col("customer_id", mart), expression=col("customer_id", "c")),
            join_type="left",
        ).select(*[exp.alias_(col(c, mart), ident(_RENAMED.get(c, c))) for c in columns])
    if "churn_scores" in marts and "reasons" in _columns(wh, "churn_scores"):
        first = template("list_extract(:r, 1)", r=col("reasons", "churn_scores"))
        select = select.select(
            exp.alias_(first, ident("main_reason"))
        )  # one text column: lists and CSV show it
    visible = customer_rows(principal, catalogue(project), CUSTOMER_MODEL, today)
    if visible is not None:
        ids = exp.select(col("customer_id", "v")).from_(exp.alias_(exp.Subquery(this=visible), ident("v")))
        select = select.where(col("customer_id", "c").isin(query=ids))
    return select


def list_customers(
    project: Project,
    wh: Warehouse,
    principal: Principal,
    *,
    search: str | None = None,
    segment: str | None = None,
    sort: str = "revenue",
    page: int = 1,
    page_size: int = 50,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """A page of customers, best first by ``sort``; ``search`` matches id, name or email (name
    and email only for a caller with the ``pii`` grant, who alone sees them unmasked)."""
    if sort not in SORTS:
        raise InvalidArgumentError(
            f"unknown sort '{sort}'{did_you_mean(sort, SORTS)}; use {', '.join(SORTS)}"
        )
    if page < 1 or not 1 <= page_size <= MAX_PAGE:
        raise InvalidArgumentError(f"page must be 1 or more and page_size from 1 to {MAX_PAGE}")
    select = _base(wh, principal, project, today or dt.date.today())
    if search:
        needle = lit(search.lower())
        select = select.where(
            exp.or_(
                *[
                    template("contains(lower(CAST(:c AS VARCHAR)), :q)", c=col(name, "c"), q=needle)
                    for name in searchable(principal)  # names and e-mails only with the pii grant
                ]
            )
        )
    available = {e.alias_or_name for e in select.expressions}
    if segment:
        if "rfm_segment" not in available:
            raise InvalidArgumentError("no RFM segments yet: run `bizsight refresh`")
        select = select.where(exp.EQ(this=col("segment", "rfm_segments"), expression=lit(segment)))
    order = SORTS[sort]
    if order not in available:
        raise InvalidArgumentError(
            f"cannot sort by {sort}: the scores it needs are not built yet (run refresh)"
        )
    total = int(
        wh.scalar(exp.select("count(*)").from_(exp.alias_(exp.Subquery(this=select.copy()), ident("t"))))
    )
    descending = sort != "name"
    rows = (
        select.order_by(
            exp.Ordered(this=ident(order), desc=descending, nulls_first=False), col("customer_id", "c")
        )
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return {
        "total": total,
        "page": page,
        "page_size": page_size,
        "customers": mask_records(principal, wh.records(rows)),
    }


def _with_reasons(wh: Warehouse, row: dict[str, Any]) -> dict[str, Any]:
    """``reasons`` in words: as scored (marts.churn_scores.reasons), or from the reason codes alone
    for scores built before the words were (no numbers then). Absent without churn scores; one
    customer's only (a list column, which the list views and their CSV exports leave out)."""
    from bizsight.analytics.churn_reasons import reason_words

    if "reason_1" not in row:
        return row
    words = None
    if "reasons" in _columns(wh, "churn_scores"):
        words = wh.records(
            exp.select(col("reasons"))
            .from_(table("marts", "churn_scores"))
            .where(exp.EQ(this=col("customer_id"), expression=lit(row["customer_id"])))
        )
    if words and words[0]["reasons"] is not None:
        row["reasons"] = words[0]["reasons"]
    else:
        codes = [row.get(f"reason_{k}") for k in (1, 2, 3)]
        row["reasons"] = [reason_words(c) for c in codes if c] if any(codes) else None
    return row


def customer_detail(
    project: Project,
    wh: Warehouse,
    principal: Principal,
    customer_id: str,
    *,
    today: dt.date | None = None,
    orders: int = 100,
    reviews: int = 50,
) -> dict[str, Any]:
    """One customer: profile, history, RFM, CLV, churn risk with reasons in words, what each of
    these numbers means for them (``explanation``, see
    :mod:`bizsight.analytics.customer_story`), recent orders and reviews."""
    from bizsight.analytics.customer_story import customer_story
    from bizsight.services.presentation import presentation

    today = today or dt.date.today()
    select = _base(wh, principal, project, today).where(
        exp.EQ(this=col("customer_id", "c"), expression=lit(customer_id))
    )
    found = wh.records(select)
    if not found:
        raise NotFoundError(f"no customer '{customer_id}'")  # also when restricted away: no hint it exists
    row = _with_reasons(wh, mask_records(principal, found)[0])
    horizon = project.settings.customers.clv.horizon_months
    return {
        "customer": row,
        "explanation": customer_story(
            row, horizon_months=horizon, presenter=presentation(project, wh).presenter
        ),
        "orders": _lines(project, wh, principal, "order_lines", customer_id, "order_ts", orders, today),
        "reviews": _lines(project, wh, principal, "reviews", customer_id, "review_date", reviews, today),
    }


def _lines(
    project: Project,
    wh: Warehouse,
    principal: Principal,
    model: str,
    customer_id: str,
    time: str,
    limit: int,
    today: dt.date,
) -> list[dict[str, Any]]:
    """A customer's rows of ``model`` that the caller may see, newest first."""
    cat = catalogue(project)
    source_table = cat.models[model].table.split(".")
    visible = customer_rows(principal, cat, model, today)
    source: exp.Expr = (
        exp.Subquery(this=visible) if visible is not None else table(source_table[0], source_table[1])
    )
    select = (
        exp.select(exp.Star())
        .from_(exp.alias_(source, ident("r")))
        .where(exp.EQ(this=col("customer_id", "r"), expression=lit(customer_id)))
        .order_by(exp.Ordered(this=col(time, "r"), desc=True))
        .limit(limit)
    )
    rows = [{k: v for k, v in row.items() if not k.startswith("_")} for row in wh.records(select)]
    return with_product_names(project, wh, rows)


def with_product_names(project: Project, wh: Warehouse, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows naming a product by id get its name too (``product_name``, kept where a row has one)."""
    if not rows or "product_id" not in rows[0]:
        return rows
    found = product_names(project, wh, (r["product_id"] for r in rows))
    return [{**r, "product_name": r.get("product_name") or found.get(r["product_id"])} for r in rows]


def segments(
    project: Project, wh: Warehouse, principal: Principal, *, today: dt.date | None = None
) -> list[dict[str, Any]]:
    """RFM segments: customers, their revenue, typical recency/frequency/monetary, average CLV."""
    if "rfm_segments" not in _marts(wh):
        return []
    version = tuple(
        r[0] for r in wh.rows("SELECT value FROM meta.state WHERE key LIKE '%_version' ORDER BY key")
    )
    key = ("segments", str(wh.path), principal.restrictions, version)  # same data, same rows: one answer
    found, _ = RESULTS.get_or_compute(key, lambda: _segments(project, wh, principal, today))
    return found


def _segments(
    project: Project, wh: Warehouse, principal: Principal, today: dt.date | None
) -> list[dict[str, Any]]:
    base = _base(wh, principal, project, today or dt.date.today())
    clv = "avg(clv)" if "clv" in {e.alias_or_name for e in base.expressions} else "NULL::DOUBLE"
    rows = template(
        "SELECT rfm_segment AS segment, count(*) AS customers, sum(net_revenue) AS revenue, "
        "avg(recency_days) AS avg_recency_days, avg(frequency) AS avg_frequency, avg(monetary) AS avg_monetary, "
        f"{clv} AS avg_clv FROM :base WHERE rfm_segment IS NOT NULL GROUP BY 1 ORDER BY revenue DESC NULLS LAST",
        base=exp.alias_(exp.Subquery(this=base), ident("b")),
    )
    return wh.records(rows)


def cohorts(
    project: Project,
    wh: Warehouse,
    principal: Principal,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    today: dt.date | None = None,
) -> list[dict[str, Any]]:
    """Monthly cohort retention through the metrics layer (so restrictions apply): per cohort and
    month, active customers and their share of the cohort's first month."""
    require_customers(wh)
    if start is not None and end is not None and start > end:
        raise InvalidArgumentError(f"start {start} is after end {end}")
    query = Query(
        metrics=("active_customers", "revenue"),
        dimensions=("cohort_month",),
        grain=Grain.MONTH,
        start=start,
        end=end,
    )
    result = run_query(project, scoped_query(principal, query, catalogue(project)), today=today, wh=wh).table
    rows = [r for r in result.to_pylist() if r["cohort_month"] is not None and r["active_customers"]]
    size = {r["cohort_month"]: r["active_customers"] for r in rows if r["period"] == r["cohort_month"]}
    out = []
    for r in sorted(rows, key=lambda r: (r["cohort_month"], r["period"])):
        first = size.get(r["cohort_month"])
        months = months_apart(r["cohort_month"], r["period"])
        out.append(
            {
                "cohort": r["cohort_month"],
                "period": r["period"],
                "months_since_first": months,
                "cohort_customers": first,
                "active_customers": r["active_customers"],
                "revenue": r["revenue"],
                "retention": r["active_customers"] / first if first else None,
            }
        )
    return out
