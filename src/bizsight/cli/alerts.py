"""``bizsight alerts``: rules that watch a metric and tell people when it needs them.

Rules, their states and their history live in the project's metadata store; they are checked
after each refresh and on their schedules (docs/alerts.md). While a server owns the project,
these commands run there (:func:`bizsight.cli.remote.through_owner`), like ``bizsight query``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bizsight.cli.remote import cli_user, through_owner
from bizsight.cli.shell import JsonOpt, ProjectOpt, app, fail, print_json, project_store, run

if TYPE_CHECKING:
    from bizsight.services.presentation import Presentation
    from bizsight.services.project import Project

alerts_app = typer.Typer(
    help="Alerts on any metric: below or above a line, a % change, an anomaly, a target behind.\n\n"
    "Examples:\n\n"
    "  bizsight alerts add 'low revenue' --metric revenue --below 1000 --to mail:ann@example.com\n\n"
    "  bizsight alerts add 'orders falling' --metric orders --change-below -0.2 --compare previous_year "
    "--window last_7_days --to ops\n\n"
    "  bizsight alerts list\n\n"
    "  bizsight alerts test 'low revenue'\n\n"
    "  bizsight alerts ack 'low revenue'",
    no_args_is_help=True,
)
app.add_typer(alerts_app, name="alerts")

NameArg = Annotated[str, typer.Argument(help="The alert's name (see `bizsight alerts list`).")]


@alerts_app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A name for the alert, e.g. 'low revenue'.")],
    metric: Annotated[str | None, typer.Option("--metric", help="A metric of `bizsight metrics`.")] = None,
    below: Annotated[float | None, typer.Option("--below", help="Threshold: alert below this value.")] = None,
    above: Annotated[float | None, typer.Option("--above", help="Threshold: alert above this value.")] = None,
    change_below: Annotated[
        float | None,
        typer.Option(
            "--change-below", help="Change: alert when the change is below this fraction (-0.1: -10 %)."
        ),
    ] = None,
    change_above: Annotated[
        float | None,
        typer.Option("--change-above", help="Change: alert when the change is above this fraction."),
    ] = None,
    compare: Annotated[
        str | None,
        typer.Option(
            "--compare", help="Change: previous_period or previous_year.", show_default="previous_period"
        ),
    ] = None,
    anomaly: Annotated[
        bool, typer.Option("--anomaly", help="Alert on an anomaly of the metric's series.")
    ] = False,
    min_severity: Annotated[
        str | None,
        typer.Option("--min-severity", help="Anomaly: low, medium or high.", show_default="medium"),
    ] = None,
    pacing_behind: Annotated[
        bool, typer.Option("--pacing-behind", help="Alert when a target of the metric is behind.")
    ] = False,
    probability: Annotated[
        float | None,
        typer.Option("--probability", help="Pacing: alert below this probability of reaching the target."),
    ] = None,
    where: Annotated[
        list[str] | None, typer.Option("--where", help="DIM=VALUE or DIM=A,B (repeatable).")
    ] = None,
    window: Annotated[
        str | None, typer.Option("--window", help="last_month, last_7_days, yesterday, month_to_date, ...")
    ] = None,
    severity: Annotated[str | None, typer.Option("--severity", help="low, medium or high.")] = None,
    cooldown: Annotated[
        str | None, typer.Option("--cooldown", help="No repeat inside this long unless worse: 30m, 24h, 7d.")
    ] = None,
    escalate_after: Annotated[
        str | None,
        typer.Option("--escalate-after", help="Not acknowledged this long: tell --escalate-to (2h, 1d)."),
    ] = None,
    to: Annotated[
        list[str] | None,
        typer.Option("--to", help="CHANNEL:ADDRESS or CHANNEL of bizsight.yml channels (repeatable)."),
    ] = None,
    escalate_to: Annotated[
        list[str] | None,
        typer.Option("--escalate-to", help="Who hears of it when not acknowledged (repeatable)."),
    ] = None,
    cron: Annotated[
        str | None,
        typer.Option(
            "--cron",
            help="Also check this alert on its own timetable: '*/15 * * * *', 'every 15 minutes', 'hourly'.",
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="The rule as YAML (kind, metric, ...), instead of the options."),
    ] = None,
    project: ProjectOpt = Path(),
    as_json: JsonOpt = False,
) -> None:
    """Add an alert. It is checked after each refresh, on `bizsight schedule add --kind alerts`
    schedules, and on its own --cron.

    Examples:

      bizsight alerts add 'low revenue' --metric revenue --below 1000 --severity high
      --cooldown 24h --escalate-after 2h --to mail:ann@example.com --escalate-to mail:boss@example.com

      bizsight alerts add 'europe anomaly' --metric revenue --anomaly --min-severity high
      --where region=Europe --window last_30_days --to ops

      bizsight alerts add 'q-target' --metric revenue --pacing-behind --probability 0.4 --to ops

      bizsight alerts add 'from a file' --file rule.yml --to ops
    """
    through_owner(ctx, project)
    from bizsight.services import alerts

    found, store = project_store(project)
    common = {"window": window, "severity": severity, "cooldown": cooldown, "escalate_after": escalate_after}
    if file is not None:
        definition = run(lambda: _from_file(file, name, common))
    elif metric is None:
        fail("say which metric to watch with --metric (or give the rule with --file)")
    else:
        chosen = metric
        definition = run(
            lambda: alerts.definition_from(
                name,
                chosen,
                below=below,
                above=above,
                change_below=change_below,
                change_above=change_above,
                compare=compare,
                anomaly=anomaly,
                min_severity=min_severity,
                pacing_behind=pacing_behind,
                probability=probability,
                where=where or (),
                **common,
            )
        )
    view = run(
        lambda: alerts.add_rule(
            found,
            store,
            definition,
            recipients=to or (),
            escalation=escalate_to or (),
            cron=cron,
            actor=cli_user(),
        )
    )
    if as_json:
        print_json(view)
        return
    from bizsight.terminal import console

    when = f"after each refresh{'' if not view['schedule'] else ' and on ' + view['schedule']}"
    console().print(
        f"Added alert '{view['name']}' ({view['kind']} on {view['metric']}), checked {when}; "
        f"it tells {', '.join(_recipient(r) for r in view['recipients'])}.",
        highlight=False,
    )


def _from_file(path: Path, name: str, common: dict[str, Any]) -> dict[str, Any]:
    import yaml

    from bizsight.errors import ConfigError

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"{path}: cannot read it ({err.strerror})") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not YAML ({str(err).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected the rule as a mapping (kind: threshold, metric: ...)")
    return {**data, "name": name, **{k: v for k, v in common.items() if v is not None}}


@alerts_app.command("list")
def list_alerts(ctx: typer.Context, project: ProjectOpt = Path(), as_json: JsonOpt = False) -> None:
    """Alerts: state, last value, when last checked, the next scheduled check, and errors."""
    through_owner(ctx, project)
    from bizsight.services.alerts import list_rules

    found, store = project_store(project)
    rules = run(lambda: list_rules(store))
    if as_json:
        print_json(rules)
        return
    from rich.table import Table

    from bizsight.terminal import console

    if not rules:
        console().print("No alerts yet; add one with `bizsight alerts add` (see --help).")
        return
    shown = _presentation(found)
    table = Table("name", "watches", "state", "last value", "checked (UTC)", "next check (UTC)")
    for rule in rules:
        state = rule["status"] + ("" if rule["enabled"] else " (off)")
        if rule["acknowledged_by"] and rule["status"] == "acknowledged":
            state += f"\nby {rule['acknowledged_by']}"
        last = _value(rule, shown)
        if rule["error"]:
            last += f"\nerror: {rule['error']}"
        table.add_row(
            rule["name"],
            f"{rule['kind']} {rule['metric']}\n{rule['severity']}",
            state,
            last,
            _time(rule["last_checked"]),
            _time(rule["next_check"]) if rule["next_check"] else "after a refresh",
        )
    console().print(table)


@alerts_app.command("remove")
def remove(ctx: typer.Context, name: NameArg, project: ProjectOpt = Path()) -> None:
    """Remove an alert, with its own schedule, its history and its delivery log."""
    through_owner(ctx, project)
    from bizsight.services.alerts import remove_rule
    from bizsight.terminal import console

    _, store = project_store(project)
    view = run(lambda: remove_rule(store, name, actor=cli_user()))
    console().print(f"Removed alert '{view['name']}'.", highlight=False)


@alerts_app.command("ack")
def ack(ctx: typer.Context, name: NameArg, project: ProjectOpt = Path()) -> None:
    """Acknowledge a triggered alert: no reminders or escalation until it recovers."""
    through_owner(ctx, project)
    from bizsight.services.alerts import acknowledge
    from bizsight.terminal import console

    _, store = project_store(project)
    who = cli_user()
    view = run(lambda: acknowledge(store, name, who))
    console().print(f"Alert '{view['name']}' acknowledged by {who}.", highlight=False)


@alerts_app.command("history")
def history(
    ctx: typer.Context,
    name: NameArg,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many events, newest first.")] = 50,
    project: ProjectOpt = Path(),
    as_json: JsonOpt = False,
) -> None:
    """What the alert said and to whom: events newest first, each delivery's status."""
    through_owner(ctx, project)
    from bizsight.services.alerts import history as service

    _, store = project_store(project)
    events = run(lambda: service(store, name, limit=limit))
    if as_json:
        print_json(events)
        return
    from rich.table import Table

    from bizsight.terminal import console

    if not events:
        console().print(f"Alert '{name}' has said nothing yet.")
        return
    table = Table("at (UTC)", "event", "state", "detail", "sent to")
    for event in events:
        sent = "\n".join(
            f"{d['channel']}:{d['recipient']} {d['status']}"
            + (f" ({d['attempts']} tries: {d['last_error']})" if d["last_error"] else "")
            for d in event["deliveries"]
        )
        who = f" by {event['actor']}" if event["actor"] else ""
        table.add_row(_time(event["at"]), event["kind"] + who, event["status"], event["detail"], sent)
    console().print(table)


@alerts_app.command("test")
def test(
    ctx: typer.Context,
    name: NameArg,
    send: Annotated[
        bool, typer.Option("--send", help="Also send a message marked as a test to its recipients.")
    ] = False,
    project: ProjectOpt = Path(),
    as_json: JsonOpt = False,
) -> None:
    """Check the alert now and show what it sees and would send, storing and sending nothing
    (with --send, a test message goes to its recipients)."""
    through_owner(ctx, project)
    from bizsight.services.alert_runs import dry_run

    found, store = project_store(project)
    if not found.paths.warehouse.exists():
        fail(f"no warehouse in {project.resolve()}: run `bizsight ingest PATH` (or `bizsight demo`) first")

    def check() -> dict[str, Any]:
        with found.warehouse(read_only=True) as wh:
            return dry_run(found, wh, store, name, send=send)

    seen = run(check)
    if as_json:
        print_json(seen)
        return
    from bizsight.terminal import console

    lines = [f"Alert '{name}' ({seen['status']}) sees: {seen['detail'] or 'nothing to judge by'}"]
    if seen["error"]:
        lines.append(f"It cannot be checked: {seen['error']}")
    for note in seen["would_send"]:
        lines.append(f"Would send '{note['subject']}' to {', '.join(note['recipients']) or 'nobody'}")
    if not seen["would_send"] and not seen["error"]:
        lines.append(f"Would send nothing now (it would stay {seen['status_after']}).")
    for sent in seen["sent"]:
        problem = f": {sent['last_error']}" if sent["last_error"] else ""
        lines.append(f"Test message to {sent['recipient']}: {sent['status']}{problem}")
    console().print("\n".join(lines), highlight=False)


def _presentation(project: Project) -> Presentation:
    """The project's way of writing numbers (the plain one before there is any data)."""
    from bizsight.services.presentation import plain, presentation

    if not project.paths.warehouse.exists():
        return plain()
    return run(lambda: presentation(project))


def _value(rule: dict[str, Any], shown: Presentation) -> str:
    if rule["last_value"] is None:
        return "-"
    unit = rule["value_unit"]
    return shown.format(rule["last_value"], "" if unit else str(rule["metric"]), unit=unit)


def _recipient(item: dict[str, str]) -> str:
    from bizsight.services.deliveries import Recipient

    return str(Recipient(**item))


def _time(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else "-"
