"""What the report-run tests share: small report templates over the tiny shop
(tests/metrics/conftest.py) — ``tiny``, quick and exact, and ``held``, which waits for the test —
copies of a built shop with channels pointing at the test's receivers, and ``bizsight serve`` and
the CLI in subprocesses that know those templates."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import time
from contextlib import AbstractContextManager
from pathlib import Path

from bizsight.metrics.query import Query
from bizsight.presentation import Unit
from bizsight.reports import Column, Comparison, Document, Kpi, Kpis, Table
from bizsight.services.access import scoped_query
from bizsight.services.presentation import presentation
from bizsight.services.project import Project
from bizsight.services.query import catalogue, run_query
from bizsight.services.report_templates import ReportRequest, template, templates
from bizsight.warehouse.connection import Warehouse
from tests.helpers import Served, run_cli, serving, starting_bizsight

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2024, 4, 30)  # the tiny shop's last day with orders
START, END = dt.date(2024, 1, 1), dt.date(2024, 4, 30)
KPI_METRICS = ("revenue", "orders", "average_order_value")


def span(request: ReportRequest) -> Query:
    """The request's period, as a query skeleton (a relative range, or the whole history)."""
    if request.range:
        return Query(metrics=("revenue",), range=request.range)
    return Query(metrics=("revenue",), start=START, end=END)


def tiny_report(project: Project, wh: Warehouse, request: ReportRequest) -> Document:
    """KPI cards and revenue by region, through the metrics layer, scoped to the reader."""
    cat, pres = catalogue(project), presentation(project, wh)
    base = span(request).model_copy(update={"filters": request.filters})

    def ask(metrics: tuple[str, ...], **more: object) -> list[dict[str, object]]:
        query = scoped_query(request.principal, base.model_copy(update={"metrics": metrics, **more}), cat)
        return run_query(project, query, today=TODAY, wh=wh).table.to_pylist()

    row = ask(KPI_METRICS)[0]
    cards = tuple(
        Kpi(
            label=pres.label(m),
            value=row[m],
            unit=Unit(pres.names.unit(m) or "number"),
            comparisons=(Comparison(label="vs target", value=100.0),),
        )
        for m in KPI_METRICS
    )
    regions = ask(("revenue", "orders"), dimensions=("region",), order_by=("region",))
    table = Table(
        title="By region",
        columns=(
            Column(key="region", label="Region"),
            Column(key="revenue", label="Revenue", unit=Unit.MONEY),
            Column(key="orders", label="Orders", unit=Unit.COUNT),
        ),
        rows=tuple((r["region"], r["revenue"], r["orders"]) for r in regions),
    )
    period = request.range or f"{START:%d %b %Y} – {END:%d %b %Y}"
    return Document(
        title="Tiny sales",
        period=period,
        brand=request.brand,
        sections=(Kpis(title="At a glance", cards=cards), table),
    )


def held_report(project: Project, wh: Warehouse, request: ReportRequest) -> Document:
    """``tiny``, built only once the file ``release`` exists in the project (``building`` says it
    has started): a report job a test can catch before its run is recorded."""
    (project.root / "building").touch()
    deadline = time.monotonic() + 120
    while not (project.root / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return tiny_report(project, wh, request)


def register() -> None:
    """``tiny`` and ``held``, beside the built-in templates."""
    templates()  # the built-in ones first
    template("tiny", title="Tiny sales", description="KPIs and regions of the tiny shop")(tiny_report)
    template("held", title="Tiny sales, held", description="tiny, once the test releases it")(held_report)


register()


def channels_yaml(
    *, smtp_port: int | None = None, hook_url: str | None = None, base_seconds: float = 0.05
) -> str:
    """bizsight.yml lines: a ``mail`` channel on the test's SMTP server, a signed ``hook``,
    ``slack`` and ``teams`` on its HTTP receiver; retries without long waits."""
    lines = ["channels:"]
    if smtp_port is not None:
        lines += ["  mail:", "    kind: email", "    host: 127.0.0.1", f"    port: {smtp_port}",
                  "    security: plain", "    sender: bi@example.com"]  # fmt: skip
    if hook_url is not None:
        lines += ["  hook:", "    kind: webhook", f"    url: {hook_url}", "    secret: s3cret",
                  "  slack:", "    kind: slack", f"    url: {hook_url}/slack",
                  "  teams:", "    kind: teams", f"    url: {hook_url}/teams"]  # fmt: skip
    lines += ["delivery:", "  max_attempts: 4", f"  base_seconds: {base_seconds}", "  cap_seconds: 1",
              "reports:", "  public_url: https://bi.example.com"]  # fmt: skip
    return "\n".join(lines) + "\n"


def copy_shop(built: Project, root: Path, settings: str) -> Project:
    """A copy of ``built`` in ``root`` with ``settings`` as its bizsight.yml."""
    shutil.copytree(built.root, root)
    for left in ("app.db", "server.json"):
        (root / ".bizsight" / left).unlink(missing_ok=True)
    (root / "bizsight.yml").write_text(settings)
    return Project(root)


def env_with_templates(**more: str) -> dict[str, str]:
    """The environment of a subprocess that imports this module (so it knows ``tiny``)."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "COLUMNS": "200", "PYTHONPATH": path, **more}


def report_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``bizsight ARGS`` in a process of its own that has the ``tiny`` and ``held`` templates."""
    return run_cli(*args, env=env_with_templates(), timeout=timeout, imports=(__name__,))


def serving_reports(
    project: Project, *, admin_password: str = "served admin password"
) -> AbstractContextManager[Served]:
    """``bizsight serve`` over ``project`` in a subprocess that has the ``tiny`` template."""
    return serving(
        project, admin_password=admin_password, python=starting_bizsight([__name__]), env=env_with_templates()
    )
