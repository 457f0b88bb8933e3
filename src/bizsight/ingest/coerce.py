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
_WS = "' ' || chr(9) || chr(13) || chr(10) || chr(160)"


def trimmed(source: exp.Expression) -> exp.Expression:
    """Text without surrounding whitespace; empty becomes NULL."""
    return template(f"NULLIF(trim(:v, {_WS}), '')", v=source)


def money(v: exp.Expression) -> exp.Expression:
    return template(
        "COALESCE(TRY_CAST(:v AS DECIMAL(18, 4)), TRY_CAST(:clean AS DECIMAL(18, 4)))",
        v=v,
        clean=_cleaned_number(v),
    )


def integer(v: exp.Expression) -> exp.Expression:
    """Whole numbers only: 12.5 is not an integer (a plain cast would round it to 13)."""
    return template(
        "(SELECT CASE WHEN d = trunc(d) AND abs(d) < 1e15 THEN CAST(d AS BIGINT) END FROM "
        "(SELECT COALESCE(TRY_CAST(:v AS DOUBLE), TRY_CAST(:clean AS DOUBLE)) AS d))",
        v=v,
        clean=_cleaned_number(v),
    )


def _cleaned_number(v: exp.Expression) -> exp.Expression:
    """Currency signs or codes and spaces dropped; (12.50) made negative; separators resolved."""
    stripped = template(
        r"regexp_replace(:v, '\s|[$€£¥]|^(USD|EUR|GBP)|(USD|EUR|GBP)$', '', 'g')", v=v
    )
    negative = template(r"CASE WHEN regexp_full_match(:s, '\(.*\)') THEN '-' || trim(:s, '()') ELSE :s END", s=stripped)
    return _number_text(negative)


def _number_text(s: exp.Expression) -> exp.Expression:
    """1.234,56 and 12,5 are European; otherwise commas separate thousands."""
    return template(
        r"CASE WHEN regexp_full_match(:s, '-?\d{1,3}(\.\d{3})+(,\d+)?|-?\d+,\d{1,2}') "
        r"THEN replace(replace(:s, '.', ''), ',', '.') "
        r"WHEN regexp_full_match(:s, '-?\d{1,3}(,\d{3})+(\.\d+)?') THEN replace(:s, ',', '') "
        "ELSE :s END",
        s=s,
    )


_OTHER_FORMATS = (
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d",
    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y",
    "%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y", "%b %d %Y", "%d-%b-%Y",
    "%Y-%m-%d %H:%M", "%Y%m%d",
)
_SLASH = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y")


def date_formats(order: DateOrder) -> list[str]:
    """strptime formats to try, slash dates in the preferred order first, then the other."""
    mdy = list(_SLASH)
    dmy = [fmt.replace("%m/%d", "%d/%m") for fmt in _SLASH]
    slash = dmy + mdy if order is DateOrder.DMY else mdy + dmy
    return slash + list(_OTHER_FORMATS)


def timestamp(v: exp.Expression, order: DateOrder, timezone: str) -> exp.Expression:
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


def typed(column: Column, v: exp.Expression, order: DateOrder, timezone: str) -> exp.Expression:
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
        return template(r"CASE WHEN :v LIKE '%.0' THEN regexp_replace(:v, '^(\d+)\.0+$', '\1') ELSE :v END", v=v)
    return v


SLASH_ORDER_PROBE = r"""
SELECT count(*) FILTER (WHERE try_strptime(d, '%d/%m/%Y') IS NOT NULL AND try_strptime(d, '%m/%d/%Y') IS NULL),
       count(*) FILTER (WHERE try_strptime(d, '%m/%d/%Y') IS NOT NULL AND try_strptime(d, '%d/%m/%Y') IS NULL)
FROM (SELECT split_part(trim(:v), ' ', 1) AS d FROM :t WHERE :v LIKE '%/%/%')
"""
