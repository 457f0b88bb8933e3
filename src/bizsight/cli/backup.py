"""``bizsight backup`` and ``bizsight restore``: one file holding the warehouse, the metadata
store and the settings, and its verified restore (see docs/backups.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bizsight.cli.remote import cli_user, through_owner
from bizsight.cli.shell import JsonOpt, ProjectOpt, app, file_size, print_json, run


@app.command()
def backup(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="A new file (e.g. shop.tar), or a directory to write the backup into.",
            show_default=".bizsight/backups/",
        ),
    ] = None,
    keep: Annotated[
        int | None,
        typer.Option("--keep", min=1, help="Then delete all but the newest N backups in that directory."),
    ] = None,
    project: ProjectOpt = Path(),
    as_json: JsonOpt = False,
) -> None:
    """Back up the project into one file: warehouse, users and dashboards, settings.

    The copy is consistent. When `bizsight serve` owns the project, the backup is one of its jobs
    and copies through the server's connection: pages keep answering meanwhile. The file is a tar holding warehouse.duckdb, app.db (the metadata store;
    a PostgreSQL store is copied into SQLite), bizsight.yml, metrics.yml and manifest.json (row
    counts, data version, sha256 of every file). It appears under its final name only once
    complete.

    Examples:

      bizsight backup -p my-shop

      bizsight backup -p my-shop --out /mnt/backups --keep 7

      bizsight backup -p my-shop --out before-upgrade.tar --json
    """
    through_owner(ctx, project)
    from bizsight.services import jobs
    from bizsight.services.project import Project
    from bizsight.terminal import RichReporter

    params = {"out": str(out.resolve()) if out else None, "keep": keep}
    with RichReporter("backing up", quiet=as_json) as reporter:
        result = run(
            lambda: jobs.perform(
                Project(project), "backup", params, reporter, requested_by=cli_user(), origin="cli"
            )
        )
    if as_json:
        print_json(result)
        return
    from bizsight.terminal import console

    console().print(
        f"Wrote {result['path']} ({file_size(result['bytes'])}): data version {result['data_version']}, "
        f"{len(result['tables'])} tables, {sum(result['tables'].values()):,} rows."
    )
    for name in result["removed"]:
        console().print(f"Removed the old backup {name}")


@app.command()
def restore(
    path: Annotated[Path, typer.Argument(help="The backup file (a .tar written by `bizsight backup`).")],
    project: Annotated[
        Path,
        typer.Option(
            "--project",
            "-p",
            help="Project directory to restore into (created when missing; its files are replaced).",
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Restore a backup into a project directory.

    The whole file is checked first (manifest, size and sha256 of every member, the warehouse's
    row counts); only then are the warehouse, the metadata store and the settings replaced, each
    by an atomic rename. A damaged file changes nothing. Stop `bizsight serve` on the target
    first: a warehouse in use is refused.

    Examples:

      bizsight restore my-shop/.bizsight/backups/bizsight-backup-20261206T203005Z.tar -p my-shop

      bizsight restore shop.tar --project /srv/new-shop
    """
    from bizsight.services.backup import restore_backup
    from bizsight.terminal import RichReporter

    with RichReporter("restoring", quiet=as_json) as reporter:
        result = run(lambda: restore_backup(path, project, reporter))
    if as_json:
        print_json(result)
        return
    from bizsight.terminal import console

    console().print(
        f"Restored {result['project']} from the backup of {result['created_at']}: "
        f"data version {result['data_version']}, {len(result['tables'])} tables, "
        f"{sum(result['tables'].values()):,} rows ({', '.join(result['members'])})."
    )
