"""What every command shares: the Typer app, common options and the error boundary."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from bizsight.errors import BizsightError
from bizsight.terminal import stdout

if TYPE_CHECKING:
    from bizsight.app.store import MetadataStore
    from bizsight.services.project import Project
    from bizsight.terminal import RichReporter

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


def run(action: Callable[[], T]) -> T:
    """Run a service call, turning our errors into a one-line message and exit code 2."""
    try:
        return action()
    except BizsightError as err:
        fail(str(err))
    except KeyboardInterrupt:
        fail("interrupted; nothing was half-written (each load is one transaction)", code=130)
    except Exception as err:
        if os.environ.get("BIZSIGHT_DEBUG"):
            raise
        fail(
            f"internal error: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''} "
            "(set BIZSIGHT_DEBUG=1 to see the traceback, and please report it)",
            code=1,
        )


@contextmanager
def working(title: str, doing: str) -> Iterator[RichReporter]:
    """Progress for work whose service reports no steps (yet): on a terminal, ``doing`` beside
    an animated bar and the elapsed time, gone when the work ends; elsewhere nothing, so that an
    error still leaves as one line."""
    from bizsight.terminal import RichReporter

    with RichReporter(title) as reporter:
        if reporter.live:
            reporter.step(doing)
        yield reporter


def fail(message: str, code: int = 2) -> NoReturn:
    from bizsight.terminal import error_console

    error_console().print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def file_size(n: Any) -> str:
    """A file's size for people.

    >>> file_size(512), file_size(48_000), file_size(3 * 1024**3)
    ('512 bytes', '46.9 KB', '3.0 GB')
    """
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} GB"  # pragma: no cover - the loop returns


def print_json(data: Any) -> None:
    stdout().write(json.dumps(data, indent=2, default=str) + "\n")


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def project_store(project: Path) -> tuple[Project, MetadataStore]:
    """The project in ``project`` and its metadata store (schedules, alerts, users)."""
    from bizsight.services.project import Project
    from bizsight.services.users import open_store

    found = Project(project)
    if not found.initialized:
        fail(f"{project.resolve()} is not a bizsight project: run `bizsight init` first")
    return found, run(lambda: open_store(found))


def require_warehouse(project: Path) -> None:
    from bizsight.services.project import Project

    if not Project(project).paths.warehouse.exists():
        fail(f"no warehouse in {project.resolve()}: run `bizsight ingest PATH` (or `bizsight demo`) first")
