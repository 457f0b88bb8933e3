WITH m_marketing AS (
  SELECT
    CASE
      WHEN CAST("f"."date" AS DATE) BETWEEN CAST('2026-07-01' AS DATE) AND CAST('2026-09-30' AS DATE)
      THEN CAST('2026-07-01' AS DATE)
    END AS "period",
    SUM(f.spend) AS "marketing_spend"
  FROM "core"."fact_marketing_spend" AS "f"
  WHERE
    "f"."date" >= CAST('2026-07-01' AS DATE)
    AND "f"."date" <= CAST('2026-09-30' AS DATE)
  GROUP BY
    1
), m_new_customers AS (
  SELECT
    CASE
      WHEN CAST("f"."first_order_date" AS DATE) BETWEEN CAST('2026-07-01' AS DATE) AND CAST('2026-09-30' AS DATE)
      THEN CAST('2026-07-01' AS DATE)
    END AS "period",
    COUNT(f.customer_id) AS "new_customers"
  FROM "core"."customer_orders" AS "f"
  WHERE
    "f"."first_order_date" >= CAST('2026-07-01' AS DATE)
    AND "f"."first_order_date" <= CAST('2026-09-30' AS DATE)
  GROUP BY
    1
), spine AS (
  SELECT
    CAST('2026-07-01' AS DATE) AS period
)
SELECT
  CAST(COALESCE("m_marketing"."marketing_spend", 0) AS DOUBLE) / NULLIF(CAST(COALESCE("m_new_customers"."new_customers", 0) AS DOUBLE), 0) AS "customer_acquisition_cost"
FROM spine AS s
LEFT JOIN m_marketing AS m_marketing
  ON "m_marketing"."period" = "s"."period"
LEFT JOIN m_new_customers AS m_new_customers
  ON "m_new_customers"."period" = "s"."period"
