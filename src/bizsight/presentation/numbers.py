"""Numbers as people read them: the one place that turns a value and its unit into text.

Every surface formats through a :class:`Presenter` — CLI tables, pages (the browser runs the same
algorithm from :meth:`Presenter.spec`, see ``web/static/app.js``), exports' headers, reports.
Babel supplies the locale's symbols (CLDR); the algorithm that applies them is this module's, so
Python and JavaScript give the same text for the same value:

- a fixed number of decimals per unit, rounded half away from zero on the exact binary value
  (what JavaScript's ``toFixed`` does);
- thousands grouped by three with the locale's separator;
- percentages stored as fractions (0.123) and shown once as 12.3 %;
- money with the currency's symbol where the locale puts it, and its precision (JPY has none);
- ``compact`` (cards, chart axes) shortens large values to K, M, B, T.

>>> p = Presenter("USD", "en")
>>> [p.format(v, u) for v, u in [(1234.5, "money"), (0.1234, "percent"), (17990, "count"), (None, "money")]]
['$1,234.50', '12.3%', '17,990', '–']
>>> p.format(5_612_345.0, "money", compact=True), p.format(-0.0004, "percent")
('$5.6M', '0.0%')
>>> Presenter("EUR", "de").format(1234.5, "money")
'1.234,50\\xa0€'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import cached_property
from typing import Any


class Unit(StrEnum):
    """What a number measures; each unit has one way of being shown."""

    MONEY = "money"
    COUNT = "count"
    PERCENT = "percent"  # stored as a fraction: 0.25 is 25 %
    RATIO = "ratio"  # a plain quotient: items per order, lift, sentiment score
    DAYS = "days"
    STARS = "stars"  # a rating out of 5
    NUMBER = "number"  # anything else numeric


# The catalogue's earlier ``format:`` names, still accepted in a project's metrics.yml.
LEGACY_FORMATS = {
    "currency": Unit.MONEY,
    "number": Unit.COUNT,
    "decimal": Unit.RATIO,
    "percent": Unit.PERCENT,
}

DECIMALS = {
    Unit.COUNT: 0,
    Unit.PERCENT: 1,
    Unit.RATIO: 2,
    Unit.DAYS: 0,
    Unit.STARS: 1,
    Unit.NUMBER: 2,
}
# Excel number formats by unit (exports, report workbooks): the cell stays a number, shown with
# the decimals the pages show.
EXCEL_FORMATS = {
    Unit.MONEY.value: "#,##0.00",
    Unit.COUNT.value: "#,##0",
    Unit.PERCENT.value: "0.0%",
    Unit.RATIO.value: "0.00",
    Unit.DAYS.value: "0",
    Unit.STARS.value: "0.0",
    Unit.NUMBER.value: "#,##0.00",
}
COMPACT_FROM = 100_000  # shorter than this, a compact number is written in full
COMPACT_STEPS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))
MISSING = "–"


def unit_of(name: str) -> Unit:
    """A unit from its name or an earlier format name.

    >>> unit_of("currency"), unit_of("days")
    (<Unit.MONEY: 'money'>, <Unit.DAYS: 'days'>)
    """
    if name in Unit.__members__.values():
        return Unit(name)
    return LEGACY_FORMATS.get(name, Unit.NUMBER)


@dataclass(frozen=True)
class Presenter:
    """Formatting for one project: its currency (ISO 4217) and locale (``en``, ``de_DE``, ...)."""

    currency: str = "USD"
    locale: str = "en"

    @cached_property
    def _symbols(self) -> dict[str, Any]:
        from babel import Locale, numbers

        loc = Locale.parse(self.locale)
        symbols = loc.number_symbols["latn"]
        symbol = numbers.get_currency_symbol(self.currency, self.locale)
        money_before, money_after = _affixes(loc.currency_formats["standard"].pattern, "¤", symbol)
        _, percent_after = _affixes(loc.percent_formats[None].pattern, "%", symbols["percentSign"])
        return {
            "decimal": symbols["decimal"],
            "group": symbols["group"],
            "minus": symbols["minusSign"],
            "money_before": money_before,
            "money_after": money_after,
            "money_decimals": numbers.get_currency_precision(self.currency),
            "percent_after": percent_after,
            "day": " day",
            "days": " days",
            "stars": " ★",
        }

    def spec(self) -> dict[str, Any]:
        """What the browser needs to format exactly as :meth:`format` does (``app.js``)."""
        return {
            **self._symbols,
            "decimals": {unit.value: places for unit, places in DECIMALS.items()},
            "compact_from": COMPACT_FROM,
            "compact_steps": [list(step) for step in COMPACT_STEPS],
            "missing": MISSING,
        }

    def decimals(self, unit: Unit) -> int:
        return int(self._symbols["money_decimals"]) if unit is Unit.MONEY else DECIMALS[unit]

    def format(self, value: object, unit: Unit | str, *, compact: bool = False) -> str:
        """``value`` as text in ``unit``; text values pass through, missing ones are a dash."""
        unit = unit_of(unit) if isinstance(unit, str) else unit
        if value is None or value == "":
            return MISSING
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            return str(value)
        number = float(value)
        if math.isnan(number) or math.isinf(number):
            return MISSING
        s = self._symbols
        if unit is Unit.PERCENT:
            number *= 100
        places, suffix = self.decimals(unit), ""
        if compact and unit in (Unit.MONEY, Unit.COUNT, Unit.NUMBER) and abs(number) >= COMPACT_FROM:
            scale, suffix = next((size, letter) for size, letter in COMPACT_STEPS if abs(number) >= size)
            number, places = number / scale, 1
        rounded = Decimal(abs(number)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        digits = self._grouped(rounded) + suffix
        sign = s["minus"] if number < 0 and rounded else ""
        if unit is Unit.MONEY:
            return sign + s["money_before"] + digits + s["money_after"]
        if unit is Unit.PERCENT:
            return sign + digits + s["percent_after"]
        if unit is Unit.DAYS:
            return sign + digits + (s["day"] if digits == "1" else s["days"])
        if unit is Unit.STARS:
            return sign + digits + s["stars"]
        return sign + digits

    def p_value(self, value: float | None) -> str:
        """A test's p-value: three decimals, or "< 0.001" below that.

        >>> Presenter().p_value(0.04321), Presenter().p_value(0.00002), Presenter().p_value(None)
        ('0.043', '< 0.001', '–')
        """
        if value is None or math.isnan(value):
            return MISSING
        if value < 0.001:
            return "< " + self._grouped(Decimal("0.001"))
        return self._grouped(Decimal(value).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))

    def _grouped(self, rounded: Decimal) -> str:
        """'1,234.50' from 1234.50, in the locale's symbols."""
        whole, _, fraction = f"{rounded:f}".partition(".")
        groups = [whole[max(0, end - 3) : end] for end in range(len(whole), 0, -3)][::-1]
        text = self._symbols["group"].join(groups)
        return text + self._symbols["decimal"] + fraction if fraction else text


def _affixes(pattern: str, token: str, replacement: str) -> tuple[str, str]:
    """The text before and after the digits of a CLDR pattern's positive part.

    >>> _affixes("¤#,##0.00", "¤", "$"), _affixes("#,##0\xa0%", "%", "%")
    (('$', ''), ('', '\xa0%'))
    """
    positive = pattern.split(";")[0]
    digits = [i for i, ch in enumerate(positive) if ch in "#0,."]
    before, after = positive[: digits[0]], positive[digits[-1] + 1 :]
    return before.replace(token, replacement), after.replace(token, replacement)


def exact(value: object, unit: Unit | str) -> object:
    """A value as an export should hold it: money to the cent, float noise removed, typed.

    >>> exact(3893.4999999999995, "money"), exact(0.123456789012, "percent"), exact(7, "count")
    (3893.5, 0.123456789012, 7)
    """
    if not isinstance(value, float) or math.isnan(value):
        return value
    unit = unit_of(unit) if isinstance(unit, str) else unit
    return round(value, 2) if unit is Unit.MONEY else float(f"{value:.15g}")
