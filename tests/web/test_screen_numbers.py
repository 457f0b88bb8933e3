"""What the screen shows is what the API answers, formatted by the presentation layer: the
browser's copy of the number algorithm against Python's, then the numbers on each page against
the API's values."""

from __future__ import annotations

import random
from typing import Any

import pytest

from bizsight.presentation.numbers import DECIMALS, Presenter, Unit
from bizsight.services.presentation import column_names
from tests.web.conftest import Site

pytestmark = pytest.mark.browser

UNITS = [unit.value for unit in Unit]
SPECS = [("USD", "en"), ("EUR", "de"), ("EUR", "fr"), ("JPY", "ja"), ("CHF", "de_CH"), ("INR", "en_IN")]


def _values() -> list[float]:
    rng = random.Random(12)
    ties = [0.125, 0.375, 2.5, -2.5, 0.005, 1.005, 4.25, 0.0005, 1234.565, -0.0004, 0.0]
    spread = [rng.uniform(-1, 1) * 10 ** rng.randint(-4, 13) for _ in range(300)]
    cents = [rng.randint(-(10**9), 10**9) / 100 for _ in range(100)]
    return ties + spread + cents + [float(n) for n in range(-3, 4)]


def test_the_browser_writes_every_number_as_python_does(site: Site) -> None:
    page = site.login("vic")
    values = _values()
    for currency, locale in SPECS:
        presenter = Presenter(currency, locale)
        shown = page.evaluate(
            """([spec, values, units]) => {
                 const format = Bizsight.formatter(spec);
                 return units.map((u) => values.map((v) => [format(v, u, false), format(v, u, true)]));
               }""",
            [presenter.spec(), values, UNITS],
        )
        for unit, row in zip(UNITS, shown, strict=True):
            for value, (plain, compact) in zip(values, row, strict=True):
                assert plain == presenter.format(value, unit), (currency, locale, unit, value)
                assert compact == presenter.format(value, unit, compact=True), (currency, locale, unit, value)
    assert set(DECIMALS) | {Unit.MONEY} == set(Unit)


def _api(page: Any, method: str, path: str, body: Any = None) -> Any:
    """The API as the page's session sees it (same cookie, same CSRF token)."""
    return page.evaluate(
        "([m, p, b]) => Bizsight.api(m, p, b === null ? undefined : b)", [method, path, body]
    )


def test_labels_and_units_come_from_the_project(site: Site) -> None:
    page = site.login("vic")
    boot = page.evaluate("Bizsight.boot.presentation")
    names = column_names(site.project)
    assert boot["currency"] == "USD"  # currency: auto, and the demo's orders are in dollars
    assert boot["labels"] == dict(names.labels) and boot["units"] == dict(names.units)
    for column in (
        "gross_revenue",
        "churn_probability",
        "revenue__change_pct",
        "product_name",
        "sales_channel",
    ):
        assert page.evaluate("(c) => [Bizsight.label(c), Bizsight.unitOf(c)]", column) == [
            names.label(column),
            names.unit(column),
        ]
