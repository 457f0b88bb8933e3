"""Loading one file: stage → type → validate → de-duplicate → write, as one transaction.

A load either commits completely — core, raw's superseded versions, quarantine, meta.loads and
the data version — or leaves the warehouse exactly as it was (an error rolls it back; a killed
process never commits).
Loading the same file again is recognised by its content hash and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from bizsight.config import DateOrder, MissingDimensions, Settings
from bizsight.console import Reporter
from bizsight.errors import InputFileError
from bizsight.ingest import coerce, dates, quarantine, readers
from bizsight.ingest.classify import (
    CHECKED_STOP,
    FEW_TEXTS,
    SPELLINGS,
    Plan,
    checked_rows,
    classified_rows,
    repeated_key,
    repeated_written_key,
    usual_spellings,
)
from bizsight.ingest.quality import quality_report
from bizsight.ingest.sources import SourceFile, with_headers
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.model import BY_NAME, Entity, Kind
from bizsight.warehouse.sql import col, lit, table, template
from bizsight.warehouse.transforms import (
    DIMENSIONS,
    core_select,
    placeholder_rows,
    raw_of_core,
    same_key,
    superseded_table,
)

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

    def new_result() -> LoadResult:
        return LoadResult(source.path, source.entity.name, source_name=shown or str(source.path))

    result = new_result()
    sha = file_sha256(source.path)
    prior = wh.scalar(
        "SELECT load_id FROM meta.loads WHERE file_sha256 = ? AND entity = ?", [sha, source.entity.name]
    )
    if prior is not None:
        result.already_loaded_as = prior
        return result
    started = dt.datetime.now()
    reporter.step(f"reading {source.path.name}")
    typed = _read_typed(wh, source) if typed_read else None
    if typed is not None:
        try:
            with wh.transaction():
                _load_typed(wh, typed, settings, reporter, result)
                _record(wh, typed, result, sha, started, shown)
            return result
        except _NeedsText:
            result = new_result()  # rolled back: the file takes the text path (decision 0054)
    with wh.transaction():
        _load_text(wh, source, settings, reporter, result)
        _record(wh, source, result, sha, started, shown)
    return result


class _NeedsText(Exception):
    """A row of a typed read breaks a rule or repeats a key: only the text path can say how."""


def _load_typed(
    wh: Warehouse, source: SourceFile, settings: Settings, reporter: Reporter, result: LoadResult
) -> None:
    """A file read typed, written to core as it is classified, without materialising the
    classification (decision 0054); raises :class:`_NeedsText` when a row needs its text."""
    entity = source.entity
    plan = _plan(wh, source, settings, decimals=_decimal_columns(source))
    reporter.step(f"validating {source.path.name}")
    result.load_id = _next_load_id(wh)
    before = _count(wh, entity)
    reporter.step(f"writing {source.path.name}")  # rows are checked as they are written
    try:
        written = _write_core(wh, entity, checked_rows(plan, result.load_id))
    except duckdb.Error as err:
        if CHECKED_STOP not in str(err):
            raise
        raise _NeedsText from None
    read = int(wh.scalar("SELECT count(*) FROM stg"))
    # Keys repeated in the file? When every row was written, core's rows of this load are the
    # file's, typed already; otherwise a skipped re-sent row could hide one, so the file's keys
    # are typed again. Either way before anything is superseded, in the same transaction.
    if wh.scalar(repeated_written_key(entity, result.load_id) if written == read else repeated_key(plan)):
        raise _NeedsText
    updated = _supersede(wh, entity, result.load_id) if before else 0
    result.counts = dict.fromkeys(ACTIONS, 0) | {
        "insert": written - updated,
        "update": updated,
        "resent_duplicate": read - written,
    }
    result.rows_read = read
    result.typed_read = True
    _finish(wh, plan, source, result, before)


def _load_text(
    wh: Warehouse, source: SourceFile, settings: Settings, reporter: Reporter, result: LoadResult
) -> None:
    """The tolerant path: the file staged as text, classified into a temporary table first."""
    entity = source.entity
    source = with_headers(source, readers.stage(wh, source.path, source.format))
    plan = _plan(wh, source, settings)
    reporter.step(f"validating {source.path.name}")
    wh.run(template("CREATE OR REPLACE TEMP TABLE classified AS :q", q=classified_rows(plan)))
    result.repeated_rejects = quarantine.skip_repeats(wh, plan)
    counts = dict(wh.rows("SELECT _action, count(*) FROM classified GROUP BY 1"))
    result.counts = {action: counts.get(action, 0) for action in ACTIONS}
    result.rows_read = sum(result.counts.values())
    result.load_id = load_id = _next_load_id(wh)
    before = _count(wh, entity)
    reporter.step(f"writing {source.path.name}")
    _write_core(wh, entity, _accepted(entity, load_id))
    if result.quarantined:
        quarantine.write(wh, plan, source, load_id, result.source_name)
    if result.counts["update"]:
        _supersede(wh, entity, load_id)
    _finish(wh, plan, source, result, before)
    wh.run("DROP TABLE classified")


def _finish(wh: Warehouse, plan: Plan, source: SourceFile, result: LoadResult, before: int) -> None:
    """Placeholders and the quality report of a load whose rows are written."""
    result.placeholders = _write_placeholders(wh, source.entity, plan)
    result.quality = quality_report(wh, plan, source, result, before=before, after=_count(wh, source.entity))


def _record(
    wh: Warehouse, source: SourceFile, result: LoadResult, sha: str, started: dt.datetime, shown: str | None
) -> None:
    """The load in meta.loads, with the data version it made (one more when it changed data)."""
    changed = result.loaded + result.placeholders > 0
    data_version = int(
        wh.scalar(
            "UPDATE meta.state SET value = value + ? WHERE key = 'data_version' RETURNING value",
            [int(changed)],
        )
    )
    wh.run(
        "INSERT INTO meta.loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            result.load_id,
            source.entity.name,
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
    wh.run("DROP TABLE IF EXISTS stg")


def _read_typed(wh: Warehouse, source: SourceFile) -> SourceFile | None:
    """The fast read (decision 0050): a CSV file with its numbers parsed as DuckDB reads them,
    when it can read every row that way; None when the file takes the text path."""
    if source.format is not readers.CSV or source.preset.derived or wh.in_transaction:
        return None
    try:  # the headers are known when every file was checked before the loads began
        resolved = (
            source
            if source.headers
            else with_headers(source, readers.headers(wh, source.path, source.format))
        )
    except InputFileError:
        return None  # the text path says what is wrong
    numeric = {resolved.columns[name] for name in _decimal_columns(resolved)}
    types = {header: "DECIMAL(18, 4)" if header in numeric else "VARCHAR" for header in resolved.headers}
    return resolved if readers.stage_typed(wh, source.path, types) else None


def _decimal_columns(source: SourceFile) -> frozenset[str]:
    """The entity's number columns that the file holds (directly, not derived)."""
    return frozenset(
        column.name
        for column in source.entity.columns
        if column.kind in (Kind.INTEGER, Kind.MONEY) and column.name in source.columns
    )


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
    clean = set()
    for column in base.present:
        # Columns of a few distinct texts: counted per text, for spellings (categories) and to
        # see whether any text needs trimming (enums and codes too, when the file holds them).
        if column.kind is Kind.CATEGORY or (column.kind in FEW_TEXTS and column.name in source.columns):
            raw = base.source_text(column)
            trimmed = coerce.trimmed(col("x")) if column.name in source.columns else coerce.trimmed(raw)
            counts = wh.rows(template(SPELLINGS, t=trimmed, raw=raw, stage=exp.to_table("stg")))
            usual = usual_spellings([(key, spelling, n) for key, spelling, n, _ in counts])
            if usual and column.kind is Kind.CATEGORY:
                spellings[column.name] = usual
            if all(as_read for *_, as_read in counts):
                clean.add(column.name)
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
        clean=frozenset(clean),
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


def _next_load_id(wh: Warehouse) -> int:
    return int(wh.scalar("SELECT coalesce(max(load_id), 0) + 1 FROM meta.loads"))


def _accepted(entity: Entity, load_id: int) -> exp.Select:
    """The rows that the classified rows add to the warehouse: those inserted or updated, with
    raw's columns (:func:`~bizsight.warehouse.transforms.core_select` takes them to core)."""
    return (
        exp.select(
            exp.alias_(lit(load_id), "_load_id"),
            exp.alias_(template("_row"), "_line"),
            col("_row_hash"),
            *(col(name) for name in entity.column_names),
        )
        .from_("classified", copy=False)
        .where("_action IN ('insert', 'update')", copy=False)
    )


def _write_core(wh: Warehouse, entity: Entity, rows: exp.Select) -> int:
    """Insert a load's ``rows`` (raw's columns) into core, its only copy of them (decision 0058);
    how many there were. Rows of the keys they update are still there: see :func:`_supersede`."""
    insert = exp.insert(
        core_select(entity, rows.subquery("batch", copy=False)), table("core", entity.core_table)
    )
    return int(wh.scalar(insert))


def _supersede(wh: Warehouse, entity: Entity, load_id: int) -> int:
    """Move the versions that load ``load_id`` replaced from core to raw's superseded versions
    (placeholders are dropped: they were never loaded); how many rows of core were replaced."""
    core = table("core", entity.core_table)
    keys = (
        exp.select(*(col(name) for name in entity.key))
        .from_(core)
        .where(exp.column("_load_id").eq(lit(load_id)))
    )
    matches = exp.and_(same_key(entity, "u", "c"), template("c._load_id IS DISTINCT FROM :n", n=lit(load_id)))
    replaced = (
        exp.select("c.*")
        .from_(exp.alias_(core, "c"))
        .join(keys.subquery("u"), on=matches, join_type="inner", copy=False)
    )
    wh.run(exp.insert(raw_of_core(entity, replaced.subquery("c")), superseded_table(entity)))
    delete = template("DELETE FROM :core AS c USING :keys AS u WHERE TRUE", core=core, keys=keys.subquery())
    delete.set("where", exp.Where(this=matches))
    return int(wh.scalar(delete))


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
