"""Loading one file: stage → type → validate → de-duplicate → write, as one transaction.

A load either commits completely — raw, quarantine, core, meta.loads and the data version — or
leaves the warehouse exactly as it was (an error rolls it back; a killed process never commits).
Loading the same file again is recognised by its content hash and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp

from bizsight.config import DateOrder, MissingDimensions, Settings
from bizsight.console import Reporter
from bizsight.errors import InputFileError
from bizsight.ingest import coerce, dates, quarantine, readers
from bizsight.ingest.classify import SPELLINGS, Plan, classified_rows, usual_spellings
from bizsight.ingest.quality import quality_report
from bizsight.ingest.sources import SourceFile, with_headers
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.model import BY_NAME, Entity, Kind
from bizsight.warehouse.sql import col, ident, lit, table, template
from bizsight.warehouse.transforms import DIMENSIONS, core_select, placeholder_rows

ACTIONS = ("insert", "update", "quarantine", "exact_duplicate", "resent_duplicate")


@dataclass
class LoadResult:
    path: Path
    entity: str
    load_id: int | None = None  # None when the file was loaded before
    already_loaded_as: int | None = None
    rows_read: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # per action
    placeholders: int = 0
    quality: dict[str, Any] = field(default_factory=dict)
    source_name: str = ""  # the file as loads, quarantine and the quality report name it
    repeated_rejects: int = 0  # duplicates that are rejected rows sent again (file or earlier load)
    typed_read: bool = False  # read with column types (decision 0050), not as text

    @property
    def loaded(self) -> int:
        return self.counts.get("insert", 0) + self.counts.get("update", 0)

    @property
    def quarantined(self) -> int:
        return self.counts.get("quarantine", 0)

    @property
    def duplicates(self) -> int:
        return self.counts.get("exact_duplicate", 0) + self.counts.get("resent_duplicate", 0)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def load_file(
    wh: Warehouse,
    source: SourceFile,
    settings: Settings,
    reporter: Reporter,
    shown: str | None = None,
    *,
    typed_read: bool = True,
) -> LoadResult:
    """Load one resolved file in one transaction. ``shown`` is the file's name in loads, quarantine
    and the quality report (default: its path); an upload shows the name the user gave it.
    ``typed_read=False`` reads the file as text whatever it holds (the tolerant path alone)."""
    entity = source.entity
    result = LoadResult(source.path, entity.name, source_name=shown or str(source.path))
    sha = file_sha256(source.path)
    prior = wh.scalar(
        "SELECT load_id FROM meta.loads WHERE file_sha256 = ? AND entity = ?", [sha, entity.name]
    )
    if prior is not None:
        result.already_loaded_as = prior
        return result
    started = dt.datetime.now()
    reporter.step(f"reading {source.path.name}")
    typed = _read_typed(wh, source) if typed_read else None
    with wh.transaction():
        if typed is None:
            source = with_headers(source, readers.stage(wh, source.path, source.format))
        else:
            source = typed
        plan = _plan(wh, source, settings, decimals=_decimal_columns(source) if typed else frozenset())
        reporter.step(f"validating {source.path.name}")
        wh.run(template("CREATE OR REPLACE TEMP TABLE classified AS :q", q=classified_rows(plan)))
        if plan.decimals and _needs_text(wh):
            # Quarantined rows keep their text and repeated keys compare it: read the file as
            # text after all (decision 0050).
            source = with_headers(source, readers.stage(wh, source.path, source.format))
            plan = _plan(wh, source, settings)
            wh.run(template("CREATE OR REPLACE TEMP TABLE classified AS :q", q=classified_rows(plan)))
        result.typed_read = bool(plan.decimals)
        if plan.decimals:
            wh.run("DROP TABLE stg")  # nothing is quarantined: the rows as read are done with
        else:
            result.repeated_rejects = quarantine.skip_repeats(wh, plan)
        counts = dict(wh.rows("SELECT _action, count(*) FROM classified GROUP BY 1"))
        result.counts = {action: counts.get(action, 0) for action in ACTIONS}
        result.rows_read = sum(result.counts.values())
        load_id = int(wh.scalar("SELECT coalesce(max(load_id), 0) + 1 FROM meta.loads"))
        result.load_id = load_id
        before = _count(wh, entity)
        reporter.step(f"writing {source.path.name}")
        _write_raw(wh, entity, load_id)
        if result.quarantined:
            quarantine.write(wh, plan, source, load_id, result.source_name)
        _write_core(wh, entity, load_id)
        result.placeholders = _write_placeholders(wh, entity, plan)
        changed = result.loaded + result.placeholders > 0
        data_version = int(
            wh.scalar(
                "UPDATE meta.state SET value = value + ? WHERE key = 'data_version' RETURNING value",
                [int(changed)],
            )
        )
        result.quality = quality_report(wh, plan, source, result, before=before, after=_count(wh, entity))
        wh.run(
            "INSERT INTO meta.loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                load_id,
                entity.name,
                shown or str(source.path.resolve()),
                sha,
                source.path.stat().st_size,
                source.format.name,
                source.preset.name,
                started,
                dt.datetime.now(),
                result.rows_read,
                result.counts["insert"],
                result.counts["update"],
                result.quarantined,
                result.counts["exact_duplicate"],
                result.counts["resent_duplicate"],
                result.placeholders,
                data_version,
                _json(result.quality),
            ],
        )
        wh.run("DROP TABLE classified; DROP TABLE IF EXISTS stg")
    return result


def _read_typed(wh: Warehouse, source: SourceFile) -> SourceFile | None:
    """The fast read (decision 0050): a CSV file whose numbers DuckDB parses as it reads, when it
    can read every row that way; None when the file takes the text path."""
    if source.format is not readers.CSV or source.preset.derived or wh.in_transaction:
        return None
    try:
        headers = readers.headers(wh, source.path, source.format)
        resolved = with_headers(source, headers)
    except InputFileError:
        return None  # the text path says what is wrong
    numeric = {resolved.columns[name] for name in _decimal_columns(resolved)}
    if not numeric:
        return None
    types = {header: "DECIMAL(18, 4)" if header in numeric else "VARCHAR" for header in headers}
    return resolved if readers.stage_typed(wh, source.path, types) else None


def _decimal_columns(source: SourceFile) -> frozenset[str]:
    """The entity's number columns that the file holds (directly, not derived)."""
    return frozenset(
        column.name
        for column in source.entity.columns
        if column.kind in (Kind.INTEGER, Kind.MONEY) and column.name in source.columns
    )


def _needs_text(wh: Warehouse) -> bool:
    """Whether rows were rejected or repeat a key: both need the text as read."""
    return bool(wh.scalar("SELECT count(*) FROM classified WHERE _action = 'quarantine' OR _later"))


def _plan(
    wh: Warehouse, source: SourceFile, settings: Settings, decimals: frozenset[str] = frozenset()
) -> Plan:
    entity = source.entity
    date_orders = {}
    date_reasons = {}
    base = Plan(entity, source.columns, dict(source.preset.derived), {}, settings.timezone, frozenset())
    for column in entity.columns:
        if column.kind in (Kind.DATE, Kind.TIMESTAMP) and column.name in source.columns:
            decision = _slash_order(wh, base.source_text(column), source.date_order)
            date_orders[column.name] = decision.order
            date_reasons[column.name] = decision.reason
    skip = frozenset(
        reference.field
        for reference in entity.references
        if _creates_placeholders(wh, reference.entity, settings)
    )
    spellings = {}
    for column in base.present:
        if column.kind is Kind.CATEGORY:
            raw = base.source_text(column)
            trimmed = coerce.trimmed(col("x")) if column.name in source.columns else coerce.trimmed(raw)
            counts = wh.rows(template(SPELLINGS, t=trimmed, raw=raw, stage=exp.to_table("stg")))
            if usual := usual_spellings(counts):
                spellings[column.name] = usual
    first_rowid = int(wh.scalar("SELECT coalesce(min(rowid), 0) FROM stg"))
    return Plan(
        entity,
        source.columns,
        dict(source.preset.derived),
        date_orders,
        settings.timezone,
        skip,
        spellings,
        first_rowid,
        date_reasons=date_reasons,
        decimals=decimals,
    )


def _slash_order(wh: Warehouse, text: exp.Expr, configured: DateOrder) -> dates.Decision:
    """Month or day first for the slash dates of one column (see :mod:`bizsight.ingest.dates`)."""
    if configured is not DateOrder.AUTO:
        return dates.decide(dates.SlashCounts(), configured)
    row = wh.rows(template(coerce.SLASH_ORDER_PROBE, v=text, t=exp.to_table("stg")))[0]
    return dates.decide(dates.SlashCounts(*row))


def _creates_placeholders(wh: Warehouse, dimension: str, settings: Settings) -> bool:
    if dimension not in DIMENSIONS:
        return False
    policy = settings.missing_dimensions
    if policy is MissingDimensions.AUTO:
        # Create them while the dimension has never been loaded from a file of its own.
        return not wh.scalar("SELECT count(*) FROM meta.loads WHERE entity = ?", [dimension])
    return policy is MissingDimensions.CREATE


def _count(wh: Warehouse, entity: Entity) -> int:
    return int(wh.scalar(exp.select("count(*)").from_(table("core", entity.core_table))))


_ACCEPTED = "_action IN ('insert', 'update')"


def _write_raw(wh: Warehouse, entity: Entity, load_id: int) -> None:
    select = (
        exp.select(
            exp.alias_(lit(load_id), "_load_id"),
            exp.alias_(template("_row"), "_line"),
            col("_row_hash"),
            *(col(name) for name in entity.column_names),
        )
        .from_("classified", copy=False)
        .where(_ACCEPTED, copy=False)
    )
    wh.run(exp.insert(select, table("raw", entity.name)))


def _write_core(wh: Warehouse, entity: Entity, load_id: int) -> None:
    core = table("core", entity.core_table)
    if wh.scalar("SELECT count(*) FROM classified WHERE _action = 'update'"):
        keys = exp.select(*(col(name) for name in entity.key)).from_("classified").where("_action = 'update'")
        matches = exp.and_(
            *(template("u.:k IS NOT DISTINCT FROM :t.:k", k=ident(name), t=core.this) for name in entity.key)
        )
        delete = template("DELETE FROM :core USING :keys AS u WHERE TRUE", core=core, keys=keys.subquery())
        delete.set("where", exp.Where(this=matches))
        wh.run(delete)
    batch = (
        exp.select(
            *(col(name) for name in entity.column_names),
            exp.alias_(lit(load_id), "_load_id"),
            col("_row_hash"),
        )
        .from_("classified", copy=False)
        .where(_ACCEPTED, copy=False)
    )
    wh.run(exp.insert(core_select(entity, batch.subquery("batch")), core))


def _write_placeholders(wh: Warehouse, entity: Entity, plan: Plan) -> int:
    created = 0
    for reference in entity.references:
        if reference.field in plan.skip_references:
            dimension = BY_NAME[reference.entity]
            insert = exp.insert(placeholder_rows(dimension), table("core", dimension.core_table))
            created += len(wh.rows(insert.returning("1")))
    return created


def _json(value: Any) -> str:
    import json

    return json.dumps(value, default=str)
