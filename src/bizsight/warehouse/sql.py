"""Building SQL as syntax trees.

Templates are our own SQL with ``:name`` placeholders; identifiers and values that come from
users (column names, paths, settings) are inserted as quoted sqlglot nodes, never pasted as text.

>>> render(template("SELECT max(:col) FROM :tbl", col=ident("Unit Price"), tbl=table("raw", "x")))
'SELECT MAX("Unit Price") FROM "raw"."x"'

A placeholder cannot open a select list: DuckDB's SQL reads ``SELECT :col`` as a prefix alias
(``name: expression``), and sqlglot does too since 26.x. Write ``SELECT max(:col)``, or put the
placeholder after another column.
"""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp

DIALECT = "duckdb"


def ident(name: str) -> exp.Identifier:
    """A quoted identifier, safe for any text."""
    return exp.to_identifier(name, quoted=True)


def col(name: str, table_alias: str | None = None) -> exp.Column:
    return exp.column(ident(name), table=ident(table_alias) if table_alias else None)


def table(schema: str, name: str) -> exp.Table:
    return exp.table_(ident(name), db=ident(schema))


def lit(value: object) -> exp.Expr:
    """A literal (string, number, bool or NULL)."""
    return exp.convert(value)


@lru_cache(maxsize=512)
def _parse(sql: str) -> exp.Expr:
    return sqlglot.parse_one(sql, read=DIALECT)


def template(sql: str, **nodes: exp.Expr) -> exp.Expr:
    """Parse our SQL once and replace its ``:name`` placeholders by ``nodes`` (in a copy: the
    replacement copies the parsed tree)."""
    return exp.replace_placeholders(_parse(sql), **nodes)


def render(expression: exp.Expr) -> str:
    return expression.sql(dialect=DIALECT)
