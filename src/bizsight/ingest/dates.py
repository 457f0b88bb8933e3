"""Slash dates, decided once per file and column: day first (13/10/2024) or month first (10/13/2024).

A slash date whose first field is above 12 can only be day first, one whose second field is above
12 only month first; 05/10/2024 can be either. The loader counts both kinds in DuckDB
(:data:`bizsight.ingest.coerce.SLASH_ORDER_PROBE`) and :func:`decide` turns the counts into the
file's way of writing dates:

* a ``date_order`` set in bizsight.yml (or by the file's layout, such as the UCI export) wins;
* otherwise the kind the file has more of; a file with only ambiguous dates, or as many of one
  kind as the other, is read month first (the default);

Ambiguous dates are then read the file's way, and a date written the other way round is
quarantined (rule ``mixed_date_order``) with the reason :func:`decide` writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from bizsight.config import DateOrder

_NAME = {DateOrder.DMY: "day-first", DateOrder.MDY: "month-first"}


@dataclass(frozen=True)
class SlashCounts:
    """What one column of one file shows: dates that can only be day first, only month first,
    and the first of each in file order."""

    day_first: int = 0
    month_first: int = 0
    day_example: str | None = None
    month_example: str | None = None


@dataclass(frozen=True)
class Decision:
    order: DateOrder
    reason: str  # how a refused row's reason ends, after "<field> '<value>' "


def decide(counts: SlashCounts, configured: DateOrder = DateOrder.AUTO) -> Decision:
    """The file's way of writing slash dates in one column, and why a date written the other way
    round is refused.

    >>> decide(SlashCounts(40, 1, "13/10/2024", "10/13/2024")).order.value
    'DMY'
    >>> decide(SlashCounts(40, 1, "13/10/2024", "10/13/2024")).reason
    "is month-first but this file writes dates day-first (e.g. '13/10/2024')"
    >>> decide(SlashCounts(40, 3, "13/10/2024", "10/13/2024")).reason
    "is month-first but this file writes dates day-first (e.g. '13/10/2024'; 40 day-first dates against 3 month-first: the majority decides)"
    >>> decide(SlashCounts(0, 0)).order.value  # nothing tells: month first, as always
    'MDY'
    >>> decide(SlashCounts(2, 2, "13/10/2024", "10/13/2024")).reason
    "is day-first but this file writes dates month-first (e.g. '10/13/2024'; as many day-first dates as month-first ones (2 each): the default decides)"
    >>> decide(SlashCounts(5, 0, "13/10/2024"), DateOrder.MDY).reason
    'is day-first but dates in this file are read month-first (date_order MDY)'
    """
    if configured is not DateOrder.AUTO:
        other = DateOrder.MDY if configured is DateOrder.DMY else DateOrder.DMY
        return Decision(
            configured,
            f"is {_NAME[other]} but dates in this file are read {_NAME[configured]} "
            f"(date_order {configured.value})",
        )
    if counts.day_first > counts.month_first:
        order, example = DateOrder.DMY, counts.day_example
        majority, minority = counts.day_first, counts.month_first
    else:
        order, example = DateOrder.MDY, counts.month_example
        majority, minority = counts.month_first, counts.day_first
    other = DateOrder.MDY if order is DateOrder.DMY else DateOrder.DMY
    reason = f"is {_NAME[other]} but this file writes dates {_NAME[order]} (e.g. '{example}'"
    if majority == minority:
        reason += f"; as many day-first dates as month-first ones ({majority} each): the default decides"
    elif minority > 1:
        reason += f"; {majority} {_NAME[order]} dates against {minority} {_NAME[other]}: the majority decides"
    return Decision(order, reason + ")")
