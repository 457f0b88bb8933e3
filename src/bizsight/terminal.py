"""Rich rendering for the command line: progress bars and the tables commands print."""

from __future__ import annotations

import sys
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from bizsight.metrics.definitions import Catalogue
    from bizsight.services.ingest import IngestSummary
    from bizsight.services.project import Project
    from bizsight.services.query import QueryResult
    from bizsight.services.refresh import RefreshSummary


@cache
def console() -> Console:
    return Console(highlight=False)


@cache
def error_console() -> Console:
    return Console(stderr=True, highlight=False)


class RichReporter:
    """A progress bar on a terminal; plain step lines on stderr otherwise (logs, CI, tests)."""

    def __init__(self, title: str, *, quiet: bool = False) -> None:
        self.title = title
        self.quiet = quiet
        self.live = error_console().is_terminal and not quiet
        self.progress = Progress(
            TextColumn("[bold]{task.fields[title]}[/]"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=error_console(),
            transient=True,
        )
        self.task = self.progress.add_task("", total=1.0, title=title)

    def __enter__(self) -> RichReporter:
        if self.live:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.progress.stop()

    def step(self, message: str) -> None:
        if self.live:
            self.progress.update(self.task, description=message)
        elif not self.quiet:
            sys.stderr.write(f"{self.title}: {message}\n")
            sys.stderr.flush()

    def advance(self, done: float, total: float, message: str = "") -> None:
        if self.live:
            self.progress.update(self.task, completed=done / total if total else 1.0)
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


def format_value(value: object, fmt: str) -> str:
    """A metric value as people read it.

    >>> [format_value(v, f) for v, f in [(1234.5, "currency"), (0.1234, "percent"), (None, "number")]]
    ['1,234.50', '12.3%', '—']
    """
    if value is None:
        return "—"
    if isinstance(value, int | float | Decimal):
        if fmt == "percent":
            return f"{float(value):.1%}"
        if fmt == "currency":
            return f"{float(value):,.2f}"
        if fmt == "decimal":
            return f"{float(value):,.3f}"
        return f"{value:,}" if isinstance(value, int) else f"{float(value):,.2f}"
    return str(value)


def print_query(result: QueryResult) -> None:
    table = Table(title_justify="left")
    names = result.table.column_names
    for name in names:
        table.add_column(name, justify="right" if name in result.formats else "left")
    for row in result.table.to_pylist():
        table.add_row(*(format_value(row[n], result.formats.get(n, "")) for n in names))
    console().print(table)
    if not result.table.num_rows:
        console().print("No rows: the warehouse has no data in this range.")


def print_catalogue(catalogue: Catalogue) -> None:
    metrics = Table(title="Metrics", title_justify="left")
    for name in ("metric", "kind", "format", "description"):
        metrics.add_column(name, overflow="fold")
    for name, metric in catalogue.metrics.items():
        metrics.add_row(name, metric.kind, metric.format, metric.description or metric.label)
    console().print(metrics)
    dimensions = Table(
        title="Dimensions (and time: --grain day|week|month|quarter|year)", title_justify="left"
    )
    for name in ("dimension", "label", "applies to"):
        dimensions.add_column(name)
    for name, dimension in catalogue.dimensions.items():
        dimensions.add_row(name, dimension.label, ", ".join(dimension.sql))
    console().print(dimensions)


def print_clv(report: dict[str, Any]) -> None:
    out = console()
    purchases, spend = report["purchases"], report["spend"]
    errors = purchases.get("std_errors") or {}
    table = Table(
        title=f"Purchases: {report['model']} (unit {report['time_unit_days']:g} days)", title_justify="left"
    )
    for name in ("parameter", "estimate", "std. error"):
        table.add_column(name, justify="left" if name == "parameter" else "right")
    for name in ("r", "alpha", "a", "b", "s", "beta"):
        if name in purchases and purchases[name] is not None:
            error = errors.get(name) if isinstance(errors, dict) else None
            table.add_row(name, f"{purchases[name]:.4g}", f"{error:.3g}" if error is not None else "—")
    out.print(table)
    out.print(f"log-likelihood {purchases['log_likelihood']:,.2f} over {report['customers']:,} customers")
    out.print(
        f"Spend (Gamma-Gamma): p {spend['p']:.4g}, q {spend['q']:.4g}, gamma {spend['gamma']:.4g}; "
        f"mean order value {spend['mean_value']:,.2f}"
    )
    holdout = report.get("holdout")
    if holdout:
        groups = Table(title="Holdout: repeat purchases, predicted against actual", title_justify="left")
        for name in ("repeat purchases before", "customers", "actual", "predicted"):
            groups.add_column(name, justify="right")
        for group in holdout["groups"]:
            groups.add_row(
                str(group["frequency"]),
                f"{group['customers']:,}",
                f"{group['actual']:,.0f}",
                f"{group['predicted']:,.0f}",
            )
        groups.add_row(
            "all", f"{holdout['customers']:,}", f"{holdout['actual']:,.0f}", f"{holdout['predicted']:,.0f}"
        )
        out.print(groups)


def print_churn(report: dict[str, Any]) -> None:
    out = console()
    ev = report.get("evaluation", report)
    out.print(f"Churn = no purchase within {report.get('churn_days')} days.")
    summary = Table(title="Temporal holdout", title_justify="left")
    summary.add_column("measure")
    summary.add_column("value", justify="right")
    for name in ("roc_auc", "pr_auc", "precision", "recall", "f1", "threshold", "brier"):
        if isinstance(ev.get(name), int | float):
            summary.add_row(name, f"{ev[name]:.3f}")
    out.print(summary)
    targets = report.get("targets") or []
    if targets:
        table = Table(title="Retention targets (by revenue at risk)", title_justify="left")
        for name in ("customer_id", "churn_probability", "risk_band", "reason_1", "revenue_at_risk"):
            table.add_column(
                name, justify="right" if name in ("churn_probability", "revenue_at_risk") else "left"
            )
        for row in targets[:10]:
            table.add_row(
                str(row["customer_id"]),
                f"{row['churn_probability']:.2f}",
                str(row["risk_band"]),
                str(row["reason_1"]),
                f"{row['revenue_at_risk']:,.2f}",
            )
        out.print(table)


def print_segments(report: dict[str, Any]) -> None:
    out = console()
    table = Table(title=f"RFM segments as of {report['as_of']}", title_justify="left", box=box.SIMPLE_HEAD)
    count, share, whole = "{:,}".format, "{:.1%}".format, "{:,.0f}".format
    columns = {
        "customers": ("customers", count),
        "customer_share": ("share", share),
        "revenue": ("revenue", whole),
        "revenue_share": ("rev. %", share),
        "avg_recency_days": ("recency", whole),
        "avg_clv": ("avg CLV", whole),
    }
    rows = [
        [row["segment"]]
        + [
            "—" if row.get(name) is None else render(row[name] if render is count else float(row[name]))
            for name, (_, render) in columns.items()
        ]
        for row in report["segments"]
    ]
    headers = ["segment", *(header for header, _ in columns.values())]
    for i, header in enumerate(headers):
        if i == 0:  # names may wrap; numbers never do
            table.add_column(header, ratio=1)
        else:
            widest = max([len(header), *(len(r[i]) for r in rows)])
            table.add_column(header, justify="right", min_width=widest, no_wrap=True)
    for cells in rows:
        table.add_row(*cells)
    out.print(table)
    moves = [m for m in report.get("migration") or [] if m["segment_from"] != m["segment_to"]]
    if moves:
        moves.sort(key=lambda m: -m["customers"])
        flows = Table(
            title=f"Largest moves from {report['since']} to {report['as_of']}", title_justify="left"
        )
        for name in ("from", "to", "customers"):
            flows.add_column(name, justify="right" if name == "customers" else "left", no_wrap=True)
        for m in moves[:15]:
            flows.add_row(
                m["segment_from"] or "(not yet a customer)", m["segment_to"] or "—", f"{m['customers']:,}"
            )
        out.print(flows)
        out.print("All moves: --json.")


def print_cohorts(rows: list[dict[str, Any]], value: str) -> None:
    out = console()
    if not rows:
        out.print("No cohorts: no customer has bought yet.")
        return
    percent = value in ("retention", "revenue_retention", "churn_rate")
    render = "{:.0%}".format if percent else "{:,.0f}".format
    periods = sorted({r["period"] for r in rows})
    for split in dict.fromkeys(r["split"] for r in rows):
        cells: dict[Any, dict[int, str]] = {}
        sizes: dict[Any, str] = {}
        for r in rows:
            if r["split"] == split:
                cell = r[value]
                cells.setdefault(r["cohort"], {})[r["period"]] = "" if cell is None else render(float(cell))
                sizes[r["cohort"]] = f"{r['cohort_customers']:,}"
        widths = [max(len(str(p)), *(len(c.get(p, "")) for c in cells.values())) for p in periods]
        fixed = 6 + max(len(str(c)) for c in cells) + max(9, *(len(n) for n in sizes.values()))
        shown = 0
        while shown < len(periods) and fixed + sum(w + 3 for w in widths[: shown + 1]) <= out.width:
            shown += 1
        title = f"{value} by cohort and period" + (f" — {split}" if split is not None else "")
        table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False)
        table.add_column("cohort", no_wrap=True)
        table.add_column("customers", justify="right", no_wrap=True)
        for period, width in zip(periods[:shown], widths, strict=False):
            table.add_column(str(period), justify="right", min_width=width, no_wrap=True)
        for cohort, by_period in cells.items():
            table.add_row(str(cohort), sizes[cohort], *(by_period.get(p, "") for p in periods[:shown]))
        out.print(table)
        if shown < len(periods):
            out.print(f"[dim]{len(periods) - shown} more periods: widen the terminal, or use --json[/]")
