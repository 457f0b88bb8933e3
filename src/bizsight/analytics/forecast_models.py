"""The candidate models and the bridge to statsforecast.

statsforecast works on pandas frames, so this is the one module of the package that imports
pandas (locally, inside the functions that hand frames to statsforecast); everything outside it
sees numpy arrays. Series reach the models with integer time steps (``ds`` = period number), so
calendars stay ours (see forecast_calendar).
"""

from __future__ import annotations

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
)
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
        # A narrower order search than R's auto.arima (p, q ≤ 2, P, Q ≤ 1, at most 20 models,
        # selection on the CSS approximation): about twice AutoETS's time instead of several
        # times, and as accurate in the combination (docs/decisions/0049).
        return sf.AutoARIMA(
            season_length=m, max_p=2, max_q=2, max_P=1, max_Q=1, nmodels=20, approximation=True, alias=name
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


def cross_validate(
    series: Sequence[Series],
    names: Sequence[str],
    *,
    horizon: int,
    windows: int,
    step: int,
    levels: Sequence[int],
    season_length: int,
    seasons: Sequence[int] = (),
    n_jobs: int = 1,
) -> dict[tuple[str, str], Prediction]:
    """Rolling-origin forecasts: ``windows`` origins ``step`` periods apart, the last one
    ``horizon`` periods before each series ends. Models are fitted at the first origin and
    carried forward over the later ones (their states are updated with the new data, their
    parameters kept), which costs one fit per model instead of one per window."""
    frame = _frame(series)
    models = [model(name, season_length, seasons) for name in names]
    out: dict[tuple[str, str], Prediction] = {}
    for refit in (False, True):  # models with a forward step, then the others (Drift)
        chosen = [m for m in models if hasattr(m, "forward") != refit]
        if not chosen:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = _engine(chosen, n_jobs).cross_validation(
                df=frame, h=horizon, n_windows=windows, step_size=step, level=list(levels), refit=refit
            )
        result = result.sort_values(["unique_id", "cutoff", "ds"], kind="stable")
        out.update(_split(result, [m.alias for m in chosen], levels, with_actual=True))
    return out
