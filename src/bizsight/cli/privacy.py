"""``bizsight privacy``: erase a person's personal data; list who was erased (docs/privacy.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bizsight.cli.remote import cli_user, through_owner
from bizsight.cli.shell import JsonOpt, ProjectOpt, app, print_json, run

privacy_app = typer.Typer(
    help="Personal data: erase a customer's, see who was erased. Who sees names and e-mails: "
    "`bizsight users pii`.",
    no_args_is_help=True,
)
app.add_typer(privacy_app, name="privacy")


@privacy_app.command("erase")
def erase(
    ctx: typer.Context,
    customers: Annotated[list[str], typer.Argument(help="Customer ids (as in customer_database.csv).")],
    reason: Annotated[str, typer.Option("--reason", help="Why, for the audit log.")] = "request",
    project: ProjectOpt = Path(),
    as_json: JsonOpt = False,
) -> None:
    """Erase customers' names, e-mails and review texts from raw loads, core, marts and
    quarantined rows, keeping their anonymous facts (orders, amounts, ratings).

    The ids are remembered, so loading the same file again does not bring the data back; backups
    taken from now on hold none of it (older backups keep theirs until rotated). An audit entry
    records who erased whom. Through the server when one owns the project.

    Examples:

      bizsight privacy erase C1042 --reason "GDPR request 2026-118" -p my-shop

      bizsight privacy erase C1042 C2077 --json
    """
    through_owner(ctx, project)
    from bizsight.services import jobs
    from bizsight.services.project import Project
    from bizsight.terminal import RichReporter

    params = {"customers": customers, "reason": reason, "by": cli_user()}
    with RichReporter("erasing", quiet=as_json) as reporter:
        done = run(
            lambda: jobs.perform(
                Project(project), "erase", params, reporter, requested_by=cli_user(), origin="cli"
            )
        )
    if as_json:
        print_json(done.as_dict())
        return
    from bizsight.terminal import console

    already = len(set(customers)) - done.customers
    if done.unknown:
        console().print(
            f"Not in the warehouse: {', '.join(done.unknown)} (remembered: a later load will not keep their data)."
        )
    console().print(
        f"Erased the personal data of {done.customers} customer(s): {done.cells:,} values in "
        f"{len(done.tables)} tables." + (f" {already} had been erased before." if already else "")
    )


@privacy_app.command("erased")
def erased(ctx: typer.Context, project: ProjectOpt = Path(), as_json: JsonOpt = False) -> None:
    """Customers whose personal data were erased: when, why and by whom."""
    through_owner(ctx, project)
    from bizsight.services import privacy
    from bizsight.services.project import Project

    def read() -> list[dict[str, object]]:
        if not Project(project).paths.warehouse.exists():
            return []  # nothing loaded yet: nobody to erase
        with Project(project).warehouse(read_only=True) as wh:
            return privacy.erased(wh)

    found = run(read)
    if as_json:
        print_json(found)
        return
    from rich.table import Table

    from bizsight.terminal import console

    table = Table("customer", "erased at (UTC)", "reason", "by")
    for row in found:
        table.add_row(
            str(row["customer_id"]),
            f"{row['erased_at']:%Y-%m-%d %H:%M}",
            str(row["reason"]),
            str(row["erased_by"] or "retention"),
        )
    console().print(table if found else "Nobody has been erased.")
