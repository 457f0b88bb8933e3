"""SQL transforms from typed rows to the core star schema, and back.

One function per step, each returning a syntax tree. Ingest applies :func:`core_select` to the
rows of one load; ``refresh`` applies it to the latest version of every key in raw. The same
definition serves both paths, so an incremental load and a rebuild cannot disagree.

Core holds the only copy of each key's current version (decision 0058): :func:`raw_of_core`
gives its rows back as raw's columns, and the view ``raw.<entity>`` is those rows with the
superseded versions kept in ``raw.<entity>_superseded``.
"""

from __future__ import annotations

from sqlglot import exp

from bizsight.warehouse.model import BY_NAME, CUSTOMERS, ORDER_LINES, PRODUCTS, Entity
from bizsight.warehouse.sql import col, ident, table, template

# Money semantics of an order line (docs/data-model.md):
#   completed            gross = quantity × unit_price, net = total (given) or gross − discount
#   refunded, quantity>0 the sale happened and was refunded: refund = the line's total, net = 0
#   refunded, quantity<0 a credit note: refund = |total|, net = −|total|, no gross
#   cancelled            never fulfilled: all amounts 0
# The line's total is rounded to DECIMAL(18, 2) before it is used (every amount is cast to that
# type anyway): arithmetic on 64-bit decimals instead of 128-bit ones takes 0.2 s less per 2M
# lines. A cancelled line never uses it, so its total is not computed (nor can it overflow).
_ORDER_LINE_AMOUNTS = """
SELECT
  CAST(order_date AS DATE) AS order_date,
  order_date AS order_ts,
  CAST(CASE WHEN status = 'cancelled' OR quantity < 0 THEN 0
            ELSE round(quantity * unit_price, 2) END AS DECIMAL(18, 2)) AS gross_amount,
  CAST(CASE WHEN status = 'cancelled' OR quantity < 0 THEN 0
            ELSE round(coalesce(discount, 0), 2) END AS DECIMAL(18, 2)) AS discount_amount,
  CAST(CASE WHEN status = 'refunded' THEN abs(line_total) ELSE 0 END AS DECIMAL(18, 2)) AS refund_amount,
  CAST(CASE WHEN status = 'completed' THEN line_total
            WHEN status = 'refunded' AND quantity < 0 THEN -abs(line_total)
            ELSE 0 END AS DECIMAL(18, 2)) AS net_amount
FROM (SELECT *, coalesce(CAST(round(total_amount, 2) AS DECIMAL(18, 2)),
                          CASE WHEN status <> 'cancelled' THEN
                            CAST(round(quantity * unit_price - coalesce(discount, 0), 2) AS DECIMAL(18, 2)) END)
      AS line_total FROM :source) AS s
"""


def core_select(entity: Entity, source: exp.Expr) -> exp.Select:
    """The core rows of ``entity`` computed from typed rows in ``source`` (a table or subquery
    with the entity's columns plus ``_load_id``, ``_line`` and ``_row_hash``). Core keeps every
    column of raw (:func:`raw_of_core` reads them back); ``_line`` comes last, after
    ``is_placeholder``, where a warehouse made before it had the column added."""
    if entity is ORDER_LINES:
        select = template(_ORDER_LINE_AMOUNTS, source=source)
        assert isinstance(select, exp.Select)
        keys = [col(name) for name in ("order_id", "customer_id", "product_id")]
        others = [
            col(name)
            for name in entity.column_names
            if name not in {*entity.key, "customer_id", "order_date"}
        ]
        select.set(
            "expressions",
            [*keys, *select.expressions, *others, col("_load_id"), col("_row_hash"), col("_line")],
        )
        return select
    columns: list[exp.Expr] = [col(name) for name in entity.column_names]
    columns += [col("_load_id"), col("_row_hash")]
    if entity.name in DIMENSIONS:
        columns.append(exp.alias_(exp.false(), "is_placeholder"))
    columns.append(col("_line"))
    return exp.select(*columns).from_(_as_from(source))


RAW_BOOKKEEPING = ("_load_id", "_line", "_row_hash")  # raw's first columns: load, source line, hash


def superseded_table(entity: Entity) -> exp.Table:
    """Where raw keeps the versions of ``entity`` that a later load replaced."""
    return table("raw", f"{entity.name}_superseded")


def raw_of_core(entity: Entity, core: exp.Expr | None = None) -> exp.Select:
    """Core's rows of ``entity`` (a loaded version each, placeholders left out) with raw's columns
    in raw's order: the inverse of :func:`core_select` (an order line's timestamp is ``order_ts``
    there)."""
    source = core if core is not None else table("core", entity.core_table)
    names = {"order_date": "order_ts"} if entity is ORDER_LINES else {}
    select = exp.select(
        *(col(name) for name in RAW_BOOKKEEPING),
        *(exp.alias_(col(names[n]), n) if n in names else col(n) for n in entity.column_names),
    ).from_(_as_from(source))
    return select.where("NOT is_placeholder") if entity.name in DIMENSIONS else select


def raw_view(entity: Entity) -> exp.Create:
    """``raw.<entity>``: every accepted version, the superseded ones and core's current ones."""
    superseded = exp.select(*(col(name) for name in RAW_BOOKKEEPING + entity.column_names))
    every = exp.union(superseded.from_(superseded_table(entity)), raw_of_core(entity), distinct=False)
    return exp.Create(this=table("raw", entity.name), kind="VIEW", expression=every, replace=True)


def same_key(entity: Entity, left: str, right: str) -> exp.Expr:
    """Rows ``left`` and ``right`` hold the same key of ``entity`` (a key may have empty parts).

    >>> print(same_key(BY_NAME["marketing_spend"], "r", "w").sql())
    "r"."date" IS NOT DISTINCT FROM "w"."date" AND "r"."channel" IS NOT DISTINCT FROM "w"."channel" AND ...
    """
    return exp.and_(
        *(
            template(":l.:k IS NOT DISTINCT FROM :r.:k", l=ident(left), r=ident(right), k=ident(name))
            for name in entity.key
        )
    )


def latest_versions(entity: Entity) -> exp.Expr:
    """The newest version of every key in ``raw`` (its view shows them all)."""
    partition = ", ".join(f'"{name}"' for name in entity.key)
    return template(
        f"(SELECT * FROM :raw QUALIFY row_number() OVER (PARTITION BY {partition} "
        "ORDER BY _load_id DESC, _line DESC) = 1)",
        raw=table("raw", entity.name),
    )


# Dimension → (facts whose key column references it, attributes a placeholder row can take from
# the order lines: dimension column → order-line column).
DIMENSIONS: dict[str, tuple[tuple[tuple[str, str], ...], dict[str, str]]] = {
    CUSTOMERS.name: (
        (
            ("fact_order_line", "customer_id"),
            ("fact_review", "customer_id"),
            ("fact_deal", "customer_id"),
        ),
        {"country": "country", "region": "region"},
    ),
    PRODUCTS.name: (
        (("fact_order_line", "product_id"), ("fact_review", "product_id")),
        {"product_name": "product_name", "category": "category"},
    ),
}

_PLACEHOLDER_KEYS = """
SELECT k AS key FROM refs
WHERE k IS NOT NULL AND NOT EXISTS (SELECT 1 FROM :dim AS d WHERE d.:key = refs.k)
"""


def placeholder_rows(dimension: Entity) -> exp.Select:
    """Rows for keys that facts reference but the dimension lacks, flagged ``is_placeholder``,
    with attributes taken from each key's most recent order line."""
    facts, attributes = DIMENSIONS[dimension.name]
    key = dimension.key[0]
    referenced: exp.Query = exp.select(exp.alias_(col(facts[0][1]), "k")).from_(table("core", facts[0][0]))
    for fact, column in facts[1:]:
        referenced = exp.union(referenced, exp.select(col(column)).from_(table("core", fact)), distinct=True)
    missing = template(_PLACEHOLDER_KEYS, dim=table("core", dimension.core_table), key=ident(key))
    assert isinstance(missing, exp.Select)
    missing = missing.with_("refs", referenced)
    picked = (
        exp.select(
            exp.alias_(col(key), "key"),
            *(
                exp.alias_(template("arg_max(:c, order_ts)", c=ident(source)), target)
                for target, source in attributes.items()
            ),
        )
        .from_(table("core", "fact_order_line"))
        .where(exp.In(this=col(key), query=exp.select("key").from_("missing").subquery()))
        .group_by(col(key))
    )
    columns: list[exp.Expr] = []
    for dim_column in dimension.columns:
        if dim_column.name == key:
            value: exp.Expr = col("key", "missing")
        elif dim_column.name in attributes:
            value = col(dim_column.name, "picked")
        else:
            value = exp.cast(exp.null(), dim_column.sql_type, dialect="duckdb")
        columns.append(exp.alias_(value, dim_column.name))
    return (
        exp.select(
            *columns,
            exp.alias_(exp.cast(exp.null(), "INTEGER"), "_load_id"),
            exp.alias_(exp.cast(exp.null(), "UBIGINT", dialect="duckdb"), "_row_hash"),
            exp.alias_(exp.true(), "is_placeholder"),
            exp.alias_(exp.cast(exp.null(), "BIGINT"), "_line"),
        )
        .with_("missing", missing)
        .with_("picked", picked)
        .from_(exp.alias_(exp.to_table("missing"), "missing"))
        .join(
            exp.alias_(exp.to_table("picked"), "picked"),
            on="missing.key = picked.key",
            join_type="left",
        )
    )


DERIVED_TABLES = ("dim_date", "customer_orders", "market_size")

_DIM_DATE = """
CREATE OR REPLACE TABLE core.dim_date AS
WITH bounds AS (
  SELECT least(min(d), current_date) AS lo, greatest(max(d), current_date) AS hi FROM (
    SELECT order_date AS d FROM core.fact_order_line
    UNION ALL SELECT signup_date FROM core.dim_customer
    UNION ALL SELECT date FROM core.fact_marketing_spend
    UNION ALL SELECT created_date FROM core.fact_deal
    UNION ALL SELECT period_end FROM core.fact_target))
SELECT CAST(d AS DATE) AS date, year(d) AS year, quarter(d) AS quarter, month(d) AS month,
       CAST(date_trunc('month', d) AS DATE) AS month_start,
       CAST(date_trunc('quarter', d) AS DATE) AS quarter_start,
       CAST(date_trunc('week', d) AS DATE) AS week_start,
       isodow(d) AS day_of_week, dayname(d) AS day_name, isodow(d) >= 6 AS is_weekend
FROM bounds, range(CAST(lo AS TIMESTAMP), CAST(hi AS TIMESTAMP) + INTERVAL 1 DAY, INTERVAL 1 DAY) AS r(d)
"""

_CUSTOMER_ORDERS = """
CREATE OR REPLACE TABLE core.customer_orders AS
WITH as_of AS (SELECT max(order_date) AS d FROM core.fact_order_line),
orders AS (
  SELECT f.customer_id,
         min(f.order_date) AS first_order_date,
         max(f.order_date) AS last_order_date,
         CAST(date_trunc('month', min(f.order_date)) AS DATE) AS cohort_month,
         count(DISTINCT f.order_id) AS orders,
         count(DISTINCT f.order_date) AS purchase_days,
         CAST(sum(f.net_amount) AS DECIMAL(18, 2)) AS net_revenue,
         CAST(sum(CASE WHEN f.status = 'completed' AND p.unit_cost IS NOT NULL
                       THEN f.net_amount - f.quantity * p.unit_cost END) AS DECIMAL(18, 2)) AS gross_margin,
         CAST(sum(CASE WHEN f.status = 'completed' AND p.unit_cost IS NOT NULL
                       THEN f.net_amount END) AS DECIMAL(18, 2)) AS revenue_with_cost,
         datediff('day', min(f.order_date), any_value(as_of.d)) AS tenure_days,
         datediff('day', max(f.order_date), any_value(as_of.d)) AS days_since_last_order
  FROM core.fact_order_line AS f
  LEFT JOIN core.dim_product AS p USING (product_id)
  CROSS JOIN as_of
  WHERE f.status <> 'cancelled'
  GROUP BY f.customer_id),
-- Attribution (decision 0043): a customer belongs to the campaign that ran on their acquisition
-- channel on their signup day (the one with the most signups, then spend, when several did).
campaigns AS (
  SELECT date, channel, arg_max(campaign, (coalesce(signups, 0), spend)) AS campaign
  FROM core.fact_marketing_spend WHERE campaign IS NOT NULL GROUP BY date, channel),
paid AS (SELECT DISTINCT channel FROM core.fact_marketing_spend)
SELECT o.*, c.acquisition_channel,
       k.campaign,
       c.acquisition_channel IS NOT NULL AND p.channel IS NOT NULL AS paid_acquisition
FROM orders AS o
LEFT JOIN core.dim_customer AS c USING (customer_id)
LEFT JOIN campaigns AS k
  ON k.channel = c.acquisition_channel AND k.date = coalesce(c.signup_date, o.first_order_date)
LEFT JOIN paid AS p ON p.channel = c.acquisition_channel
"""

_ENRICHED_VIEW = """
CREATE OR REPLACE VIEW core.order_lines_enriched AS
SELECT f.order_id, f.customer_id, f.product_id, f.order_ts, f.order_date, f.quantity, f.unit_price,
       f.gross_amount, f.discount_amount, f.refund_amount, f.net_amount,
       CAST(CASE WHEN f.status = 'completed' THEN f.quantity * p.unit_cost END AS DECIMAL(18, 2)) AS cost_amount,
       f.status, f.channel, f.currency,
       coalesce(f.region, c.region) AS region,
       coalesce(f.country, c.country) AS country,
       coalesce(f.category, p.category) AS category,
       coalesce(p.product_name, f.product_name) AS product_name,
       c.customer_name, c.customer_segment, c.acquisition_channel, c.signup_date,
       co.first_order_date, co.cohort_month, f.order_date = co.first_order_date AS is_first_order_day,
       year(f.order_date) AS year, quarter(f.order_date) AS quarter, month(f.order_date) AS month,
       CAST(date_trunc('month', f.order_date) AS DATE) AS month_start,
       CAST(date_trunc('week', f.order_date) AS DATE) AS week_start,
       isodow(f.order_date) AS day_of_week
FROM core.fact_order_line AS f
LEFT JOIN core.dim_customer AS c USING (customer_id)
LEFT JOIN core.dim_product AS p USING (product_id)
LEFT JOIN core.customer_orders AS co USING (customer_id)
"""

# market_data.csv repeats a region's market size on each competitor's row: one row per period
# and region, so summing market size never counts it once per competitor.
_MARKET_SIZE = """
CREATE OR REPLACE TABLE core.market_size AS
SELECT period, region, max(market_size) AS market_size
FROM core.fact_market
GROUP BY period, region
"""

DERIVED_SQL = (_DIM_DATE, _CUSTOMER_ORDERS, _ENRICHED_VIEW, _MARKET_SIZE)


def _as_from(source: exp.Expr) -> exp.Expr:
    return source if isinstance(source, exp.Table | exp.Subquery) else exp.paren(source)


__all__ = [
    "BY_NAME",
    "DERIVED_SQL",
    "core_select",
    "latest_versions",
    "placeholder_rows",
    "raw_of_core",
    "raw_view",
    "same_key",
    "superseded_table",
]
