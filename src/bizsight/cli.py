"""The ``bizsight`` command line: a thin shell over the services.

Each command parses its arguments, calls one service function and renders the result. Errors a
user can cause arrive as :class:`~bizsight.errors.BizsightError` and leave as one line on stderr
with exit code 2; never as a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from bizsight.errors import BizsightError
from bizsight.metrics.definitions import Compare
from bizsight.metrics.query import Grain

if TYPE_CHECKING:
    from bizsight.services.query import QueryResult

app = typer.Typer(
    name="bizsight",
    help="Business intelligence for companies that sell things: load your exports into a clean "
    "warehouse, then explore revenue, customers and forecasts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

ProjectOpt = Annotated[
    Path,
    typer.Option(
        "--project",
        "-p",
        help="Project directory (holds bizsight.yml and .bizsight/).",
        envvar="BIZSIGHT_PROJECT",
        show_default="current directory",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]

T = TypeVar("T")


def _run(action: Callable[[], T]) -> T:
    """Run a service call, turning our errors into a one-line message and exit code 2."""
    try:
        return action()
    except BizsightError as err:
        _fail(str(err))
    except KeyboardInterrupt:
        _fail("interrupted; nothing was half-written (each load is one transaction)", code=130)
    except Exception as err:
        if os.environ.get("BIZSIGHT_DEBUG"):
            raise
        _fail(
            f"internal error: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''} "
            "(set BIZSIGHT_DEBUG=1 to see the traceback, and please report it)",
            code=1,
        )


def _fail(message: str, code: int = 2) -> NoReturn:
    from bizsight.terminal import error_console

    error_console().print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


@app.command("demo-data")
def demo_data(
    out: Annotated[Path, typer.Argument(help="Directory to write the files into (created if missing).")],
    customers: Annotated[
        int, typer.Option(help="Number of customers; about 10 order lines each over 3 years.")
    ] = 20_000,
    years: Annotated[float, typer.Option(help="Years of history, ending 2026-09-30.")] = 3.0,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives byte-identical files.")] = 42,
    dirty: Annotated[
        float,
        typer.Option(help="Share of rows (0–0.5) given realistic defects, recorded in ground_truth.json."),
    ] = 0.0,
) -> None:
    """Generate realistic demo data whose truth is known.

    Writes the eight files of the canonical model (customer_database.csv, product_catalog.csv,
    sales_transactions.csv, customer_reviews.csv, marketing_spend.csv, sales_pipeline.csv,
    targets.csv, market_data.csv) and ground_truth.json, which states the processes that made
    them (BG/NBD purchases, Gamma-Gamma order values, seasonality, CPA per channel, ...) and the
    defects injected with --dirty.
    """
    from bizsight.services.demo import generate_demo_data
    from bizsight.terminal import RichReporter

    with RichReporter("generating demo data") as reporter:
        truth = _run(
            lambda: generate_demo_data(
                out, customers=customers, years=years, seed=seed, dirty=dirty, reporter=reporter
            )
        )
    from bizsight.terminal import print_demo_data

    print_demo_data(out, truth)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Project directory to create.")] = Path(),
) -> None:
    """Create a project: bizsight.yml with commented defaults, and .bizsight/ for the warehouse."""
    from bizsight.services.project import Project

    created = _run(lambda: Project(directory).init())
    from bizsight.terminal import console

    where = directory.resolve()
    console().print(
        f"{'Created' if created else 'Already a project:'} {where}; settings in {where / 'bizsight.yml'}"
    )


@app.command()
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Files or directories (.csv .tsv .xlsx .parquet .jsonl).")
    ],
    project: ProjectOpt = Path(),
    as_json: JsonOpt = False,
) -> None:
    """Load files into the warehouse: clean, validate, de-duplicate, quarantine.

    Files are recognised by their default names (customer_database.csv, sales_transactions.csv,
    ...) or by 'sources:' in bizsight.yml; known export layouts (UCI Online Retail) are detected
    from their headers. Every file is checked before any is loaded, and each file loads in one
    transaction. Per file: rows read = loaded + quarantined + duplicates skipped. Loading the
    same file again changes nothing. Rejected rows go to quarantine.<entity> with the reason.
    """
    from bizsight.services.ingest import ingest as run_ingest
    from bizsight.services.project import Project
    from bizsight.terminal import RichReporter, print_ingest

    with RichReporter("ingesting", quiet=as_json) as reporter:
        summary = _run(lambda: run_ingest(Project(project), paths, reporter))
    if as_json:
        _print_json(summary.as_dict())
    else:
        print_ingest(summary, Project(project))


@app.command()
def refresh(project: ProjectOpt = Path(), as_json: JsonOpt = False) -> None:
    """Rebuild core tables from raw and the derived tables (dates, customer history, views)."""
    from bizsight.services.project import Project
    from bizsight.services.refresh import refresh as run_refresh
    from bizsight.terminal import RichReporter, print_refresh

    _require_warehouse(project)
    with RichReporter("refreshing", quiet=as_json) as reporter:
        summary = _run(lambda: run_refresh(Project(project), reporter))
    if as_json:
        _print_json(summary.as_dict())
    else:
        print_refresh(summary)


@app.command()
def status(project: ProjectOpt = Path(), as_json: JsonOpt = False) -> None:
    """Tables and row counts, recent loads, quarantine by rule, and freshness."""
    from bizsight.services.project import Project
    from bizsight.services.status import status as run_status
    from bizsight.terminal import print_status

    data = _run(lambda: run_status(Project(project)))
    if as_json:
        _print_json(data)
    else:
        print_status(data)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


@app.command()
def query(
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
    from bizsight.services.project import Project
    from bizsight.services.query import parse_query, run_query
    from bizsight.terminal import print_query

    _require_warehouse(project)

    def run() -> QueryResult:
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
        return run_query(Project(project), parsed)

    result = _run(run)
    if output is OutputFormat.json:
        _print_json(result.table.to_pylist())
    elif output is OutputFormat.csv:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        sink = pa.BufferOutputStream()
        pacsv.write_csv(result.table, sink)
        sys.stdout.write(sink.getvalue().to_pybytes().decode())
    else:
        print_query(result)


@app.command()
def publish(project: ProjectOpt = Path(), as_json: JsonOpt = False) -> None:
    """Copy the warehouse's core and marts tables to the engine in bizsight.yml (postgres or spark).

    Metric queries then run there: `engine: postgres` with `postgres: {url: ...}` (or the
    BIZSIGHT_POSTGRES_URL variable), or `engine: spark` with `spark: {master: ...}`. Publishing
    replaces the tables in one switch; a failed publish leaves the previous ones.
    """
    from bizsight.services.project import Project
    from bizsight.services.publish import publish_warehouse
    from bizsight.terminal import console

    _require_warehouse(project)
    counts = _run(lambda: publish_warehouse(Project(project)))
    if as_json:
        _print_json(counts)
    else:
        console().print(f"Published {len(counts)} tables, {sum(counts.values()):,} rows.")


@app.command("metrics")
def list_metrics(project: ProjectOpt = Path(), as_json: JsonOpt = False) -> None:
    """List the metrics and dimensions of the catalogue (built in, plus the project's metrics.yml)."""
    from bizsight.services.project import Project
    from bizsight.services.query import catalogue
    from bizsight.terminal import print_catalogue

    found = _run(lambda: catalogue(Project(project)))
    if as_json:
        _print_json(
            {
                "metrics": {name: m.model_dump(exclude_none=True) for name, m in found.metrics.items()},
                "dimensions": {name: d.model_dump() for name, d in found.dimensions.items()},
            }
        )
    else:
        print_catalogue(found)


analyze_app = typer.Typer(
    help="Customer intelligence: lifetime value (and churn, soon).", no_args_is_help=True
)
app.add_typer(analyze_app, name="analyze")


class TimeUnit(StrEnum):
    day = "day"
    week = "week"
    month = "month"


@analyze_app.command("clv")
def analyze_clv(
    calibration_end: Annotated[
        str | None,
        typer.Option(help="Fit on purchases up to this day (YYYY-MM-DD); default: the last order."),
    ] = None,
    holdout_end: Annotated[
        str | None, typer.Option(help="Compare predictions with what happened up to this day.")
    ] = None,
    time_unit: Annotated[
        TimeUnit, typer.Option(help="Unit of recency and age in the models.")
    ] = TimeUnit.week,
    project: ProjectOpt = Path(),
    as_json: JsonOpt = False,
) -> None:
    """Customer lifetime value: BG/NBD purchases and Gamma-Gamma spend, fitted by maximum likelihood.

    Prints the fitted parameters with standard errors, the log-likelihood and the number of
    customers; with --calibration-end before --holdout-end, also predicted against actual repeat
    purchases in the holdout, in total and by the number of repeat purchases before it.
    Purchases on the same day count as one.

      bizsight analyze clv --calibration-end 2025-09-30 --holdout-end 2026-09-30
    """
    from bizsight.services.analyze import analyze_clv_for
    from bizsight.services.project import Project
    from bizsight.services.query import parse_date
    from bizsight.terminal import print_clv

    report = _run(
        lambda: analyze_clv_for(
            Project(project),
            calibration_end=parse_date(calibration_end, "--calibration-end"),
            holdout_end=parse_date(holdout_end, "--holdout-end"),
            time_unit=time_unit.value,
        )
    )
    if as_json:
        _print_json(report)
    else:
        print_clv(report)


@analyze_app.command("churn")
def analyze_churn(
    churn_days: Annotated[
        int | None,
        typer.Option(
            help="A customer has churned after this many days without a purchase; default: from the data."
        ),
    ] = None,
    save_model: Annotated[
        bool, typer.Option(help="Keep the model in .bizsight/models/churn (versioned).")
    ] = False,
    project: ProjectOpt = Path(),
    as_json: JsonOpt = False,
) -> None:
    """Churn risk: a gradient-boosting model trained on one cutoff and evaluated on a later one.

    Prints ROC-AUC, PR-AUC, precision, recall and F1 at the chosen threshold, the Brier score,
    the most important features, the risk bands and the retention target list (customers ranked
    by revenue at risk: churn probability × predicted lifetime value).
    """
    from bizsight.services.analyze import analyze_churn_for
    from bizsight.services.project import Project
    from bizsight.terminal import print_churn

    report = _run(lambda: analyze_churn_for(Project(project), churn_days=churn_days, save_model=save_model))
    if as_json:
        _print_json(report)
    else:
        print_churn(report)


@app.command()
def demo(
    directory: Annotated[Path, typer.Argument(help="Project directory for the demo.")] = Path("demo-project"),
    customers: Annotated[int, typer.Option(help="Number of customers (about 10 order lines each).")] = 20_000,
    dirty: Annotated[
        float, typer.Option(help="Share of rows given defects, to show the quarantine at work.")
    ] = 0.01,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 42,
) -> None:
    """Generate demo data, ingest it, refresh, and show the status and quality report."""
    from bizsight.services.demo import run_demo
    from bizsight.services.project import Project
    from bizsight.terminal import RichReporter, print_ingest, print_status

    with RichReporter("demo") as reporter:
        summary, state = _run(
            lambda: run_demo(
                Project(directory), customers=customers, dirty=dirty, seed=seed, reporter=reporter
            )
        )
    print_ingest(summary, Project(directory))
    print_status(state)
    from bizsight.terminal import console

    console().print(
        f"\nNext: [bold]bizsight metrics -p {directory}[/] to see what you can ask, then e.g. "
        f"[bold]bizsight query revenue orders --grain month -p {directory}[/]"
    )


def _require_warehouse(project: Path) -> None:
    from bizsight.services.project import Project

    if not Project(project).paths.warehouse.exists():
        _fail(f"no warehouse in {project.resolve()}: run `bizsight ingest PATH` (or `bizsight demo`) first")


def main() -> None:
    app()
