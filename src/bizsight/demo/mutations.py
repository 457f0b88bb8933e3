"""Text mutations that turn clean cells into defective ones, vectorised over the chosen cells.

Each function takes the clean cells (an Arrow string array) and returns the mutated cells in the
same order. Variants are drawn per cell.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bizsight.demo import fmt

# Valid dates in other layouts (slash dates month-first only). Timestamps keep their time; the
# ``HH:MM`` form is used only when the seconds are zero, so the value is unchanged.
DATE_FORMATS = ("%Y/%m/%d", "%d.%m.%Y", "%b %d, %Y", "%d %b %Y", "%m/%d/%Y")
TIMESTAMP_FORMATS = ("%Y/%m/%d %H:%M:%S", "%d.%m.%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S")
MINUTE_FORMATS = ("%Y/%m/%d %H:%M", "%d.%m.%Y %H:%M", "%m/%d/%Y %H:%M")
BAD_NUMBERS = ("abc", "12..5", "--3")
OUT_OF_RANGE_RATINGS = ("0", "6", "10")


def by_variant(choice: np.ndarray, n_variants: int, make: Callable[[int, np.ndarray], pa.Array]) -> pa.Array:
    """Cells built per variant: ``make(k, idx)`` returns the cells at positions ``idx``."""
    parts, where = [], []
    for k in range(n_variants):
        idx = np.flatnonzero(choice == k)
        if len(idx):
            parts.append(make(k, idx))
            where.append(idx)
    if not parts:
        return pa.array([], pa.string())
    cells = pa.concat_arrays([p.cast(pa.string()) for p in parts])
    inverse = np.empty(len(choice), dtype=np.int64)
    inverse[np.concatenate(where)] = np.arange(len(choice))
    return fmt.rows(cells, inverse)


def _sub(values: pa.Array, idx: np.ndarray) -> pa.Array:
    return fmt.rows(values, idx)


def pad(rng: np.random.Generator, values: pa.Array) -> pa.Array:
    """Stray spaces around the value."""
    shapes = ((" ", ""), ("", " "), ("  ", " "), (" ", "  "))
    choice = rng.integers(0, len(shapes), len(values))
    return by_variant(choice, len(shapes), lambda k, i: fmt.join(shapes[k][0], _sub(values, i), shapes[k][1]))


def recase(rng: np.random.Generator, values: pa.Array) -> pa.Array:
    """The value in another case (upper or lower; the other one when that changes nothing); values
    without letters get stray spaces instead. Half of them also get stray spaces."""
    upper, lower = pc.utf8_upper(values), pc.utf8_lower(values)
    first = pa.array(rng.random(len(values)) < 0.5)
    cased = pc.if_else(first, upper, lower)
    cased = pc.if_else(pc.equal(cased, values), pc.if_else(first, lower, upper), cased)
    unchanged = pc.equal(cased, values)
    padded = pad(rng, cased)
    extra = pa.array(rng.random(len(values)) < 0.5)
    return pc.if_else(pc.or_(unchanged, extra), padded, cased)


def reformat_date(rng: np.random.Generator, values: pa.Array, timestamp: bool) -> pa.Array:
    """An ISO date (or timestamp) in another valid layout, same value."""
    if not timestamp:
        ts = pc.strptime(values, format="%Y-%m-%d", unit="s")
        choice = rng.integers(0, len(DATE_FORMATS), len(values))
        return by_variant(
            choice,
            len(DATE_FORMATS),
            lambda k, i: pc.strftime(_sub(ts, i), DATE_FORMATS[k], locale="C"),
        )
    ts = pc.strptime(values, format="%Y-%m-%d %H:%M:%S", unit="s")
    seconds = pc.cast(ts, pa.int64()).to_numpy() % 60
    formats = TIMESTAMP_FORMATS + MINUTE_FORMATS
    choice = rng.integers(0, len(TIMESTAMP_FORMATS), len(values))
    minute = (seconds == 0) & (rng.random(len(values)) < 0.5)
    choice = np.where(minute, choice + len(TIMESTAMP_FORMATS), choice)
    return by_variant(choice, len(formats), lambda k, i: pc.strftime(_sub(ts, i), formats[k], locale="C"))


def malformed_date(rng: np.random.Generator, values: pa.Array, timestamp: bool) -> pa.Array:
    """Text in a date column that is no date: impossible days or months, or words."""
    year = pc.utf8_slice_codeunits(values, 0, 4)
    time = " 10:30:00" if timestamp else ""
    shapes: Sequence[Callable[[np.ndarray], pa.Array]] = (
        lambda i: fmt.join(_sub(year, i), "-02-30" + time),
        lambda i: fmt.join(_sub(year, i), "-13-01" + time),
        lambda i: fmt.join("31/31/", _sub(year, i)),
        lambda i: fmt.take(("not a date",), np.zeros(len(i), dtype=np.int64)),
        lambda i: fmt.take(("N/A",), np.zeros(len(i), dtype=np.int64)),
    )
    choice = rng.integers(0, len(shapes), len(values))
    return by_variant(choice, len(shapes), lambda k, i: shapes[k](i))


def cents_of(values: pa.Array) -> np.ndarray:
    """Clean money text (``1234.50``) as integer cents."""
    return np.round(pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False) * 100).astype(np.int64)


def formatted_money(rng: np.random.Generator, values: pa.Array) -> pa.Array:
    """The same amount with a thousands separator and/or a currency sign."""
    cents = cents_of(values)
    symbols = ("", "$", "£", "€ ")
    choice = rng.integers(0, len(symbols), len(values))
    choice = np.where((choice == 0) & (cents < 100_000), 1, choice)  # a bare number needs a separator
    return by_variant(
        choice, len(symbols), lambda k, i: fmt.money(cents[i], thousands=True, symbol=symbols[k])
    )


def malformed_number(rng: np.random.Generator, n: int) -> pa.Array:
    return fmt.take(BAD_NUMBERS, rng.integers(0, len(BAD_NUMBERS), n))


def negative(values: pa.Array) -> pa.Array:
    return fmt.join("-", values)


def bumped_money(values: pa.Array) -> pa.Array:
    """A different amount: 10 % more, at least one cent."""
    cents = cents_of(values)
    return fmt.money(cents + np.maximum(1, np.round(cents * 0.1).astype(np.int64)))


def bumped_integer(values: pa.Array) -> pa.Array:
    return fmt.integers(pc.cast(values, pa.int64()).to_numpy(zero_copy_only=False) + 1)


def other_rating(values: pa.Array) -> pa.Array:
    rating = pc.cast(values, pa.int64()).to_numpy(zero_copy_only=False)
    return fmt.integers(rating % 5 + 1)


def other_category(values: pa.Array, choices: Sequence[str]) -> pa.Array:
    """The next value of ``choices`` after the cell's value."""
    index = pc.index_in(values, value_set=pa.array(list(choices))).to_numpy(zero_copy_only=False)
    return fmt.take(choices, (np.nan_to_num(index, nan=0).astype(np.int64) + 1) % len(choices))


def unknown_ids(prefix: str, rows: np.ndarray, width: int) -> pa.Array:
    """Ids that exist nowhere: the prefix, a 9, the row number and an ``x`` (``C90000042x``)."""
    return fmt.join(fmt.ids(prefix + "9", rows, width), "x")
