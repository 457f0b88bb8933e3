"""Market share, growth against the market, share gained or lost, and ranking against competitors.

Pure functions over narrow rows the metrics layer answered (one row per quarter and region):
nothing here opens a connection or reads settings. Periods align on the market data's grain, the
quarter (``period`` is the quarter's first day); our revenue is summed over the same quarter and
region. A share is a fraction (0.042 is 4.2 %); a change of share is in fractions too and reads as
percentage points when presented (0.004 → +0.4 pp).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

US = "us"  # our row in a ranking


def share(revenue: float | None, market_size: float | None) -> float | None:
    """Our revenue over the market's size; empty when the market is unknown or zero.

    >>> share(30.0, 1000.0)
    0.03
    >>> share(30.0, 0) is None
    True
    """
    if revenue is None or not market_size:
        return None
    return float(revenue) / float(market_size)


def growth(current: float | None, earlier: float | None) -> float | None:
    """Relative change from ``earlier`` to ``current``; empty without a positive earlier value.

    >>> growth(110.0, 100.0)
    0.1
    >>> growth(5.0, 0.0) is None
    True
    """
    if current is None or earlier is None or float(earlier) <= 0:
        return None
    return round(float(current) / float(earlier) - 1.0, 12)


@dataclass(frozen=True)
class ShareRow:
    period: dt.date
    region: str
    revenue: float
    market_size: float | None
    share: float | None
    share_change: float | None  # against the region's previous quarter, in fractions (pp / 100)
    our_growth: float | None  # against the same quarter a year earlier
    market_growth: float | None
    growth_gap: float | None  # our growth − market growth: above 0, we outgrow the market

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _year_before(period: dt.date) -> dt.date:
    return period.replace(year=period.year - 1)


def share_rows(rows: Iterable[Mapping[str, Any]]) -> list[ShareRow]:
    """Share, change of share against the previous quarter and growth against the same quarter a
    year earlier, per region. ``rows`` hold ``period``, ``region``, ``revenue``, ``market_size``.

    >>> q = [dt.date(2024, 1, 1), dt.date(2024, 4, 1)]
    >>> out = share_rows([
    ...     {"period": q[0], "region": "EU", "revenue": 30, "market_size": 1000},
    ...     {"period": q[1], "region": "EU", "revenue": 44, "market_size": 1100},
    ... ])
    >>> [round(r.share, 3) for r in out], round(out[1].share_change, 3)
    ([0.03, 0.04], 0.01)
    """
    ordered = sorted(rows, key=lambda r: (str(r["region"]), r["period"]))
    by_key = {(r["region"], r["period"]): r for r in ordered}
    out: list[ShareRow] = []
    previous: dict[str, float | None] = {}
    for row in ordered:
        region, period = row["region"], row["period"]
        revenue = float(row.get("revenue") or 0)
        size = row.get("market_size")
        size = float(size) if size is not None else None
        current = share(revenue, size)
        before = previous.get(region)
        change = current - before if current is not None and before is not None else None
        year_ago = by_key.get((region, _year_before(period)))
        ours = growth(revenue, year_ago["revenue"]) if year_ago else None
        theirs = growth(size, year_ago["market_size"]) if year_ago else None
        gap = ours - theirs if ours is not None and theirs is not None else None
        out.append(ShareRow(period, region, revenue, size, current, change, ours, theirs, gap))
        previous[region] = current
    return out


@dataclass(frozen=True)
class ShareMove:
    region: str
    start: dt.date
    end: dt.date
    share_start: float | None
    share_end: float | None
    change: float | None  # fraction; +0.004 reads "+0.4 pp"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def share_moves(rows: Sequence[ShareRow], start: dt.date, end: dt.date) -> list[ShareMove]:
    """Share gained or lost per region between two quarters, biggest gain first.

    >>> a, b = dt.date(2024, 1, 1), dt.date(2024, 4, 1)
    >>> r = share_rows([
    ...     {"period": a, "region": "EU", "revenue": 30, "market_size": 1000},
    ...     {"period": b, "region": "EU", "revenue": 25, "market_size": 1000},
    ... ])
    >>> round(share_moves(r, a, b)[0].change, 3)
    -0.005
    """
    at = {(r.region, r.period): r.share for r in rows}
    regions = sorted({r.region for r in rows})
    moves = []
    for region in regions:
        first, last = at.get((region, start)), at.get((region, end))
        change = last - first if first is not None and last is not None else None
        moves.append(ShareMove(region, start, end, first, last, change))
    return sorted(moves, key=lambda m: (m.change is None, -(m.change or 0.0), m.region))


@dataclass(frozen=True)
class Ranked:
    period: dt.date
    region: str
    name: str  # a competitor, or "us"
    revenue: float
    rank: int  # 1 = the largest revenue in the region and quarter
    share: float | None
    is_us: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ranking(ours: Iterable[Mapping[str, Any]], competitors: Iterable[Mapping[str, Any]]) -> list[Ranked]:
    """Our revenue beside each competitor's, ranked per region and quarter (ties share a rank).

    ``ours`` rows hold ``period``, ``region``, ``revenue`` and ``market_size``; ``competitors``
    rows hold ``period``, ``region``, ``competitor``, ``competitor_revenue``.

    >>> p = dt.date(2024, 1, 1)
    >>> out = ranking(
    ...     [{"period": p, "region": "EU", "revenue": 50, "market_size": 1000}],
    ...     [{"period": p, "region": "EU", "competitor": "A", "competitor_revenue": 80},
    ...      {"period": p, "region": "EU", "competitor": "B", "competitor_revenue": 20}],
    ... )
    >>> [(r.name, r.rank, r.share) for r in out]
    [('A', 1, 0.08), ('us', 2, 0.05), ('B', 3, 0.02)]
    """
    size: dict[tuple[Any, Any], float | None] = {}
    groups: dict[tuple[Any, Any], list[tuple[str, float, bool]]] = {}
    for row in ours:
        key = (row["period"], row["region"])
        size[key] = float(row["market_size"]) if row.get("market_size") is not None else None
        groups.setdefault(key, []).append((US, float(row.get("revenue") or 0), True))
    for row in competitors:
        key = (row["period"], row["region"])
        value = float(row.get("competitor_revenue") or 0)
        groups.setdefault(key, []).append((str(row["competitor"]), value, False))
    out: list[Ranked] = []
    for (period, region), members in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        members.sort(key=lambda m: (-m[1], m[0]))
        for name, value, is_us in members:
            rank = 1 + sum(1 for _, other, _ in members if other > value)
            out.append(
                Ranked(period, region, name, value, rank, share(value, size.get((period, region))), is_us)
            )
    return out


def our_rank(rows: Sequence[Ranked], period: dt.date) -> dict[str, int]:
    """Our place per region in one quarter.

    >>> p = dt.date(2024, 1, 1)
    >>> our_rank([Ranked(p, "EU", US, 5.0, 2, None, True)], p)
    {'EU': 2}
    """
    return {r.region: r.rank for r in rows if r.is_us and r.period == period}
