"""The sales pipeline: stage probabilities learned from closed deals, stage conversion and velocity,
open pipeline by a dimension, and the next quarter's bookings forecast with an interval.

Deals are rows of ``core.fact_deal`` as a :class:`pyarrow.Table` (deal_id, owner, stage, amount,
created_date, expected_close_date, closed_date, status, source). Stages run in the order of
:data:`STAGES` (a stage the list does not know comes after the known ones, alphabetically); won
deals sit at the final stage (``Won``) and lost deals at the stage where they were lost.

>>> import datetime as dt
>>> d = dt.date(2025, 1, 1)
>>> deals = pa.table({"stage": ["Lead", "Qualified", "Won", "Won"],
...                   "status": ["lost", "lost", "won", "won"],
...                   "amount": [1.0, 2.0, 3.0, 4.0]})
>>> [(p.stage, p.reached, p.won, p.probability) for p in stage_probabilities(deals)]
[('Lead', 4, 2, 0.5), ('Qualified', 3, 2, 0.6667)]
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

STAGES = ("Lead", "Qualified", "Proposal", "Negotiation", "Won")
WON, LOST, OPEN = "won", "lost", "open"


def open_stages(seen: Sequence[str], order: Sequence[str] = STAGES) -> list[str]:
    """The stages a deal can be open in, in pipeline order: the known ones that appear in
    ``seen``, then unknown ones alphabetically; never the final (won) stage.

    >>> open_stages(["Proposal", "Lead", "Demo", "Won"])
    ['Lead', 'Proposal', 'Demo']
    """
    known = [s for s in order[:-1] if s in set(seen)]
    extra = sorted({s for s in seen if s not in order})
    return known + extra


def _rank(stages: list[str]) -> dict[str, int]:
    return {s: k for k, s in enumerate(stages)}


PROBABILITY_COLUMNS: dict[str, pa.DataType] = {
    "stage": pa.string(), "stage_order": pa.int32(), "reached": pa.int64(), "won": pa.int64(), "probability": pa.float64()
}  # fmt: skip


@dataclass(frozen=True)
class StageProbability:
    stage: str
    stage_order: int
    reached: int  # closed deals that reached the stage
    won: int  # of which won
    probability: float  # won / reached, 4 decimals; 0 when none reached it


def stage_probabilities(deals: pa.Table, order: Sequence[str] = STAGES) -> list[StageProbability]:
    """P(win | the deal reached the stage), learned from closed deals: a won deal reached every
    stage, a lost deal every stage up to the one where it was lost. An open deal in a stage is
    weighted by this probability (a deal's past stages do not change its odds from here on)."""
    rows = deals.select(["stage", "status"]).to_pylist()
    stages = open_stages([r["stage"] for r in rows if r["status"] != WON], order)
    rank = _rank(stages)
    reached = np.zeros(len(stages), dtype=np.int64)
    won = np.zeros(len(stages), dtype=np.int64)
    for r in rows:
        if r["status"] == WON:
            reached += 1
            won += 1
        elif r["status"] == LOST and r["stage"] in rank:
            reached[: rank[r["stage"]] + 1] += 1
    return [
        StageProbability(
            s,
            k,
            int(reached[k]),
            int(won[k]),
            round(float(won[k]) / float(reached[k]), 4) if reached[k] else 0.0,
        )
        for k, s in enumerate(stages)
    ]


def probabilities_table(found: list[StageProbability]) -> pa.Table:
    """The rows of ``marts.stage_probabilities``."""
    return pa.Table.from_pylist(
        [vars(p) for p in found],
        schema=pa.schema(PROBABILITY_COLUMNS),
    )


@dataclass(frozen=True)
class StageFlow:
    """Conversion out of a stage and the days deals spend in it."""

    stage: str
    reached: int  # closed deals that reached the stage
    advanced: int  # of which moved to the next stage (or were won, from the last one)
    conversion: float | None
    ended_here: int  # closed deals whose last stage was this one (lost here; won, for the last)
    days_to_close: float | None  # their mean days from creation to close
    days_in_stage: float | None  # days_to_close minus that of the stage before


def stage_flow(deals: pa.Table, order: Sequence[str] = STAGES) -> list[StageFlow]:
    """Stage conversion and velocity from closed deals.

    Without a stage history the days in a stage are estimated as the difference between the mean
    time to close of deals that ended at this stage and of those that ended at the one before (the
    last stage counts the won deals with those lost in it). It holds when the time spent in a
    stage does not depend on how the deal ends.

    >>> deals = pa.table({"stage": ["Lead", "Qualified", "Won"], "status": ["lost", "lost", "won"],
    ...     "created_date": [dt.date(2025, 1, 1)] * 3,
    ...     "closed_date": [dt.date(2025, 1, 11), dt.date(2025, 1, 31), dt.date(2025, 2, 10)]})
    >>> [(f.stage, f.reached, f.advanced, f.days_to_close, f.days_in_stage) for f in stage_flow(deals)]
    [('Lead', 3, 2, 10.0, 10.0), ('Qualified', 2, 1, 35.0, 25.0)]
    """
    rows = deals.select(["stage", "status", "created_date", "closed_date"]).to_pylist()
    probs = stage_probabilities(deals, order)
    stages = [p.stage for p in probs]
    rank = _rank(stages)
    ages: dict[int, list[int]] = defaultdict(list)
    for r in rows:
        if r["status"] not in (WON, LOST) or r["closed_date"] is None or r["created_date"] is None:
            continue
        k = len(stages) - 1 if r["status"] == WON else rank.get(r["stage"])
        if k is not None:
            ages[k].append((r["closed_date"] - r["created_date"]).days)
    out: list[StageFlow] = []
    previous: float | None = 0.0
    for k, p in enumerate(probs):
        advanced = probs[k + 1].reached if k + 1 < len(probs) else p.won
        mean = float(np.mean(ages[k])) if ages[k] else None
        in_stage = None if mean is None or previous is None else round(mean - previous, 2)
        out.append(
            StageFlow(
                p.stage,
                p.reached,
                advanced,
                round(advanced / p.reached, 4) if p.reached else None,
                len(ages[k]),
                None if mean is None else round(mean, 2),
                in_stage,
            )
        )
        previous = mean
    return out


def open_by(deals: pa.Table, column: str, probability: dict[str, float]) -> list[dict[str, object]]:
    """Open deals, their amount and weighted amount (amount × the stage's probability) by the
    values of ``column`` (stage, owner, source), largest amount first.

    >>> deals = pa.table({"stage": ["Lead", "Lead", "Proposal"], "status": ["open"] * 3,
    ...                   "owner": ["Ann", "Bo", "Ann"], "amount": [100.0, 50.0, 10.0]})
    >>> open_by(deals, "owner", {"Lead": 0.2, "Proposal": 0.5})
    [{'value': 'Ann', 'deals': 2, 'amount': 110.0, 'weighted': 25.0}, {'value': 'Bo', 'deals': 1, 'amount': 50.0, 'weighted': 10.0}]
    """
    groups: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for r in deals.select([column, "stage", "status", "amount"]).to_pylist():
        if r["status"] != OPEN:
            continue
        g = groups[r[column] if r[column] is not None else "(none)"]
        amount = float(r["amount"])
        g[0] += 1
        g[1] += amount
        g[2] += amount * probability.get(r["stage"], 0.0)
    rows = [
        {"value": k, "deals": int(v[0]), "amount": round(v[1], 2), "weighted": round(v[2], 2)}
        for k, v in groups.items()
    ]
    return sorted(rows, key=lambda r: (-float(r["amount"]), str(r["value"])))  # type: ignore[arg-type]


def next_quarter(day: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar quarter after the one holding ``day``.

    >>> next_quarter(dt.date(2025, 11, 5))
    (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    """
    q = (day.month - 1) // 3 + 1
    year, q = (day.year + 1, 1) if q == 4 else (day.year, q + 1)
    start = dt.date(year, 3 * q - 2, 1)
    stop = dt.date(year + 1, 1, 1) if q == 4 else dt.date(year, 3 * q + 1, 1)
    return start, stop - dt.timedelta(days=1)


def quarter_of(day: dt.date) -> dt.date:
    """The first day of ``day``'s calendar quarter."""
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def run_rate_history(deals: pa.Table, before: dt.date, quarters: int = 4) -> list[float]:
    """Bookings of deals created and won in the same quarter, for the ``quarters`` complete
    quarters before ``before``: what a quarter books from deals not yet in the pipeline.

    >>> deals = pa.table({"status": ["won", "won", "won"], "amount": [5.0, 7.0, 9.0],
    ...     "created_date": [dt.date(2025, 1, 3), dt.date(2025, 2, 1), dt.date(2025, 3, 30)],
    ...     "closed_date": [dt.date(2025, 1, 20), dt.date(2025, 4, 2), dt.date(2025, 3, 31)]})
    >>> run_rate_history(deals, dt.date(2025, 7, 1), quarters=2)
    [14.0, 0.0]
    """
    starts = []
    q = quarter_of(before)
    for _ in range(quarters):
        q = quarter_of(q - dt.timedelta(days=1))
        starts.append(q)
    totals = dict.fromkeys(starts, 0.0)
    for r in deals.select(["status", "amount", "created_date", "closed_date"]).to_pylist():
        if r["status"] != WON or r["closed_date"] is None or r["created_date"] is None:
            continue
        q = quarter_of(r["closed_date"])
        if q in totals and quarter_of(r["created_date"]) == q:
            totals[q] += float(r["amount"])
    return [round(totals[s], 2) for s in sorted(starts)]


@dataclass(frozen=True)
class BookingsForecast:
    start: dt.date
    end: dt.date
    expected: float  # pipeline + run-rate
    low: float  # 10 % quantile
    high: float  # 90 % quantile
    from_pipeline: float  # Σ amount × p of the open deals expected to close by the quarter's end
    run_rate: float  # mean of the run-rate history
    deals: int  # open deals counted
    method: str


METHOD = (
    "each open deal expected to close by the quarter's end (overdue ones included) is drawn as "
    "won with its probability (Bernoulli), independently; the run-rate of deals created and won "
    "within one quarter is drawn as Normal(mean, sd) of its last four quarters, floored at 0; "
    "the interval is the 10-90 % quantiles of 10,000 draws of the sum"
)


def forecast_bookings(
    amounts: Sequence[float],
    probabilities: Sequence[float],
    quarter: tuple[dt.date, dt.date],
    run_rate: Sequence[float],
    *,
    draws: int = 10_000,
    seed: int = 0,
) -> BookingsForecast:
    """The next quarter's bookings: the open deals (already cut to those expected to close by the
    quarter's end) simulated as Bernoulli(p), plus the run-rate, with an 80 % interval.

    >>> q = (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    >>> f = forecast_bookings([100.0, 100.0], [1.0, 0.0], q, [50.0, 50.0])
    >>> f.expected, f.low, f.high, f.from_pipeline, f.run_rate
    (150.0, 150.0, 150.0, 100.0, 50.0)
    """
    amount = np.asarray(amounts, dtype=float)
    p = np.clip(np.asarray(probabilities, dtype=float), 0.0, 1.0)
    rng = np.random.default_rng(seed)
    won = rng.random((draws, len(amount))) < p[None, :]
    pipeline = won.astype(float) @ amount
    history = np.asarray(run_rate, dtype=float)
    mean = float(history.mean()) if len(history) else 0.0
    sd = float(history.std(ddof=1)) if len(history) > 1 else 0.0
    rate = np.maximum(rng.normal(mean, sd, draws), 0.0) if sd > 0 else np.full(draws, mean)
    total = pipeline + rate
    low, high = np.quantile(total, [0.1, 0.9])
    from_pipeline = float(amount @ p)
    return BookingsForecast(
        start=quarter[0],
        end=quarter[1],
        expected=round(from_pipeline + mean, 2),
        low=round(float(low), 2),
        high=round(float(high), 2),
        from_pipeline=round(from_pipeline, 2),
        run_rate=round(mean, 2),
        deals=len(amount),
        method=METHOD,
    )
