"""``bizsight jobs``: what the server has run, is running and has queued; cancel a job."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from bizsight.cli.remote import cli_user, through_owner
from bizsight.cli.shell import JsonOpt, ProjectOpt, app, fail, print_json, require_warehouse, run

jobs_app = typer.Typer(
    help="Jobs: loads, refreshes and backups the server runs, one at a time.", no_args_is_help=True
)
app.add_typer(jobs_app, name="jobs")


@jobs_app.command("list")
def list_jobs(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many, newest first.")] = 20,
    project: ProjectOpt = Path(),
    as_json: JsonOpt = False,
) -> None:
    """Jobs, newest first: kind, who asked, state, progress, times, and the error of a failed one."""
    through_owner(ctx, project)
    from bizsight.services.job_admin import recent_jobs
    from bizsight.services.project import Project

    require_warehouse(project)
    found = run(lambda: recent_jobs(Project(project), limit=limit))
    if as_json:
        print_json(found)
    else:
        _print_jobs(found)


@jobs_app.command("cancel")
def cancel(
    ctx: typer.Context,
    job_id: Annotated[int, typer.Argument(help="The job's number (see `bizsight jobs list`).")],
    project: ProjectOpt = Path(),
) -> None:
    """Cancel a queued job, or ask a running one to stop: its open transaction is rolled back, so
    the warehouse stays as it was before it (files an ingest had finished stay loaded)."""
    through_owner(ctx, project)
    from bizsight.services.job_admin import cancel_job
    from bizsight.services.project import Project
    from bizsight.terminal import console

    found = run(lambda: cancel_job(Project(project), job_id, actor=cli_user()))
    if found is None:
        fail("no server runs this project, so no job is running: there is nothing to cancel")
    console().print(f"Job {job_id} ({found['kind']}): {found['state']}")


def _print_jobs(found: list[dict[str, Any]]) -> None:
    from rich.table import Table

    from bizsight.terminal import console

    if not found:
        console().print("No jobs yet.")
        return
    table = Table(title="Jobs", title_justify="left")
    for name in ("id", "kind", "by", "state", "progress", "started (UTC)", "finished (UTC)", "note"):
        table.add_column(name, justify="right" if name in ("id", "progress") else "left")
    for job in found:
        note = job["error"] or (job["message"] if job["state"] == "running" else "")
        table.add_row(
            str(job["id"]),
            job["kind"] + (" (late)" if job["late"] else ""),
            job["requested_by"] or job["origin"],
            job["state"],
            f"{job['progress']:.0%}",
            _time(job["started_at"]),
            _time(job["finished_at"]),
            note,
        )
    console().print(table)


def _time(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""
