"""A pooled model: one direct multi-step forecaster trained across all the series of a call.

Global models (N-BEATS, the M4 and M5 winners) gain on large collections of series because the
shapes that recur across series — how a season repeats, how a trend bends — are learnt once from
all of them instead of from each short series alone. Here, for every strictly positive series,
every window of ``3 × season`` past values is scaled by its level (the mean of its last season)
and taken to logarithms; a small neural network (scikit-learn's MLPRegressor, fixed seeds,
several of them averaged) learns to map it to the next ``horizon`` values on the same scale.

Honest validation: the model that gives the cross-validation forecasts is trained only on each
series' history before its first cross-validation origin (as the statistical models are fitted
there and carried forward: docs/decisions/0053); the model that gives the final forecasts on
each series' whole history. Interval bounds come from the quantiles, per step, of the
cross-validation model's errors on the later windows it did not train on.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bizsight.analytics.forecast_models import Prediction, Task

SEEDS = (0, 1, 2)  # networks averaged: one seed's network varies more than their mean does
HIDDEN = (64, 64)
CLIP = 3.0  # log-ratios beyond ±3 (×20 or ÷20 of the level) are cut: outliers, not patterns


@dataclass(frozen=True)
class PooledSettings:
    """The window length is ``seasons × season_length`` past values; ``padded``: windows from two
    seasons of history on are learnt from too, their missing start filled with the first season."""

    seasons: int = 3
    hidden: tuple[int, ...] = HIDDEN
    seeds: tuple[int, ...] = SEEDS
    max_iter: int = 200
    padded: bool = True  # also train on windows with fewer real values than lags (from 2 seasons)


def eligible(task: Task) -> bool:
    """Strictly positive series only (logarithms)."""
    return bool(np.all(task.series.y > 0))


def _scaled(y: np.ndarray, end: int, lags: int, m: int) -> tuple[np.ndarray, float]:
    """The ``lags`` log values before ``end`` less the log of their last season's mean, padded
    at the start by repeating the first season where the history is shorter."""
    x = y[max(0, end - lags) : end]
    if len(x) < lags:
        first = y[: min(m, end)]
        x = np.concatenate([np.resize(first, lags - len(x)), x]) if len(first) else x
    level = float(np.mean(x[-m:]))
    return np.clip(np.log(x) - np.log(level), -CLIP, CLIP), level


def _training(
    tasks: Sequence[Task], ends: Sequence[int], horizon: int, lags: int, m: int, first: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every window whose inputs start at the series' first value and whose targets end by
    ``ends[i]``, scaled."""
    xs, ts = [], []
    for task, end in zip(tasks, ends, strict=True):
        y = task.series.y[:end]
        logs = np.log(y)
        for t in range(first, len(y) - horizon + 1):
            x, level = _scaled(y, t, lags, m)
            xs.append(x)
            ts.append(np.clip(logs[t : t + horizon] - np.log(level), -CLIP, CLIP))
    if not xs:
        return np.zeros((0, lags)), np.zeros((0, horizon))
    return np.asarray(xs), np.asarray(ts)


class _Network:
    """The mean of several networks' forecasts (log-ratios to the level), one per seed."""

    def __init__(self, x: np.ndarray, t: np.ndarray, settings: PooledSettings) -> None:
        from sklearn.neural_network import MLPRegressor

        self.nets = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # stopping at max_iter is the plan, not a failure
            for seed in settings.seeds:
                net = MLPRegressor(
                    hidden_layer_sizes=settings.hidden,
                    alpha=1e-4,
                    learning_rate_init=1e-3,
                    batch_size=256,
                    max_iter=settings.max_iter,
                    early_stopping=True,
                    validation_fraction=0.1,
                    n_iter_no_change=10,
                    random_state=seed,
                )
                self.nets.append(net.fit(x, t))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        out = np.mean([net.predict(x) for net in self.nets], axis=0)
        return np.asarray(out, float).reshape(len(x), -1)


def pooled(
    tasks: Sequence[Task],
    *,
    horizon: int,
    levels: Sequence[int],
    season_length: int,
    settings: PooledSettings | None = None,
) -> tuple[dict[str, Prediction], dict[str, Prediction]]:
    """Final and cross-validation forecasts (by series id) of the pooled model for the eligible
    ``tasks``; empty if there are too few windows to learn from. One thread (the statistical
    models' processes use the other cores), which also keeps the sums in one order."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _pooled(tasks, horizon, levels, season_length, settings)


def _pooled(
    tasks: Sequence[Task],
    horizon: int,
    levels: Sequence[int],
    season_length: int,
    settings: PooledSettings | None,
) -> tuple[dict[str, Prediction], dict[str, Prediction]]:
    settings = settings or PooledSettings()
    m = max(season_length, 1)
    lags = settings.seasons * m
    tasks = [t for t in tasks if eligible(t)]
    starts = [t.first_origin(horizon) for t in tasks]
    earliest = min(lags, 2 * m) if settings.padded else lags
    x_cv, t_cv = _training(tasks, starts, horizon, lags, m, earliest)
    x_all, t_all = _training(tasks, [len(t.series.y) for t in tasks], horizon, lags, m, earliest)
    if len(x_cv) < 20 * lags or len(x_all) < 20 * lags:
        return {}, {}
    at_origin = _Network(x_cv, t_cv, settings)
    # Cross-validation: every window of every series, from the network trained before them.
    rows, where = [], []
    for i, (task, first) in enumerate(zip(tasks, starts, strict=True)):
        for k in range(task.windows):
            rows.append(_scaled(task.series.y, first + k * task.step, lags, m))
            where.append((i, first + k * task.step))
    logs = at_origin(np.asarray([r[0] for r in rows]))
    level = np.log([r[1] for r in rows])
    actual = np.asarray([np.log(tasks[i].series.y[o : o + horizon]) for i, o in where]) - level[:, None]
    errors = np.clip(actual - logs, -CLIP, CLIP)
    quantiles = {
        lv: (
            np.quantile(errors, (1 - lv / 100) / 2, axis=0),
            np.quantile(errors, 1 - (1 - lv / 100) / 2, axis=0),
        )
        for lv in levels
    }
    cv: dict[str, Prediction] = {}
    at = 0
    for task in tasks:
        w = task.windows
        mean = logs[at : at + w] + level[at : at + w, None]
        cv[task.series.uid] = _exp(
            mean.ravel(),
            {lv: (mean + q[0]).ravel() for lv, q in quantiles.items()},
            {lv: (mean + q[1]).ravel() for lv, q in quantiles.items()},
            np.exp((actual[at : at + w] + level[at : at + w, None]).ravel()),
        )
        at += w
    whole = _Network(x_all, t_all, settings)
    ends = [_scaled(t.series.y, len(t.series.y), lags, m) for t in tasks]
    logs = whole(np.asarray([e[0] for e in ends])) + np.log([e[1] for e in ends])[:, None]
    final = {
        task.series.uid: _exp(
            logs[i],
            {lv: logs[i] + q[0] for lv, q in quantiles.items()},
            {lv: logs[i] + q[1] for lv, q in quantiles.items()},
        )
        for i, task in enumerate(tasks)
    }
    return final, cv


def _exp(
    mean: np.ndarray, lo: dict[int, np.ndarray], hi: dict[int, np.ndarray], actual: np.ndarray | None = None
) -> Prediction:
    return Prediction(
        np.exp(mean), {lv: np.exp(v) for lv, v in lo.items()}, {lv: np.exp(v) for lv, v in hi.items()}, actual
    )
