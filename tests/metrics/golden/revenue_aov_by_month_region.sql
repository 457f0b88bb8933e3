WITH m_order_lines AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', CAST("f"."order_date" AS DATE)) AS DATE) AS "period",
    COALESCE(f.region, customer.region) AS "region",
    SUM(f.net_amount) AS "revenue",
    COUNT(DISTINCT CASE WHEN f.status <> 'cancelled' THEN f.order_id END) AS "orders"
  FROM "core"."fact_order_line" AS "f"
  LEFT JOIN "core"."dim_customer" AS "customer"
    ON "customer"."customer_id" = "f"."customer_id"
  LEFT JOIN "core"."dim_product" AS "product"
    ON "product"."product_id" = "f"."product_id"
  WHERE
    "f"."order_date" >= CAST('2025-01-01' AS DATE)
    AND "f"."order_date" <= CAST('2025-06-30' AS DATE)
    AND COALESCE(f.category, product.category) = 'Home'
  GROUP BY
    1,
    2
), spine AS (
  SELECT
    "p"."period",
    "c"."region"
  FROM (
    SELECT DISTINCT
      CAST(DATE_TRUNC('MONTH', CAST("d"."date" AS DATE)) AS DATE) AS period
    FROM "core"."dim_date" AS "d"
    WHERE
      "d"."date" BETWEEN CAST('2025-01-01' AS DATE) AND CAST('2025-06-30' AS DATE)
  ) AS p
  CROSS JOIN (
    SELECT DISTINCT
      "region"
    FROM (
      SELECT
        "region"
      FROM m_order_lines
    ) AS u
  ) AS c
)
SELECT
  "s"."period" AS period,
  "s"."region" AS "region",
  COALESCE("m_order_lines"."revenue", 0) AS "revenue",
  CAST(COALESCE("m_order_lines"."revenue", 0) AS DOUBLE) / NULLIF(CAST(COALESCE("m_order_lines"."orders", 0) AS DOUBLE), 0) AS "average_order_value"
FROM spine AS s
LEFT JOIN m_order_lines AS m_order_lines
  ON "m_order_lines"."period" = "s"."period"
  AND "m_order_lines"."region" IS NOT DISTINCT FROM "s"."region"
ORDER BY
  "period",
  "region"
