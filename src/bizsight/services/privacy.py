"""Personal data: who sees it, and how a person's is erased (docs/privacy.md).

**Masking.** Names and e-mail addresses (columns the canonical model marks ``personal``) are
shown only to callers with the ``pii`` grant — the admin role has it; other roles and single users
can be given it. Everyone else gets them masked (``Ana Lovelace`` → ``A. L.``,
``ana@shop.example`` → ``a•••@s•••.example``) in customer views, drill-downs and exports, and
cannot search by them.

**Erasure.** :func:`erase` removes the personal data of the given customers from every table
that holds it — names, e-mails and the text of their reviews, in raw loads, core, marts,
quarantined rows and their reasons —, keeps their anonymous facts (orders, amounts, ratings), writes them to ``meta.erasures`` so a file loaded again
later cannot bring the data back (:func:`apply_erasures` runs after each ingest and refresh), and
audits it. Backups taken afterwards hold no trace; older backups keep what they held until they
are rotated away (``bizsight backup --keep N``).

**Retention.** With ``privacy.retention_months: N`` in bizsight.yml, each refresh erases the
personal data of customers with no order, signup or review in the last N months.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from bizsight.errors import InvalidArgumentError
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.model import ENTITIES
from bizsight.warehouse.sql import col, lit, table

if TYPE_CHECKING:  # the metrics catalogue, the metadata models and pyarrow: not needed to load files
    import pyarrow as pa

    from bizsight.services.access import Principal

ERASED_TABLE = ("meta", "erasures")
ERASABLE: dict[str, str] = {  # personal column → its kind: all of them go when a person is erased
    column.name: column.personal for entity in ENTITIES for column in entity.columns if column.personal
}
PERSONAL = {name: kind for name, kind in ERASABLE.items() if kind in ("name", "email")}  # masked


def mask(kind: str, value: Any) -> Any:
    """A personal value as someone without the ``pii`` grant sees it.

    >>> mask("name", "Ana María Lovelace"), mask("email", "ana@shop.example"), mask("name", None)
    ('A. M. L.', 'a•••@s•••.example', None)
    >>> mask("text", "Call me on 555-0100")
    '•••'
    """
    if value is None or value == "":
        return value
    text = str(value)
    if kind == "name":
        return " ".join(f"{part[0]}." for part in text.split())
    if kind == "email":
        local, _, domain = text.partition("@")
        host, _, tld = domain.rpartition(".")
        return f"{local[:1]}•••@{host[:1]}•••.{tld}" if host else f"{local[:1]}•••"
    return "•••"


def may_see(principal: Principal) -> bool:
    return principal.pii


def mask_records(principal: Principal, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` with their personal columns masked, unless the caller may see them."""
    if may_see(principal) or not rows:
        return rows
    personal = [c for c in rows[0] if c in PERSONAL]
    if not personal:
        return rows
    return [{**row, **{c: mask(PERSONAL[c], row[c]) for c in personal}} for row in rows]


def mask_table(principal: Principal, rows: pa.Table) -> pa.Table:
    """An Arrow table with its personal columns masked, unless the caller may see them."""
    import pyarrow as pa

    if may_see(principal):
        return rows
    for name in [c for c in rows.column_names if c in PERSONAL]:
        masked = pa.array([mask(PERSONAL[name], v) for v in rows.column(name).to_pylist()], type=pa.string())
        rows = rows.set_column(rows.column_names.index(name), name, masked)
    return rows


def searchable(principal: Principal) -> tuple[str, ...]:
    """The customer columns a search may match: personal ones only with the ``pii`` grant."""
    return ("customer_id", *(c for c in ("customer_name", "email") if may_see(principal)))


# -- erasure ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    customers: int  # customers erased now (not before)
    cells: int  # personal values removed, in every table together
    tables: dict[str, int]  # schema.table → values removed there
    unknown: tuple[str, ...] = ()  # ids no customer table holds (remembered all the same)

    def as_dict(self) -> dict[str, Any]:
        return {
            "customers": self.customers,
            "cells": self.cells,
            "tables": self.tables,
            "unknown": list(self.unknown),
        }


def erase(wh: Warehouse, customer_ids: Sequence[str], *, reason: str, by: str | None) -> Erasure:
    """Erase the personal data of ``customer_ids`` everywhere and remember them (one transaction)."""
    ids = sorted({c.strip() for c in customer_ids if c and c.strip()})
    if not ids:
        raise InvalidArgumentError("name one or more customer ids to erase")
    with wh.transaction():
        _ensure_erasures(wh)
        known = {r[0] for r in wh.rows(exp.select("customer_id").from_(table(*ERASED_TABLE)))}
        new = [c for c in ids if c not in known]
        if new:
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            rows = exp.values([(c, now, reason, by) for c in new])
            wh.run(exp.insert(exp.select("*").from_(rows), table(*ERASED_TABLE)))
        known_ids = _known(wh, ids)
        tables = _scrub(wh, ids)
    unknown = tuple(c for c in ids if c not in known_ids)
    return Erasure(customers=len(new), cells=sum(tables.values()), tables=tables, unknown=unknown)


def _known(wh: Warehouse, ids: Sequence[str]) -> set[str]:
    """Which of ``ids`` the warehouse holds a customer row for (loaded or quarantined)."""
    found: set[str] = set()
    for schema, name in (("core", "dim_customer"), ("raw", "customers"), ("quarantine", "customers")):
        if wh.table_exists(schema, name):
            query = (
                exp.select("customer_id")
                .from_(table(schema, name))
                .where(exp.In(this=col("customer_id"), expressions=[lit(c) for c in ids]))
            )
            found |= {r[0] for r in wh.rows(query)}
    return found


def apply_erasures(wh: Warehouse) -> int:
    """Remove again what earlier erasures removed (after a load brought it back); values removed."""
    if not wh.table_exists(*ERASED_TABLE):
        return 0
    ids = [r[0] for r in wh.rows(exp.select("customer_id").from_(table(*ERASED_TABLE)))]
    return sum(_scrub(wh, ids).values()) if ids else 0


def erased(wh: Warehouse) -> list[dict[str, Any]]:
    """Who was erased, when, why and by whom (ids only: the rest is gone)."""
    if not wh.table_exists(*ERASED_TABLE):
        return []
    return wh.records(exp.select("*").from_(table(*ERASED_TABLE)).order_by("erased_at"))


def expired_customers(wh: Warehouse, months: int, today: dt.date) -> list[str]:
    """Customers with no order, signup or review in the last ``months`` months (and not yet erased)."""
    if not wh.table_exists("core", "dim_customer"):
        return []
    cutoff = _months_before(today, months)
    activity = [
        "SELECT customer_id, signup_date::DATE AS active_on FROM core.dim_customer",
        "SELECT customer_id, order_date::DATE FROM core.fact_order_line"
        if wh.table_exists("core", "fact_order_line")
        else "",
        "SELECT customer_id, review_date::DATE FROM core.fact_review"
        if wh.table_exists("core", "fact_review")
        else "",
    ]
    union = " UNION ALL ".join(a for a in activity if a)
    done = "SELECT customer_id FROM meta.erasures" if wh.table_exists(*ERASED_TABLE) else "SELECT NULL"
    # Our own SQL over fixed names; the one value is a parameter.
    rows = wh.rows(
        f"SELECT customer_id FROM ({union}) a GROUP BY customer_id HAVING coalesce(max(active_on), DATE '1900-01-01') < ? "
        f"AND customer_id NOT IN ({done}) ORDER BY customer_id",
        [cutoff],
    )
    return [r[0] for r in rows]


def _months_before(day: dt.date, months: int) -> dt.date:
    """
    >>> _months_before(dt.date(2026, 3, 31), 1), _months_before(dt.date(2026, 1, 15), 13)
    (datetime.date(2026, 2, 28), datetime.date(2024, 12, 15))
    """
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def _ensure_erasures(wh: Warehouse) -> None:
    wh.run("CREATE SCHEMA IF NOT EXISTS meta")
    wh.run(
        "CREATE TABLE IF NOT EXISTS meta.erasures (customer_id VARCHAR PRIMARY KEY, erased_at TIMESTAMP, "
        "reason VARCHAR, erased_by VARCHAR)"
    )


def _holders(wh: Warehouse) -> dict[tuple[str, str], list[str]]:
    """Tables with a ``customer_id`` column and personal columns: (schema, table) → those columns."""
    rows = wh.rows(
        "SELECT c.table_schema, c.table_name, c.column_name FROM information_schema.columns c "
        "JOIN information_schema.tables t USING (table_schema, table_name) "
        "WHERE t.table_type = 'BASE TABLE' AND c.table_schema IN ('raw', 'core', 'marts', 'quarantine') "
        "ORDER BY ALL"
    )
    columns: dict[tuple[str, str], set[str]] = {}
    for schema, name, column in rows:
        columns.setdefault((schema, name), set()).add(column)
    return {
        key: sorted(have & set(ERASABLE))
        for key, have in columns.items()
        if "customer_id" in have and have & set(ERASABLE)
    }


def _scrub(wh: Warehouse, ids: Iterable[str]) -> dict[str, int]:
    """Set the personal columns of these customers' rows to NULL in every table holding them; a
    quarantined row's reason quotes the rejected value, so a reason about a personal field is
    rewritten too. Values removed per table."""
    wanted = exp.In(this=col("customer_id"), expressions=[lit(c) for c in ids])
    removed: dict[str, int] = {}
    for (schema, name), personal in _holders(wh).items():
        target = table(schema, name)
        counts = exp.select(*[exp.func("count", col(c)) for c in personal]).from_(target).where(wanted)
        count = sum(int(n or 0) for n in wh.rows(counts)[0])
        if not count:
            continue
        wh.run(exp.update(target, {c: exp.null() for c in personal}, where=wanted))
        if schema == "quarantine":
            _rewrite_reasons(wh, target, wanted, personal)
        removed[f"{schema}.{name}"] = count
    return removed


def _rewrite_reasons(wh: Warehouse, target: exp.Table, wanted: exp.Expr, personal: list[str]) -> None:
    columns = {r[0] for r in wh.rows(f"DESCRIBE {target.sql(dialect='duckdb')}")}
    if not {"reason", "field"} <= columns:
        return
    about = exp.In(this=col("field"), expressions=[lit(c) for c in personal])
    wh.run(
        exp.update(
            target,
            {"reason": exp.func("concat", col("field"), lit(": the value was erased"))},
            where=exp.and_(wanted, about),
        )
    )
