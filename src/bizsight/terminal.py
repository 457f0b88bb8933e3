"""Rich rendering for the command line: progress bars and the tables commands print."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from bizsight.metrics.definitions import Catalogue
    from bizsight.services.ask import Answer as AskAnswer
    from bizsight.services.ingest import IngestSummary
    from bizsight.services.presentation import Presentation
    from bizsight.services.project import Project
    from bizsight.services.query import QueryResult
    from bizsight.services.refresh import RefreshSummary


class _EventWriter(io.TextIOBase):
    """A text stream whose writes become events for the client (``{"stdout": text}``)."""

    def __init__(self, emit: Callable[[dict[str, Any]], None], name: str) -> None:
        self._emit, self._name = emit, name

    def write(self, text: str) -> int:
        if text:
            self._emit({self._name: text})
        return len(text)

    def writable(self) -> bool:
        return True


@dataclass
class RemoteSink:
    """Where a command that the CLI sent to the server writes: every line, table and progress
    report becomes an event that the CLI on the other end prints or draws, in the client's
    terminal width and colours, so the output is the same as when the command runs alone."""

    emit: Callable[[dict[str, Any]], None]
    width: int = 100
    terminal: bool = False  # the client's stderr is a terminal: progress bars, not step lines
    color_system: str | None = None
    user: str | None = None  # who asked, as the client's operating system knows them
    stdout: TextIO = field(init=False)
    stderr: TextIO = field(init=False)

    def __post_init__(self) -> None:
        self.stdout = cast(TextIO, _EventWriter(self.emit, "stdout"))
        self.stderr = cast(TextIO, _EventWriter(self.emit, "stderr"))
        common: dict[str, Any] = {
            "width": self.width,
            "highlight": False,
            "force_terminal": self.color_system is not None,
            "color_system": self.color_system,
        }
        self.console = Console(file=self.stdout, **common)
        self.error_console = Console(file=self.stderr, **common)


_SINK: ContextVar[RemoteSink | None] = ContextVar("bizsight_remote_sink", default=None)


def remote_sink() -> RemoteSink | None:
    """The client this command writes to when it runs inside the server, else None."""
    return _SINK.get()


def bind_sink(sink: RemoteSink | None) -> Callable[[], None]:
    """Send this context's output to ``sink``; the function returned undoes it."""
    token = _SINK.set(sink)
    return lambda: _SINK.reset(token)


def console() -> Console:
    sink = _SINK.get()
    return sink.console if sink else _local_console()


def error_console() -> Console:
    sink = _SINK.get()
    return sink.error_console if sink else _local_error_console()


def stdout() -> TextIO:
    """Standard output: the terminal's, or the remote client's."""
    sink = _SINK.get()
    return sink.stdout if sink else sys.stdout


# Output that goes to a file or a pipe is laid out this wide, whatever $COLUMNS says: tables keep
# every column and every cell whole (no "…"), and lines are not wrapped, for the reader or the
# program at the other end. A terminal gets its own width.
PIPED_WIDTH = 100_000


@cache
def _local_console() -> Console:
    return _console_for(stderr=False)


@cache
def _local_error_console() -> Console:
    return _console_for(stderr=True)


def _console_for(*, stderr: bool) -> Console:
    """A console in the terminal's width, or in :data:`PIPED_WIDTH` when not writing to one
    (FORCE_COLOR or TTY_COMPATIBLE=1 in the environment make Rich treat a pipe as a terminal)."""
    console = Console(stderr=stderr, highlight=False)
    if console.is_terminal:
        return console
    return Console(stderr=stderr, highlight=False, width=PIPED_WIDTH)


class RichReporter:
    """A progress bar on a terminal; plain step lines on stderr otherwise (logs, CI, tests). In
    the server, for a command the CLI sent, the progress goes to the client, which draws it."""

    def __init__(self, title: str, *, quiet: bool = False) -> None:
        self.title = title
        self.quiet = quiet
        self.sink = _SINK.get()
        self.live = (self.sink.terminal if self.sink else error_console().is_terminal) and not quiet
        self.progress = Progress(
            TextColumn("[bold]{task.fields[title]}[/]"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=error_console(),
            transient=True,
        )
        # No total until the work reports one: an animated bar with the elapsed time meanwhile.
        self.task = self.progress.add_task("", total=None, title=title)

    def __enter__(self) -> RichReporter:
        if self.live and not self.sink:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live and self.sink:
            self.sink.emit({"progress": self.title, "call": ["stop"]})
        elif self.live:
            self.progress.stop()

    def step(self, message: str) -> None:
        if self.live and self.sink:
            self.sink.emit({"progress": self.title, "call": ["step", message]})
        elif self.live:
            self.progress.update(self.task, description=message)
        elif not self.quiet:
            err = self.sink.stderr if self.sink else sys.stderr
            err.write(f"{self.title}: {message}\n")
            err.flush()

    def advance(self, done: float, total: float, message: str = "") -> None:
        if self.live and self.sink:
            self.sink.emit({"progress": self.title, "call": ["advance", done, total, message]})
        elif self.live:
            self.progress.update(self.task, total=1.0, completed=done / total if total else 1.0)
            if message:
                self.progress.update(self.task, description=message)
        elif message and not self.quiet:
            self.step(message)

    def warn(self, message: str) -> None:
        if not self.quiet:
            error_console().print(f"[yellow]warning:[/] {message}", soft_wrap=True)


def print_ingest(summary: IngestSummary, project: Project) -> None:
    out = console()
    if summary.created_project:
        out.print(f"Created a bizsight project in {project.root.resolve()}")
    table = Table(title="Ingest", title_justify="left")
    for name, justify in (
        ("file", "left"),
        ("entity", "left"),
        ("read", "right"),
        ("loaded", "right"),
        ("new / updated", "right"),
        ("quarantined", "right"),
        ("duplicates", "right"),
        ("", "center"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in summary.results:
        if r.already_loaded_as is not None:
            table.add_row(
                r.path.name,
                r.entity,
                "",
                "",
                "",
                "",
                "",
                f"[dim]already loaded (load {r.already_loaded_as})[/]",
            )
            continue
        ok = r.rows_read == r.loaded + r.quarantined + r.duplicates
        table.add_row(
            r.path.name,
            r.entity,
            f"{r.rows_read:,}",
            f"{r.loaded:,}",
            f"{r.counts['insert']:,} / {r.counts['update']:,}",
            f"[red]{r.quarantined:,}[/]" if r.quarantined else "0",
            f"{r.duplicates:,}",
            "[green]✓[/]" if ok else "[red]✗[/]",
        )
    out.print(table)
    rules = Table(title="Quarantined rows by rule (first example)", title_justify="left")
    for name in ("entity", "rule", "rows", "example"):
        rules.add_column(name, overflow="fold")
    for r in summary.results:
        for rule, n in r.quality.get("quarantined_by_rule", {}).items():
            example = (r.quality.get("examples", {}).get(rule) or [""])[0]
            rules.add_row(r.entity, rule, f"{n:,}", f"{r.path.name} {example}")
    if rules.row_count:
        out.print(rules)
        out.print("See every rejected row with its reason in the quarantine.<entity> tables.")
    if summary.results:
        out.print(f"Quality reports: {project.paths.reports_dir.resolve()}")


def print_refresh(summary: RefreshSummary) -> None:
    table = Table(
        title=f"Refresh {summary.refresh_id} (data version {summary.data_version}, {summary.seconds:.1f} s)",
        title_justify="left",
    )
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in summary.tables.items():
        table.add_row(name, f"{rows:,}")
    console().print(table)


def print_status(data: dict[str, Any]) -> None:
    out = console()
    fresh = data["freshness"]
    out.print(f"[bold]Warehouse[/] {data['warehouse']}")
    out.print(
        f"  data version {data['data_version']}, last load {fresh['last_load'] or '—'}, "
        f"last refresh {fresh['last_refresh'] or '—'}, latest order {fresh['latest_order'] or '—'}"
    )
    if data["needs_refresh"]:
        out.print("  [yellow]loads since the last refresh: run `bizsight refresh`[/]")
    table = Table(title="Tables", title_justify="left")
    for name, justify in (("schema", "left"), ("table", "left"), ("rows", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in data["tables"]:
        if row["schema"] in ("core", "marts") or row["rows"]:
            kind = " (view)" if row["kind"] == "VIEW" else ""
            table.add_row(row["schema"], row["table"] + kind, f"{row['rows']:,}")
    out.print(table)
    if data["quarantine"]:
        q = Table(title="Quarantine by rule", title_justify="left")
        for name in ("entity", "rule", "rows"):
            q.add_column(name, justify="right" if name == "rows" else "left")
        for row in data["quarantine"]:
            q.add_row(row["entity"], row["rule"], f"{row['rows']:,}")
        out.print(q)
    if data["recent_loads"]:
        loads = Table(title="Recent loads", title_justify="left")
        for name in ("load", "file", "at", "read", "new", "upd", "quar.", "dup."):
            loads.add_column(name, justify="left" if name in ("file", "at") else "right")
        for row in data["recent_loads"]:
            loads.add_row(
                str(row["load_id"]),
                Path(row["source_file"]).name,
                f"{row['finished_at']:%m-%d %H:%M}",
                f"{row['rows_read']:,}",
                f"{row['inserted']:,}",
                f"{row['updated']:,}",
                f"{row['quarantined']:,}",
                f"{row['exact_duplicates'] + row['resent_duplicates']:,}",
            )
        out.print(loads)


def print_demo_data(out_dir: Path, truth: dict[str, Any]) -> None:
    table = Table(title=f"Demo data in {out_dir.resolve()}", title_justify="left")
    table.add_column("file")
    table.add_column("rows", justify="right")
    table.add_column("defects", justify="right")
    for name, info in truth.get("files", {}).items():
        defects = sum(info.get("defects", {}).values()) if isinstance(info, dict) else 0
        rows = info.get("rows", "") if isinstance(info, dict) else ""
        table.add_row(name, f"{rows:,}" if isinstance(rows, int) else str(rows), f"{defects:,}")
    console().print(table)
    console().print(f"Ground truth: {out_dir.resolve() / 'ground_truth.json'}")


def print_rows(
    rows: list[dict[str, Any]],
    pres: Presentation,
    *,
    title: str = "",
    units: Mapping[str, str] | Callable[[dict[str, Any], str], str | None] | None = None,
    empty: str = "",
) -> None:
    """Rows as a table: columns by their labels, every number formatted through ``pres`` — in
    ``units[column]`` (or ``units(row, column)``) where given, else the unit the column is known by."""
    given = units or {}
    unit_of = given if callable(given) else (lambda _row, column: given.get(column))
    if not rows:
        if empty:
            console().print(empty)
        return
    table = Table(title=title or None, title_justify="left")
    names = list(rows[0])
    for name in names:
        numeric = any(
            isinstance(r[name], int | float | Decimal) and not isinstance(r[name], bool) for r in rows
        )
        table.add_column(pres.label(name), justify="right" if numeric else "left")
    for row in rows:
        table.add_row(*(_text(row[n], n, pres, unit_of(row, n)) for n in names))
    console().print(table)


def _text(value: object, column: str, pres: Presentation, unit: str | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return pres.format(value, column, unit=unit)
    return str(value)


def print_query(result: QueryResult, pres: Presentation) -> None:
    print_rows(
        result.table.to_pylist(),
        pres,
        units={k: v.value for k, v in result.units.items()},
        empty="No rows: the warehouse has no data in this range.",
    )


def print_answer(answer: AskAnswer, pres: Presentation) -> None:
    """How a question was read, its rows, and the questions to try (``bizsight ask``)."""
    console().print(answer.interpretation, highlight=False, soft_wrap=True)
    if answer.result is not None:
        print_query(answer.result, pres)
    if answer.suggestions:
        heading = "Did you mean:" if answer.query is not None else "Questions I can answer:"
        console().print(heading, highlight=False)
        for suggestion in answer.suggestions:
            console().print(f'  bizsight ask "{suggestion}"', highlight=False, soft_wrap=True, markup=False)


def print_catalogue(catalogue: Catalogue) -> None:
    metrics = Table(title="Metrics", title_justify="left")
    for name in ("metric", "kind", "unit", "description"):
        metrics.add_column(name, overflow="fold")
    for name, metric in catalogue.metrics.items():
        metrics.add_row(name, metric.kind, metric.unit, metric.description or metric.label)
    console().print(metrics)
    dimensions = Table(
        title="Dimensions (and time: --grain day|week|month|quarter|year)", title_justify="left"
    )
    for name in ("dimension", "label", "applies to"):
        dimensions.add_column(name)
    for name, dimension in catalogue.dimensions.items():
        dimensions.add_row(name, dimension.label, ", ".join(dimension.sql))
    console().print(dimensions)
