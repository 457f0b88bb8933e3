"""``bizsight report add|list|remove|schedule|send|deliveries``: define reports, put them on a
timetable, send them now, read the delivery log — on the ``report`` app of
:mod:`bizsight.cli.report` (which has ``run`` and ``templates``). See docs/reports.md ("Report
definitions and schedules", "Delivery and the log").

Definitions live in the project's metadata store, like schedules; ``send`` renders through the
warehouse, so it goes through the server when one owns the project.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from bizsight.cli.remote import cli_user, through_owner
from bizsight.cli.report import report_app
from bizsight.cli.schedule import _local, _utc
from bizsight.cli.shell import JsonOpt, ProjectOpt, fail, print_json, project_store, require_warehouse, run


@report_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="A name for the report, e.g. weekly-sales.")],
    template: Annotated[
        str,
        typer.Option(
            "--template",
            help="executive, sales, customers, quality or dashboard (`bizsight report templates`).",
        ),
    ],
    date_range: Annotated[
        str | None,
        typer.Option(
            "--range",
            help="The period each run covers, relative to its day: last_7_days, last_month, month_to_date, ...",
            show_default="the template's own",
        ),
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--where", help="DIMENSION=VALUE (or VALUE1,VALUE2; !=, >=, <=): only these rows. Repeatable."
        ),
    ] = None,
    formats: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            help="Attach pdf, xlsx or csv (a zip of tables). Repeatable; the email body is HTML.",
            show_default="pdf",
        ),
    ] = None,
    to: Annotated[
        list[str] | None,
        typer.Option(
            "--to",
            help="CHANNEL:ADDRESS for an email channel (mail:ann@example.com), or a webhook, Slack or Teams "
            "channel's name; channels are in bizsight.yml. Repeatable.",
        ),
    ] = None,
    dashboard: Annotated[
        int | None, typer.Option("--dashboard", help="The dashboard's id (template dashboard).")
    ] = None,
    owner: Annotated[
        str | None,
        typer.Option(
            "--owner",
            help="The user it runs as: their row-level restrictions apply.",
            show_default="the first admin",
        ),
    ] = None,
    project: ProjectOpt = Path(),
    as_json: JsonOpt = False,
) -> None:
    """Define a report. It runs as its --owner: a viewer restricted to a region receives only that
    region's rows. Nothing is sent until you `send` or `schedule` it.

    Examples:

      bizsight report add weekly-sales --template sales --range last_7_days --to mail:ceo@example.com

      bizsight report add eu-monthly --template executive --range last_month --where region=Europe --format pdf --format xlsx --to mail:eu@example.com --to teams
    """
    from bizsight.services.access import SYSTEM
    from bizsight.services.reports import DEFAULT_FORMATS, create_report

    found, store = project_store(project)
    view = run(
        lambda: create_report(
            found,
            store,
            SYSTEM,
            name,
            template,
            range=date_range,
            where=where or (),
            formats=formats or DEFAULT_FORMATS,
            to=to or (),
            dashboard_id=dashboard,
            owner=owner,
        )
    )
    if as_json:
        print_json(view)
        return
    _say(
        f"Added report '{view['name']}' ({view['template']}, {view['period']}) owned by {view['owner']}, "
        f"to {_recipients(view) or 'nobody yet'}. Send it with `bizsight report send {view['name']}` "
        f"or put it on a timetable with `bizsight report schedule {view['name']} --cron ...`."
    )


@report_app.command("list")
def list_reports(project: ProjectOpt = Path(), as_json: JsonOpt = False) -> None:
    """Reports: template, period, formats, recipients, schedule and next run, and how the last run's
    deliveries went."""
    from bizsight.services.access import SYSTEM
    from bizsight.services.reports import list_reports as service

    _, store = project_store(project)
    found = run(lambda: service(store, SYSTEM))
    if as_json:
        print_json(found)
        return
    from rich.table import Table

    from bizsight.terminal import console

    if not found:
        console().print("No reports yet; add one with `bizsight report add` (see --help).")
        return
    table = Table("name", "template", "period", "formats", "recipients", "schedule", "last run")
    for r in found:
        schedule = r["schedule"]
        when = (
            f"{schedule['description']}{'' if schedule['enabled'] else ' (off)'}\nnext {_local(schedule['next_run_utc'], schedule['timezone'])}"
            if schedule
            else "-"
        )
        last = r["last_run"]
        table.add_row(
            r["name"] + (f"\nby {r['owner']}" if r["owner"] else ""),
            r["template"] + (f" {r['dashboard_id']}" if r["dashboard_id"] else ""),
            r["period"] + "".join(f"\n{f}" for f in r["filters"]),
            ", ".join(r["formats"]) or "-",
            _recipients(r, "\n") or "-",
            when,
            f"{last['status']} ({_counts(last['deliveries'])})\n{_utc(_iso(last['created_at']))}"
            if last
            else "never run",
        )
    console().print(table)


@report_app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="The report's name (see `bizsight report list`).")],
    project: ProjectOpt = Path(),
) -> None:
    """Remove a report and its schedule. Its past runs and their deliveries stay in the log."""
    from bizsight.services.access import SYSTEM
    from bizsight.services.reports import delete_report

    _, store = project_store(project)
    view = run(lambda: delete_report(store, SYSTEM, name))
    _say(f"Removed report '{view['name']}'" + (" and its schedule." if view["schedule"] else "."))


@report_app.command("schedule")
def schedule(
    name: Annotated[str, typer.Argument(help="The report's name (see `bizsight report list`).")],
    cron: Annotated[
        str | None,
        typer.Option(
            "--cron",
            help="When to send it: 5 cron fields ('0 7 * * MON': Mondays at 07:00) or a preset "
            "('daily at 07:00', 'weekly on friday at 18:00').",
        ),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            help="IANA zone of the times in --cron, e.g. Europe/Berlin.",
            show_default="bizsight.yml timezone",
        ),
    ] = None,
    off: Annotated[bool, typer.Option("--off", help="Take the report off its timetable.")] = False,
    project: ProjectOpt = Path(),
    as_json: JsonOpt = False,
) -> None:
    """Send a report on a timetable (while `bizsight serve` runs), replacing its previous one.

    Examples:

      bizsight report schedule weekly-sales --cron '0 7 * * MON' --timezone Europe/Berlin

      bizsight report schedule weekly-sales --off
    """
    from bizsight.services.access import SYSTEM
    from bizsight.services.reports import schedule_report

    if (cron is None) == (not off):
        fail("give --cron WHEN to schedule the report, or --off to take it off its timetable")
    found, store = project_store(project)
    zone = timezone or found.settings.timezone
    view = run(lambda: schedule_report(store, SYSTEM, name, None if off else cron, timezone=zone))
    if as_json:
        print_json(view)
        return
    s = view["schedule"]
    if s is None:
        _say(
            f"Report '{view['name']}' is off its timetable; `bizsight report send {view['name']}` still sends it."
        )
        return
    _say(
        f"Report '{view['name']}' is sent {s['description'][:1].lower()}{s['description'][1:]} ({s['cron']}, {s['timezone']}).\n"
        f"Next run: {_local(s['next_run_utc'], s['timezone'])} = {_utc(s['next_run_utc'])}. "
        "A running `bizsight serve` picks it up within seconds."
    )


@report_app.command("send")
def send(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The report's name (see `bizsight report list`).")],
    project: ProjectOpt = Path(),
    as_json: JsonOpt = False,
) -> None:
    """Run a report now and deliver it to its recipients, each once (through the server when one
    owns the project). The delivery log keeps how each went: `bizsight report deliveries`."""
    through_owner(ctx, project)
    from bizsight.services.jobs import perform
    from bizsight.services.project import Project
    from bizsight.terminal import RichReporter

    require_warehouse(project)
    with RichReporter(f"sending {name}", quiet=as_json) as reporter:
        outcome = run(
            lambda: perform(
                Project(project), "report", {"report": name}, reporter, requested_by=cli_user(), origin="cli"
            )
        )
    summary = outcome.as_dict()
    if as_json:
        print_json({**summary, "deliveries": outcome.deliveries})
    else:
        rows = [{**d, "report": name} for d in outcome.deliveries]
        _print_log(rows, f"Run {summary['run_id']} of '{name}' ({summary['period']})")
    if summary["failed"]:
        fail(
            f"{summary['failed']} of {len(outcome.deliveries)} deliveries failed (see their last error); "
            f"`bizsight report send {name}` makes a new run",
            code=1,
        )


@report_app.command("deliveries")
def deliveries(
    report: Annotated[str | None, typer.Option("--report", help="Only this report's deliveries.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many, newest first.")] = 50,
    project: ProjectOpt = Path(),
    as_json: JsonOpt = False,
) -> None:
    """The delivery log, newest first: each message to each recipient, its status (pending, sent,
    failed), attempts and last error."""
    from bizsight.services.access import SYSTEM
    from bizsight.services.report_actions import delivery_log

    _, store = project_store(project)
    found = run(lambda: delivery_log(store, SYSTEM, report=report, limit=limit))
    if as_json:
        print_json(found)
        return
    _print_log(found, "Deliveries")


def _print_log(rows: list[dict[str, Any]], title: str) -> None:
    from rich.table import Table

    from bizsight.terminal import console

    if not rows:
        console().print(f"{title}: no deliveries.", highlight=False)
        return
    table = Table(title=title, title_justify="left")
    for column in ("time (UTC)", "report", "channel", "recipient", "status", "attempts", "last error"):
        table.add_column(column, justify="right" if column == "attempts" else "left")
    for d in rows:
        table.add_row(
            _utc(_iso(d["sent_at"] or d["created_at"])),
            d.get("report") or "-",
            d["channel"],
            d["recipient"],
            d["status"],
            str(d["attempts"]),
            d["last_error"] or "",
        )
    console().print(table)


def _recipients(view: dict[str, Any], sep: str = ", ") -> str:
    return sep.join(
        r["to"] if r["to"] == r["channel"] else f"{r['channel']}:{r['to']}" for r in view["recipients"]
    )


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "no recipients"


def _iso(moment: Any) -> str | None:
    import datetime as dt

    if moment is None:
        return None
    return moment.replace(tzinfo=dt.UTC).isoformat() if isinstance(moment, dt.datetime) else str(moment)


def _say(text: str) -> None:
    from bizsight.terminal import console

    console().print(text, highlight=False, soft_wrap=True)
