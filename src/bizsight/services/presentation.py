"""The project's presentation: its currency and locale, and the names and units of every column.

Shells ask for one :class:`Presentation` and format through it: the CLI's tables, the pages (it
travels in the page's boot JSON), exports' headers. The currency is bizsight.yml's, or with
``currency: auto`` the one most order lines are in (USD before any order is loaded).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

import duckdb
import pyarrow as pa

from bizsight.metrics.definitions import Catalogue
from bizsight.presentation import Names, Presenter, exact
from bizsight.services.project import Project
from bizsight.services.query import catalogue, data_version
from bizsight.warehouse.connection import Warehouse

DEFAULT_CURRENCY = "USD"
# warehouse file → (data version, its orders' currency): read again only when the data change
_CURRENCIES: dict[str, tuple[tuple[object, ...], str]] = {}


@dataclass(frozen=True)
class Presentation:
    presenter: Presenter
    names: Names

    def with_units(self, units: Mapping[str, str]) -> Presentation:
        """The same, knowing these columns' units (a query's metric columns)."""
        return Presentation(self.presenter, Names({**self.names.labels}, {**self.names.units, **units}))

    def label(self, column: str) -> str:
        return self.names.label(column)

    def format(self, value: object, column: str, *, unit: str | None = None, compact: bool = False) -> str:
        """``value`` of ``column`` as text, in the column's unit unless ``unit`` is given; an integer
        of no known unit (a year, an id) is written as it is."""
        unit = unit or self.names.unit(column)
        if unit is None and isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return self.presenter.format(value, unit or "number", compact=compact)

    def exact_rows(self, rows: Iterable[Mapping[str, Any]]) -> Iterable[dict[str, Any]]:
        """Rows for a file: money to the cent, float noise removed, values kept typed."""
        for row in rows:
            yield {k: exact(v, self.names.unit(k) or "number") for k, v in row.items()}

    def exact_table(self, table: pa.Table) -> pa.Table:
        """``table`` with its float columns as :meth:`exact_rows` writes them."""
        columns: list[pa.Array | pa.ChunkedArray] = []
        for name, column in zip(table.column_names, table.columns, strict=True):
            unit = self.names.unit(name) or "number"
            floating = pa.types.is_floating(column.type)
            columns.append(
                pa.array([exact(v, unit) for v in column.to_pylist()], column.type) if floating else column
            )
        return pa.Table.from_arrays(columns, names=table.column_names)

    @cached_property
    def boot(self) -> dict[str, Any]:
        """What the pages format with: the number spec, labels and units (``app.js``)."""
        return {**self.presenter.spec(), **self.names.as_json(), "currency": self.presenter.currency}


def plain() -> Presentation:
    """Without a project (``bizsight forecast-series FILE``): USD, en, the common column names."""
    return Presentation(Presenter(), Names.of())


def presentation(project: Project, wh: Warehouse | None = None) -> Presentation:
    """The project's presentation, with the catalogue's names (its metrics.yml included)."""
    settings = project.settings
    currency = settings.currency if settings.currency != "auto" else data_currency(project, wh)
    return Presentation(_presenter(currency, settings.locale), column_names(project))


@cache
def _presenter(currency: str, locale: str) -> Presenter:
    """One per currency and locale: its symbols are read from Babel once, not on every page."""
    return Presenter(currency, locale)


def column_names(project: Project) -> Names:
    """Labels and units of every column: the catalogue's metrics and dimensions, fields.yml."""
    return _names(catalogue(project))


@cache
def _names(cat: Catalogue) -> Names:
    """Per catalogue (``catalogue()`` keeps one object until metrics.yml changes)."""
    return Names.of(
        metrics={name: (m.label, m.unit.value) for name, m in cat.metrics.items()},
        dimensions={name: d.label for name, d in cat.dimensions.items()},
    )


def data_currency(project: Project, wh: Warehouse | None = None) -> str:
    """The currency most order lines are in; USD when none says."""
    query = (
        "SELECT currency FROM core.fact_order_line WHERE currency IS NOT NULL "
        "GROUP BY currency ORDER BY count(*) DESC, currency LIMIT 1"
    )

    def read(wh: Warehouse) -> str:
        from babel.numbers import list_currencies

        try:
            version = data_version(wh)
            known = _CURRENCIES.get(str(wh.path))
            if known is not None and known[0] == version:  # not on every page and command
                code = known[1]
            else:
                with wh.reader() as con:
                    found = con.execute(query).fetchone()
                code = str(found[0]).upper() if found else DEFAULT_CURRENCY
                _CURRENCIES[str(wh.path)] = (version, code)
        except duckdb.Error:  # not the DuckDB layout (another engine's warehouse): say nothing
            return DEFAULT_CURRENCY
        return code if code in list_currencies() else DEFAULT_CURRENCY

    if wh is not None:
        return read(wh)
    with project.warehouse(read_only=True) as owned:
        return read(owned)
