"""Validation and de-duplication as SQL over a staged file.

:func:`typed_rows` turns the staged text into typed columns and, per row, the first rule it
breaks. :func:`classified_rows` then decides each row's fate: ``insert``, ``update``,
``quarantine``, ``exact_duplicate`` or ``resent_duplicate``. Both are syntax trees built from the
entity's definition; user text only ever enters them as quoted identifiers or literals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from bizsight.config import DateOrder
from bizsight.ingest import coerce
from bizsight.warehouse.model import BY_NAME, Column, Entity, Kind
from bizsight.warehouse.sql import col, ident, lit, table, template
from bizsight.warehouse.transforms import same_key

NUMERIC = (Kind.INTEGER, Kind.MONEY)
TEMPORAL = (Kind.DATE, Kind.TIMESTAMP)
FEW_TEXTS = (Kind.CATEGORY, Kind.ENUM, Kind.CODE)  # kinds of columns with a few distinct texts
DIMENSION_ENTITIES = ("customers", "products")
MIXED_DATE_ORDER = "mixed_date_order"


@dataclass(frozen=True)
class Plan:
    """What the classification needs to know about one file."""

    entity: Entity
    columns: dict[str, str]  # canonical → source column
    derived: dict[str, str]  # canonical → SQL template over source columns
    date_orders: dict[str, DateOrder]  # per date column: the file's way of writing slash dates
    timezone: str
    skip_references: frozenset[str]  # reference fields whose unknown keys become placeholders
    spellings: dict[str, dict[str, str]] = field(default_factory=dict)  # column → {lower: usual}
    first_rowid: int = 0  # rowid of the staged table's first row
    stage: str = "stg"
    # per date column: why a date written the other way round is refused ("is month-first but ...")
    date_reasons: dict[str, str] = field(default_factory=dict)
    # columns the stage holds as DECIMAL(18, 4) already (a typed read): no trimming, no parsing
    decimals: frozenset[str] = frozenset()
    # columns of few texts (categories, enums, codes) none of whose staged texts has whitespace
    # around it or is empty (the plan counts every distinct text): no trimming
    clean: frozenset[str] = frozenset()

    @property
    def present(self) -> list[Column]:
        """The entity's columns that the file provides (directly or derived)."""
        return [c for c in self.entity.columns if c.name in self.columns or c.name in self.derived]

    def source_text(self, column: Column, alias: str | None = None) -> exp.Expr:
        """The untrimmed text of a canonical column in the staged file (NULL when absent)."""
        if column.name in self.columns:
            return col(self.columns[column.name], alias)
        if column.name in self.derived:
            return template(
                self.derived[column.name],
                **{name: col(name, alias) for name in self.columns.values()},
            )
        return exp.cast(exp.null(), "VARCHAR")


def _text(name: str) -> str:
    return f"_t_{name}"


def typed_rows(plan: Plan) -> exp.Select:
    """Per staged row: ``_row``, the typed columns, ``_missing`` (bit i set when the i-th column
    of the entity is empty), ``_raw_hash`` of the text as read, ``_row_hash`` of the typed values,
    and the first broken rule as ``_rule`` and ``_field`` (NULL when none)."""
    entity = plan.entity
    raw_columns = [col(name) for name in plan.columns.values()]
    trimmed = exp.select(
        exp.alias_(template("rowid - :first", first=lit(plan.first_rowid)), "_row"),
        exp.alias_(template("hash(:v)", v=exp.Tuple(expressions=raw_columns)), "_raw_hash"),
        *(exp.alias_(staged(plan, c), _text(c.name)) for c in entity.columns),
    ).from_(exp.to_table(plan.stage), copy=False)
    typed = exp.select(
        col("_row"),
        col("_raw_hash"),
        *(exp.alias_(_typed_value(plan, c), c.name) for c in entity.columns),
        *(col(_text(c.name)) for c in entity.columns),
    ).from_(trimmed.subquery("t", copy=False), copy=False)
    missing = " + ".join(
        f"(CASE WHEN {_text(c.name)} IS NULL THEN {1 << i} ELSE 0 END)" for i, c in enumerate(entity.columns)
    )
    first, broken = problem(plan)
    checked = exp.select(
        col("_row"),
        *(col(name) for name in entity.column_names),
        exp.alias_(template(missing), "_missing"),
        col("_raw_hash"),
        exp.alias_(
            template("hash(:v)", v=exp.Tuple(expressions=[col(n) for n in entity.column_names])),
            "_row_hash",
        ),
        exp.alias_(first, "_problem"),
        exp.alias_(template("hash(:v)", v=exp.Tuple(expressions=[col(n) for n in entity.key])), "_key_hash"),
    ).from_(exp.alias_(typed.subquery(copy=False), "tr", copy=False), copy=False)

    def named(part: int, name: str) -> exp.Expr:
        ifs = [exp.If(this=lit(i), true=lit(pair[part])) for i, pair in enumerate(broken, start=1)]
        return exp.alias_(exp.Case(this=col("_problem"), ifs=ifs), name)

    return exp.select(template("* EXCLUDE (_problem)"), named(0, "_rule"), named(1, "_field")).from_(
        checked.subquery(copy=False), copy=False
    )


def staged(plan: Plan, column: Column) -> exp.Expr:
    """The value as staged, for typing: trimmed text (NULL when empty), or the number itself when
    the typed read has parsed it already, or the text itself when no value of it needs trimming."""
    if column.name in plan.decimals or column.name in plan.clean:
        return plan.source_text(column)
    return coerce.trimmed(plan.source_text(column))


def _typed_value(plan: Plan, column: Column) -> exp.Expr:
    text = col(_text(column.name))
    if column.name in plan.decimals:
        return coerce.whole(text) if column.kind is Kind.INTEGER else text
    value = coerce.typed(column, text, plan.date_orders.get(column.name, DateOrder.AUTO), plan.timezone)
    usual = plan.spellings.get(column.name)
    if not usual:
        return value
    # Unify variants (' europe ', 'EUROPE') to the file's usual spelling ('Europe').
    return exp.Case(
        this=template("lower(:t)", t=text),
        ifs=[exp.If(this=lit(key), true=lit(spelling)) for key, spelling in sorted(usual.items())],
        default=value,
    )


# Counted per distinct raw text first, so the trimming runs on a handful of values, not every row
# (empty values are left out afterwards: a filter on the trimmed value here would be pushed
# below the inner count, and trim every row). The last column says whether every text spelled
# so was read as it is kept (no whitespace around it, not empty): when all are, the column
# needs no trimming (:attr:`Plan.clean`).
SPELLINGS = """
SELECT lower(v), v, sum(n), bool_and(x IS NOT DISTINCT FROM v)
FROM (SELECT :t AS v, x, n FROM (SELECT :raw AS x, count(*) AS n FROM :stage GROUP BY 1))
GROUP BY ALL
"""


def usual_spellings(counts: list[tuple[str | None, str | None, int]]) -> dict[str, str]:
    """For each case-insensitive value with several spellings, the most frequent one (ties: the
    first in sort order); values with a single spelling need no mapping, empty ones (None) none.

    >>> usual_spellings([("europe", "Europe", 5), ("europe", "EUROPE", 1), ("asia", "Asia", 2), (None, None, 3)])
    {'europe': 'Europe'}
    """
    groups: dict[str, list[tuple[int, str]]] = {}
    for key, spelling, n in counts:
        if key is not None and spelling is not None:
            groups.setdefault(key, []).append((-n, spelling))
    return {key: min(options)[1] for key, options in groups.items() if len(options) > 1}


def problem(plan: Plan) -> tuple[exp.Expr, list[tuple[str, str]]]:
    """Which rule each typed row breaks first, NULL when it breaks none: its position (from 1) in
    the list of (rule, field) that comes with it. Each condition is evaluated once per row."""
    entity = plan.entity
    cases: list[tuple[exp.Expr, str, str]] = []
    for column in entity.columns:
        if column.required:
            cases.append((col(_text(column.name)).is_(exp.null()), "missing_required", column.name))
    for kinds, rule in ((NUMERIC, "invalid_number"), (TEMPORAL, "invalid_date")):
        for column in entity.columns:
            if column.kind in kinds:
                failed = template(
                    ":t IS NOT NULL AND :v IS NULL", t=col(_text(column.name)), v=col(column.name)
                )
                order = plan.date_orders.get(column.name, DateOrder.AUTO)
                if column.kind in TEMPORAL and order is not DateOrder.AUTO:
                    # Read the file's way only, a date written the other way round is no date
                    # here; say so rather than "no date".
                    other = coerce.written_other_way(col(_text(column.name)), order)
                    cases.append((exp.and_(failed, other), MIXED_DATE_ORDER, column.name))
                cases.append((failed, rule, column.name))
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
        unknown = template(":v IS NOT NULL AND NOT :known", v=col(reference.field, "tr"), known=known)
        cases.append((unknown, reference.rule, reference.field))
    first = exp.Case(ifs=[exp.If(this=cond, true=lit(i)) for i, (cond, _, _) in enumerate(cases, start=1)])
    return first, [(rule, name) for _, rule, name in cases]


# Keys that several valid rows share, with what their first row (in file order) holds. Most
# keys are unique, so an aggregate of the few repeated ones is far cheaper than ranking every row
# with a window; and counting the keys' hashes first (one integer per row) finds the few rows to
# aggregate far faster than grouping every row by its key text (a collision only adds a row).
_REPEATED_KEYS = """
SELECT min(_row) AS _first_row, arg_min(_row_hash, _row) AS _first_hash, arg_min(_raw_hash, _row) AS _first_raw
FROM typed WHERE _rule IS NULL AND _key_hash IN (
  SELECT _key_hash FROM typed WHERE _rule IS NULL GROUP BY 1 HAVING count(*) > 1)
GROUP BY ALL HAVING count(*) > 1
"""

# Among valid rows the first of a key wins. A later row of the same key is an exact duplicate
# when its text is the same, a re-sent one when its values are the same after cleaning, and
# breaks key uniqueness otherwise. A first row whose values the warehouse already holds is
# re-sent too; one whose key it holds with other values is an update.
_ACTION = """
SELECT r.* EXCLUDE (_rule, _field, _key_hash),
  CASE WHEN r._rule IS NOT NULL THEN 'quarantine'
       WHEN r._row > d._first_row AND r._raw_hash = d._first_raw THEN 'exact_duplicate'
       WHEN r._row > d._first_row AND r._row_hash = d._first_hash THEN 'resent_duplicate'
       WHEN r._row > d._first_row THEN 'quarantine'
       WHEN w._row_hash = r._row_hash AND NOT :placeholder THEN 'resent_duplicate'
       WHEN w._load_id IS NOT NULL OR :placeholder THEN 'update'
       ELSE 'insert' END AS _action,
  CASE WHEN r._rule IS NULL AND r._row > d._first_row AND r._row_hash <> d._first_hash THEN 'duplicate_key'
       ELSE r._rule END AS _rule,
  CASE WHEN r._rule IS NULL AND r._row > d._first_row AND r._row_hash <> d._first_hash THEN :key_name
       ELSE r._field END AS _field,
  COALESCE(r._row > d._first_row, false) AS _later
FROM typed AS r
"""


def classified_rows(plan: Plan) -> exp.Select:
    """Each typed row with ``_action``, and ``_rule``/``_field`` when quarantined."""
    entity = plan.entity
    keys = [col(name) for name in entity.key]
    repeated = template(_REPEATED_KEYS)
    assert isinstance(repeated, exp.Select)
    repeated = repeated.select(*keys, append=False).select(*repeated.expressions, append=True)
    select = template(_ACTION, placeholder=_placeholder(entity), key_name=lit("+".join(entity.key)))
    assert isinstance(select, exp.Select)
    select = select.join(
        repeated.subquery("d", copy=False), on=same_key(entity, "r", "d"), join_type="left", copy=False
    )
    select = _with_current(select, entity)
    typed = exp.CTE(this=typed_rows(plan), alias=exp.TableAlias(this=ident("typed")), materialized=True)
    select.set("with_", exp.With(expressions=[typed]))
    return select


# A file read typed goes straight to raw, classified on the way (decision 0054): a row that
# breaks a rule stops the statement (the file then takes the text path, whose classification
# quarantines it with its text), and a row the warehouse holds with the same values is a re-sent
# duplicate, left out. Keys must not repeat in the file: the loader checks that afterwards, in the
# same transaction (:func:`repeated_written_key`, :func:`repeated_key`).
CHECKED_STOP = "bizsight: a row of this file breaks a rule"

_CHECKED = """
SELECT CAST(:load_id AS INTEGER) AS _load_id,
  CASE WHEN r._rule IS NULL THEN r._row ELSE error(:stop) END AS _line,
  r._row_hash
FROM :typed AS r
WHERE r._rule IS NOT NULL OR NOT COALESCE(w._row_hash = r._row_hash AND NOT :placeholder, false)
"""


def checked_rows(plan: Plan, load_id: int) -> exp.Select:
    """The rows of raw (``_load_id``, ``_line``, ``_row_hash`` and the entity's columns) that a
    typed read adds; running it fails with :data:`CHECKED_STOP` when a row breaks a rule."""
    entity = plan.entity
    select = template(
        _CHECKED,
        load_id=lit(load_id),
        stop=lit(CHECKED_STOP),
        typed=typed_rows(plan).subquery(copy=False),
        placeholder=_placeholder(entity),
    )
    assert isinstance(select, exp.Select)
    select = select.select(*(col(name, "r") for name in entity.column_names), copy=False)
    return _with_current(select, entity)


def repeated_key(plan: Plan) -> exp.Select:
    """Whether a key (its hash: a collision only sends a file to the text path) occurs in more
    than one row of the file. Only the key is typed: no rule is checked."""
    key = [c for c in plan.entity.columns if c.name in plan.entity.key]
    staged_keys = exp.select(*(exp.alias_(staged(plan, c), _text(c.name)) for c in key)).from_(plan.stage)
    typed_keys = exp.select(*(exp.alias_(_typed_value(plan, c), c.name) for c in key)).from_(
        staged_keys.subquery(copy=False), copy=False
    )
    return _any_repeated(typed_keys)


def repeated_written_key(entity: Entity, load_id: int) -> exp.Select:
    """Whether a key (its hash, as in :func:`repeated_key`) occurs in more than one row that load
    ``load_id`` wrote to core: when it wrote every row of its file, whether a key repeats there,
    without typing the keys again."""
    written_keys = (
        exp.select(*(col(n) for n in entity.key))
        .from_(table("core", entity.core_table))
        .where(exp.column("_load_id").eq(lit(load_id)))
    )
    return _any_repeated(written_keys)


def _any_repeated(keys: exp.Select) -> exp.Select:
    """Whether two rows of ``keys`` (a select of a key's named parts) hash alike."""
    parts = [col(name) for name in keys.named_selects]
    hashes = exp.select(exp.alias_(template("hash(:v)", v=exp.Tuple(expressions=parts)), "h")).from_(
        keys.subquery(copy=False), copy=False
    )
    repeated = hashes.group_by("h", copy=False).having("count(*) > 1", copy=False)
    return exp.select("count(*) > 0").from_(repeated.subquery(copy=False))


def _placeholder(entity: Entity) -> exp.Expr:
    """Whether the warehouse's row ``w`` of a key is a placeholder (dimensions only)."""
    if entity.name in DIMENSION_ENTITIES:
        return template("COALESCE(w.is_placeholder, false)")
    return exp.false()


def _with_current(select: exp.Select, entity: Entity) -> exp.Select:
    """``select`` (of rows ``r``) joined with the warehouse's current row ``w`` of each key."""
    core = exp.alias_(table("core", entity.core_table), "w")
    return select.join(core, on=same_key(entity, "r", "w"), join_type="left", copy=False)
