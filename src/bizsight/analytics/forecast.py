"""Forecasts with intervals for many series: by default the median of several diverse models,
one model alone only where the series' own past shows it clearly better.

:func:`forecast` takes a long table (``unique_id``, ``ds``, ``y``) and, per series:

1. classifies it: long enough for cross-validation, too short, or intermittent (mostly zeros);
2. for the long ones, forecasts the last stretch of history from several origins (rolling-origin
   cross-validation) with every candidate model (seasonal naive, drift, AutoETS, AutoARIMA,
   AutoTheta, DynamicOptimizedTheta, AutoCES, and MSTL for daily data with weekly and yearly
   seasons or weekly data with 52) and with the combination (forecast_combine: the median of
   ETS, Theta, CES, ARIMA and ETS on logs; from POOLED_MIN_SERIES series on, the mean of that
   median and a pooled model trained across all the series: forecast_pooled), and scores each on
   MASE (also sMAPE and interval coverage);
3. keeps the combination unless one model's MASE was half of it in every window, refits what
   was kept on the whole series and forecasts ``horizon`` periods; short series get seasonal
   naive (or naive), intermittent ones Croston (SBA), each with the reason in the result.

Pure: no warehouse, no settings, no printing.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bizsight.analytics.forecast_calendar import Calendar
from bizsight.analytics.forecast_combine import (
    MARGIN,
    MEMBERS,
    POOLED,
    combination_name,
    combine_members,
    strong_single,
    window_mase,
)
from bizsight.analytics.forecast_input import read_series
from bizsight.analytics.forecast_intervals import empirical, widened, widening
from bizsight.analytics.forecast_models import (
    FAST,
    FULL,
    Prediction,
    Series,
    Task,
    fit_and_validate,
    predict,
)
from bizsight.analytics.forecast_pooled import pooled
from bizsight.analytics.forecast_scores import coverage, mase, mase_scale, smape
from bizsight.errors import InvalidArgumentError

MANY_SERIES = 2000  # above this, "auto" leaves AutoARIMA out (see forecast_models.FAST)
INTERMITTENT_ZEROS = 0.5  # a series with at least this share of zero periods is intermittent
YEAR_OF_DAYS = 365
LONG_SEASON = 24  # AutoETS models seasons up to 24 periods; longer ones go to MSTL
LONG_SERIES = 400  # longer series (daily ones) are forecast without AutoARIMA
POOLED_MIN_SERIES = 100  # a pooled model is trained across the series of a call from this many on
PER_PROCESS = 50  # n_jobs=0 (auto) starts a second process only from 100 series


@dataclass(frozen=True)
class ForecastSettings:
    """``horizon`` periods ahead; ``season_length`` defaults to the grain's (7 days, 52 weeks, 12
    months, 4 quarters); ``windows`` cross-validation origins; ``candidates`` full, fast (no
    AutoARIMA) or auto (fast above 2,000 series); ``n_jobs`` processes (0: one per core from
    100 series on, one below)."""

    horizon: int
    season_length: int | None = None
    levels: tuple[int, ...] = (80, 95)
    windows: int = 3
    candidates: str = "auto"
    n_jobs: int = 0

    def __post_init__(self) -> None:
        if self.horizon < 1:
            raise InvalidArgumentError(f"horizon {self.horizon}: expected 1 or more periods")
        if self.season_length is not None and self.season_length < 1:
            raise InvalidArgumentError(f"season length {self.season_length}: expected 1 or more")
        if not self.levels or any(not 0 < level < 100 for level in self.levels):
            raise InvalidArgumentError(f"levels {list(self.levels)}: expected percentages between 0 and 100")
        if self.n_jobs < 0:
            raise InvalidArgumentError(f"n_jobs {self.n_jobs}: expected 0 (auto) or more")
        if self.windows < 1:
            raise InvalidArgumentError(f"windows {self.windows}: expected 1 or more")
        if self.candidates not in ("auto", "full", "fast"):
            raise InvalidArgumentError(f"candidates '{self.candidates}': expected auto, full or fast")


@dataclass(frozen=True)
class ForecastResult:
    """``forecasts``: unique_id, ds, step, model, mean, lo_<level>, hi_<level> per future period.
    ``selection``: per series the model, how it was chosen and why, its cross-validation MASE,
    sMAPE and coverage, and seasonal naive's MASE in the same windows. ``accuracy``: the
    cross-validation scores of every candidate."""

    forecasts: pa.Table
    selection: pa.Table
    accuracy: pa.Table
    calendar: Calendar
    season_length: int
    candidates: tuple[str, ...]
    levels: tuple[int, ...]


@dataclass
class _Plan:
    series: Series
    kind: str  # cv | short | intermittent
    windows: int = 0
    step: int = 0
    reason: str = ""
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    chosen: str = ""
    members: tuple[str, ...] = ()
    cv: Prediction | None = None  # the chosen model's cross-validation forecasts
    widening: dict[int, float] = field(default_factory=dict)

    @property
    def task(self) -> Task:
        return Task(self.series, self.windows, self.step)


def forecast(data: pa.Table, settings: ForecastSettings) -> ForecastResult:
    """Forecast every series of ``data`` (columns ``unique_id``, ``ds``, ``y``).

    >>> import pyarrow as pa, datetime as dt
    >>> months = [dt.date(2020 + i // 12, i % 12 + 1, 1) for i in range(48)]
    >>> y = [100 + 2 * i + (30 if i % 12 == 11 else 0) for i in range(48)]
    >>> result = forecast(pa.table({"unique_id": ["shop"] * 48, "ds": months, "y": y}),
    ...                   ForecastSettings(horizon=3))
    >>> result.forecasts.column("ds").to_pylist()
    [datetime.date(2024, 1, 1), datetime.date(2024, 2, 1), datetime.date(2024, 3, 1)]
    >>> result.selection.column("method").to_pylist()
    ['cross-validation']
    """
    calendar, series = read_series(data)
    m = settings.season_length or calendar.season_length
    names: tuple[str, ...] = FULL if settings.candidates == "full" else FAST
    if settings.candidates == "auto" and len(series) <= MANY_SERIES:
        names = FULL
    if m > LONG_SEASON or max(len(s.y) for s in series) > LONG_SERIES:
        # Seasonal ARIMA with 52 weekly lags takes minutes, on three years of days 5 s a series;
        # MSTL models those seasons in a fraction of that.
        names = tuple(n for n in names if n != "AutoARIMA")
    plans = [_plan(s, settings, m) for s in series]
    seasons = _mstl_seasons(calendar, m)
    accuracy, fitted = _cross_validate(plans, settings, names, m, seasons)
    predictions = _final(plans, settings, m, seasons, fitted)
    return ForecastResult(
        forecasts=_forecast_table(plans, predictions, settings, calendar),
        selection=_selection_table(plans, settings.levels),
        accuracy=accuracy,
        calendar=calendar,
        season_length=m,
        candidates=tuple(names) + (("MSTL",) if seasons else ()),
        levels=settings.levels,
    )


def _mstl_seasons(calendar: Calendar, m: int) -> tuple[int, ...]:
    """The seasons MSTL removes: a week and a year for daily data, a long season on its own."""
    if calendar.grain == "day" and m < YEAR_OF_DAYS:
        return (m, YEAR_OF_DAYS)
    return (m,) if m > LONG_SEASON else ()


def _plan(s: Series, settings: ForecastSettings, m: int) -> _Plan:
    n, h = len(s.y), settings.horizon
    zeros = float(np.mean(s.y == 0))
    if zeros >= INTERMITTENT_ZEROS and np.all(s.y >= 0) and np.any(s.y > 0) and n >= 4:
        return _Plan(
            s, "intermittent", reason=f"intermittent: {zeros:.0%} of periods are zero; Croston (SBA)"
        )
    min_train = max(2 * m + 2, 8)
    room = n - h - min_train
    if room < 0:
        model = "seasonal naive" if m > 1 and n > m else "naive"
        return _Plan(
            s, "short", reason=f"too short to cross-validate: {n} periods, need {min_train + h}; {model}"
        )
    if room >= (settings.windows - 1) * h:
        windows, step = settings.windows, h
    else:
        windows = min(settings.windows, room + 1)
        step = room // (windows - 1) if windows > 1 else h
    return _Plan(s, "cv", windows=windows, step=step)


def _cross_validate(
    plans: list[_Plan], settings: ForecastSettings, names: Sequence[str], m: int, seasons: Sequence[int]
) -> tuple[pa.Table, dict[tuple[str, str], Prediction]]:
    """Cross-validate every candidate on every long series; each is fitted on the whole series
    too (forecast_models.fit_and_validate), and those forecasts are returned for the final step."""
    groups: dict[bool, list[_Plan]] = defaultdict(list)
    for p in plans:
        if p.kind == "cv":
            train = p.task.first_origin(settings.horizon)
            groups[bool(seasons) and train > 2 * seasons[-1]].append(p)
    rows: list[dict[str, object]] = []
    final: dict[tuple[str, str], Prediction] = {}
    for with_mstl, group in groups.items():
        candidates = (*names, "MSTL") if with_mstl else tuple(names)
        tasks = [p.task for p in group]
        with ThreadPoolExecutor(1) as thread:
            # Trained in this process while the worker processes fit the statistical models.
            pooled_run = (
                thread.submit(
                    pooled, tasks, horizon=settings.horizon, levels=settings.levels, season_length=m
                )
                if len(group) >= POOLED_MIN_SERIES and m <= LONG_SEASON
                else None
            )
            fitted, cv = fit_and_validate(
                tasks,
                candidates,
                horizon=settings.horizon,
                levels=settings.levels,
                season_length=m,
                seasons=seasons,
                n_jobs=_jobs(settings, len(group)),
            )
            if pooled_run is not None:
                pooled_final, pooled_cv = pooled_run.result()
                fitted.update({(uid, POOLED): pred for uid, pred in pooled_final.items()})
                cv.update({(uid, POOLED): pred for uid, pred in pooled_cv.items()})
                candidates = (*candidates, POOLED) if pooled_cv else candidates
        final.update(fitted)
        for p in group:
            rows.extend(_choose(p, cv, candidates, settings, m))
    return _accuracy_table(rows, settings.levels), final


def _jobs(settings: ForecastSettings, count: int) -> int:
    """Processes for ``count`` series: ``settings.n_jobs``, or with 0 (auto) one per core
    when there are at least PER_PROCESS series for each."""
    if settings.n_jobs:
        return settings.n_jobs
    return max(1, min(os.cpu_count() or 1, count // PER_PROCESS))


def _choose(
    p: _Plan,
    cv: dict[tuple[str, str], Prediction],
    candidates: Sequence[str],
    settings: ForecastSettings,
    m: int,
) -> list[dict[str, object]]:
    """Score every candidate and the combination of the members on ``p``'s windows; keep the
    combination unless one model beat it by the margin in every window (forecast_combine)."""
    scale = mase_scale(p.series.y[: p.task.first_origin(settings.horizon)], m)
    found = {name: cv[(p.series.uid, name)] for name in candidates if (p.series.uid, name) in cv}
    p.scores = {name: _score(pred, scale, settings.levels) for name, pred in found.items()}
    pool = (*MEMBERS, "MSTL", POOLED)  # MSTL where it is a candidate: the only member with two seasons
    members = tuple(name for name in pool if name in found and np.isfinite(p.scores[name]["mase"]))
    if not members:  # every member failed here: the best of what is left
        p.chosen = min(p.scores, key=lambda name: p.scores[name]["mase"])
        p.members, p.cv = (p.chosen,), found[p.chosen]
        p.reason = f"lowest MASE over {p.windows} cross-validation windows (the combination's members failed)"
    else:
        combination = combination_name(members)
        found[combination] = combine_members({n: found[n] for n in members})
        p.scores[combination] = _score(found[combination], scale, settings.levels)
        by_window = {name: window_mase(pred, scale, p.windows) for name, pred in found.items()}
        single = strong_single(  # the pooled model is a member only, never chosen alone
            {n: s for n, s in by_window.items() if n not in (combination, POOLED)}, by_window[combination]
        )
        if single is None:
            p.chosen, p.members = combination, members
            p.reason = (
                f"median of {len(members)} models; no single model beat it by {MARGIN:.0%} "
                f"in every one of {p.windows} cross-validation window{'s' if p.windows > 1 else ''}"
            )
        else:
            p.chosen, p.members = single, (single,)
            p.reason = (
                f"MASE {MARGIN:.0%} or more below the combination's in every one of {p.windows} "
                f"cross-validation window{'s' if p.windows > 1 else ''}"
            )
        p.cv = found[p.chosen]
    return [
        {"unique_id": p.series.uid, "model": name, **score, "selected": name == p.chosen}
        for name, score in p.scores.items()
    ]


def _score(pred: Prediction, scale: float, levels: Sequence[int]) -> dict[str, float]:
    assert pred.actual is not None
    scores = {"mase": mase(pred.actual, pred.mean, scale), "smape": smape(pred.actual, pred.mean)}
    for level in levels:
        scores[f"coverage_{level}"] = coverage(pred.actual, pred.lo[level], pred.hi[level])
    if not np.isfinite(scores["mase"]):
        scores["mase"] = float("inf")  # a failed model never wins
    return scores


def _final(
    plans: list[_Plan],
    settings: ForecastSettings,
    m: int,
    seasons: Sequence[int],
    fitted: dict[tuple[str, str], Prediction],
) -> dict[str, Prediction]:
    """Fit what each series needs on all its history (unless ``fitted`` has it already) and
    forecast ``horizon`` periods."""
    needs: dict[str, list[Series]] = defaultdict(list)
    for p in plans:
        if p.kind == "short":
            p.chosen = "SeasonalNaive" if m > 1 and len(p.series.y) > m else "Naive"
            p.members = (p.chosen,)
        elif p.kind == "intermittent":
            p.chosen, p.members = "CrostonSBA", ("CrostonSBA",)
        for member in p.members:
            if (p.series.uid, member) not in fitted:
                needs[member].append(p.series)
    fitted = dict(fitted)
    for name, group in needs.items():
        fitted.update(
            predict(
                group,
                [name],
                horizon=settings.horizon,
                levels=settings.levels,
                season_length=m,
                seasons=seasons,
                n_jobs=_jobs(settings, len(group)),
            )
        )
    out = {}
    for p in plans:
        parts = {name: fitted[(p.series.uid, name)] for name in p.members}
        pred = combine_members(parts) if len(parts) > 1 else parts[p.chosen]
        if p.kind == "intermittent":
            pred = empirical(pred, p.series.y, settings.levels)
        if p.cv is not None:
            p.widening = {level: widening(p.cv, level) for level in settings.levels}
            pred = widened(pred, p.widening)
        if np.all(p.series.y >= 0):  # sales, counts: a forecast below zero means zero
            pred = Prediction(
                np.maximum(pred.mean, 0),
                {k: np.maximum(v, 0) for k, v in pred.lo.items()},
                {k: np.maximum(v, 0) for k, v in pred.hi.items()},
            )
        out[p.series.uid] = pred
    return out


def _forecast_table(
    plans: list[_Plan], predictions: dict[str, Prediction], settings: ForecastSettings, calendar: Calendar
) -> pa.Table:
    h = settings.horizon
    uids = [p.series.uid for p in plans]
    last = np.array([p.series.start + len(p.series.y) for p in plans], dtype=np.int64)
    index = (last[:, None] + np.arange(h)[None, :]).ravel()
    dates = calendar.dates(index)
    columns: dict[str, object] = {
        "unique_id": pa.array(np.repeat(uids, h), pa.string()),
        "ds": pa.array(dates)
        if calendar.grain == "step"
        else pa.array(dates.astype("datetime64[D]"), pa.date32()),
        "step": pa.array(np.tile(np.arange(1, h + 1), len(plans)), pa.int32()),
        "model": pa.array(np.repeat([p.chosen for p in plans], h), pa.string()),
        "mean": _column([predictions[u].mean for u in uids]),
    }
    for level in settings.levels:
        columns[f"lo_{level}"] = _column([predictions[u].lo[level] for u in uids])
        columns[f"hi_{level}"] = _column([predictions[u].hi[level] for u in uids])
    return pa.table(columns)


def _column(parts: list[np.ndarray]) -> pa.Array:
    values = np.concatenate(parts) if parts else np.zeros(0)
    return pa.array(values, pa.float64(), mask=np.isnan(values))


def _selection_table(plans: list[_Plan], levels: Sequence[int]) -> pa.Table:
    rows = []
    for p in plans:
        score = p.scores.get(p.chosen, {})
        baseline = p.scores.get("SeasonalNaive", {})
        reason = p.reason
        stretched = [f"×{f:.2f} ({level}%)" for level, f in p.widening.items() if f > 1]
        if stretched:
            reason += f"; intervals widened {', '.join(stretched)} to their cross-validation coverage"
        rows.append(
            {
                "unique_id": p.series.uid,
                "model": p.chosen,
                "method": "cross-validation" if p.kind == "cv" else "fallback",
                "reason": reason,
                "n_obs": len(p.series.y),
                "windows": p.windows,
                "mase": score.get("mase"),
                "smape": score.get("smape"),
                **{f"coverage_{level}": score.get(f"coverage_{level}") for level in levels},
                "seasonal_naive_mase": baseline.get("mase"),
            }
        )
    return _nan_to_null(pa.Table.from_pylist(rows, schema=_selection_schema(levels)))


def _schema(
    head: Sequence[tuple[str, pa.DataType]], levels: Sequence[int], *tail: tuple[str, pa.DataType]
) -> pa.Schema:
    coverages = [(f"coverage_{level}", pa.float64()) for level in levels]
    return pa.schema([pa.field(name, kind) for name, kind in (*head, *coverages, *tail)])


def _selection_schema(levels: Sequence[int]) -> pa.Schema:
    head: list[tuple[str, pa.DataType]] = [
        ("unique_id", pa.string()),
        ("model", pa.string()),
        ("method", pa.string()),
        ("reason", pa.string()),
        ("n_obs", pa.int64()),
        ("windows", pa.int64()),
        ("mase", pa.float64()),
        ("smape", pa.float64()),
    ]
    return _schema(head, levels, ("seasonal_naive_mase", pa.float64()))


def _accuracy_table(rows: list[dict[str, object]], levels: Sequence[int]) -> pa.Table:
    head: list[tuple[str, pa.DataType]] = [
        ("unique_id", pa.string()),
        ("model", pa.string()),
        ("mase", pa.float64()),
        ("smape", pa.float64()),
    ]
    schema = _schema(head, levels, ("selected", pa.bool_()))
    return _nan_to_null(pa.Table.from_pylist(rows, schema=schema))


def _nan_to_null(table: pa.Table) -> pa.Table:
    """NaN and infinite scores (no interval, a failed model) become nulls."""
    for i, name in enumerate(table.column_names):
        column = table.column(i)
        if pa.types.is_floating(column.type):
            bad = pc.or_(pc.is_nan(column), pc.is_inf(column))
            table = table.set_column(i, name, pc.if_else(bad, pa.scalar(None, pa.float64()), column))
    return table
