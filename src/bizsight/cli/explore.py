"""Asking questions: the metrics catalogue and metric queries."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bizsight.cli.remote import through_owner
from bizsight.cli.shell import (
    JsonOpt,
    OutputFormat,
    ProjectOpt,
    app,
    print_json,
    require_warehouse,
    run,
)
from bizsight.metrics.choices import Compare, Grain
from bizsight.terminal import stdout

if TYPE_CHECKING:
    from bizsight.services.ask import Answer
    from bizsight.services.presentation import Presentation
    from bizsight.services.query import QueryResult


@app.command()
def query(
    ctx: typer.Context,
    metrics: Annotated[
        list[str], typer.Argument(help="Metrics to compute, e.g. revenue orders average_order_value.")
    ],
    by: Annotated[list[str], typer.Option("--by", help="Group by a dimension (repeatable).")] = [],  # noqa: B006
    grain: Annotated[Grain | None, typer.Option(help="Time grain: one row per period.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day (inclusive), YYYY-MM-DD.")] = None,
    date_range: Annotated[
        str | None,
        typer.Option(
            "--range", help="A relative range instead: last_30_days, this_quarter, year_to_date, ..."
        ),
    ] = None,
    where: Annotated[
        list[str],
        typer.Option("--where", help="DIM=VALUE, DIM=A,B (any of), DIM!=VALUE, DIM>=VALUE ... (repeatable)."),
    ] = [],  # noqa: B006
    compare: Annotated[
        Compare | None, typer.Option(help="Add the earlier period's value, the change and the % change.")
    ] = None,
    order_by: Annotated[
        list[str], typer.Option("--order-by", help="Column to sort by; prefix - for descending.")
    ] = [],  # noqa: B006
    limit: Annotated[int | None, typer.Option(help="At most this many rows.")] = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.table,
    project: ProjectOpt = Path(),
) -> None:
    """Compute metrics from the catalogue, by period and dimensions.

    Every number is defined once in the metrics catalogue (see `bizsight metrics`), so this
    command, the API and the web app always agree. Examples:

      bizsight query revenue orders --grain month --from 2025-01-01 --to 2025-06-30

      bizsight query revenue --by region --range last_quarter --compare previous_year

      bizsight query average_order_value --by category --where region=Europe,Asia\\ Pacific
    """
    through_owner(ctx, project)
    from bizsight.services.presentation import presentation
    from bizsight.services.project import Project
    from bizsight.services.query import parse_query, run_query
    from bizsight.terminal import print_query

    require_warehouse(project)

    def compute() -> tuple[QueryResult, Presentation]:
        parsed = parse_query(
            metrics,
            by=by,
            grain=grain,
            start=start,
            end=end,
            date_range=date_range,
            where=where,
            compare=compare,
            order_by=order_by,
            limit=limit,
        )
        found = Project(project)
        with found.warehouse(read_only=True) as wh:  # opened once for the answer and its currency
            return run_query(found, parsed, wh=wh), presentation(found, wh)

    result, pres = run(compute)
    if output is OutputFormat.json:
        print_json(list(pres.exact_rows(result.table.to_pylist())))
    elif output is OutputFormat.csv:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        sink = pa.BufferOutputStream()
        pacsv.write_csv(pres.exact_table(result.table), sink)
        stdout().write(sink.getvalue().to_pybytes().decode())
    else:
        print_query(result, pres)


@app.command("metrics")
def list_metrics(project: ProjectOpt = Path(), as_json: JsonOpt = False) -> None:
    """List the metrics and dimensions of the catalogue (built in, plus the project's metrics.yml)."""
    from bizsight.services.project import Project
    from bizsight.services.query import catalogue
    from bizsight.terminal import print_catalogue

    found = run(lambda: catalogue(Project(project)))
    if as_json:
        print_json(
            {
                "metrics": {name: m.model_dump(exclude_none=True) for name, m in found.metrics.items()},
                "dimensions": {name: d.model_dump() for name, d in found.dimensions.items()},
            }
        )
    else:
        print_catalogue(found)


@app.command()
def ask(
    ctx: typer.Context,
    question: Annotated[
        str, typer.Argument(help='The question, in quotes: "revenue by region last quarter".')
    ],
    today: Annotated[
        str | None,
        typer.Option(help="Answer as if this were today's date (YYYY-MM-DD); periods count from it."),
    ] = None,
    as_json: JsonOpt = False,
    project: ProjectOpt = Path(),
) -> None:
    """Ask a question in plain English; it is read into a metric query and answered.

    It knows the catalogue's metrics and dimensions (names, labels, synonyms such as "sales",
    "AOV", "CAC"), the members in your data ("Europe", "Electronics"), periods ("last quarter",
    "Q3 2025", "since January 2024", "between March and June 2025"), grains ("monthly"),
    ranking ("top 5 products by units") and comparisons ("Europe vs North America", "this
    quarter compared with last"). It says how it read the question; a question it cannot map is
    declined, with questions it can answer. See docs/ask.md. Examples:

      bizsight ask "revenue by region last quarter"

      bizsight ask "top 5 products by units this year" --json

    With --json it prints one object: query (the query object, start and end resolved; null when
    declined), interpretation, rows, suggestions (and confidence, producer, chart).
    """
    through_owner(ctx, project)
    from bizsight.services.access import SYSTEM
    from bizsight.services.ask import ask as answer_question
    from bizsight.services.presentation import presentation
    from bizsight.services.project import Project
    from bizsight.services.query import parse_date
    from bizsight.terminal import print_answer

    require_warehouse(project)

    def compute() -> tuple[Answer, Presentation]:
        day = parse_date(today, "--today")
        found = Project(project)
        with found.warehouse(read_only=True) as wh:
            return answer_question(found, SYSTEM, question, today=day, wh=wh), presentation(found, wh)

    answer, pres = run(compute)
    if as_json:
        rows = list(pres.with_units(answer.fields()["units"]).exact_rows(answer.table.to_pylist()))
        print_json({**answer.fields(), "rows": rows})
    else:
        print_answer(answer, pres)
