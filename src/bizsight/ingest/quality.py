"""The quality report of one load: what was read, what happened to it, and how complete it is."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlglot import exp

from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.model import BY_NAME
from bizsight.warehouse.sql import ident, table, template

if TYPE_CHECKING:
    from bizsight.ingest.classify import Plan
    from bizsight.ingest.loader import LoadResult
    from bizsight.ingest.sources import SourceFile

EXAMPLES_PER_RULE = 3


def quality_report(
    wh: Warehouse, plan: Plan, source: SourceFile, result: LoadResult, *, before: int, after: int
) -> dict[str, Any]:
    """Counts per rule, missing share per column, duplicates, match rates and row counts before
    and after, computed from the classified rows of the load in progress."""
    entity = plan.entity
    rules = dict(
        wh.rows(
            "SELECT _rule, count(*) FROM classified WHERE _action = 'quarantine' GROUP BY 1 ORDER BY 2 DESC"
        )
    )
    examples: dict[str, list[str]] = {}
    for rule, reason in wh.rows(
        template(
            "SELECT _rule, _reason FROM :q WHERE _load_id = ? "
            "QUALIFY row_number() OVER (PARTITION BY _rule ORDER BY _line) <= ?",
            q=table("quarantine", entity.name),
        ),
        [result.load_id, EXAMPLES_PER_RULE],
    ):
        examples.setdefault(rule, []).append(reason)
    present = plan.present
    bits = [entity.columns.index(c) for c in present]
    shares = exp.select(
        *(template(f"avg(CASE WHEN _missing & {1 << i} <> 0 THEN 1.0 ELSE 0.0 END)") for i in bits)
    ).from_("classified")
    missing = {}
    if present and result.rows_read:
        values = wh.rows(shares)[0]
        missing = {c.name: round(float(v or 0), 6) for c, v in zip(present, values, strict=True)}
    return {
        "load_id": result.load_id,
        "file": str(source.path),
        "entity": entity.name,
        "format": source.format.name,
        "preset": source.preset.name,
        "columns": source.columns,
        "rows_read": result.rows_read,
        "inserted": result.counts["insert"],
        "updated": result.counts["update"],
        "quarantined": result.quarantined,
        "quarantined_by_rule": rules,
        "exact_duplicates": result.counts["exact_duplicate"],
        "resent_duplicates": result.counts["resent_duplicate"],
        "placeholders_created": result.placeholders,
        "invariant_holds": result.rows_read == result.loaded + result.quarantined + result.duplicates,
        "missing_share": missing,
        "match_rate": _match_rates(wh, plan),
        "examples": examples,
        "core_rows_before": before,
        "core_rows_after": after,
    }


def _match_rates(wh: Warehouse, plan: Plan) -> dict[str, float | None]:
    """Share of the file's non-empty references that name a row of the referenced dimension
    (real or placeholder) once the load is written."""
    rates: dict[str, float | None] = {}
    for reference in plan.entity.references:
        target = BY_NAME[reference.entity]
        rate = wh.scalar(
            template(
                "SELECT avg(CASE WHEN EXISTS (SELECT 1 FROM :dim AS d WHERE d.:k = c.:f) THEN 1.0 ELSE 0.0 END) "
                "FROM classified AS c WHERE c.:f IS NOT NULL AND c._action NOT LIKE '%duplicate'",
                dim=table("core", target.core_table),
                k=ident(target.key[0]),
                f=ident(reference.field),
            )
        )
        rates[reference.field] = None if rate is None else round(float(rate), 6)
    return rates
