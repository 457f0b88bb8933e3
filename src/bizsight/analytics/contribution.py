"""Contribution analysis: how much of a change of an additive metric each member of a dimension
made, summing to the change exactly.

For an additive metric (a sum or a count over rows: revenue, orders, units) split by a dimension
whose members partition the rows (every row has one member, a missing one counting as its own
member), the total's change is the sum of the members' changes::

    Δ total = Σ_m (current_m − previous_m)

so each member's contribution is its own change, and its share of the change is that over
Δ total. A member missing from one period counts 0 there (new or gone). Arithmetic is done in
exact fractions (:class:`fractions.Fraction`, which holds a float or a Decimal exactly), so the
contributions add up to the change of the totals with no rounding at all; they are turned into
floats only for display.

The **excess** contribution says who moved *differently from the whole*: with the total's ratio
``g = current total / previous total``, member ``m`` was expected at ``g × previous_m``, and its
excess is ``current_m − g × previous_m``. Excesses sum to exactly zero: a category that held the
whole business back shows as negative even while everything grew.

>>> found = contributions({"EU": 120, "US": 90}, {"EU": 100, "US": 100, "LatAm": 5})
>>> [(c.member, c.change, c.share) for c in found]
[('EU', Fraction(20, 1), Fraction(4, 1)), ('US', Fraction(-10, 1), Fraction(-2, 1)), ('LatAm', Fraction(-5, 1), Fraction(-1, 1))]
>>> sum(c.change for c in found) == 210 - 205
True
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

Number = int | float | Decimal | Fraction


@dataclass(frozen=True)
class Contribution:
    """One member's part in a change: its values, its change (exact), its share of the total's
    change (None when the total did not change) and its excess over the total's growth (None
    when the previous total is 0, so no growth can be stated)."""

    member: Hashable
    previous: Fraction
    current: Fraction
    change: Fraction
    share: Fraction | None
    excess: Fraction | None


def exact(value: Number | None) -> Fraction:
    """A value as an exact fraction; a missing value is 0.

    >>> exact(0.1) == Fraction(3602879701896397, 36028797018963968), exact(Decimal("0.10")), exact(None)
    (True, Fraction(1, 10), Fraction(0, 1))
    """
    if value is None:
        return Fraction(0)
    if isinstance(value, Fraction):
        return value
    return Fraction(value)


def contributions(
    current: Mapping[Hashable, Number | None], previous: Mapping[Hashable, Number | None]
) -> list[Contribution]:
    """Each member's contribution to the change from ``previous`` to ``current`` (members of
    either period), largest absolute change first (ties by member name)."""
    members = list(dict.fromkeys([*current, *previous]))
    now = {m: exact(current.get(m)) for m in members}
    before = {m: exact(previous.get(m)) for m in members}
    total_now, total_before = sum(now.values(), Fraction(0)), sum(before.values(), Fraction(0))
    delta = total_now - total_before
    growth = total_now / total_before if total_before else None
    found = [
        Contribution(
            member=m,
            previous=before[m],
            current=now[m],
            change=now[m] - before[m],
            share=(now[m] - before[m]) / delta if delta else None,
            excess=now[m] - growth * before[m] if growth is not None else None,
        )
        for m in members
    ]
    return sorted(found, key=lambda c: (-abs(c.change), str(c.member)))


def total_change(found: list[Contribution]) -> Fraction:
    """The change of the total: the sum of the contributions (exact)."""
    return sum((c.change for c in found), Fraction(0))
