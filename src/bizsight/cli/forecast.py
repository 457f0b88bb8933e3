"""Forecasts and targets: `bizsight forecast`, `forecast-series`, `forecast-accuracy`, `targets`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bizsight.cli.remote import through_owner
from bizsight.cli.shell import OutputFormat, ProjectOpt, app, print_json, require_warehouse, run, working
from bizsight.terminal import stdout

if TYPE_CHECKING:
    import pyarrow as pa

    from bizsight.analytics.forecast import ForecastResult
    from bizsight.services.presentation import Presentation


class ForecastGrain(StrEnum):
    day = "day"
    week = "week"
    month = "month"


class SeriesFormat(StrEnum):
    csv = "csv"
    json = "json"
    table = "table"


class Candidates(StrEnum):
    auto = "auto"
    full = "full"
    fast = "fast"


LevelOpt = Annotated[
    list[int],
    typer.Option("--level", help="Prediction interval level in % (repeatable).", show_default="80 95"),
]
CandidatesOpt = Annotated[
    Candidates,
    typer.Option(help="Candidate models: full, fast (without AutoARIMA) or auto (fast above 2,000 series)."),
]


@app.command()
def forecast(
    ctx: typer.Context,
    metric: Annotated[str, typer.Argument(help="A metric of the catalogue, e.g. revenue or orders.")],
    by: Annotated[
        str | None, typer.Option("--by", help="Also forecast each value of this dimension (reconciled).")
    ] = None,
    grain: Annotated[
        ForecastGrain, typer.Option(help="Time grain of the history and forecast.")
    ] = ForecastGrain.month,
    horizon: Annotated[
        int | None,
        typer.Option(help="Periods ahead.", show_default="one quarter: 3 months, 13 weeks or 91 days"),
    ] = None,
    level: LevelOpt = [80, 95],  # noqa: B006
    scenario: Annotated[
        list[str],
        typer.Option(
            "--scenario",
            help="What-if overlay (repeatable): price:+5%:elasticity=-1.2 or new_customers:+10%[:channel=NAME].",
        ),
    ] = [],  # noqa: B006
    candidates: CandidatesOpt = Candidates.auto,
    accuracy: Annotated[
        bool,
        typer.Option("--accuracy", help="Also print every candidate's cross-validation scores per series."),
    ] = False,
    output: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.table,
    project: ProjectOpt = Path(),
) -> None:
    """Forecast a metric with 80% and 95% prediction intervals, in total and by a dimension.

    Every series is forecast by the median of AutoETS, Dynamic Optimized Theta, AutoCES,
    AutoARIMA and AutoETS on the logarithms (positive series), unless rolling-origin
    cross-validation shows one candidate (those, seasonal naive, drift, AutoTheta; MSTL for daily
    data) with at most half the combination's MASE in every window. Forecasts by a dimension are
    reconciled to add up to the total. With the default levels and candidates and no scenario it
    prints the forecast the last refresh stored (the one the Forecasts page shows); the Basis
    line says which forecast you see.
    The last period is left out of the history when the data cover it only in part. Examples:

      bizsight forecast revenue

      bizsight forecast revenue --by region --horizon 6 --format csv

      bizsight forecast orders --grain week --level 90 --accuracy

      bizsight forecast revenue --scenario "price:+5%:elasticity=-1.2" --scenario "new_customers:+10%:channel=Email"
    """
    through_owner(ctx, project)
    from bizsight.services.forecast_views import forecast_answer
    from bizsight.services.project import Project

    require_warehouse(project)
    with working("forecasting", f"{metric}: the stored forecast, or one made now by cross-validation"):
        answer = run(
            lambda: forecast_answer(
                Project(project),
                metric,
                scenarios=tuple(scenario),
                by=by,
                grain=grain.value,
                horizon=horizon,
                levels=tuple(level),
                candidates=candidates.value,
            )
        )
    if output is OutputFormat.json:
        print_json(answer)
    elif output is OutputFormat.csv:
        _write_rows(answer["forecasts"])
    else:
        from bizsight.services.presentation import presentation
        from bizsight.services.query import catalogue

        pres = presentation(Project(project))
        unit = catalogue(Project(project)).metrics[metric].unit.value
        _print_metric_forecast(answer, pres, unit)
        if accuracy:
            _print_table(answer["accuracy"], "Cross-validation accuracy per series and model", pres)


@app.command("forecast-series")
def forecast_series(
    file: Annotated[Path, typer.Argument(help="A CSV or Parquet file with columns unique_id, ds, y.")],
    horizon: Annotated[int, typer.Option(help="Periods ahead.")],
    season_length: Annotated[
        int | None,
        typer.Option(
            help="Periods per season.", show_default="from the dates: 7 days, 52 weeks, 12 months, 4 quarters"
        ),
    ] = None,
    level: LevelOpt = [80, 95],  # noqa: B006
    candidates: CandidatesOpt = Candidates.auto,
    output: Annotated[SeriesFormat, typer.Option("--format", help="Output format.")] = SeriesFormat.csv,
) -> None:
    """Forecast every series of a long-format file; no project needed.

    The file has one row per series and period: unique_id (any text), ds (dates: daily, weekly,
    monthly, quarterly or yearly; or period numbers) and y. Each series gets the median of
    ETS, Theta, CES, ARIMA and ETS on logs unless one model forecast its own past clearly better
    (at most half the combination's MASE in every rolling-origin cross-validation window); short or mostly-zero
    series fall back to seasonal naive, naive or Croston, and the selection says so. Writes
    unique_id, ds, step, model, mean and lo_/hi_ bounds per level. Examples:

      bizsight forecast-series sales.csv --horizon 12 > forecast.csv

      bizsight forecast-series weekly.parquet --horizon 8 --season-length 52 --level 90 --format json
    """
    from bizsight.analytics.forecast import ForecastSettings
    from bizsight.services.forecast import forecast_file

    with working("forecasting", f"{file.name}: choosing a model per series by cross-validation"):
        result = run(
            lambda: forecast_file(
                file,
                ForecastSettings(
                    horizon=horizon,
                    season_length=season_length,
                    levels=tuple(level),
                    candidates=candidates.value,
                ),
            )
        )
    if output is SeriesFormat.json:
        print_json(_result_dict(result))
    elif output is SeriesFormat.csv:
        _write_csv(result.forecasts)
    else:
        from bizsight.services.presentation import plain

        _print_table(result.forecasts.to_pylist(), "Forecasts", plain())
        columns = ["unique_id", "model", "reason", "mase", "seasonal_naive_mase"]
        _print_table(result.selection.select(columns).to_pylist(), "Model per series", plain())


@app.command("forecast-accuracy")
def forecast_accuracy(
    ctx: typer.Context,
    metric: Annotated[str, typer.Argument(help="A metric that refresh forecasts (revenue, orders).")],
    by: Annotated[str | None, typer.Option("--by", help="The dimension of the stored forecasts.")] = None,
    grain: Annotated[
        ForecastGrain, typer.Option(help="Grain of the stored forecasts.")
    ] = ForecastGrain.month,
    output: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.table,
    project: ProjectOpt = Path(),
) -> None:
    """What was forecast against what happened: the forecasts each refresh kept in
    marts.forecasts beside today's actuals, with the error per horizon step and per run.

      bizsight forecast-accuracy revenue --by region
    """
    through_owner(ctx, project)
    from bizsight.services.forecast_store import tracked_accuracy
    from bizsight.services.project import Project

    require_warehouse(project)
    report = run(lambda: tracked_accuracy(Project(project), metric, grain=grain.value, by=by))
    if output is OutputFormat.json:
        print_json(report)
    elif output is OutputFormat.csv:
        _write_rows(report["rows"])
    else:
        from bizsight.services.presentation import presentation
        from bizsight.terminal import console, print_rows

        if not report["rows"]:
            console().print(f"No stored forecast of {metric} has an actual yet (refresh keeps them).")
            return
        pres = presentation(Project(project))
        print_rows(report["by_step"], pres, title=f"{metric}: accuracy by horizon step")
        print_rows(report["by_origin"], pres, title=f"{metric}: accuracy by forecast origin")


@app.command()
def targets(
    ctx: typer.Context,
    output: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.table,
    project: ProjectOpt = Path(),
) -> None:
    """Targets (targets.csv) against actuals: % achieved and the probability of reaching each
    target by the end of its period, from the forecast distribution.

      bizsight targets

      bizsight targets --format csv > pacing.csv
    """
    through_owner(ctx, project)
    from bizsight.services.project import Project
    from bizsight.services.targets import targets_report

    require_warehouse(project)
    with working("targets", "actuals and the forecast of each target's period"):
        rows = run(lambda: targets_report(Project(project)))
    if output is OutputFormat.json:
        print_json(rows)
    elif output is OutputFormat.csv:
        _write_rows(rows)
    elif not rows:
        from bizsight.terminal import console

        console().print("No targets: load a targets.csv (metric, period_start, period_end, target_value).")
    else:
        from bizsight.services.presentation import presentation
        from bizsight.services.query import catalogue
        from bizsight.terminal import print_rows

        metrics = catalogue(Project(project)).metrics
        in_metric_unit = {"target", "actual", "expected"}

        def unit(row: dict[str, Any], column: str) -> str | None:
            known = metrics.get(row.get("metric", ""))
            return known.unit.value if known and column in in_metric_unit else None

        print_rows(rows, presentation(Project(project)), title="Targets", units=unit)


def _result_dict(result: ForecastResult) -> dict[str, Any]:
    return {
        "grain": result.calendar.grain,
        "season_length": result.season_length,
        "candidates": list(result.candidates),
        "forecasts": result.forecasts.to_pylist(),
        "selection": result.selection.to_pylist(),
        "accuracy": result.accuracy.to_pylist(),
    }


def _write_csv(table: pa.Table) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink)
    stdout().write(sink.getvalue().to_pybytes().decode())


def _write_rows(rows: list[dict[str, Any]]) -> None:
    import pyarrow as pa

    _write_csv(pa.Table.from_pylist(rows))


def _print_metric_forecast(answer: dict[str, Any], pres: Presentation, unit: str) -> None:
    from bizsight.terminal import console

    rows = answer["forecasts"]
    hidden = ("base", "step")
    columns = [c for c in rows[0] if c not in hidden and not c.startswith("scenario_")] if rows else []
    values = {c: unit for c in columns if c in ("forecast", "actual", "mean") or c.startswith(("lo_", "hi_"))}
    title = f"{answer['metric']} by {answer['grain']} — history to {answer['origin']}"
    _print_table([{c: r[c] for c in columns} for r in rows], title, pres, values)
    shown = ("unique_id", "model", "reason", "mase", "seasonal_naive_mase", "smape")
    selection = [{c: r.get(c) for c in shown} for r in answer["selection"]]
    _print_table(selection, "Model per series (cross-validation)", pres)
    console().print(f"Reconciliation: {answer['reconciliation']}")
    for line in answer.get("scenario", {}).get("assumptions", ()):
        console().print(f"Scenario: {line}")
    console().print(f"Basis: {answer['basis']}")


def _print_table(
    rows: list[dict[str, Any]], title: str, pres: Presentation, units: dict[str, str] | None = None
) -> None:
    from bizsight.terminal import print_rows

    print_rows(rows, pres, title=title, units=units)
