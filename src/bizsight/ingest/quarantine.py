"""Quarantine: rejected rows with their original text, their rule and a one-line reason.

One row per bad source row, however often it is sent: a rejected row whose text (every column of
the entity as read) the quarantine already holds, from an earlier load or earlier in the same file,
is not stored again. It counts as a duplicate of its load instead — ``resent_duplicate`` when an
earlier load sent it, ``exact_duplicate`` when the same file repeats it — so that rows read =
loaded + quarantined + duplicates still holds per file.
"""

from __future__ import annotations

from sqlglot import exp

from bizsight.ingest import coerce
from bizsight.ingest.classify import MIXED_DATE_ORDER, Plan
from bizsight.ingest.sources import SourceFile
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.model import Kind
from bizsight.warehouse.sql import col, ident, lit, table, template


def skip_repeats(wh: Warehouse, plan: Plan) -> int:
    """Reclassify rejected rows that the quarantine holds already (see the module's docstring) as
    duplicates; returns how many there were."""
    entity = plan.entity
    names = [f"_q{i}" for i in range(len(entity.columns))]
    texts = [plan.source_text(column, "s") for column in entity.columns]
    # Rejected rows are few: compare their text column by column, no hash that could collide.
    first = exp.Window(this=exp.Min(this=col("_row", "c")), partition_by=texts)
    rejected = (
        exp.select(
            col("_row", "c"),
            exp.alias_(first, "_first"),
            *(exp.alias_(text, name) for text, name in zip(texts, names, strict=True)),
        )
        .from_(exp.alias_(exp.to_table("classified"), "c"), copy=False)
        .join(
            exp.alias_(exp.to_table(plan.stage), "s"),
            on=template("s.rowid = c._row + :first", first=lit(plan.first_rowid)),
            copy=False,
        )
        .where("c._action = 'quarantine'", copy=False)
    )
    same = exp.and_(
        *(
            template("q.:c IS NOT DISTINCT FROM b.:n", c=ident(column.name), n=ident(name))
            for column, name in zip(entity.columns, names, strict=True)
        )
    )
    held = template(
        "EXISTS (SELECT 1 FROM :held AS q WHERE :same)", held=table("quarantine", entity.name), same=same
    )
    repeats = exp.select(
        col("_row", "b"),
        exp.alias_(template("b._first < b._row"), "_again"),
        exp.alias_(held, "_held"),
    ).from_(rejected.subquery("b"))
    update = template(
        "UPDATE classified SET _action = CASE WHEN r._held THEN 'resent_duplicate' ELSE 'exact_duplicate' END "
        "FROM :repeats AS r WHERE classified._row = r._row AND (r._held OR r._again) RETURNING 1",
        repeats=repeats.subquery(),
    )
    return len(wh.rows(update))


def write(wh: Warehouse, plan: Plan, source: SourceFile, load_id: int, shown: str) -> None:
    """Insert the rows classified ``quarantine`` into ``quarantine.<entity>`` with their reasons."""
    entity = plan.entity
    line = template(":row + :first", row=col("_row", "c"), first=lit(source.format.first_data_line))
    value = exp.Case(
        this=col("_field", "c"),
        ifs=[exp.If(this=lit(c.name), true=coerce.trimmed(plan.source_text(c, "s"))) for c in plan.present],
    )
    expected = exp.Case(
        ifs=[
            exp.If(
                this=template("c._rule = :r AND c._field = :f", r=lit(rule), f=lit(name)),
                true=lit(text),
            )
            for rule, name, text in _expectations(plan)
        ],
        default=lit("a valid value"),
    )
    reason = template(
        "printf('%s %d: ', :unit, :line) || CASE c._rule "
        "WHEN 'missing_required' THEN c._field || ' is empty; a value is required' "
        "WHEN 'duplicate_key' THEN c._field || ' repeats an earlier row with different values' "
        "WHEN 'unknown_customer' THEN c._field || ' ''' || :value || ''' is not a known customer' "
        "WHEN 'unknown_product' THEN c._field || ' ''' || :value || ''' is not a known product' "
        "WHEN 'mixed_date_order' THEN c._field || ' ''' || :value || ''' ' || :expected "
        "ELSE c._field || ' ''' || :value || ''': expected ' || :expected END",
        unit=lit(source.format.unit),
        line=line,
        value=value,
        expected=expected,
    )
    select = (
        exp.select(
            lit(load_id),
            lit(shown),
            line,
            col("_rule", "c"),
            col("_field", "c"),
            reason,
            *(plan.source_text(column, "s") for column in entity.columns),
        )
        .from_(exp.alias_(exp.to_table("classified"), "c"), copy=False)
        .join(
            exp.alias_(exp.to_table("stg"), "s"),
            on=template("s.rowid = c._row + :first", first=lit(plan.first_rowid)),
            copy=False,
        )
        .where("c._action = 'quarantine'", copy=False)
    )
    wh.run(exp.insert(select, table("quarantine", entity.name)))


def _expectations(plan: Plan) -> list[tuple[str, str, str]]:
    entity = plan.entity
    rows = [(MIXED_DATE_ORDER, name, reason) for name, reason in plan.date_reasons.items()]
    rows += [
        ("invalid_number", c.name, c.expected) for c in entity.columns if c.kind in (Kind.INTEGER, Kind.MONEY)
    ]
    rows += [
        ("invalid_date", c.name, c.expected) for c in entity.columns if c.kind in (Kind.DATE, Kind.TIMESTAMP)
    ]
    rows += [("invalid_value", c.name, c.expected) for c in entity.columns if c.kind is Kind.ENUM]
    rows += [(check.rule, check.field, check.expected) for check in entity.checks]
    return rows
