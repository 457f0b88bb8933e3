"""Watching metrics: `bizsight trends` and `bizsight anomalies`."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bizsight.cli.remote import through_owner
from bizsight.cli.shell import OutputFormat, ProjectOpt, app, print_json, require_warehouse, run
from bizsight.terminal import stdout

if TYPE_CHECKING:
    import pyarrow as pa

    from bizsight.services.anomalies import AnomalyList
    from bizsight.services.project import Project
    from bizsight.services.trends import TrendsResult


class TrendGrain(StrEnum):
    day = "day"
    week = "week"
    month = "month"
    quarter = "quarter"
    year = "year"


class Severity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="Output format.")]


@app.command()
def trends(
    ctx: typer.Context,
    metric: Annotated[
        str, typer.Argument(help="A metric of the catalogue, e.g. revenue (see `bizsight metrics`).")
    ],
    grain: Annotated[TrendGrain, typer.Option(help="Time grain: one row per period.")] = TrendGrain.day,
    by: Annotated[str | None, typer.Option("--by", help="One series per value of this dimension.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First period shown, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day (inclusive), YYYY-MM-DD.")] = None,
    output: FormatOpt = OutputFormat.table,
    project: ProjectOpt = Path(),
) -> None:
    """Moving averages, growth and seasonal decomposition of a metric.

    Columns, at day grain: ma_7d and ma_30d (trailing means), mom (against the same day a month
    earlier) and yoy (the same date a year earlier), then trend, weekly, yearly and remainder
    (value = trend + seasons + remainder). Week grain: ma_4w, ma_13w, 4 and 52 weeks earlier;
    month grain: ma_3m, ma_12m, previous month, a year earlier. History before --from is used
    for the averages, growth and decomposition. See docs/trends-and-anomalies.md.

      bizsight trends revenue --grain month --from 2025-01-01

      bizsight trends orders --by region --from 2026-06-01 --format csv
    """
    through_owner(ctx, project)
    from bizsight.services.project import Project
    from bizsight.services.query import parse_date
    from bizsight.services.trends import trends as compute_trends

    require_warehouse(project)
    result = run(
        lambda: compute_trends(
            Project(project),
            metric,
            grain=grain.value,
            by=by,
            start=parse_date(start, "--from"),
            end=parse_date(end, "--to"),
        )
    )
    _emit(output, result.as_dict(), result.table, lambda: _print_trends(result, Project(project)))


@app.command()
def anomalies(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option(help="Anomalies from this day on, YYYY-MM-DD; default: the last 30 days of data."),
    ] = None,
    metric: Annotated[list[str], typer.Option("--metric", help="Only this metric (repeatable).")] = [],  # noqa: B006
    severity: Annotated[
        Severity | None, typer.Option(help="Only anomalies of at least this severity.")
    ] = None,
    output: FormatOpt = OutputFormat.table,
    project: ProjectOpt = Path(),
) -> None:
    """Unusual days (weeks, months) in the watched metrics, found by the last `bizsight refresh`.

    A point is an anomaly when it falls outside the prediction interval of a forecast that never
    saw it (level from the points before, weekday and yearly effects from other weeks and years)
    AND stands out from the series' trend and seasons (robust residual score); severity grows with the smaller of the two scores (low from 3.5, medium from 5,
    high from 8 robust standard deviations). Which metrics and dimensions are watched:
    `anomalies:` in bizsight.yml. See docs/trends-and-anomalies.md.

      bizsight anomalies --since 2026-01-01 --severity medium

      bizsight anomalies --metric revenue --format json
    """
    through_owner(ctx, project)
    from bizsight.services.anomalies import list_anomalies
    from bizsight.services.project import Project
    from bizsight.services.query import parse_date

    require_warehouse(project)
    found = run(
        lambda: list_anomalies(
            Project(project),
            since=parse_date(since, "--since"),
            metrics=tuple(metric),
            severity=severity.value if severity else None,
        )
    )
    _emit(output, found.as_dict(), found.table, lambda: _print_anomalies(found))


def _emit(output: OutputFormat, data: dict[str, Any], table: pa.Table, render: Callable[[], None]) -> None:
    """JSON (``data``), CSV (``table``) or the Rich rendering, as --format says."""
    if output is OutputFormat.json:
        print_json(data)
    elif output is OutputFormat.csv:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        sink = pa.BufferOutputStream()
        pacsv.write_csv(table, sink)
        stdout().write(sink.getvalue().to_pybytes().decode())
    else:
        render()


def _print_trends(result: TrendsResult, project: Project) -> None:
    from bizsight.analytics.trends import GRAINS
    from bizsight.services.presentation import presentation
    from bizsight.terminal import console, print_rows

    growth = set(GRAINS[result.grain].comparisons)
    units = {
        name: "percent" if name in growth else result.value_unit.value
        for name in result.table.column_names
        if name not in ("period", result.dimension)
    }
    print_rows(
        result.table.to_pylist(),
        presentation(project),
        title=f"{result.metric} by {result.grain}",
        units=units,
        empty="No rows: the warehouse has no data in this range.",
    )
    for note in result.notes:
        console().print(f"[yellow]note:[/] {note}")


def _direction(direction: str, kind: str) -> str:
    """▲ spike / ▼ drop for a point; ▲ level up / ▼ level down for the first point of a shift."""
    arrow = "▲" if direction == "spike" else "▼"
    if kind == "shift":
        return f"{arrow} level {'up' if direction == 'spike' else 'down'}"
    return f"{arrow} {direction}"


def _print_anomalies(found: AnomalyList) -> None:
    from rich.table import Table

    from bizsight.terminal import console

    out = console()
    since = f" since {found.since}" if found.since else ""
    shown = Table(
        title=f"{found.table.num_rows} anomalies{since} ({found.total} in all)", title_justify="left"
    )
    for name in (
        "period",
        "metric",
        "where",
        "actual",
        "expected",
        "interval",
        "direction",
        "severity",
        "score",
    ):
        shown.add_column(name, justify="right" if name in ("actual", "expected", "score") else "left")
    colours = {"low": "yellow", "medium": "dark_orange", "high": "bold red"}
    for row in found.table.to_pylist():
        where = f"{row['dimension']}={row['dimension_value']}" if row["dimension"] else "total"
        shown.add_row(
            str(row["period"]),
            row["metric"],
            where,
            f"{row['actual']:,.2f}",
            f"{row['expected']:,.2f}",
            f"{row['lower']:,.2f} – {row['upper']:,.2f}",
            _direction(row["direction"], row["kind"]),
            f"[{colours[row['severity']]}]{row['severity']}[/]",
            f"{row['score']:.1f}",
        )
    out.print(shown)
    if not found.table.num_rows:
        out.print("No anomalies in this range: use --since to look further back.")
