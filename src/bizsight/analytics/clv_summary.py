"""Per-customer inputs of the CLV models, from order lines (Arrow) or in the engine (DuckDB SQL).

Conventions follow
the published BTYD literature: purchases on the same day are one purchase occasion; frequency
``x`` counts repeat occasions (the first is not counted); recency ``t_x`` and age ``T`` are days
since the first purchase divided by the unit's length (7 for weeks); the monetary value is the
mean value of the repeat occasions (Gamma-Gamma convention), 0 for customers without one.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from bizsight.errors import ModelFitError

FloatArray = np.ndarray

TIME_UNITS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}
"""Length in days of the time units the CLI offers."""

SUMMARY_COLUMNS = (
    "customer_id",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "total_value",
    "frequency_holdout",
    "duration_holdout",
)


@dataclass(frozen=True)
class RFMSummary:
    """Per-customer inputs of the CLV models, one entry per customer with a calibration purchase.

    ``total_value`` is the historical value of all calibration occasions, the first included.
    ``frequency_holdout`` counts purchase occasions after the calibration end up to the
    observation end; ``duration_holdout`` is that window's length in the unit (0 without one).
    """

    customer_id: pa.Array
    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    monetary_value: FloatArray
    total_value: FloatArray
    frequency_holdout: FloatArray
    duration_holdout: float
    time_unit_days: float

    def __len__(self) -> int:
        return len(self.frequency)

    def to_arrow(self) -> pa.Table:
        n = len(self)
        return pa.table(
            {
                "customer_id": self.customer_id,
                "frequency": self.frequency.astype(np.int64),
                "recency": self.recency,
                "T": self.T,
                "monetary_value": self.monetary_value,
                "total_value": self.total_value,
                "frequency_holdout": self.frequency_holdout.astype(np.int64),
                "duration_holdout": np.full(n, self.duration_holdout),
            }
        )

    @classmethod
    def from_arrow(cls, table: pa.Table, *, time_unit_days: float) -> RFMSummary:
        """Read the columns :func:`summary_sql` produces (``SUMMARY_COLUMNS``)."""
        missing = [c for c in SUMMARY_COLUMNS if c not in table.column_names]
        if missing:
            raise ModelFitError(f"summary table lacks columns: {', '.join(missing)}")

        def col(name: str) -> FloatArray:
            return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=float)

        duration = col("duration_holdout")
        return cls(
            customer_id=table.column("customer_id").combine_chunks(),
            frequency=col("frequency"),
            recency=col("recency"),
            T=col("T"),
            monetary_value=col("monetary_value"),
            total_value=col("total_value"),
            frequency_holdout=col("frequency_holdout"),
            duration_holdout=float(duration[0]) if duration.size else 0.0,
            time_unit_days=time_unit_days,
        )


def _days(column: Any) -> FloatArray:
    """Whole days since 1970-01-01 of a date, timestamp or ISO-string column."""
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        column = pc.cast(column, pa.timestamp("s"))
    if pa.types.is_timestamp(column.type):
        if column.type.tz is not None:
            column = pc.local_timestamp(column)
        column = pc.cast(column, pa.timestamp("s"))
        secs = column.cast(pa.int64()).to_numpy(zero_copy_only=False)
        return np.floor_divide(secs, 86_400)
    if pa.types.is_date(column.type):
        return pc.cast(column, pa.date32()).cast(pa.int32()).to_numpy(zero_copy_only=False).astype(np.int64)
    raise ModelFitError(f"order dates must be dates, timestamps or ISO strings, not {column.type}")


def rfm_summary(
    transactions: pa.Table,
    *,
    customer: str = "customer_id",
    date: str = "order_date",
    value: str = "net_amount",
    observation_end: dt.date,
    time_unit_days: float = 7.0,
    calibration_end: dt.date | None = None,
) -> RFMSummary:
    """Summarise order lines per customer as of ``calibration_end`` (default ``observation_end``).

    Lines after ``observation_end`` are ignored; with a ``calibration_end``, occasions after it
    are counted in ``frequency_holdout``. Customers are sorted by id. Null values count as 0.

    >>> lines = pa.table({
    ...     "customer_id": ["a", "a", "a", "b"],
    ...     "order_date": [dt.date(2024, 1, 1), dt.date(2024, 1, 1), dt.date(2024, 1, 15), dt.date(2024, 1, 8)],
    ...     "net_amount": [10.0, 5.0, 20.0, 7.0],
    ... })
    >>> s = rfm_summary(lines, observation_end=dt.date(2024, 1, 29))
    >>> s.frequency.tolist(), s.recency.tolist(), s.T.tolist(), s.monetary_value.tolist()
    ([1.0, 0.0], [2.0, 0.0], [4.0, 3.0], [20.0, 0.0])
    """
    if time_unit_days <= 0:
        raise ModelFitError("the time unit must be a positive number of days")
    cal_end = observation_end if calibration_end is None else calibration_end
    if cal_end > observation_end:
        raise ModelFitError("the calibration end must not be after the observation end")
    for name in (customer, date, value):
        if name not in transactions.column_names:
            raise ModelFitError(f"transactions lack the column {name!r}")
    table = transactions
    if table[customer].null_count or table[date].null_count:
        table = table.filter(pc.and_(pc.is_valid(table[customer]), pc.is_valid(table[date])))
    ids: Any = pc.dictionary_encode(table[customer]).combine_chunks()
    dictionary = ids.dictionary
    rank = np.empty(len(dictionary), dtype=np.int64)
    rank[pc.sort_indices(dictionary).to_numpy()] = np.arange(len(dictionary))
    codes = rank[ids.indices.to_numpy(zero_copy_only=False)]
    days = _days(table[date])
    raw_values: Any = pc.fill_null(table[value], pa.scalar(0.0))
    values = np.asarray(raw_values.cast(pa.float64()).to_numpy(), dtype=np.float64)
    epoch = dt.date(1970, 1, 1)
    end_day, cal_day = (observation_end - epoch).days, (cal_end - epoch).days
    keep = days <= end_day
    codes, days, values = codes[keep], days[keep], values[keep]

    # Purchase occasions: one per customer and day, valued at the day's total.
    first = int(days.min()) if days.size else 0
    key = codes * (end_day - first + 1) + (days - first)  # orders by customer, then day
    order = np.argsort(key)  # one int64 sort is twice as fast as lexsort on two keys
    key, codes, days, values = key[order], codes[order], days[order], values[order]
    starts = np.flatnonzero(np.r_[True, np.diff(key) != 0]) if codes.size else codes
    occ_code, occ_day = codes[starts], days[starts]
    occ_value = np.add.reduceat(values, starts) if codes.size else values

    cal = occ_day <= cal_day
    c_code, c_day, c_value = occ_code[cal], occ_day[cal], occ_value[cal]
    first_idx = np.flatnonzero(np.r_[True, np.diff(c_code) != 0]) if c_code.size else c_code
    last_idx = np.r_[first_idx[1:] - 1, c_code.size - 1] if c_code.size else c_code
    cust = c_code[first_idx]
    count = np.diff(np.r_[first_idx, c_code.size]).astype(float)
    total = np.add.reduceat(c_value, first_idx) if c_code.size else c_value
    first_day, last_day = c_day[first_idx], c_day[last_idx]
    x = count - 1.0
    repeat_value = total - c_value[first_idx]
    monetary = np.divide(repeat_value, x, out=np.zeros_like(repeat_value), where=x > 0)
    holdout_per_code = np.bincount(occ_code[~cal], minlength=len(dictionary)).astype(float)
    return RFMSummary(
        customer_id=dictionary.take(pa.array(np.argsort(rank)[cust])),
        frequency=x,
        recency=(last_day - first_day) / time_unit_days,
        T=(cal_day - first_day) / time_unit_days,
        monetary_value=monetary,
        total_value=total,
        frequency_holdout=holdout_per_code[cust],
        duration_holdout=(end_day - cal_day) / time_unit_days,
        time_unit_days=float(time_unit_days),
    )


def summary_sql(
    *,
    calibration_end: dt.date,
    observation_end: dt.date,
    time_unit_days: float = 7.0,
    table: str = "core.fact_order_line",
    customer: str = "customer_id",
    date: str = "order_date",
    value: str = "net_amount",
    statuses: tuple[str, ...] | None = None,
) -> str:
    """DuckDB SQL producing ``SUMMARY_COLUMNS`` (same numbers as :func:`rfm_summary`), by id.

    Identifiers are quoted by SQLGlot and dates, unit and statuses are typed literals, so no
    caller text reaches the SQL unquoted.

    >>> sql = summary_sql(calibration_end=dt.date(2024, 6, 30), observation_end=dt.date(2024, 12, 31))
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE SCHEMA core; CREATE TABLE core.fact_order_line AS SELECT 'a' AS customer_id, "
    ...     "TIMESTAMP '2024-01-01 10:00' AS order_date, 10.0 AS net_amount")
    >>> con.execute(sql).fetchall()
    [('a', 0, 0.0, 25.857142857142858, 0.0, 10.0, 0, 26.285714285714285)]
    """
    if time_unit_days <= 0 or not math.isfinite(time_unit_days):
        raise ModelFitError("the time unit must be a positive number of days")
    if calibration_end > observation_end:
        raise ModelFitError("the calibration end must not be after the observation end")

    def ident(name: str) -> str:
        return exp.to_identifier(name, quoted=True).sql(dialect="duckdb")

    source = exp.to_table(table).sql(dialect="duckdb")
    cal = f"DATE '{dt.date.isoformat(calibration_end)}'"
    end = f"DATE '{dt.date.isoformat(observation_end)}'"
    unit = repr(float(time_unit_days))
    status_filter = ""
    if statuses is not None:
        literals = ", ".join(exp.Literal.string(s).sql(dialect="duckdb") for s in statuses)
        status_filter = f" AND status IN ({literals})"
    return f"""
WITH occasions AS (
    SELECT {ident(customer)} AS customer_id, CAST({ident(date)} AS DATE) AS day,
           SUM(COALESCE(CAST({ident(value)} AS DOUBLE), 0)) AS value
    FROM {source}
    WHERE {ident(customer)} IS NOT NULL AND {ident(date)} IS NOT NULL
      AND CAST({ident(date)} AS DATE) <= {end}{status_filter}
    GROUP BY 1, 2
), firsts AS (
    SELECT customer_id, MIN(day) AS first_day FROM occasions WHERE day <= {cal} GROUP BY 1
)
SELECT o.customer_id,
       CAST(COUNT(*) FILTER (WHERE o.day <= {cal}) - 1 AS BIGINT) AS frequency,
       DATE_DIFF('day', f.first_day, MAX(o.day) FILTER (WHERE o.day <= {cal})) / {unit} AS recency,
       DATE_DIFF('day', f.first_day, {cal}) / {unit} AS "T",
       COALESCE(SUM(o.value) FILTER (WHERE o.day > f.first_day AND o.day <= {cal})
                / NULLIF(COUNT(*) FILTER (WHERE o.day <= {cal}) - 1, 0), 0.0) AS monetary_value,
       SUM(o.value) FILTER (WHERE o.day <= {cal}) AS total_value,
       CAST(COUNT(*) FILTER (WHERE o.day > {cal}) AS BIGINT) AS frequency_holdout,
       DATE_DIFF('day', {cal}, {end}) / {unit} AS duration_holdout
FROM occasions AS o JOIN firsts AS f ON o.customer_id = f.customer_id
GROUP BY o.customer_id, f.first_day
ORDER BY o.customer_id
"""
