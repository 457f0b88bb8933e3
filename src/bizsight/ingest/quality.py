"""The quality report of one load: what was read, what happened to it, and how complete it is."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlglot import exp

from bizsight.ingest.classify import staged
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.model import BY_NAME
from bizsight.warehouse.sql import ident, lit, table, template

if TYPE_CHECKING:
    from bizsight.ingest.classify import Plan
    from bizsight.ingest.loader import LoadResult
    from bizsight.ingest.sources import SourceFile

EXAMPLES_PER_RULE = 3


def quality_report(
    wh: Warehouse, plan: Plan, source: SourceFile, result: LoadResult, *, before: int, after: int
) -> dict[str, Any]:
    """Counts per rule, missing values per column (rows and share of the rows read, quarantined
    rows included), duplicates, match rates and row counts before and after, computed from the
    classified rows of the load in progress. Its counts are those of the load (the CLI's):
    ``duplicates`` is exact and re-sent ones together."""
    entity = plan.entity
    rules: dict[str, int] = {}
    examples: dict[str, list[str]] = {}
    if result.quarantined:
        rules = dict(
            wh.rows(
                "SELECT _rule, count(*) FROM classified WHERE _action = 'quarantine' GROUP BY 1 ORDER BY 2 DESC"
            )
        )
        for rule, reason in wh.rows(
            template(
                "SELECT _rule, _reason FROM :q WHERE _load_id = ? "
                "QUALIFY row_number() OVER (PARTITION BY _rule ORDER BY _line) <= ?",
                q=table("quarantine", entity.name),
            ),
            [result.load_id, EXAMPLES_PER_RULE],
        ):
            examples.setdefault(rule, []).append(reason)
    missing, quarantined_missing = (
        _missing_read(wh, plan, result) if result.typed_read else _missing_rows(wh, plan)
    )
    shares = {name: round(n / result.rows_read, 6) for name, n in missing.items()} if result.rows_read else {}
    return {
        "load_id": result.load_id,
        "file": result.source_name or str(source.path),
        "entity": entity.name,
        "format": source.format.name,
        "preset": source.preset.name,
        "columns": source.columns,
        "rows_read": result.rows_read,
        "inserted": result.counts["insert"],
        "updated": result.counts["update"],
        "quarantined": result.quarantined,
        "loaded": result.loaded,
        "quarantined_by_rule": rules,
        "duplicates": result.duplicates,
        "exact_duplicates": result.counts["exact_duplicate"],
        "resent_duplicates": result.counts["resent_duplicate"],
        "rejected_rows_sent_again": result.repeated_rejects,
        "placeholders_created": result.placeholders,
        "invariant_holds": result.rows_read == result.loaded + result.quarantined + result.duplicates,
        "missing_share": shares,
        "missing_rows": missing,
        "missing_rows_quarantined": quarantined_missing,
        "match_rate": _written_match_rates(wh, plan, result) if result.typed_read else _match_rates(wh, plan),
        "examples": examples,
        "core_rows_before": before,
        "core_rows_after": after,
    }


def _missing_rows(wh: Warehouse, plan: Plan) -> tuple[dict[str, int], dict[str, int]]:
    """Per column the file provides: the rows read that leave it empty, and how many of those
    were quarantined (a required column's empty rows all are, unless sent before)."""
    present = plan.present
    if not present:
        return {}, {}
    counts = []
    for column in present:
        empty = f"_missing & {1 << plan.entity.columns.index(column)} <> 0"
        counts.append(template(f"count(*) FILTER (WHERE {empty})"))
        counts.append(template(f"count(*) FILTER (WHERE {empty} AND _action = 'quarantine')"))
    values = wh.rows(exp.select(*counts).from_("classified"))[0]
    names = [c.name for c in present]
    return dict(zip(names, map(int, values[::2]), strict=True)), dict(
        zip(names, map(int, values[1::2]), strict=True)
    )


def _missing_read(wh: Warehouse, plan: Plan, result: LoadResult) -> tuple[dict[str, int], dict[str, int]]:
    """:func:`_missing_rows` of a typed read (decision 0054), which quarantines no row. Counted in
    raw, where a value is NULL exactly when its cell was empty (a typed read writes no row that
    breaks a rule); in the rows as read for a column whose empty cell takes a default (an enum's),
    and for every column when re-sent duplicates were left out of raw."""
    present = plan.present
    all_read = result.rows_read != result.loaded
    in_read = [c for c in present if all_read or c.default is not None]
    in_raw = [c for c in present if c not in in_read]
    missing: dict[str, int] = {}
    if in_read:
        counts = [template("count(*) FILTER (WHERE :v IS NULL)", v=staged(plan, c)) for c in in_read]
        missing |= zip(
            [c.name for c in in_read], wh.rows(exp.select(*counts).from_(plan.stage))[0], strict=True
        )
    if in_raw:
        counts = [template("count(*) - count(:c)", c=ident(c.name)) for c in in_raw]
        rows = wh.rows(exp.select(*counts).from_(_written(result).subquery()))[0]
        missing |= zip([c.name for c in in_raw], rows, strict=True)
    names = [c.name for c in present]
    return {name: int(missing[name]) for name in names}, dict.fromkeys(names, 0)


def _classified() -> exp.Select:
    """The rows the load classified, but for duplicates."""
    return exp.select("*").from_("classified").where("_action NOT LIKE '%duplicate'")


def _written(result: LoadResult) -> exp.Select:
    """The rows the load wrote, as raw shows them (a typed read quarantines none)."""
    return (
        exp.select("*")
        .from_(table("raw", result.entity))
        .where(exp.column("_load_id").eq(lit(result.load_id)))
    )


def _written_match_rates(wh: Warehouse, plan: Plan, result: LoadResult) -> dict[str, float | None]:
    """:func:`_match_rates` of a typed read: every reference it wrote names a dimension row, as
    the statement that wrote it checked (or it got a placeholder), so a rate is 1 when the load
    wrote any non-empty reference and None when it wrote none; no lookup needed."""
    references = plan.entity.references
    if not references:
        return {}
    counts = [template("count(:f)", f=ident(reference.field)) for reference in references]
    written = wh.rows(exp.select(*counts).from_(_written(result).subquery()))[0]
    return {reference.field: 1.0 if n else None for reference, n in zip(references, written, strict=True)}


def _match_rates(wh: Warehouse, plan: Plan) -> dict[str, float | None]:
    """Share of the file's non-empty references in the classified rows but duplicates that name a
    row of the referenced dimension (real or placeholder) once the load is written; all
    references in one pass over the rows."""
    references = plan.entity.references
    if not references:
        return {}
    rows = _classified()
    rates = [
        template(
            "avg(CASE WHEN c.:f IS NULL THEN NULL WHEN EXISTS (SELECT 1 FROM :dim AS d WHERE d.:k = c.:f) "
            "THEN 1.0 ELSE 0.0 END)",
            dim=table("core", BY_NAME[reference.entity].core_table),
            k=ident(BY_NAME[reference.entity].key[0]),
            f=ident(reference.field),
        )
        for reference in references
    ]
    values = wh.rows(exp.select(*rates).from_(exp.alias_(rows.subquery(), "c")))[0]
    return {
        reference.field: None if rate is None else round(float(rate), 6)
        for reference, rate in zip(references, values, strict=True)
    }
