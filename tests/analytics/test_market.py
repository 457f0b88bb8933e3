"""Market share, growth, share change and ranking, worked out by hand on a few rows."""

from __future__ import annotations

import datetime as dt

import pytest

from bizsight.analytics.market import US, growth, our_rank, ranking, share, share_moves, share_rows

Q1, Q2, Q1_NEXT = dt.date(2024, 1, 1), dt.date(2024, 4, 1), dt.date(2025, 1, 1)

ROWS = [
    {"period": Q1, "region": "Europe", "revenue": 59, "market_size": 1000},
    {"period": Q2, "region": "Europe", "revenue": 40, "market_size": 800},
    {"period": Q1_NEXT, "region": "Europe", "revenue": 88.5, "market_size": 1100},
    {"period": Q1, "region": "North America", "revenue": 0, "market_size": 500},
    {"period": Q2, "region": "North America", "revenue": 35, "market_size": 700},
]


def test_share_is_revenue_over_market_size_and_empty_without_a_market() -> None:
    assert share(59, 1000) == pytest.approx(0.059)
    assert share(10, None) is None
    assert share(10, 0) is None


def test_share_rows_by_hand() -> None:
    out = {(r.region, r.period): r for r in share_rows(ROWS)}
    eu1, eu2, eu5 = out["Europe", Q1], out["Europe", Q2], out["Europe", Q1_NEXT]
    assert eu1.share == pytest.approx(0.059) and eu1.share_change is None
    assert eu2.share == pytest.approx(0.05)
    assert eu2.share_change == pytest.approx(-0.009)  # 5.0 % − 5.9 % = −0.9 pp
    # a year later: ours 88.5 / 59 − 1 = +50 %, the market's 1100 / 1000 − 1 = +10 %
    assert eu5.our_growth == pytest.approx(0.5)
    assert eu5.market_growth == pytest.approx(0.1)
    assert eu5.growth_gap == pytest.approx(0.4)
    assert eu5.share_change == pytest.approx(88.5 / 1100 - 0.05)
    na2 = out["North America", Q2]
    assert na2.share == pytest.approx(0.05) and na2.share_change == pytest.approx(0.05)
    assert na2.our_growth is None  # no quarter a year earlier


def test_growth_needs_a_positive_earlier_value() -> None:
    assert growth(110, 100) == pytest.approx(0.1)
    assert growth(110, 0) is None
    assert growth(None, 100) is None


def test_share_moves_biggest_gain_first_in_percentage_points() -> None:
    moves = share_moves(share_rows(ROWS), Q1, Q2)
    assert [m.region for m in moves] == ["North America", "Europe"]
    assert moves[0].change == pytest.approx(0.05)
    assert moves[1].change == pytest.approx(-0.009)


def test_share_moves_missing_quarter_is_empty_and_last() -> None:
    moves = share_moves(share_rows(ROWS), Q2, Q1_NEXT)
    assert moves[0].region == "Europe" and moves[0].change == pytest.approx(88.5 / 1100 - 0.05)
    assert moves[1].region == "North America" and moves[1].change is None


def test_ranking_against_competitors_by_hand() -> None:
    competitors = [
        {"period": Q1, "region": "Europe", "competitor": "A", "competitor_revenue": 100},
        {"period": Q1, "region": "Europe", "competitor": "B", "competitor_revenue": 40},
        {"period": Q1, "region": "North America", "competitor": "A", "competitor_revenue": 20},
        {"period": Q1, "region": "North America", "competitor": "B", "competitor_revenue": 20},
    ]
    ours = [r for r in ROWS if r["period"] == Q1]
    out = ranking(ours, competitors)
    eu = [(r.name, r.rank, round(r.share or 0, 3)) for r in out if r.region == "Europe"]
    assert eu == [("A", 1, 0.1), (US, 2, 0.059), ("B", 3, 0.04)]
    na = [(r.name, r.rank) for r in out if r.region == "North America"]
    assert na == [("A", 1), ("B", 1), (US, 3)]  # a tie shares its rank; the next place is 3
    assert our_rank(out, Q1) == {"Europe": 2, "North America": 3}
