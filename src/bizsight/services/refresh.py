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
    tables: dict[str, int] = field(default_factory=dict)  # "schema.table" → rows (core and marts)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "refresh_id": self.refresh_id,
            "data_version": self.data_version,
            "tables": self.tables,
            "seconds": round(self.seconds, 3),
        }


def _marts(wh: Warehouse) -> dict[str, exp.Expr]:
    """Analytics outputs rebuilt by every refresh, as queries over core."""
    from bizsight.analytics import affinity, cohorts, rfm, sentiment

    texts = [
        text
        for (text,) in wh.rows(
            "SELECT DISTINCT review_text FROM core.fact_review WHERE review_text IS NOT NULL"
        )
    ]
    wh.con.register(
        "_text_scores", sentiment.text_scores(texts)
    )  # VADER runs in Python, once per distinct text
    return {
        "rfm_segments": rfm.rfm_query(),
        "cohort_retention": cohorts.cohorts_query(),
        "product_affinity": affinity.pairs_query(),
        "category_affinity": affinity.category_matrix_query(),
        "review_sentiment": sentiment.reviews_query("_text_scores"),
    }


def _clv_mart(wh: Warehouse, reporter: Reporter) -> None:
    """BG/NBD + Gamma-Gamma scores per customer (p_alive, expected purchases and value, CLV)."""
    from bizsight.errors import BizsightError
    from bizsight.services.analyze import clv_scores

    try:
        scores = clv_scores(wh)
    except BizsightError as err:  # a model that does not converge must not stop the refresh
        reporter.warn(f"marts.clv not rebuilt: {err}")
        return
    if scores is None:
        reporter.warn("marts.clv not built: too few customers to fit the CLV models")
        return
    wh.con.register("_clv_scores", scores)
    wh.run("CREATE OR REPLACE TABLE marts.clv AS SELECT * FROM _clv_scores")
    wh.con.unregister("_clv_scores")


def refresh(project: Project, reporter: Reporter) -> RefreshSummary:
    with project.warehouse() as wh:
        summary = rebuild(wh, reporter)
        # Forecasts read the metrics layer, which sees committed data only: after rebuild commits.
        from bizsight.services.forecast_refresh import refresh_forecasts

        summary.tables.update(refresh_forecasts(project, wh, reporter))
        return summary


def rebuild(wh: Warehouse, reporter: Reporter) -> RefreshSummary:
    started = dt.datetime.now()
    steps = len(ENTITIES) + len(DIMENSIONS) + len(DERIVED_SQL) + 6
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
        for name, query in _marts(wh).items():
            reporter.advance(done, steps, f"marts.{name}")
            wh.run(exp.Create(this=table("marts", name), kind="TABLE", expression=query, replace=True))
            done += 1
        wh.con.unregister("_text_scores")
        reporter.advance(done, steps, "marts.clv")
        _clv_mart(wh, reporter)
        version = int(wh.scalar("SELECT value FROM meta.state WHERE key = 'data_version'"))
        wh.run("UPDATE meta.state SET value = ? WHERE key = 'refreshed_version'", [version])
        tables = {
            f"{schema}.{name}": int(wh.scalar(exp.select("count(*)").from_(table(schema, name))))
            for schema, name in wh.rows(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_schema IN ('core', 'marts') AND table_type = 'BASE TABLE' ORDER BY 1, 2"
            )
        }
        refresh_id = int(wh.scalar("SELECT coalesce(max(refresh_id), 0) + 1 FROM meta.refreshes"))
        wh.run(
            "INSERT INTO meta.refreshes VALUES (?, ?, ?, ?, ?)",
            [refresh_id, started, dt.datetime.now(), version, json.dumps(tables)],
        )
    reporter.advance(steps, steps)
    return RefreshSummary(refresh_id, version, tables, (dt.datetime.now() - started).total_seconds())
