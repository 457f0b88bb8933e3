"""The refresh use case: rebuild core from raw, then the derived tables, the analytics marts and
the model scores (CLV, churn). One transaction: readers see the old tables until the new ones
are complete."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

import pyarrow as pa
from sqlglot import exp

from bizsight.config.customers import CustomerSettings
from bizsight.console import Reporter
from bizsight.errors import BizsightError
from bizsight.services.project import Project, owned_here
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.model import ENTITIES, Entity
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
    expired: int = 0  # customers whose personal data the retention setting erased now

    def as_dict(self) -> dict[str, object]:
        return {
            "refresh_id": self.refresh_id,
            "data_version": self.data_version,
            "tables": self.tables,
            "seconds": round(self.seconds, 3),
            "expired": self.expired,
        }


def _marts(wh: Warehouse, settings: CustomerSettings) -> dict[str, exp.Expr]:
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
        "rfm_segments": rfm.rfm_query(settings=settings.rfm, from_customer_orders=True),
        "cohort_retention": cohorts.cohorts_query(
            cohorts.CohortSettings(grain=settings.cohorts.grain, anchor=settings.cohorts.anchor)
        ),
        "product_affinity": affinity.pairs_query(),
        "category_affinity": affinity.category_matrix_query(),
        "review_sentiment": sentiment.reviews_query("_text_scores"),
    }


def _clv_mart(wh: Warehouse, settings: CustomerSettings) -> pa.Table | None:
    """BG/NBD + Gamma-Gamma scores per customer (p_alive, expected purchases and value, CLV)."""
    from bizsight.services.analyze import clv_scores

    return clv_scores(wh, settings.clv)


def _churn_mart(wh: Warehouse, settings: CustomerSettings) -> pa.Table:
    """Churn probability, risk band, reasons and revenue at risk per customer."""
    from bizsight.services.churn import churn_scores

    days, scores = churn_scores(wh, churn_days=settings.churn.days)
    return scores.append_column("churn_days", pa.array([days] * scores.num_rows, pa.int32()))


MODEL_MARTS = {"clv": _clv_mart, "churn_scores": _churn_mart}


def _write_model_mart(wh: Warehouse, name: str, settings: CustomerSettings, reporter: Reporter) -> None:
    """Fit and score one model into marts.<name>; a model that cannot be fitted warns and keeps
    the refresh going (its mart is dropped, so nothing stale is served as current)."""
    try:
        scores = MODEL_MARTS[name](wh, settings)
    except BizsightError as err:
        scores = None
        reporter.warn(f"marts.{name} not built: {err}")
    else:
        if scores is None:
            reporter.warn(f"marts.{name} not built: too few customers to fit the model")
    if scores is None:
        wh.run(exp.Drop(tables=[table("marts", name)], kind="TABLE", exists=True))
        return
    wh.replace_table("marts", name, scores)


def _pipeline_marts(wh: Warehouse, reporter: Reporter) -> None:
    """Learned stage probabilities and deal scores (docs/pipeline.md); a model that cannot be
    fitted warns and keeps the refresh going."""
    from bizsight.services.pipeline import build_marts

    try:
        build_marts(wh)
    except BizsightError as err:  # pragma: no cover - build_marts raises none on valid core tables
        reporter.warn(f"pipeline marts not built: {err}")


def _anomalies_mart(project: Project, wh: Warehouse, reporter: Reporter) -> None:
    """Score the metric series of bizsight.yml ``anomalies`` (docs/trends-and-anomalies.md)."""
    from bizsight.services.anomalies import detect_anomalies, write_anomalies

    if project.settings.anomalies.enabled:
        write_anomalies(wh, detect_anomalies(project, wh, reporter))


def refresh(project: Project, reporter: Reporter) -> RefreshSummary:
    """The whole refresh in one transaction: until it commits, readers see the tables as they
    were, and a refresh that fails, is cancelled or killed leaves them so."""
    from bizsight.services.forecast_refresh import refresh_forecasts

    with project.warehouse() as wh:
        with wh.transaction():
            summary = rebuild(wh, reporter, project)
            # Forecasts query the metrics layer on this same connection: they see the new core.
            summary.tables.update(refresh_forecasts(project, wh, reporter))
            summary.expired = _keep_personal_data_in_bounds(project, wh, reporter)
        if owned_here(project):  # committed: warm the cache of the process that serves the pages
            from bizsight.services.page_warmup import warm_pages

            reporter.step("warming the Overview and Executive pages")
            for failure in warm_pages(project, wh):
                reporter.warn(f"page not warmed: {failure}")
        return summary


def _keep_personal_data_in_bounds(project: Project, wh: Warehouse, reporter: Reporter) -> int:
    """Erased customers stay erased (marts are rebuilt from core each time); with a retention
    setting, customers inactive for longer are erased now. How many were newly erased."""
    from bizsight.services import privacy

    privacy.apply_erasures(wh)
    months = project.settings.privacy.retention_months
    if months is None:
        return 0
    expired = privacy.expired_customers(wh, months, dt.date.today())
    if not expired:
        return 0
    reporter.step(f"erasing the personal data of {len(expired):,} customers inactive for {months} months")
    return privacy.erase(wh, expired, reason=f"retention: inactive for {months} months", by=None).customers


def _fingerprint(query: exp.Expr) -> int:
    """A core table's definition as a signed 64-bit number (meta.state holds BIGINTs)."""
    digest = hashlib.sha256(query.sql(dialect="duckdb").encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _loaded_since_last_refresh(wh: Warehouse) -> set[str]:
    """The entities with a load that changed data since the last refresh committed (the data
    version it saw: ``refreshed_version``)."""
    return {
        entity
        for (entity,) in wh.rows(
            "SELECT DISTINCT entity FROM meta.loads WHERE data_version > "
            "(SELECT value FROM meta.state WHERE key = 'refreshed_version')"
        )
    }


def _core_is_current(wh: Warehouse, entity: Entity, fingerprint: int, loaded: set[str]) -> bool:
    """Whether core.<entity> already is what a rebuild would make: rebuilt by a refresh with this
    definition (its fingerprint), and neither the entity nor a fact that references it (whose
    placeholders it holds) loaded since. Ingest keeps core as a rebuild would (decision 0002, held
    by tests/ingest/test_load.py; since decision 0058 core's rows are raw's current versions), and
    erasures edit core and raw's superseded versions alike, so this only skips the rebuild that
    would change nothing: 10M order lines rewritten for a new forecast setting."""
    facts = {fact for fact, _ in DIMENSIONS.get(entity.name, ((), {}))[0]}
    referencing = {e.name for e in ENTITIES if e.core_table in facts}
    if loaded & {entity.name, *referencing}:
        return False
    return wh.scalar("SELECT value FROM meta.state WHERE key = ?", [f"core:{entity.name}"]) == fingerprint


def rebuild(wh: Warehouse, reporter: Reporter, project: Project | None = None) -> RefreshSummary:
    """Core, derived tables, marts and model scores in one transaction; with a ``project``, its
    settings (customers:, anomalies:) apply and its anomalies are scored."""
    settings = project.settings.customers if project else CustomerSettings()
    started = dt.datetime.now()
    steps = len(ENTITIES) + len(DIMENSIONS) + len(DERIVED_SQL) + 7 + len(MODEL_MARTS)
    done = 0
    with wh.transaction():
        loaded = _loaded_since_last_refresh(wh)
        for entity in ENTITIES:
            rebuilt = core_select(entity, latest_versions(entity))
            fingerprint = _fingerprint(rebuilt)
            if _core_is_current(wh, entity, fingerprint, loaded):
                reporter.advance(done, steps, f"core.{entity.core_table} (no load since the last refresh)")
            else:
                reporter.advance(done, steps, f"core.{entity.core_table}")
                wh.run(
                    exp.Create(
                        this=table("core", entity.core_table),
                        kind="TABLE",
                        expression=rebuilt,
                        replace=True,
                    )
                )
                wh.run(
                    "INSERT OR REPLACE INTO meta.state VALUES (?, ?)", [f"core:{entity.name}", fingerprint]
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
        for name, query in _marts(wh, settings).items():
            reporter.advance(done, steps, f"marts.{name}")
            wh.run(exp.Create(this=table("marts", name), kind="TABLE", expression=query, replace=True))
            done += 1
        wh.con.unregister("_text_scores")
        reporter.advance(done, steps, "marts.deal_scores")
        _pipeline_marts(wh, reporter)
        done += 1
        for name in MODEL_MARTS:  # clv first: churn's revenue at risk reads marts.clv
            reporter.advance(done, steps, f"marts.{name}")
            _write_model_mart(wh, name, settings, reporter)
            done += 1
        version = int(wh.scalar("SELECT value FROM meta.state WHERE key = 'data_version'"))
        wh.run("UPDATE meta.state SET value = ? WHERE key = 'refreshed_version'", [version])
        if project is not None:
            reporter.advance(done + 1, steps, "marts.anomalies")
            _anomalies_mart(project, wh, reporter)
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
