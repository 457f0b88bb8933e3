"""``bizsight report``: reports from the templates (docs/reports.md).

``report run`` builds one report and writes it as a file; ``report templates`` lists the
templates. While ``bizsight serve`` owns the project, ``report run`` asks the server for the file
(``POST /api/v1/reports/render``, with the server's local token); otherwise it opens the
warehouse itself. Either way the same service builds it, so the file is the same.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bizsight.cli.remote import error_text
from bizsight.cli.shell import ProjectOpt, app, fail, file_size, print_json, require_warehouse, run

if TYPE_CHECKING:
    from bizsight.services.owner import Owner
    from bizsight.services.report_run import RenderedReport
    from bizsight.services.report_templates import ReportRequest

RENDER_PATH = "/api/v1/reports/render"
RENDER_TIMEOUT = 600.0  # seconds: a large project's report takes a while

report_app = typer.Typer(
    help="Reports from templates: the executive summary, sales, customers, data quality or a dashboard, "
    "as PDF, XLSX, CSV (a zip) or HTML.\n\n"
    "Examples:\n\n"
    "  bizsight report run executive\n\n"
    "  bizsight report run sales --format xlsx --range last_quarter\n\n"
    "  bizsight report run executive --where region=Europe --from 2026-01-01 --to 2026-03-31\n\n"
    "  bizsight report templates\n\n"
    "Defined reports (a template, filters, a period, formats, recipients) are sent on a timetable or now, "
    "each recipient once, and the delivery log says how each went:\n\n"
    "  bizsight report add weekly-sales --template sales --range last_7_days --format pdf --format xlsx "
    "--to mail:ceo@example.com --to slack\n\n"
    "  bizsight report schedule weekly-sales --cron '0 7 * * MON' --timezone Europe/Berlin\n\n"
    "  bizsight report send weekly-sales\n\n"
    "  bizsight report deliveries --report weekly-sales",
    no_args_is_help=True,
)
app.add_typer(report_app, name="report")


@report_app.command("run")
def run_command(
    template: Annotated[
        str, typer.Argument(help="The template: executive, sales, customers, quality, dashboard.")
    ],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="pdf, xlsx, csv (a zip of tables) or html.")
    ] = "pdf",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="The file to write.", show_default="<template>-<period>.<suffix> here"
        ),
    ] = None,
    range_: Annotated[
        str | None,
        typer.Option(
            "--range",
            help="A relative period counted back from the last day with data: last_month, last_quarter, "
            "year_to_date, last_30_days, ...",
            show_default="the last complete month",
        ),
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD).")] = None,
    where: Annotated[
        list[str], typer.Option("--where", help="Only rows with DIM=VALUE (repeatable), e.g. region=Europe.")
    ] = [],  # noqa: B006
    dashboard: Annotated[
        int | None, typer.Option("--dashboard", help="The saved dashboard's id (template dashboard).")
    ] = None,
    project: ProjectOpt = Path(),
    as_json: Annotated[bool, typer.Option("--json", help="Print where the file went as JSON.")] = False,
) -> None:
    """Build a report and write it as a file: its period against the previous one (changes a
    stated test finds significant are marked), numbers formatted as on the pages.

    Works with and without a running `bizsight serve`: with one, the server builds the report.
    """
    from bizsight.services.owner import find_owner
    from bizsight.services.project import Project
    from bizsight.services.query import parse_date, parse_where
    from bizsight.services.report_run import report_format
    from bizsight.services.report_templates import ReportRequest, get_template

    run(lambda: get_template(template))  # a wrong name: one line with the nearest one
    chosen = run(lambda: report_format(fmt))
    request = run(
        lambda: ReportRequest(
            template=template,
            range=range_,
            start=parse_date(start, "--from"),
            end=parse_date(end, "--to"),
            filters=tuple(parse_where(w) for w in where),
            dashboard_id=dashboard,
        )
    )
    found = Project(project)
    owner = run(lambda: find_owner(found))
    if owner is None:
        require_warehouse(project)
        rendered = _here(found, request, chosen.value)
    else:
        from bizsight.terminal import error_console

        error_console().print(
            f"[dim]asking the bizsight server at {owner.url} (process {owner.pid}), which owns this project[/]",
            soft_wrap=True,
        )
        rendered = _from_server(owner, request, chosen.value)
    target = out or Path(rendered.filename)
    run(lambda: _write(target, rendered.content))
    if as_json:
        print_json({"path": str(target.resolve()), "bytes": len(rendered.content), "format": chosen.value})
        return
    from bizsight.terminal import console

    console().print(f"Wrote {target} ({file_size(len(rendered.content))})", highlight=False, soft_wrap=True)


@report_app.command("templates")
def list_templates(
    as_json: Annotated[bool, typer.Option("--json", help="Print them as JSON.")] = False,
) -> None:
    """The report templates and what each holds."""
    from bizsight.services.report_templates import templates

    known = sorted(templates().values(), key=lambda t: t.name)
    if as_json:
        print_json([{"name": t.name, "title": t.title, "description": t.description} for t in known])
        return
    from rich.table import Table

    from bizsight.terminal import console

    table = Table("Template", "Title", "What it holds")
    for t in known:
        table.add_row(t.name, t.title, t.description)
    console().print(table)


def _here(project: object, request: ReportRequest, fmt: str) -> RenderedReport:
    from bizsight.services.project import Project
    from bizsight.services.report_run import run_report
    from bizsight.terminal import RichReporter

    assert isinstance(project, Project)
    with RichReporter(f"{request.template} report") as reporter, project.warehouse(read_only=True) as wh:
        return run(lambda: run_report(project, wh, request, fmt, reporter))


def _from_server(owner: Owner, request: ReportRequest, fmt: str) -> RenderedReport:
    """The report the server renders for the CLI of its own user."""
    from bizsight.reports import Format
    from bizsight.services.report_run import RenderedReport
    from bizsight.terminal import RichReporter

    body = {
        "template": request.template,
        "format": fmt,
        "range": request.range,
        "start": request.start.isoformat() if request.start else None,
        "end": request.end.isoformat() if request.end else None,
        "filters": [f.model_dump(mode="json") for f in request.filters],
        "dashboard_id": request.dashboard_id,
    }
    call = urllib.request.Request(
        owner.url + RENDER_PATH,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {owner.token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with RichReporter(f"{request.template} report") as reporter:
            reporter.step("the server is building the report")
            with urllib.request.urlopen(call, timeout=RENDER_TIMEOUT) as response:
                content = response.read()
                disposition = response.headers.get("Content-Disposition", "")
    except urllib.error.HTTPError as err:
        fail(f"the bizsight server at {owner.url} refused the report: {error_text(err)}")
    except (urllib.error.URLError, OSError) as err:
        fail(f"cannot reach the bizsight server at {owner.url}: {getattr(err, 'reason', err)}", code=1)
    name = disposition.split('filename="', 1)[1].rstrip('"') if 'filename="' in disposition else ""
    chosen = Format(fmt)
    return RenderedReport(
        content, chosen, Path(name).name or f"{request.template}-{dt.date.today()}{chosen.suffix}"
    )


def _write(path: Path, content: bytes) -> None:
    """Write the file whole: a partial file never takes the name."""
    from bizsight.errors import InputFileError

    partial = path.with_name(path.name + ".partial")
    try:
        partial.write_bytes(content)
        partial.replace(path)
    except OSError as err:
        partial.unlink(missing_ok=True)
        raise InputFileError(f"cannot write {path}: {err.strerror or err}") from None
