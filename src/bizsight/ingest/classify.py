"""Validation and de-duplication as SQL over a staged file.

``typed_rows`` turns the staged text into typed columns plus, per row, the first rule it breaks.
``classified_rows`` then decides each row's fate: ``insert``, ``update``, ``quarantine``,
``exact_duplicate`` or ``resent_duplicate``. Both are syntax trees built from the entity's
definition; no user text is pasted into them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from bizsight.config import DateOrder
from bizsight.ingest import coerce
from bizsight.warehouse.model import BY_NAME, Column, Entity, Kind
from bizsight.warehouse.sql import col, ident, lit, table, template

NUMERIC = (Kind.INTEGER, Kind.MONEY)
ROW = "_bizsight_row"  # the data row number the reader adds to the staged file, from 0
TEMPORAL = (Kind.DATE, Kind.TIMESTAMP)


@dataclass(frozen=True)
class Plan:
    """What the classification needs to know about one file."""

    entity: Entity
    columns: dict[str, str]  # canonical → source column
    derived: dict[str, str]  # canonical → SQL template over source columns
    date_orders: dict[str, DateOrder]  # per date column
    timezone: str
    skip_references: frozenset[str]  # reference fields whose unknown keys become placeholders
    stage: str = "stg"

    def source_text(self, column: Column, alias: str | None = None) -> exp.Expression:
        """The untrimmed text of a canonical column in the staged file (NULL when absent)."""
        if column.name in self.columns:
            return col(self.columns[column.name], alias)
        if column.name in self.derived:
            return template(self.derived[column.name], **{name: col(name, alias) for name in self.columns.values()})
        return exp.cast(exp.null(), "VARCHAR")


def _text(name: str) -> str:
    return f"_t_{name}"


def typed_rows(plan: Plan) -> exp.Select:
    """Typed columns, trimmed text (``_t_*``), the exact-duplicate rank and the row hash."""
    entity = plan.entity
    projections: list[exp.Expression] = [col(ROW)]
    for column in entity.columns:
        projections.append(exp.alias_(coerce.trimmed(plan.source_text(column)), _text(column.name)))
    raw_columns = [col(name) for name in plan.columns.values()]
    projections.append(
        exp.alias_(
            template("row_number() OVER (PARTITION BY :cols ORDER BY :row)", cols=exp.Tuple(expressions=raw_columns), row=col(ROW))
            if raw_columns
            else lit(1),
            "_copy",
        )
    )
    trimmed = exp.select(*projections).from_(exp.to_table(plan.stage))
    typed: list[exp.Expression] = [exp.alias_(col(ROW), "_row"), col("_copy")]
    for column in entity.columns:
        value = coerce.typed(column, col(_text(column.name)), plan.date_orders.get(column.name, DateOrder.AUTO), plan.timezone)
        typed.append(exp.alias_(value, column.name))
        typed.append(col(_text(column.name)))
    select = exp.select(*typed).from_(trimmed.subquery("t"))
    for column in entity.columns:
        if column.kind is Kind.CATEGORY and column.name in plan.columns:
            select = _unify_spelling(select, column, plan)
    return select


def _unify_spelling(select: exp.Select, column: Column, plan: Plan) -> exp.Select:
    """Replace a categorical value by its most frequent spelling in the file, ignoring case, so
    ' europe ' and 'EUROPE' become 'Europe' when 'Europe' is the usual spelling."""
    alias = f"_spell_{column.name}"
    spellings = template(
        "SELECT lower(v) AS k, first(v ORDER BY n DESC, v) AS v FROM "
        "(SELECT :t AS v, count(*) AS n FROM :stage GROUP BY 1 HAVING v IS NOT NULL) GROUP BY 1",
        t=coerce.trimmed(plan.source_text(column)),
        stage=exp.to_table(plan.stage),
    )
    expressions = [
        exp.alias_(template("COALESCE(:m.v, :c)", m=ident(alias), c=col(_text(column.name), "t")), column.name)
        if isinstance(e, exp.Alias) and e.alias == column.name
        else e
        for e in select.expressions
    ]
    select.set("expressions", expressions)
    on = template("lower(:c) = :m.k", c=col(_text(column.name), "t"), m=ident(alias))
    return select.join(exp.Subquery(this=spellings, alias=exp.TableAlias(this=ident(alias))), on=on, join_type="left")


def problem(plan: Plan) -> tuple[exp.Expression, exp.Expression]:
    """(rule, field) of the first rule each typed row breaks, NULL when it breaks none."""
    entity = plan.entity
    cases: list[tuple[exp.Expression, str, str]] = []
    for column in entity.columns:
        if column.required:
            cases.append((col(_text(column.name)).is_(exp.null()), "missing_required", column.name))
    for kind, rule in ((NUMERIC, "invalid_number"), (TEMPORAL, "invalid_date")):
        for column in entity.columns:
            if column.kind in kind:
                cases.append((template(":t IS NOT NULL AND :v IS NULL", t=col(_text(column.name)), v=col(column.name)), rule, column.name))
    for column in entity.columns:
        if column.kind is Kind.ENUM:
            allowed = exp.In(this=col(column.name), expressions=[lit(value) for value in column.allowed])
            cases.append((exp.not_(allowed), "invalid_value", column.name))
    for check in entity.checks:
        cases.append((template(f"COALESCE({check.failing}, false)"), check.rule, check.field))
    for reference in entity.references:
        if reference.field in plan.skip_references:
            continue
        target = BY_NAME[reference.entity]
        known = template(
            "EXISTS (SELECT 1 FROM :dim AS d WHERE d.:k = :v)",
            dim=table("core", target.core_table),
            k=ident(target.key[0]),
            v=col(reference.field, "tr"),
        )
        cases.append((template(":v IS NOT NULL AND NOT :known", v=col(reference.field, "tr"), known=known), reference.rule, reference.field))
    rule = exp.Case(ifs=[exp.If(this=cond, true=lit(r)) for cond, r, _ in cases])
    field = exp.Case(ifs=[exp.If(this=cond, true=lit(f)) for cond, _, f in cases])
    return rule, field


def classified_rows(plan: Plan, typed_table: str) -> exp.Select:
    """Each typed row with ``_action``, ``_rule``, ``_field`` and ``_row_hash``."""
    entity = plan.entity
    rule, field = problem(plan)
    values = [col(name) for name in entity.column_names]
    checked = exp.select(
        "*",
        exp.alias_(template("hash(:v)", v=exp.Tuple(expressions=values)), "_row_hash"),
        exp.alias_(template("CASE WHEN _copy = 1 THEN :r END", r=rule), "_rule"),
        exp.alias_(template("CASE WHEN _copy = 1 THEN :f END", f=field), "_field"),
    ).from_(exp.alias_(exp.to_table(typed_table), "tr"))
    key = exp.Tuple(expressions=[col(name) for name in entity.key])
    # Among valid rows, the first of a key wins; a later identical one is re-sent, a later
    # different one breaks key uniqueness.
    ranked = exp.select(
        "*",
        exp.alias_(
            template(
                "CASE WHEN _copy = 1 AND _rule IS NULL THEN row_number() OVER "
                "(PARTITION BY _copy = 1 AND _rule IS NULL, :key ORDER BY _row) END",
                key=key,
            ),
            "_key_rank",
        ),
        exp.alias_(
            template(
                "first_value(_row_hash) OVER (PARTITION BY _copy = 1 AND _rule IS NULL, :key ORDER BY _row)",
                key=key,
            ),
            "_first_hash",
        ),
    ).from_(checked.subquery("c"))
    core = table("core", entity.core_table)
    join_on = exp.and_(*(template("r.:k IS NOT DISTINCT FROM w.:k", k=ident(name)) for name in entity.key))
    placeholder = "COALESCE(w.is_placeholder, false)" if entity.name in DIMENSION_ENTITIES else "false"
    select = template(
        "SELECT r.* EXCLUDE (_rule, _field), "
        "CASE WHEN r._copy > 1 THEN 'exact_duplicate' "
        "     WHEN r._rule IS NOT NULL THEN 'quarantine' "
        "     WHEN r._key_rank > 1 AND r._row_hash = r._first_hash THEN 'resent_duplicate' "
        "     WHEN r._key_rank > 1 THEN 'quarantine' "
        f"     WHEN w._row_hash = r._row_hash AND NOT {placeholder} THEN 'resent_duplicate' "
        f"     WHEN w._load_id IS NOT NULL OR {placeholder} THEN 'update' "
        "     ELSE 'insert' END AS _action, "
        "CASE WHEN r._key_rank > 1 AND r._row_hash <> r._first_hash THEN 'duplicate_key' "
        "     ELSE r._rule END AS _rule, "
        "CASE WHEN r._key_rank > 1 AND r._row_hash <> r._first_hash THEN :key_name "
        "     ELSE r._field END AS _field "
        "FROM r",
        key_name=lit("+".join(entity.key)),
    )
    assert isinstance(select, exp.Select)
    return select.from_(ranked.subquery("r")).join(exp.alias_(core, "w"), on=join_on, join_type="left")


DIMENSION_ENTITIES = ("customers", "products")
