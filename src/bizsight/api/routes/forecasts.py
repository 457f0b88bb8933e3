"""Forecasts, their tracked accuracy, anomalies, target pacing and trends (services.forecast_views),
each cut to the rows the caller may see."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from bizsight.api.deps import ProjectDep, QueryUser, WarehouseDep
from bizsight.api.render import json_ready
from bizsight.api.schemas import AccuracyOut, AnomalyList, ForecastOut, TargetList, TrendsOut
from bizsight.api.schemas.errors import ERRORS
from bizsight.services import forecast_views as service

router = APIRouter(tags=["forecasts"], responses=ERRORS)

Name = Annotated[str, Query(min_length=1, max_length=100)]
By = Annotated[str | None, Query(max_length=100, description="a dimension: one series per value")]
ForecastGrain = Literal["day", "week", "month"]


@router.get("/forecasts", response_model_exclude_unset=True)
def forecasts(
    user: QueryUser,
    project: ProjectDep,
    wh: WarehouseDep,
    metric: Name,
    by: By = None,
    grain: ForecastGrain = "month",
    horizon: Annotated[
        int | None, Query(ge=1, le=366, description="periods ahead; default a quarter")
    ] = None,
    scenario: Annotated[
        list[str] | None,
        Query(
            max_length=10, description="what-if: price:+5%:elasticity=-1.2 or new_customers:+10%:channel=NAME"
        ),
    ] = None,
) -> ForecastOut:
    """History and forecast with 80 and 95% intervals, the model chosen per series and the
    backtest accuracy of each candidate; by a dimension, reconciled to add up to the total; with
    scenarios, their overlay."""
    found = service.forecast_view(
        project, wh, user, metric, by=by, grain=grain, horizon=horizon, scenarios=tuple(scenario or ())
    )
    return ForecastOut.model_validate(json_ready(found))


@router.get("/forecasts/accuracy", response_model_exclude_unset=True)
def forecast_accuracy(
    user: QueryUser,
    project: ProjectDep,
    wh: WarehouseDep,
    metric: Name,
    by: By = None,
    grain: ForecastGrain = "month",
) -> AccuracyOut:
    """Forecasts stored by earlier refreshes against what happened: errors per row, per horizon
    step and per run (MAPE, bias, interval coverage)."""
    return AccuracyOut.model_validate(
        json_ready(service.accuracy_view(project, wh, user, metric, by=by, grain=grain))
    )


@router.get("/anomalies")
def anomalies(
    user: QueryUser,
    project: ProjectDep,
    wh: WarehouseDep,
    since: dt.date | None = None,
    metric: Annotated[list[str] | None, Query(max_length=50)] = None,
    severity: Literal["low", "medium", "high"] | None = None,
) -> AnomalyList:
    """Anomalies found by the last refresh (default: the last 30 days), newest first."""
    found = service.anomalies_view(
        project, wh, user, since=since, metrics=tuple(metric or ()), severity=severity
    )
    return AnomalyList.model_validate(json_ready(found))


@router.get("/targets")
def targets(user: QueryUser, project: ProjectDep, wh: WarehouseDep) -> TargetList:
    """Each target beside the actual, the share achieved and the probability of reaching it."""
    return TargetList.model_validate(json_ready(service.targets_view(project, wh, user)))


@router.get("/trends")
def trends(
    user: QueryUser,
    project: ProjectDep,
    wh: WarehouseDep,
    metric: Name,
    grain: Literal["day", "week", "month", "quarter", "year"] = "month",
    by: By = None,
) -> TrendsOut:
    """Moving averages, growth and the seasonal decomposition of a metric."""
    return TrendsOut.model_validate(
        json_ready(service.trends_view(project, wh, user, metric, grain=grain, by=by))
    )
