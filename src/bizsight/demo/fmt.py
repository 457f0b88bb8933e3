"""Vectorised text formatting and a fast CSV writer.

Every column of a demo file is built as an Arrow string array (no nulls: a blank cell is ``""``)
and written by joining the columns element-wise, so ten million rows take seconds, not minutes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Columns = dict[str, pa.Array]
# pyarrow-stubs type few compute kernels with scalars and varargs; call them untyped.
_pc = cast(Any, pc)

EPOCH = np.datetime64("1970-01-01", "D")
_CHUNK = 1_000_000


def ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + zero-padded numbers, built as fixed-width bytes.

    >>> ids("C", np.array([1, 42]), 7).to_pylist()
    ['C0000001', 'C0000042']
    """
    nums = np.asarray(numbers, dtype=np.int64)
    n = len(nums)
    head = prefix.encode()
    size = len(head) + width
    buf = np.empty((n, size), dtype=np.uint8)
    buf[:, : len(head)] = np.frombuffer(head, dtype=np.uint8)
    rest = nums.copy()
    for k in range(width - 1, -1, -1):
        buf[:, len(head) + k] = 48 + rest % 10
        rest //= 10
    offsets = np.arange(n + 1, dtype=np.int32) * size
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets.tobytes()), pa.py_buffer(buf.tobytes()))


def id_width(count: int, minimum: int) -> int:
    """Digits enough for ``count`` ids, at least ``minimum``."""
    return max(minimum, len(str(max(count, 1))))


def integers(values: np.ndarray) -> pa.Array:
    """Whole numbers as text.

    >>> integers(np.array([3, -1])).to_pylist()
    ['3', '-1']
    """
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())


def money(cents: np.ndarray, *, thousands: bool = False, symbol: str = "") -> pa.Array:
    """Amounts in cents as ``1234.50`` (or ``$1,234.50`` with ``thousands`` and ``symbol``).

    >>> money(np.array([123450, 5, -250])).to_pylist()
    ['1234.50', '0.05', '-2.50']
    >>> money(np.array([123456789]), thousands=True, symbol="$").to_pylist()
    ['$1,234,567.89']
    """
    c = np.asarray(cents, dtype=np.int64)
    sign = np.where(c < 0, "-", "")
    a = np.abs(c)
    whole = _grouped(a // 100) if thousands else integers(a // 100)
    frac = pc.utf8_lpad(integers(a % 100), 2, "0")
    return _pc.binary_join_element_wise(pa.array(sign), symbol, whole, ".", frac, "")


def _grouped(values: np.ndarray) -> pa.Array:
    """Whole numbers with ``,`` between groups of three digits."""
    v = np.asarray(values, dtype=np.int64)
    out = integers(v % 1000)
    rest = v // 1000
    while bool((rest > 0).any()):
        has = rest > 0
        padded = pc.utf8_lpad(out, 3, "0")
        joined = _pc.binary_join_element_wise(integers(rest % 1000), padded, ",")
        out = pc.if_else(pa.array(has), joined, out)
        rest = rest // 1000
    return out


def grouped_integers(values: np.ndarray) -> pa.Array:
    """Whole numbers with thousands separators.

    >>> grouped_integers(np.array([12, 12345, -1234567])).to_pylist()
    ['12', '12,345', '-1,234,567']
    """
    v = np.asarray(values, dtype=np.int64)
    body = _grouped(np.abs(v))
    return _pc.binary_join_element_wise(pa.array(np.where(v < 0, "-", "")), body, "")


def dates(days: np.ndarray) -> pa.Array:
    """Days since 1970-01-01 as ISO dates.

    >>> dates(np.array([0, 19800])).to_pylist()
    ['1970-01-01', '2024-03-18']
    """
    return pc.cast(pa.array(np.asarray(days, dtype=np.int32), pa.date32()), pa.string())


def timestamps(seconds: np.ndarray) -> pa.Array:
    """Seconds since the epoch as ``YYYY-MM-DD HH:MM:SS``."""
    return pc.cast(pa.array(np.asarray(seconds, dtype=np.int64), pa.timestamp("s")), pa.string())


def strftime_days(days: np.ndarray, fmt: str) -> pa.Array:
    """Days since the epoch in a strftime format (C locale)."""
    ts = pa.array(np.asarray(days, dtype=np.int64) * 86_400, pa.timestamp("s"))
    return pc.strftime(ts, format=fmt, locale="C")


def strftime_seconds(seconds: np.ndarray, fmt: str) -> pa.Array:
    ts = pa.array(np.asarray(seconds, dtype=np.int64), pa.timestamp("s"))
    return pc.strftime(ts, format=fmt, locale="C")


def take(values: Sequence[str], index: np.ndarray) -> pa.Array:
    """``values[index]`` as an Arrow string array (a dictionary lookup, no Python loop)."""
    return rows(pa.array(list(values), pa.string()), index)


def rows(values: pa.Array, index: np.ndarray) -> pa.Array:
    """``values[index]`` for an integer index array."""
    return cast(pa.Array, _pc.take(values, pa.array(np.asarray(index, dtype=np.int64), pa.int64())))


def nonblank(values: pa.Array) -> np.ndarray:
    """True where the cell is not the empty string."""
    return np.asarray(_pc.not_equal(values, "").to_numpy(zero_copy_only=False), dtype=bool)


def join(*parts: pa.Array | str, sep: str = "") -> pa.Array:
    return _pc.binary_join_element_wise(*parts, sep)


def _quoted(column: pa.Array) -> pa.Array:
    """RFC 4180 quoting where a value holds a comma, quote or line break."""
    needs = pc.match_substring_regex(column, '[,"\r\n]')
    if not pc.any(needs).as_py():
        return column
    quoted = _pc.binary_join_element_wise('"', pc.replace_substring(column, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, column)


def write_csv(
    path: Path,
    columns: Columns,
    *,
    on_chunk: Callable[[float], None] | None = None,
) -> int:
    """Write ``columns`` (equal-length string arrays, no nulls) as CSV; return the row count."""
    names = list(columns)
    n = len(columns[names[0]])
    with path.open("wb") as out:
        out.write((",".join(names) + "\n").encode())
        for start in range(0, n, _CHUNK):
            parts = [_quoted(columns[name].slice(start, _CHUNK)) for name in names]
            lines = _pc.binary_join_element_wise(*parts, ",")
            lines = _pc.binary_join_element_wise(lines, "", "\n")
            out.write(_payload(lines))
            if on_chunk is not None:
                on_chunk(min(1.0, (start + _CHUNK) / max(n, 1)))
    return n


def _payload(lines: pa.Array) -> bytes | pa.Buffer:
    """The concatenated bytes of a freshly built string array."""
    if lines.null_count:
        raise ValueError("CSV columns must not hold nulls")
    offset_buffer, data = lines.buffers()[1], lines.buffers()[2]
    if data is None or offset_buffer is None:
        return b""
    count, start = len(lines) + 1, lines.offset * 4
    offsets = np.frombuffer(memoryview(offset_buffer), dtype=np.int32, count=count, offset=start)
    return data[int(offsets[0]) : int(offsets[-1])]
