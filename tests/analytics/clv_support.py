"""Shared by the CLV test modules: a placeholder fit record, a tiny (x, t_x, T) set, and the
standard-error check used for parameter recovery."""

from __future__ import annotations

from bizsight.analytics.clv_models import FitInfo

INFO = FitInfo(True, 0, 0, "", 0.0)
TINY = ([0, 1, 2, 5, 0, 30], [0.0, 3.5, 10.0, 20.0, 0.0, 51.0], [10.0, 12.0, 30.0, 25.0, 0.5, 52.0])


def within_se(
    fit: dict[str, float], se: dict[str, float], truth: dict[str, float], k: float, rel: float
) -> None:
    for name, true in truth.items():
        assert abs(fit[name] - true) <= k * se[name] + rel * true, (name, fit[name], true, se[name])
