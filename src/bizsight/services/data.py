"""The data use cases of the API: status, loads, quality reports and the quarantine browser."""

from __future__ import annotations

import json
from typing import Any

from sqlglot import exp

from bizsight.errors import InvalidArgumentError, NotFoundError, did_you_mean
from bizsight.services.status import collect
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.model import ENTITIES
from bizsight.warehouse.sql import col, lit, table

MAX_PAGE = 1000
_LOAD_COLUMNS = [
    "load_id", "entity", "source_file", "format", "preset", "started_at", "finished_at", "rows_read",
    "inserted", "updated", "quarantined", "exact_duplicates", "resent_duplicates", "placeholders",
    "data_version",
]  # fmt: skip


def data_status(wh: Warehouse) -> dict[str, Any]:
    return collect(wh)


def loads(wh: Warehouse, *, page: int = 1, page_size: int = 50) -> dict[str, Any]:
    _check_page(page, page_size)
    select = (
        exp.select(*[col(c) for c in _LOAD_COLUMNS])
        .from_(table("meta", "loads"))
        .order_by(exp.Ordered(this=col("load_id"), desc=True))
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    total = int(wh.scalar("SELECT count(*) FROM meta.loads"))
    records = wh.records(select)
    for record in records:
        record["duplicates"] = _duplicates(record)
    return {"total": total, "page": page, "page_size": page_size, "loads": records}


def quality_report(wh: Warehouse, load_id: int) -> dict[str, Any]:
    """The quality report of one load, as stored with it; its counts are the load's (the CLI's)."""
    rows = wh.rows("SELECT quality FROM meta.loads WHERE load_id = ?", [load_id])
    if not rows:
        raise NotFoundError(f"no load with id {load_id}")
    report: dict[str, Any] = json.loads(rows[0][0]) if rows[0][0] else {}
    if report and "duplicates" not in report:  # stored before the report counted them together
        report["duplicates"] = _duplicates(report)
        report["loaded"] = (report.get("inserted") or 0) + (report.get("updated") or 0)
    return report


def _duplicates(counts: dict[str, Any]) -> int:
    """Duplicates skipped, exact and re-sent together: the number the CLI shows for a load."""
    return int(counts.get("exact_duplicates") or 0) + int(counts.get("resent_duplicates") or 0)


def quarantine(
    wh: Warehouse, entity: str, *, rule: str | None = None, page: int = 1, page_size: int = 100
) -> dict[str, Any]:
    """Rejected rows of one entity, with file, line, rule and reason, a page at a time."""
    _check_page(page, page_size)
    names = [e.name for e in ENTITIES]
    if entity not in names:
        raise InvalidArgumentError(
            f"unknown entity '{entity}'{did_you_mean(entity, names)}; use {', '.join(names)}"
        )
    if not wh.table_exists("quarantine", entity):
        return {"entity": entity, "total": 0, "page": page, "page_size": page_size, "rows": [], "rules": {}}
    source = table("quarantine", entity)
    select = exp.select(exp.Star()).from_(source)
    if rule is not None:
        select = select.where(exp.EQ(this=col("_rule"), expression=lit(rule)))
    total = int(wh.scalar(exp.select("count(*)").from_(exp.Subquery(this=select.copy(), alias="q"))))
    rules = dict(wh.rows(exp.select("_rule", "count(*)").from_(source).group_by("_rule").order_by("2 DESC")))
    rows = select.order_by(col("_load_id"), col("_line")).limit(page_size).offset((page - 1) * page_size)
    return {
        "entity": entity,
        "total": total,
        "page": page,
        "page_size": page_size,
        "rules": rules,
        "rows": wh.records(rows),
    }


def _check_page(page: int, page_size: int) -> None:
    if page < 1 or not 1 <= page_size <= MAX_PAGE:
        raise InvalidArgumentError(f"page must be 1 or more and page_size from 1 to {MAX_PAGE}")
