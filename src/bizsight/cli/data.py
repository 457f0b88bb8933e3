"""Getting data in: demo data, projects, ingest, refresh, status and publish."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bizsight.cli.remote import cli_user, through_owner
from bizsight.cli.shell import JsonOpt, ProjectOpt, app, print_json, require_warehouse, run, working


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
        truth = run(
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

    created = run(lambda: Project(directory).init())
    from bizsight.terminal import console

    where = directory.resolve()
    console().print(
        f"{'Created' if created else 'Already a project:'} {where}; settings in {where / 'bizsight.yml'}"
    )


@app.command()
def ingest(
    ctx: typer.Context,
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
    through_owner(ctx, project)
    from bizsight.services.jobs import perform
    from bizsight.services.project import Project
    from bizsight.terminal import RichReporter, print_ingest

    files = {"paths": [str(path.resolve()) for path in paths]}
    with RichReporter("ingesting", quiet=as_json) as reporter:
        summary = run(
            lambda: perform(
                Project(project), "ingest", files, reporter, requested_by=cli_user(), origin="cli"
            )
        )
    if as_json:
        print_json(summary.as_dict())
    else:
        print_ingest(summary, Project(project))


@app.command()
def refresh(ctx: typer.Context, project: ProjectOpt = Path(), as_json: JsonOpt = False) -> None:
    """Rebuild core tables from raw and the derived tables (dates, customer history, views)."""
    through_owner(ctx, project)
    from bizsight.services.jobs import perform
    from bizsight.services.project import Project
    from bizsight.terminal import RichReporter, print_refresh

    require_warehouse(project)
    with RichReporter("refreshing", quiet=as_json) as reporter:
        summary = run(
            lambda: perform(Project(project), "refresh", {}, reporter, requested_by=cli_user(), origin="cli")
        )
    if as_json:
        print_json(summary.as_dict())
    else:
        print_refresh(summary)


@app.command()
def status(ctx: typer.Context, project: ProjectOpt = Path(), as_json: JsonOpt = False) -> None:
    """Tables and row counts, recent loads, quarantine by rule, and freshness."""
    through_owner(ctx, project)
    from bizsight.services.project import Project
    from bizsight.services.status import status as run_status
    from bizsight.terminal import print_status

    data = run(lambda: run_status(Project(project)))
    if as_json:
        print_json(data)
    else:
        print_status(data)


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

    require_warehouse(project)
    with working("publishing", "copying core and marts tables"):
        counts = run(lambda: publish_warehouse(Project(project)))
    if as_json:
        print_json(counts)
    else:
        console().print(f"Published {len(counts)} tables, {sum(counts.values()):,} rows.")


@app.command()
def demo(
    directory: Annotated[Path, typer.Argument(help="Project directory for the demo.")] = Path("demo-project"),
    customers: Annotated[int, typer.Option(help="Number of customers (about 10 order lines each).")] = 20_000,
    dirty: Annotated[
        float, typer.Option(help="Share of rows given defects, to show the quarantine at work.")
    ] = 0.01,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 42,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the web app on the demo when done.")
    ] = True,
    host: Annotated[str | None, typer.Option(help="Address to serve on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to serve on (default 8000).")] = None,
) -> None:
    """Generate demo data, ingest it, refresh, show the status and quality report, then serve the
    web app on it (until Ctrl-C; --no-serve to stop after the report)."""
    from bizsight.cli.serve import listen_address, require_free_port
    from bizsight.services.demo import run_demo
    from bizsight.services.project import Project
    from bizsight.terminal import RichReporter, print_ingest, print_status

    if serve:  # a busy port is said before minutes of generating, not after
        require_free_port(*listen_address(directory, host, port))
    with RichReporter("demo") as reporter:
        summary, state = run(
            lambda: run_demo(
                Project(directory), customers=customers, dirty=dirty, seed=seed, reporter=reporter
            )
        )
    print_ingest(summary, Project(directory))
    print_status(state)
    from bizsight.terminal import console

    if serve:
        from bizsight.cli.serve import serve_project

        console().print("\nServing the demo; stop the server (Ctrl-C) to use the other commands on it.")
        serve_project(directory, host=host, port=port)
        return
    console().print(
        f"\nNext: [bold]bizsight metrics -p {directory}[/] to see what you can ask, then e.g. "
        f"[bold]bizsight query revenue orders --grain month -p {directory}[/]"
    )
