"""Arrow results as JSON-ready data: column names and types, rows as objects; NaN and infinities
(which JSON cannot carry) as null."""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa


def table_json(table: pa.Table) -> dict[str, Any]:
    """Decimals (money) become JSON numbers; exports keep them exact."""
    for index, field in enumerate(table.schema):
        if pa.types.is_decimal(field.type):
            table = table.set_column(
                index, field.with_type(pa.float64()), table.column(index).cast(pa.float64())
            )
    return {
        "columns": [{"name": f.name, "type": str(f.type)} for f in table.schema],
        "rows": [{k: _finite(v) for k, v in row.items()} for row in table.to_pylist()],
    }


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value
