"""Contribution analysis: each member's part in a change, summing to the change exactly
(bizsight.analytics.contribution): a case worked by hand and the invariants under hypothesis."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from bizsight.analytics.contribution import contributions, exact, total_change


def test_a_case_worked_by_hand() -> None:
    # Revenue by region: 1,000 → 1,150 in all. Europe +200, North America −80, Asia +40, Latin
    # America new (+0 → 30), Africa gone (40 → 0): +200 − 80 + 40 + 30 − 40 = +150.
    previous = {"Europe": 400, "North America": 500, "Asia": 60, "Africa": 40}
    current = {"Europe": 600, "North America": 420, "Asia": 100, "Latin America": 30}
    found = {c.member: c for c in contributions(current, previous)}
    assert [c.member for c in contributions(current, previous)] == [
        "Europe", "North America", "Africa", "Asia", "Latin America",
    ]  # fmt: skip
    assert found["Europe"].change == 200 and found["Europe"].share == Fraction(200, 150)
    assert found["North America"].change == -80 and found["North America"].share == Fraction(-80, 150)
    assert found["Latin America"].previous == 0 and found["Latin America"].change == 30
    assert found["Africa"].current == 0 and found["Africa"].change == -40
    assert total_change(list(found.values())) == 150
    # Growth of the whole: 1,150 / 1,000 = 1.15; Europe expected 460, so its excess is +140;
    # North America expected 575, excess −155; the excesses cancel.
    assert found["Europe"].excess == 140
    assert found["North America"].excess == -155
    assert found["Asia"].excess == 100 - Fraction(115, 100) * 60
    assert sum(c.excess for c in found.values() if c.excess is not None) == 0


def test_money_as_decimals_and_floats_sums_without_rounding() -> None:
    previous = {"a": Decimal("0.10"), "b": 0.2, "c": None}
    current = {"a": Decimal("0.30"), "b": 0.1, "c": Decimal("1.01")}
    found = contributions(current, previous)
    want = (exact(Decimal("0.30")) + exact(0.1) + exact(Decimal("1.01"))) - (
        exact(Decimal("0.10")) + exact(0.2)
    )
    assert total_change(found) == want  # exactly, where float sums would drift
    assert sum(c.share for c in found if c.share is not None) == 1


amounts = st.one_of(
    st.none(),
    st.integers(min_value=-(10**9), max_value=10**9),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False),
    st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
)
members = st.sampled_from(["Europe", "Asia", "Books", "Toys", None, 7])


@given(st.dictionaries(members, amounts, max_size=6), st.dictionaries(members, amounts, max_size=6))
def test_contributions_sum_to_the_change_of_the_totals(current: dict, previous: dict) -> None:
    found = contributions(current, previous)
    now = sum((exact(v) for v in current.values()), Fraction(0))
    before = sum((exact(v) for v in previous.values()), Fraction(0))
    assert total_change(found) == now - before
    assert {c.member for c in found} == set(current) | set(previous)
    if now != before:
        assert sum(c.share for c in found if c.share is not None) == 1
    if before != 0:
        assert sum(c.excess for c in found if c.excess is not None) == 0
    changes = [abs(c.change) for c in found]
    assert changes == sorted(changes, reverse=True)
