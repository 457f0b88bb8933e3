"""Type coercion as SQL: real-world text → typed values, or NULL when the text is no such value.

Each builder takes the expression of a trimmed, non-empty text value and returns the typed
expression. The common case is one cheap cast; the cleaning branches run only for the rows whose
cast failed (DuckDB evaluates COALESCE and CASE lazily).
"""

from __future__ import annotations

from sqlglot import exp

from bizsight.config import DateOrder
from bizsight.warehouse.model import Column, Kind
from bizsight.warehouse.sql import lit, template

# Whitespace a value may carry around it: space, tab, CR, LF, no-break space.
_WHITESPACE = " \t\r\n\u00a0"


def trimmed(source: exp.Expr) -> exp.Expr:
    """Text without surrounding whitespace; empty becomes NULL. Trimming a set of characters is
    slow, so it runs only for values that start or end with one of them."""
    return template(
        # Comparisons, not IN (...): DuckDB plans an IN list as a join. The last character by
        # index, not right(v, 1): that counts graphemes and takes twice as long.
        "CASE WHEN ord(:v) <= 32 OR ord(:v) = 160 OR ord(array_extract(:v, -1)) <= 32 "
        "OR ord(array_extract(:v, -1)) = 160 THEN NULLIF(trim(:v, :ws), '') ELSE NULLIF(:v, '') END",
        v=source,
        ws=lit(_WHITESPACE),
    )


def money(v: exp.Expr) -> exp.Expr:
    return template(
        "COALESCE(TRY_CAST(:v AS DECIMAL(18, 4)), TRY_CAST(:clean AS DECIMAL(18, 4)))",
        v=v,
        clean=number_text(v),
    )


def integer(v: exp.Expr) -> exp.Expr:
    """Whole numbers only: 12.5 is not an integer (a plain cast would round it to 13)."""
    return whole(money(v))


def whole(m: exp.Expr) -> exp.Expr:
    """The BIGINT of a DECIMAL value that is a whole number, else NULL."""
    return template("CASE WHEN :m = trunc(:m) THEN CAST(:m AS BIGINT) END", m=m)


# Written as a chain of lambdas so that each step names its input once: DuckDB's common
# subexpression elimination would otherwise hoist repeated steps out of the lazy COALESCE branch
# and run the regular expressions on every row instead of only the rows a plain cast rejects.
_NUMBER_TEXT = r"""
list_transform(list_transform(list_transform([:v],
  lambda a: regexp_replace(a, '\s|[$€£¥]|^(USD|EUR|GBP)|(USD|EUR|GBP)$', '', 'g')),
  lambda b: CASE WHEN b LIKE '(%)' THEN '-' || trim(b, '()') ELSE b END),
  lambda c: CASE WHEN regexp_full_match(c, '-?\d{1,3}(\.\d{3})+(,\d+)?|-?\d+,\d{1,2}')
                 THEN replace(replace(c, '.', ''), ',', '.')
                 WHEN regexp_full_match(c, '-?\d{1,3}(,\d{3})+(\.\d+)?') THEN replace(c, ',', '')
                 ELSE c END)[1]
"""


def number_text(v: exp.Expr) -> exp.Expr:
    """A number as people write it, as plain text: currency signs or codes and spaces dropped,
    (12.50) negative, 1.234,56 and 12,5 European, other commas thousands separators."""
    return template(_NUMBER_TEXT, v=v)


_OTHER_FORMATS = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d %Y",
    "%d-%b-%Y",
    "%Y-%m-%d %H:%M",
    "%Y%m%d",
)
_SLASH = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y")


def slash_formats(order: DateOrder) -> list[str]:
    """strptime formats of slash dates written in one order (``AUTO``: month first, then day first).

    >>> slash_formats(DateOrder.DMY)
    ['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d/%m/%Y']
    """
    mdy = list(_SLASH)
    dmy = [fmt.replace("%m/%d", "%d/%m") for fmt in _SLASH]
    return {DateOrder.DMY: dmy, DateOrder.MDY: mdy}.get(order, mdy + dmy)


def date_formats(order: DateOrder) -> list[str]:
    """strptime formats to try. A decided order reads slash dates that way only, so that a date
    written the other way round is no date of this file (the loader quarantines it with a reason
    of its own); ``AUTO`` tries month first, then day first."""
    return slash_formats(order) + list(_OTHER_FORMATS)


def other_order(order: DateOrder) -> DateOrder:
    """The order a decided order rules out.

    >>> other_order(DateOrder.DMY).value
    'MDY'
    """
    return DateOrder.MDY if order is DateOrder.DMY else DateOrder.DMY


def written_other_way(v: exp.Expr, order: DateOrder) -> exp.Expr:
    """True when the text is a slash date only in the order ``order`` rules out (10/13/2024 in
    a day-first file)."""
    formats = exp.Array(expressions=[lit(fmt) for fmt in slash_formats(other_order(order))])
    return template("try_strptime(:v, :formats) IS NOT NULL", v=v, formats=formats)


def timestamp(v: exp.Expr, order: DateOrder, timezone: str) -> exp.Expr:
    """A local timestamp. ISO text takes one cast; text with a UTC offset is converted to the
    project's time zone; other layouts go through the format list."""
    return template(
        r"CASE WHEN length(:v) > 19 AND regexp_matches(:v, '\d:\d\d(:\d\d(\.\d+)?)?\s*(Z|[+-]\d\d(:?\d\d)?)$') "
        "THEN timezone(:tz, TRY_CAST(:v AS TIMESTAMPTZ)) "
        "ELSE COALESCE(TRY_CAST(:v AS TIMESTAMP), try_strptime(:v, :formats)) END",
        v=v,
        tz=lit(timezone),
        formats=exp.Array(expressions=[lit(fmt) for fmt in date_formats(order)]),
    )


def typed(column: Column, v: exp.Expr, order: DateOrder, timezone: str) -> exp.Expr:
    """The typed value of ``column`` from its trimmed text ``v``."""
    if column.kind is Kind.MONEY:
        return money(v)
    if column.kind is Kind.INTEGER:
        return integer(v)
    if column.kind is Kind.TIMESTAMP:
        return timestamp(v, order, timezone)
    if column.kind is Kind.DATE:
        return exp.cast(timestamp(v, order, timezone), "DATE")
    if column.kind is Kind.ENUM:
        value = template("lower(:v)", v=v)
        return template("COALESCE(:v, :d)", v=value, d=lit(column.default)) if column.default else value
    if column.kind is Kind.CODE:
        return template("upper(:v)", v=v)
    if column.kind is Kind.ID:
        # Spreadsheet and pandas exports turn numeric ids into floats: 17850.0 means 17850.
        return template(
            r"CASE WHEN :v LIKE '%.0' THEN regexp_replace(:v, '^(\d+)\.0+$', '\1') ELSE :v END", v=v
        )
    return v


# Per file and column: how many slash dates can only be day first (13/10/2024) and how many only
# month first (10/13/2024), each with its first example in file order.
SLASH_ORDER_PROBE = r"""
SELECT count(*) FILTER (WHERE day_first AND NOT month_first),
       count(*) FILTER (WHERE month_first AND NOT day_first),
       arg_min(v, r) FILTER (WHERE day_first AND NOT month_first),
       arg_min(v, r) FILTER (WHERE month_first AND NOT day_first)
FROM (SELECT v, r, try_strptime(d, '%d/%m/%Y') IS NOT NULL AS day_first,
             try_strptime(d, '%m/%d/%Y') IS NOT NULL AS month_first
      FROM (SELECT trim(:v) AS v, rowid AS r, split_part(trim(:v), ' ', 1) AS d FROM :t WHERE :v LIKE '%/%/%'))
"""
