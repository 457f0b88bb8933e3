"""What a column is called and what it measures, for every column a person sees.

Metrics and dimensions bring their own labels and units (the catalogue); ``fields.yml`` names the
other columns services answer with; a name found in neither reads as words (``sales_channel`` →
"Sales channel"), so no surface shows a raw column name.

>>> names = Names.of(metrics={"revenue": ("Revenue", "money")})
>>> names.label("revenue"), names.label("revenue__change_pct"), names.label("sales_channel")
('Revenue', 'Revenue change (%)', 'Sales channel')
>>> names.unit("revenue__previous"), names.unit("churn_probability"), names.unit("region")
('money', 'percent', None)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

# Columns a metrics query adds beside a metric with ``compare``, and a dimension's member names.
SUFFIXES = {
    "__previous": ("{} (previous)", None),
    "__change": ("{} change", None),
    "__change_pct": ("{} change (%)", "percent"),
    "_name": ("{} name", ""),
}


@cache
def fields() -> dict[str, dict[str, Any]]:
    """``fields.yml``: column → {label, unit}."""
    text = resources.files("bizsight.presentation").joinpath("fields.yml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text))


def words(name: str) -> str:
    """A column name as words: 'sales_channel' → 'Sales channel'.

    >>> words("orders_by_sales_channel")
    'Orders by sales channel'
    """
    text = name.replace("__", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Names:
    """Labels and units by column name: the catalogue's first, then ``fields.yml``."""

    labels: Mapping[str, str] = field(default_factory=dict)
    units: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        metrics: Mapping[str, tuple[str, str]] | None = None,
        dimensions: Mapping[str, str] | None = None,
    ) -> Names:
        """From the catalogue's metrics (name → (label, unit)) and dimensions (name → label)."""
        labels = {name: spec["label"] for name, spec in fields().items()}
        units = {name: spec["unit"] for name, spec in fields().items() if spec.get("unit")}
        labels.update(dimensions or {})
        for name in dimensions or {}:
            units.pop(name, None)
        for name, (label, unit) in (metrics or {}).items():
            labels[name], units[name] = label, unit
        return cls(labels, units)

    def label(self, column: str) -> str:
        if column in self.labels:
            return self.labels[column]
        for suffix, (pattern, _) in SUFFIXES.items():
            base = column.removesuffix(suffix)
            if base != column and base in self.labels:
                return pattern.format(self.labels[base])
        return words(column)

    def unit(self, column: str) -> str | None:
        if column in self.units:
            return self.units[column]
        for suffix, (_, unit) in SUFFIXES.items():
            base = column.removesuffix(suffix)
            if base != column and base in self.labels:
                return None if unit == "" else unit or self.units.get(base)
        return None

    def as_json(self) -> dict[str, Any]:
        """What the browser needs (``B.label``, ``B.unitOf``)."""
        return {"labels": dict(self.labels), "units": dict(self.units)}
