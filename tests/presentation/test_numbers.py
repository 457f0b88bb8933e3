"""Numbers as text: hand-written cases per unit, currency and locale, and the rules that make the
browser's copy of the algorithm agree (tests/web/test_screen_numbers.py runs it in Chromium)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bizsight.presentation import Names, Presenter, Unit, exact, unit_of

USD = Presenter("USD", "en")


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (5_612_345.678, "money", "$5,612,345.68"),
        (108.5, "money", "$108.50"),
        (-1234.5, "money", "-$1,234.50"),
        (17990, "count", "17,990"),
        (0.0835, "percent", "8.3%"),  # a fraction, multiplied once: never 834.7 %
        (0.5, "percent", "50.0%"),
        (1.25, "ratio", "1.25"),
        (214, "days", "214 days"),
        (1, "days", "1 day"),
        (4.25, "stars", "4.3 ★"),  # 4.25 is exact in binary: half away from zero, like toFixed
        (14904.2, "money", "$14,904.20"),  # every amount with the same two decimals
        (3893.4999999999995, "money", "$3,893.50"),
        (-0.0004, "percent", "0.0%"),  # no minus sign on a zero
        (None, "money", "–"),
        (float("nan"), "count", "–"),
        ("P00375", "count", "P00375"),
    ],
)
def test_hand_cases_in_usd(value: object, unit: str, text: str) -> None:
    assert USD.format(value, unit) == text


def test_compact_numbers_keep_their_unit() -> None:
    assert USD.format(5_612_345.0, "money", compact=True) == "$5.6M"
    assert USD.format(597_505, "count", compact=True) == "597.5K"
    assert USD.format(99_999, "count", compact=True) == "99,999"  # short enough to write in full
    assert USD.format(0.5, "percent", compact=True) == "50.0%"


@pytest.mark.parametrize(
    ("currency", "locale", "text"),
    [
        ("EUR", "de", "1.234.567,89\xa0€"),
        ("EUR", "fr", "1\u202f234\u202f567,89\xa0€"),
        ("GBP", "en_GB", "£1,234,567.89"),
        ("JPY", "ja", "￥1,234,568"),  # yen have no decimals
        ("CHF", "de_CH", "CHF\xa01'234'567.89"),
    ],
)
def test_currency_and_locale(currency: str, locale: str, text: str) -> None:
    assert Presenter(currency, locale).format(1_234_567.891, Unit.MONEY) == text


def test_percent_sign_where_the_locale_puts_it() -> None:
    assert Presenter("EUR", "de").format(0.123, "percent") == "12,3\xa0%"


def test_legacy_format_names_read_as_units() -> None:
    assert [unit_of(n) for n in ("currency", "decimal", "percent", "number", "stars")] == [
        Unit.MONEY,
        Unit.RATIO,
        Unit.PERCENT,
        Unit.NUMBER,
        Unit.STARS,
    ]


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_money_text_reads_back_as_the_value_to_the_cent(value: float) -> None:
    text = USD.format(value, "money")
    back = float(text.replace("$", "").replace(",", ""))
    assert abs(back - value) <= 0.005 + 1e-9 * abs(value)
    assert text.count(".") == 1 and len(text.split(".")[1]) == 2


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_exports_hold_money_to_the_cent(value: float) -> None:
    kept = exact(value, "money")
    assert isinstance(kept, float) and kept == round(value, 2)


def test_labels_name_every_column() -> None:
    names = Names.of(
        metrics={"gross_revenue": ("Gross revenue", "money")}, dimensions={"sales_channel": "Sales channel"}
    )
    assert names.label("gross_revenue") == "Gross revenue"
    assert names.label("churn_probability") == "Churn risk"
    assert names.label("sales_channel") == "Sales channel"
    assert names.label("gross_revenue__change_pct") == "Gross revenue change (%)"
    assert names.label("some_new_column") == "Some new column"
    assert names.unit("gross_revenue__previous") == "money"
    assert names.unit("gross_revenue__change_pct") == "percent"
    assert names.unit("churn_probability") == "percent"
    assert names.unit("sales_channel") is None
