"""Ground-truth pieces that are not a single process: per-customer latent values and calendars."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bizsight.demo import params
from bizsight.demo.customers import Customers
from bizsight.demo.products import Catalog
from bizsight.demo.purchases import Purchases
from bizsight.demo.sales import Sales

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

CUSTOMER_COLUMNS = {
    "customer_id": "the customer",
    "purchaser": "false for the customers who never purchase",
    "signup_date": "signup date = first purchase date for purchasers",
    "lambda_per_week": "BG/NBD purchase rate λ while alive (repeat purchases per week)",
    "p_dropout": "BG/NBD probability of dropping out after each repeat purchase",
    "tau_weeks": ("seasonally weighted exposure from the first purchase to the end of end_date, in weeks"),
    "alive_at_end": "still active at the end of end_date",
    "dropout_date": ("date of the repeat purchase after which the customer dropped out (null when alive)"),
    "nu": "Gamma-Gamma spend parameter ν; the expected order value is p / ν",
    "expected_order_value": "p / ν in currency units",
    "n_orders": "orders in sales_transactions.csv (all statuses)",
    "n_repeat": "n_orders − 1 for purchasers",
    "total_value": "sum of the order values z (net, before refunds)",
    "last_order_date": "date of the last order",
}


def customer_table(cust: Customers, pur: Purchases, sold: Sales) -> pa.Table:
    n = cust.n
    is_buyer = cust.purchaser

    def per_customer(values: np.ndarray, dtype: type | str = float) -> np.ndarray:
        out = np.zeros(n, dtype=dtype)
        out[pur.buyer] = values
        return out

    n_orders = np.bincount(pur.order_buyer, minlength=len(pur.buyer))
    ends = np.cumsum(n_orders) - 1
    last_day = pur.order_day[ends] if len(ends) else np.zeros(0, dtype=np.int64)
    value = np.bincount(pur.order_buyer, weights=pur.order_cents, minlength=len(pur.buyer)) / 100
    dead = per_customer(~pur.alive, bool)

    def optional(values: np.ndarray, kind: pa.DataType, mask: np.ndarray) -> pa.Array:
        return pa.array(values, kind, mask=mask)

    gg_p = params.GAMMA_GAMMA["p"]
    return pa.table(
        {
            "customer_id": cust.ids(np.arange(n)),
            "purchaser": pa.array(is_buyer),
            "signup_date": pa.array(cust.signup_day.astype(np.int32), pa.date32()),
            "lambda_per_week": optional(per_customer(pur.lam), pa.float64(), ~is_buyer),
            "p_dropout": optional(per_customer(pur.p), pa.float64(), ~is_buyer),
            "tau_weeks": optional(per_customer(pur.tau_weeks), pa.float64(), ~is_buyer),
            "alive_at_end": optional(per_customer(pur.alive, bool), pa.bool_(), ~is_buyer),
            "dropout_date": optional(
                per_customer(pur.dropout_day, np.int64).astype(np.int32), pa.date32(), ~dead
            ),
            "nu": optional(per_customer(pur.nu), pa.float64(), ~is_buyer),
            "expected_order_value": optional(per_customer(gg_p / pur.nu), pa.float64(), ~is_buyer),
            "n_orders": pa.array(per_customer(n_orders, np.int64)),
            "n_repeat": optional(per_customer(pur.n_repeat, np.int64), pa.int64(), ~is_buyer),
            "total_value": pa.array(np.round(per_customer(value), 2)),
            "last_order_date": optional(
                per_customer(last_day, np.int64).astype(np.int32), pa.date32(), ~is_buyer
            ),
        }
    )


def write_customer_table(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="zstd")


def seasonality_truth() -> dict[str, object]:
    return {
        "month_factors": dict(zip(MONTHS, params.MONTH_FACTORS, strict=True)),
        "weekday_factors": dict(zip(WEEKDAYS, params.WEEKDAY_FACTORS, strict=True)),
        "rule": (
            "s(day) = month_factor × weekday_factor multiplies both the daily acquisition "
            "intensity and "
            "each customer's BG/NBD purchase rate; each set of factors has mean 1"
        ),
        "yearly_growth_of_acquisition": params.ACQUISITION_GROWTH,
        "revenue_trend": (
            "revenue grows with the customer base: acquisition grows by "
            "yearly_growth_of_acquisition while "
            "earlier customers drop out (BG/NBD)"
        ),
        "customer_truth_columns": CUSTOMER_COLUMNS,
    }


def product_quality(catalog: Catalog) -> dict[str, float]:
    ids = catalog.ids(np.arange(catalog.n)).to_pylist()
    return {str(pid): round(float(q), 4) for pid, q in zip(ids, catalog.quality, strict=True)}
