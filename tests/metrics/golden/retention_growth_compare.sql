WITH m_order_lines AS (
  SELECT
    CAST(DATE_TRUNC('QUARTER', CAST("f"."order_date" AS DATE)) AS DATE) AS "period",
    SUM(f.net_amount) AS "revenue"
  FROM "core"."fact_order_line" AS "f"
  GROUP BY
    1
), c_retained_customers AS (
  SELECT
    "a"."period",
    COUNT(*) AS "retained_customers"
  FROM (
    SELECT
      CAST(DATE_TRUNC('QUARTER', CAST("f"."order_date" AS DATE)) AS DATE) AS "period",
      f.customer_id AS k
    FROM "core"."fact_order_line" AS "f"
    WHERE
      f.status <> 'cancelled'
    GROUP BY
      1,
      2
  ) AS a
  INNER JOIN (
    SELECT
      CAST(DATE_TRUNC('QUARTER', CAST("f"."order_date" AS DATE)) AS DATE) AS "period",
      f.customer_id AS k
    FROM "core"."fact_order_line" AS "f"
    WHERE
      f.status <> 'cancelled'
    GROUP BY
      1,
      2
  ) AS b
    ON "b"."k" = "a"."k"
    AND "b"."period" = CAST("a"."period" - INTERVAL '3' MONTH AS DATE)
  GROUP BY
    1
), c_previous_period_customers AS (
  SELECT
    CAST("a"."period" + INTERVAL '3' MONTH AS DATE) AS period,
    COUNT(*) AS "previous_period_customers"
  FROM (
    SELECT
      CAST(DATE_TRUNC('QUARTER', CAST("f"."order_date" AS DATE)) AS DATE) AS "period",
      f.customer_id AS k
    FROM "core"."fact_order_line" AS "f"
    WHERE
      f.status <> 'cancelled'
    GROUP BY
      1,
      2
  ) AS a
  GROUP BY
    1
), spine AS (
  SELECT DISTINCT
    CAST(DATE_TRUNC('QUARTER', CAST("d"."date" AS DATE)) AS DATE) AS period
  FROM "core"."dim_date" AS "d"
  WHERE
    "d"."date" BETWEEN (
      SELECT
        MIN("f"."order_date")
      FROM "core"."fact_order_line" AS "f"
    ) AND (
      SELECT
        MAX("f"."order_date")
      FROM "core"."fact_order_line" AS "f"
    )
)
SELECT
  "s"."period" AS period,
  CAST(COALESCE("c_retained_customers"."retained_customers", 0) AS DOUBLE) / NULLIF(
    CAST(COALESCE("c_previous_period_customers"."previous_period_customers", 0) AS DOUBLE),
    0
  ) AS "customer_retention_rate",
  CAST(COALESCE("c_retained_customers__previous_year"."retained_customers", 0) AS DOUBLE) / NULLIF(
    CAST(COALESCE("c_previous_period_customers__previous_year"."previous_period_customers", 0) AS DOUBLE),
    0
  ) AS "customer_retention_rate__previous",
  CAST(COALESCE("c_retained_customers"."retained_customers", 0) AS DOUBLE) / NULLIF(
    CAST(COALESCE("c_previous_period_customers"."previous_period_customers", 0) AS DOUBLE),
    0
  ) - CAST(COALESCE("c_retained_customers__previous_year"."retained_customers", 0) AS DOUBLE) / NULLIF(
    CAST(COALESCE("c_previous_period_customers__previous_year"."previous_period_customers", 0) AS DOUBLE),
    0
  ) AS "customer_retention_rate__change",
  CAST(CAST(COALESCE("c_retained_customers"."retained_customers", 0) AS DOUBLE) / NULLIF(
    CAST(COALESCE("c_previous_period_customers"."previous_period_customers", 0) AS DOUBLE),
    0
  ) - CAST(COALESCE("c_retained_customers__previous_year"."retained_customers", 0) AS DOUBLE) / NULLIF(
    CAST(COALESCE("c_previous_period_customers__previous_year"."previous_period_customers", 0) AS DOUBLE),
    0
  ) AS DOUBLE) / NULLIF(
    CAST(CAST(COALESCE("c_retained_customers__previous_year"."retained_customers", 0) AS DOUBLE) / NULLIF(
      CAST(COALESCE("c_previous_period_customers__previous_year"."previous_period_customers", 0) AS DOUBLE),
      0
    ) AS DOUBLE),
    0
  ) AS "customer_retention_rate__change_pct",
  CAST(COALESCE("m_order_lines"."revenue", 0) AS DOUBLE) / NULLIF(CAST(COALESCE("m_order_lines__previous_period"."revenue", 0) AS DOUBLE), 0) - 1 AS "revenue_growth",
  NULL AS "revenue_growth__previous",
  CAST(COALESCE("m_order_lines"."revenue", 0) AS DOUBLE) / NULLIF(CAST(COALESCE("m_order_lines__previous_period"."revenue", 0) AS DOUBLE), 0) - 1 - NULL AS "revenue_growth__change",
  CAST(CAST(COALESCE("m_order_lines"."revenue", 0) AS DOUBLE) / NULLIF(CAST(COALESCE("m_order_lines__previous_period"."revenue", 0) AS DOUBLE), 0) - 1 - NULL AS DOUBLE) / NULLIF(CAST(NULL AS DOUBLE), 0) AS "revenue_growth__change_pct"
FROM spine AS s
LEFT JOIN m_order_lines AS m_order_lines
  ON "m_order_lines"."period" = "s"."period"
LEFT JOIN m_order_lines AS m_order_lines__previous_period
  ON "m_order_lines__previous_period"."period" = CAST("s"."period" - INTERVAL '3' MONTH AS DATE)
LEFT JOIN m_order_lines AS m_order_lines__previous_year
  ON "m_order_lines__previous_year"."period" = CAST("s"."period" - INTERVAL '12' MONTH AS DATE)
LEFT JOIN c_retained_customers AS c_retained_customers
  ON "c_retained_customers"."period" = "s"."period"
LEFT JOIN c_retained_customers AS c_retained_customers__previous_period
  ON "c_retained_customers__previous_period"."period" = CAST("s"."period" - INTERVAL '3' MONTH AS DATE)
LEFT JOIN c_retained_customers AS c_retained_customers__previous_year
  ON "c_retained_customers__previous_year"."period" = CAST("s"."period" - INTERVAL '12' MONTH AS DATE)
LEFT JOIN c_previous_period_customers AS c_previous_period_customers
  ON "c_previous_period_customers"."period" = "s"."period"
LEFT JOIN c_previous_period_customers AS c_previous_period_customers__previous_period
  ON "c_previous_period_customers__previous_period"."period" = CAST("s"."period" - INTERVAL '3' MONTH AS DATE)
LEFT JOIN c_previous_period_customers AS c_previous_period_customers__previous_year
  ON "c_previous_period_customers__previous_year"."period" = CAST("s"."period" - INTERVAL '12' MONTH AS DATE)
ORDER BY
  "period"
