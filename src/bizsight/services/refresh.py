"""The refresh use case: rebuild core from raw, then the derived tables (later: marts, models,
alerts). One transaction: readers see the old tables until the new ones are complete."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlglot import exp

from bizsight.console import Reporter
from bizsight.services.project import Project
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.model import ENTITIES
from bizsight.warehouse.sql import table
from bizsight.warehouse.transforms import (
    DERIVED_SQL,
    DIMENSIONS,
    core_select,
    latest_versions,
    placeholder_rows,
)


@dataclass
class RefreshSummary:
    refresh_id: int
    data_version: int
    tables: dict[str, int] = field(default_factory=dict)  # core table → rows
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "refresh_id": self.refresh_id,
            "data_version": self.data_version,
            "tables": self.tables,
            "seconds": round(self.seconds, 3),
        }


def refresh(project: Project, reporter: Reporter) -> RefreshSummary:
    with project.warehouse() as wh:
        return rebuild(wh, reporter)


def rebuild(wh: Warehouse, reporter: Reporter) -> RefreshSummary:
    started = dt.datetime.now()
    steps = len(ENTITIES) + len(DIMENSIONS) + len(DERIVED_SQL)
    done = 0
    with wh.transaction():
        for entity in ENTITIES:
            reporter.advance(done, steps, f"core.{entity.core_table}")
            rebuilt = core_select(entity, latest_versions(entity))
            wh.run(
                exp.Create(
                    this=table("core", entity.core_table),
                    kind="TABLE",
                    expression=rebuilt,
                    replace=True,
                )
            )
            done += 1
        for name in DIMENSIONS:
            dimension = next(e for e in ENTITIES if e.name == name)
            reporter.advance(done, steps, f"placeholders for core.{dimension.core_table}")
            wh.run(exp.insert(placeholder_rows(dimension), table("core", dimension.core_table)))
            done += 1
        for statement in DERIVED_SQL:
            reporter.advance(done, steps, "derived tables")
            wh.run(statement)
            done += 1
        version = int(wh.scalar("SELECT value FROM meta.state WHERE key = 'data_version'"))
        wh.run("UPDATE meta.state SET value = ? WHERE key = 'refreshed_version'", [version])
        tables = {
            name: int(wh.scalar(exp.select("count(*)").from_(table("core", name))))
            for (name,) in wh.rows(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'core' "
                "AND table_type = 'BASE TABLE' ORDER BY 1"
            )
        }
        refresh_id = int(wh.scalar("SELECT coalesce(max(refresh_id), 0) + 1 FROM meta.refreshes"))
        wh.run(
            "INSERT INTO meta.refreshes VALUES (?, ?, ?, ?, ?)",
            [refresh_id, started, dt.datetime.now(), version, json.dumps(tables)],
        )
    reporter.advance(steps, steps)
    return RefreshSummary(refresh_id, version, tables, (dt.datetime.now() - started).total_seconds())
