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
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from bizsight.errors import BizsightError

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


def _require_warehouse(project: Path) -> None:
    from bizsight.services.project import Project

    if not Project(project).paths.warehouse.exists():
        _fail(f"no warehouse in {project.resolve()}: run `bizsight ingest PATH` (or `bizsight demo`) first")


def main() -> None:
    app()
