"""The input of a forecast: a long table (unique_id, ds, y) read into checked series on one
calendar, with a one-line error for every way it can be wrong (columns, types, empty values,
duplicates and gaps)."""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bizsight.analytics.forecast_calendar import Calendar, infer_calendar
from bizsight.analytics.forecast_models import Series
from bizsight.errors import InvalidArgumentError


def read_series(data: pa.Table) -> tuple[Calendar, list[Series]]:
    """The series of a long table, checked: columns, types, duplicates and gaps."""
    missing = [c for c in ("unique_id", "ds", "y") if c not in data.column_names]
    if missing:
        raise InvalidArgumentError(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}: expected unique_id, ds, y "
            f"(found {', '.join(data.column_names) or 'none'})"
        )
    ids = pc.cast(data.column("unique_id"), pa.string())
    ds = _times(data.column("ds"))
    try:
        y = pc.cast(data.column("y"), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise InvalidArgumentError(f"y: expected numbers, found {data.column('y').type}") from None
    for name, column in (("unique_id", ids), ("ds", ds), ("y", y)):
        if column.null_count:
            raise InvalidArgumentError(f"{name}: {column.null_count} empty values; fill or drop those rows")
    table = pa.table({"unique_id": ids, "ds": ds, "y": y}).sort_by(
        [("unique_id", "ascending"), ("ds", "ascending")]
    )
    id_values = table.column("unique_id").to_numpy(zero_copy_only=False).astype(str)
    times = table.column("ds").to_numpy()
    calendar = infer_calendar(times, id_values)
    index = calendar.index(times)
    values = table.column("y").to_numpy()
    bounds = np.flatnonzero(np.r_[True, id_values[1:] != id_values[:-1], True])
    series = []
    for start, stop in itertools.pairwise(bounds):
        steps = np.diff(index[start:stop])
        if np.any(steps != 1):
            at = int(np.flatnonzero(steps != 1)[0]) + start
            problem = "two rows for" if steps[at - start] == 0 else "a gap after"
            raise InvalidArgumentError(
                f"series '{id_values[start]}' has {problem} {times[at]}: expected one row per {calendar.grain}"
            )
        series.append(Series(id_values[start], int(index[start]), values[start:stop].astype(float)))
    if not series:
        raise InvalidArgumentError("no rows to forecast")
    return calendar, series


def _times(column: pa.ChunkedArray) -> pa.ChunkedArray:
    kind = column.type
    if pa.types.is_integer(kind):
        return pc.cast(column, pa.int64())
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        return (
            pc.cast(pc.cast(column, pa.timestamp("s")), pa.date32())
            if pa.types.is_timestamp(kind)
            else pc.cast(column, pa.date32())
        )
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        try:
            return pc.cast(pc.cast(pc.utf8_slice_codeunits(column, 0, 10), pa.date32()), pa.date32())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    raise InvalidArgumentError(f"ds: expected dates (YYYY-MM-DD) or period numbers, found {kind}")
