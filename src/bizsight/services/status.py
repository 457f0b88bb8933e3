"""The status use case: what the warehouse holds, what was loaded, what was rejected, how fresh."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from bizsight.errors import NotInitializedError
from bizsight.services.project import Project
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.sql import table

RECENT_LOADS = 10


def status(project: Project) -> dict[str, Any]:
    if not project.paths.warehouse.exists():
        raise NotInitializedError(
            f"no warehouse in {project.root.resolve()}: run `bizsight ingest PATH` (or `bizsight demo`) first"
        )
    with project.warehouse(read_only=True) as wh:
        return collect(wh)


def collect(wh: Warehouse) -> dict[str, Any]:
    state = dict(wh.rows("SELECT key, value FROM meta.state"))
    tables = [
        {
            "schema": schema,
            "table": name,
            "kind": kind,
            "rows": int(wh.scalar(exp.select("count(*)").from_(table(schema, name)))),
        }
        for schema, name, kind in wh.rows(
            "SELECT table_schema, table_name, table_type FROM information_schema.tables "
            "WHERE table_schema IN ('core', 'marts', 'raw', 'quarantine') ORDER BY 1, 2"
        )
    ]
    quarantine = [
        {"entity": row["table"], "rule": rule, "rows": n}
        for row in tables
        if row["schema"] == "quarantine" and row["rows"]
        for rule, n in wh.rows(
            exp.select("_rule", "count(*)")
            .from_(table("quarantine", row["table"]))
            .group_by("_rule")
            .order_by("2 DESC")
        )
    ]
    columns = [
        "load_id",
        "entity",
        "source_file",
        "finished_at",
        "rows_read",
        "inserted",
        "updated",
        "quarantined",
        "exact_duplicates",
        "resent_duplicates",
    ]
    loads = [
        dict(zip(columns, row, strict=True))
        for row in wh.rows(
            f"SELECT {', '.join(columns)} FROM meta.loads ORDER BY load_id DESC LIMIT ?",
            [RECENT_LOADS],
        )
    ]
    last_refresh = wh.scalar("SELECT max(finished_at) FROM meta.refreshes")
    return {
        "warehouse": str(wh.path),
        "data_version": state.get("data_version", 0),
        "refreshed_version": state.get("refreshed_version", 0),
        "needs_refresh": state.get("data_version", 0) != state.get("refreshed_version", 0),
        "freshness": {
            "last_load": wh.scalar("SELECT max(finished_at) FROM meta.loads"),
            "last_refresh": last_refresh,
            "latest_order": wh.scalar("SELECT max(order_ts) FROM core.fact_order_line"),
            "loads": int(wh.scalar("SELECT count(*) FROM meta.loads")),
        },
        "tables": tables,
        "quarantine": quarantine,
        "recent_loads": loads,
    }
