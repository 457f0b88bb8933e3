"""Results as JSON-ready data: money (Decimal) as numbers, NaN and infinities (which JSON cannot
carry) as null. Exports keep decimals exact; JSON is for reading and charts."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pyarrow as pa


def table_json(table: pa.Table) -> dict[str, Any]:
    """Column names and types, and the rows as objects."""
    for index, field in enumerate(table.schema):
        if pa.types.is_decimal(field.type):
            table = table.set_column(
                index, field.with_type(pa.float64()), table.column(index).cast(pa.float64())
            )
    return {
        "columns": [{"name": f.name, "type": str(f.type)} for f in table.schema],
        "rows": json_ready(table.to_pylist()),
    }


def json_ready(value: Any) -> Any:
    """``value`` with every Decimal a float and every non-finite float None, at any depth.

    >>> json_ready({"revenue": Decimal("12.50"), "growth": float("nan"), "rows": [Decimal("1")]})
    {'revenue': 12.5, 'growth': None, 'rows': [1.0]}
    """
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
