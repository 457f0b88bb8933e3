"""The candidate models and the bridge to statsforecast.

statsforecast works on pandas frames, so this is the one module of the package that imports
pandas (locally, inside the functions that hand frames to statsforecast); everything outside it
sees numpy arrays. Series reach the models with integer time steps (``ds`` = period number), so
calendars stay ours (see forecast_calendar).
"""

from __future__ import annotations

import contextlib
import itertools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

BASELINES = ("SeasonalNaive", "Drift")
FULL = (
    "SeasonalNaive",
    "Drift",
    "AutoETS",
    "AutoARIMA",
    "AutoTheta",
    "DynamicOptimizedTheta",
    "AutoCES",
    "AutoETS (log)",
)
# Fitted on the logarithms of a strictly positive series, forecasts and bounds taken back with
# exp (multiplicative structure the additive model then handles); left out of other series.
LOGS = {"AutoETS (log)": "AutoETS"}
# Without AutoARIMA, the slowest candidate (twice AutoETS per fit even with its narrowed search).
FAST = tuple(name for name in FULL if name != "AutoARIMA")
FALLBACKS = ("Naive", "CrostonSBA")


@dataclass(frozen=True)
class Series:
    """One series: its id, the period number of its first value, and its values."""

    uid: str
    start: int
    y: np.ndarray


@dataclass(frozen=True)
class Prediction:
    """Forecasts of one model for one series: ``mean`` and interval bounds per level, one value
    per step; for cross-validation, the steps of every window in a row, with the actuals."""

    mean: np.ndarray
    lo: dict[int, np.ndarray]
    hi: dict[int, np.ndarray]
    actual: np.ndarray | None = None


def model(name: str, season_length: int, seasons: Sequence[int] = ()) -> Any:
    """A statsforecast model by our name; ``seasons`` are the periods MSTL removes (e.g. 7, 365)."""
    from statsforecast import models as sf

    m = max(season_length, 1)
    if name == "SeasonalNaive":
        return sf.SeasonalNaive(season_length=m, alias=name)
    if name == "Drift":
        return sf.RandomWalkWithDrift(alias=name)
    if name == "Naive":
        return sf.Naive(alias=name)
    if name == "AutoETS":
        return sf.AutoETS(season_length=m, alias=name)
    if name == "AutoARIMA":
        # A narrower order search than R's auto.arima (p, q ≤ 1, P, Q ≤ 1, at most 20 models,
        # selection on the CSS approximation): its member of the combination is as accurate as
        # with wider searches, at a fraction of their time (docs/decisions/0049, 0065).
        return sf.AutoARIMA(
            season_length=m, max_p=1, max_q=1, max_P=1, max_Q=1, nmodels=20, approximation=True, alias=name
        )
    if name == "AutoTheta":
        return sf.AutoTheta(season_length=m, alias=name)
    if name == "DynamicOptimizedTheta":
        return sf.DynamicOptimizedTheta(season_length=m, alias=name)
    if name == "AutoCES":
        return sf.AutoCES(season_length=m, alias=name)
    if name == "MSTL":
        trend = sf.AutoETS(model="ZZN")  # the seasons are removed first; ETS forecasts what is left
        return sf.MSTL(season_length=list(seasons), trend_forecaster=trend, alias=name)
    if name == "CrostonSBA":
        return sf.CrostonSBA(alias=name)
    raise ValueError(f"unknown model {name}")


def _frame(series: Sequence[Series]) -> Any:
    import pandas as pd  # noqa: TID251 - statsforecast takes and returns pandas frames

    lengths = [len(s.y) for s in series]
    return pd.DataFrame(
        {
            "unique_id": np.repeat([s.uid for s in series], lengths),
            "ds": np.concatenate([np.arange(s.start, s.start + len(s.y)) for s in series]),
            "y": np.concatenate([s.y for s in series]).astype(float),
        }
    )


def _engine(models: Sequence[Any], n_jobs: int) -> Any:
    from statsforecast import StatsForecast

    # A model that fails on one series (a singular fit) gives way to the naive forecast there.
    return StatsForecast(models=list(models), freq=1, n_jobs=n_jobs, fallback_model=model("Naive", 1))


def _split(
    frame: Any, names: Sequence[str], levels: Sequence[int], with_actual: bool
) -> dict[tuple[str, str], Prediction]:
    """Per (series, model) arrays from a statsforecast result frame (rows grouped by series)."""
    frame = frame.reset_index() if "unique_id" not in frame.columns else frame
    ids = frame["unique_id"].astype(str).to_numpy()
    bounds = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1], True])
    out: dict[tuple[str, str], Prediction] = {}
    for start, stop in itertools.pairwise(bounds):
        rows = frame.iloc[start:stop]
        actual = rows["y"].to_numpy(float) if with_actual else None
        for name in names:
            lo = {level: _column(rows, f"{name}-lo-{level}") for level in levels}
            hi = {level: _column(rows, f"{name}-hi-{level}") for level in levels}
            out[(ids[start], name)] = Prediction(rows[name].to_numpy(float), lo, hi, actual)
    return out


def _column(rows: Any, name: str) -> np.ndarray:
    if name in rows.columns:
        return np.asarray(rows[name].to_numpy(float))
    return np.full(len(rows), np.nan)  # a model without intervals (Croston)


def predict(
    series: Sequence[Series],
    names: Sequence[str],
    *,
    horizon: int,
    levels: Sequence[int],
    season_length: int,
    seasons: Sequence[int] = (),
    n_jobs: int = 1,
) -> dict[tuple[str, str], Prediction]:
    """Fit each model on each whole series and forecast ``horizon`` steps."""
    engine = _engine([model(name, season_length, seasons) for name in names], n_jobs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence notes of single fits; accuracy is measured
        frame = engine.forecast(df=_frame(series), h=horizon, level=list(levels))
    return _split(frame, names, levels, with_actual=False)


@dataclass(frozen=True)
class Task:
    """One series to fit once on its whole history, with its cross-validation plan: ``windows``
    origins ``step`` periods apart, the last one ``horizon`` periods before its end."""

    series: Series
    windows: int
    step: int

    def first_origin(self, horizon: int) -> int:
        """The first cross-validation origin: the history before it is all a model is fitted on.

        >>> Task(Series("a", 0, np.zeros(40)), windows=3, step=6).first_origin(6)
        22
        """
        return len(self.series.y) - horizon - (self.windows - 1) * self.step


def fit_and_validate(
    tasks: Sequence[Task],
    names: Sequence[str],
    *,
    horizon: int,
    levels: Sequence[int],
    season_length: int,
    seasons: Sequence[int] = (),
    n_jobs: int = 1,
) -> tuple[dict[tuple[str, str], Prediction], dict[tuple[str, str], Prediction]]:
    """Per series and model: the forecast of the model fitted on the whole series, and its
    rolling-origin forecasts. The structure searched on the whole series (ETS error, trend and
    season forms; ARIMA orders; CES season type) is kept for cross-validation: there only its
    parameters are estimated, at the first origin, and carried forward over the later ones.
    One search per model and series instead of two (docs/decisions/0053)."""
    chunks = [list(tasks[i :: max(n_jobs, 1)]) for i in range(max(n_jobs, 1))]
    args = (tuple(names), horizon, tuple(levels), season_length, tuple(seasons))
    if n_jobs <= 1 or len(tasks) < 2 * n_jobs:
        parts = [_fit_and_validate(list(tasks), *args)]
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(n_jobs) as pool:
            parts = list(pool.map(_fit_and_validate, chunks, *[[a] * len(chunks) for a in args]))
    final: dict[tuple[str, str], Prediction] = {}
    cv: dict[tuple[str, str], Prediction] = {}
    for part_final, part_cv in parts:
        final.update(part_final)
        cv.update(part_cv)
    return final, cv


def _fit_and_validate(
    tasks: list[Task],
    names: tuple[str, ...],
    horizon: int,
    levels: tuple[int, ...],
    m: int,
    seasons: tuple[int, ...],
) -> tuple[dict[tuple[str, str], Prediction], dict[tuple[str, str], Prediction]]:
    final: dict[tuple[str, str], Prediction] = {}
    cv: dict[tuple[str, str], Prediction] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence notes of single fits; accuracy is measured
        for task, name in itertools.product(tasks, names):
            key = (task.series.uid, name)
            if name in LOGS:  # strictly positive series only; where it fails, left out
                if np.all(task.series.y > 0):
                    with contextlib.suppress(Exception):
                        final[key], cv[key] = _fit_one_on_logs(name, task, horizon, levels, m, seasons)
                continue
            try:
                final[key], cv[key] = _fit_one(
                    model(name, m, seasons), name, task, horizon, levels, m, seasons
                )
            except Exception:  # a model failing on a series gives way to naive there
                final[key], cv[key] = _fit_one(model("Naive", 1), "Naive", task, horizon, levels, m, seasons)
    return final, cv


def _fit_one_on_logs(
    name: str, task: Task, horizon: int, levels: tuple[int, ...], m: int, seasons: tuple[int, ...]
) -> tuple[Prediction, Prediction]:
    base, y = LOGS[name], task.series.y
    logs = Task(Series(task.series.uid, task.series.start, np.log(y)), task.windows, task.step)
    final, cv = _fit_one(model(base, m, seasons), base, logs, horizon, levels, m, seasons)
    return _exp(final), _exp(cv)


def _exp(pred: Prediction) -> Prediction:
    return Prediction(
        np.exp(pred.mean),
        {lv: np.exp(v) for lv, v in pred.lo.items()},
        {lv: np.exp(v) for lv, v in pred.hi.items()},
        None if pred.actual is None else np.exp(pred.actual),
    )


def _fit_one(
    spec: Any,
    name: str,
    task: Task,
    horizon: int,
    levels: tuple[int, ...],
    m: int,
    seasons: tuple[int, ...],
) -> tuple[Prediction, Prediction]:
    fitted = spec.fit(task.series.y)  # may be another model (statsforecast: Naive on constants)
    final = _predict(fitted, horizon, levels)
    return final, _validate(lambda: _structure(fitted, name, m, seasons), task, horizon, levels)


def _validate(structure: Any, task: Task, horizon: int, levels: tuple[int, ...]) -> Prediction:
    """Rolling-origin forecasts of a new model from ``structure()``: fitted at the first origin
    and carried forward over the later ones (states follow the data, parameters stay), or
    refitted at each where the model has no forward step (drift)."""
    y = task.series.y
    first = task.first_origin(horizon)
    origins = [first + k * task.step for k in range(task.windows)]
    try:
        at_origin = structure().fit(y[:first])
    except Exception:  # as statsforecast: naive where the model fails
        at_origin, structure = model("Naive", 1).fit(y[:first]), lambda: model("Naive", 1)
    preds = [_predict(at_origin, horizon, levels)]
    for origin in origins[1:]:
        if hasattr(at_origin, "forward"):
            preds.append(_forward(at_origin, y[:origin], horizon, levels))
        else:
            preds.append(_predict(structure().fit(y[:origin]), horizon, levels))
    return Prediction(
        np.concatenate([p.mean for p in preds]),
        {lv: np.concatenate([p.lo[lv] for p in preds]) for lv in levels},
        {lv: np.concatenate([p.hi[lv] for p in preds]) for lv in levels},
        np.concatenate([y[o : o + horizon] for o in origins]),
    )


def _structure(fitted: Any, name: str, m: int, seasons: tuple[int, ...]) -> Any:
    """A new model of the structure ``fitted`` chose (the same model where there is none to keep)."""
    from statsforecast import models as sf

    if type(fitted).__name__ == "Naive":  # a fallback or a constant series
        return model("Naive", 1)
    found = getattr(fitted, "model_", {})
    if name == "AutoETS":
        components = str(found["components"])
        return sf.AutoETS(season_length=m, model=components[:3], damped=components[3] == "D", alias=name)
    if name == "AutoARIMA":
        p, q, big_p, big_q, season, d, big_d = (int(v) for v in found["arma"])
        coef = found["coef"]
        return sf.ARIMA(
            order=(p, d, q),
            seasonal_order=(big_p, big_d, big_q),
            season_length=season,
            include_mean="intercept" in coef,
            include_drift="drift" in coef,
            alias=name,
        )
    if name == "AutoCES":
        return sf.AutoCES(season_length=m, model=str(found["seasontype"]), alias=name)
    return model(name, m, seasons)


def _predict(fitted: Any, horizon: int, levels: tuple[int, ...]) -> Prediction:
    if hasattr(fitted, "model_") and type(fitted).__name__ == "AutoCES":
        return _ces_prediction(fitted.model_, horizon, levels)
    return _prediction(fitted.predict(h=horizon, level=list(levels)), levels)


def _forward(fitted: Any, y: np.ndarray, horizon: int, levels: tuple[int, ...]) -> Prediction:
    """The forecast from the end of ``y`` with ``fitted``'s parameters (states follow ``y``)."""
    if type(fitted).__name__ == "AutoCES":
        from statsforecast.ces import forward_ces

        return _ces_prediction(forward_ces(fitted.model_, y=y), horizon, levels)
    return _prediction(fitted.forward(y=y, h=horizon, level=list(levels)), levels)


def _prediction(found: dict[str, np.ndarray], levels: tuple[int, ...]) -> Prediction:
    return Prediction(
        np.asarray(found["mean"], float),
        {lv: np.asarray(found[f"lo-{lv}"], float) for lv in levels},
        {lv: np.asarray(found[f"hi-{lv}"], float) for lv in levels},
    )


def _ces_prediction(fitted: dict[str, Any], horizon: int, levels: tuple[int, ...]) -> Prediction:
    """CES forecasts with normal intervals computed exactly. statsforecast draws 5,000 paths
    with every state disturbed by N(0, σ²) noise and takes their quantiles (0.13 s a call,
    half the cost of a forecast); CES is linear in its states, so those paths are normal around
    the forecast with a variance σ² × the squared effect of each state on each step, which a
    perturbation of each state gives exactly (about 1 ms)."""
    from scipy.stats import norm
    from statsforecast._lib import ces as _ces

    states = np.asarray(fitted["states"], dtype=np.float64)
    season = str(fitted["seasontype"])  # N, S, P or F
    par = fitted["par"]

    def run(s: np.ndarray) -> np.ndarray:
        out = np.zeros(horizon, dtype=np.float64)
        _ces.forecast(
            s, fitted["n"], fitted["m"], season, out, horizon,
            float(par["alpha_0"]), float(par["alpha_1"]), float(par["beta_0"]), float(par["beta_1"]),
        )  # fmt: skip
        return out

    mean = run(states)
    effect = np.zeros(horizon)
    flat = states.ravel()
    for j in range(flat.size):
        moved = flat.copy()
        moved[j] += 1.0
        effect += (run(moved.reshape(states.shape)) - mean) ** 2
    sd = np.sqrt(float(fitted["sigma2"]) * effect)
    z = {lv: float(norm.ppf(0.5 + lv / 200)) for lv in levels}
    return Prediction(
        mean, {lv: mean - z[lv] * sd for lv in levels}, {lv: mean + z[lv] * sd for lv in levels}
    )
