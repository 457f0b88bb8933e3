"""``bizsight schedule``: refreshes, folder watches, backups and alert checks on a timetable.

The schedules live in the project's metadata store; the running server (``bizsight serve``) reads
them every few seconds and turns each due one into a job. See docs/schedules.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from bizsight.cli.shell import JsonOpt, ProjectOpt, app, print_json, project_store, run

schedule_app = typer.Typer(
    help="Run refresh, folder watches, backups and alert checks on a timetable (while `bizsight serve` "
    "runs).\n\n"
    "Examples:\n\n"
    "  bizsight schedule add nightly --kind refresh --when 'daily at 02:00'\n\n"
    "  bizsight schedule add inbox --kind watch --folder ./inbox --when 'every 5 minutes'\n\n"
    "  bizsight schedule add weekly-backup --kind backup --when 'weekly on sunday at 03:30' --keep 4\n\n"
    "  bizsight schedule add alerts --kind alerts --when '*/15 * * * *'\n\n"
    "  bizsight schedule list\n\n"
    "  bizsight schedule remove nightly",
    no_args_is_help=True,
)
app.add_typer(schedule_app, name="schedule")


@schedule_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="A name for the schedule, e.g. nightly-refresh.")],
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="refresh, watch, backup or alerts. refresh: rebuild core and marts; watch: load new files "
            "from --folder, then refresh; backup: back up the project, keeping the newest --keep; "
            "alerts: check the alert rules (see `bizsight alerts`).",
        ),
    ],
    when: Annotated[
        str,
        typer.Option(
            "--when",
            help="hourly, 'daily at HH:MM', 'weekly on DAY at HH:MM', 'every N minutes', "
            "'every N hours', or 5 cron fields such as '30 2 * * 1-5'.",
        ),
    ],
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            help="IANA zone of the times in --when, e.g. Europe/Berlin.",
            show_default="bizsight.yml timezone",
        ),
    ] = None,
    folder: Annotated[
        Path | None, typer.Option("--folder", help="watch: the folder to load files from.")
    ] = None,
    settle: Annotated[
        float | None,
        typer.Option(
            "--settle", help="watch: take a file once unchanged for this many seconds.", show_default="5"
        ),
    ] = None,
    keep: Annotated[
        int | None, typer.Option("--keep", help="backup: how many backups to keep.", show_default="7")
    ] = None,
    project: ProjectOpt = Path(),
    as_json: JsonOpt = False,
) -> None:
    """Add a schedule. Times are wall-clock times in --timezone, across daylight-saving changes.

    Examples:

      bizsight schedule add nightly --kind refresh --when 'daily at 02:00' --timezone Europe/Berlin

      bizsight schedule add inbox --kind watch --folder /srv/exports --when 'every 10 minutes'

      bizsight schedule add weekdays --kind refresh --when '0 7 * * 1-5'
    """
    from bizsight.services.schedules import add_schedule, kind_params

    found, store = project_store(project)
    zone = timezone or found.settings.timezone
    params = run(lambda: kind_params(kind, folder=folder, keep=keep, settle_seconds=settle))
    view = run(lambda: add_schedule(store, name, kind, when, timezone=zone, params=params))
    if as_json:
        print_json(view)
        return
    from bizsight.terminal import console

    console().print(
        f"Added schedule '{view['name']}' ({view['kind']}): {view['description']} ({view['cron']}).\n"
        f"Next run: {_local(view['next_run_utc'], view['timezone'])} = {_utc(view['next_run_utc'])}. "
        "A running `bizsight serve` picks it up within seconds.",
        highlight=False,
    )


@schedule_app.command("list")
def list_schedules(project: ProjectOpt = Path(), as_json: JsonOpt = False) -> None:
    """Schedules: when they run (in their zone and in UTC), the last run and how its job ended."""
    from bizsight.services.schedules import list_schedules as service

    _, store = project_store(project)
    found = run(lambda: service(store))
    if as_json:
        print_json(found)
        return
    from rich.table import Table

    from bizsight.terminal import console

    if not found:
        console().print("No schedules yet; add one with `bizsight schedule add` (see --help).")
        return
    table = Table("name", "kind", "when", "next run", "last run")
    for s in found:
        last = _utc(s["last_run_utc"])
        if s["last_job_id"]:
            last += f"\njob {s['last_job_id']} {s['last_job_state'] or ''}".rstrip()
        if s["skipped"]:
            last += f"\nskipped {s['skipped']['count']}x"
        table.add_row(
            s["name"] + ("" if s["enabled"] else " (off)"),
            s["kind"] + _detail(s["params"]),
            f"{s['description']}\n{s['cron']} {s['timezone']}",
            f"{_local(s['next_run_utc'], s['timezone'])}\n{_utc(s['next_run_utc'])}",
            last,
        )
    console().print(table)


@schedule_app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="The schedule's name (see `bizsight schedule list`).")],
    project: ProjectOpt = Path(),
) -> None:
    """Remove a schedule. Its past jobs stay in the job list; a job it started runs to its end."""
    from bizsight.services.schedules import remove_schedule
    from bizsight.terminal import console

    _, store = project_store(project)
    view = run(lambda: remove_schedule(store, name))
    console().print(f"Removed schedule '{view['name']}'.", highlight=False)


def _local(iso_utc: str | None, zone: str) -> str:
    """A UTC time on the wall clock of ``zone``, e.g. 2026-03-29 03:00 CEST."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    if not iso_utc:
        return "-"
    return dt.datetime.fromisoformat(iso_utc).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def _utc(iso_utc: str | None) -> str:
    return _local(iso_utc, "UTC")


def _detail(params: dict[str, Any]) -> str:
    if "folder" in params:
        return f"\n{params['folder']}"
    if "keep" in params:
        return f"\nkeep {params['keep']}"
    if "rule" in params:
        return f"\nalert {params['rule']}"
    return ""
