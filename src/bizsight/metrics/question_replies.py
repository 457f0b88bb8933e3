"""What bizsight says back about a question: the query in words, why a split cannot be made,
and questions to try instead.

>>> from bizsight.metrics.definitions import builtin
>>> incompatible(builtin(), ["marketing_spend"], ["category"])
'Marketing spend cannot be split or filtered by product category'
"""

from __future__ import annotations

from bizsight.metrics.definitions import Catalogue, Compare
from bizsight.metrics.query import Filter, Query
from bizsight.metrics.rows import dimensions_of
from bizsight.presentation import date_span

DEFAULT_SUGGESTIONS = (
    "revenue by month this year",
    "top 5 products by revenue last quarter",
    "new customers by channel last month",
    "average order value by region year to date",
)


def usable_dimensions(catalogue: Catalogue, metric: str) -> list[str]:
    """The dimensions every row of ``metric`` can be split by."""
    models = {m for a in catalogue.aggregates([metric]) if (m := catalogue.metrics[a].model)}
    common = set(catalogue.dimensions)
    for model in models:
        common &= dimensions_of(catalogue, model)
    return [d for d in catalogue.dimensions if d in common]


def incompatible(catalogue: Catalogue, metrics: list[str], dimensions: list[str]) -> str | None:
    for metric in metrics:
        usable = usable_dimensions(catalogue, metric)
        for dimension in dimensions:
            if dimension not in usable:
                label = catalogue.dimensions[dimension].label.lower()
                return f"{catalogue.metrics[metric].label} cannot be split or filtered by {label}"
    return None


def _lower(label: str) -> str:
    """A label inside a sentence: "Revenue" → "revenue", "RFM segment" stays."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def interpretation(catalogue: Catalogue, query: Query) -> str:
    """The query in words: "I read this as: revenue, by region, 1 Apr – 30 Jun 2026."."""
    label = {
        **{n: d.label for n, d in catalogue.dimensions.items()},
        **{n: m.label for n, m in catalogue.metrics.items()},
    }
    parts = [_and([_lower(label[m]) for m in query.metrics])]
    if query.dimensions:
        parts.append("by " + _and([_lower(label[d]) for d in query.dimensions]))
    if query.grain:
        parts.append(f"per {query.grain.value}")
    parts += [f"where {filter_text(catalogue, f)}" for f in query.filters]
    if query.order_by:
        name = query.order_by[0].lstrip("-")
        end = "top" if query.order_by[0].startswith("-") else "bottom"
        count = (
            f"{end} {query.limit}" if query.limit else ("largest first" if end == "top" else "smallest first")
        )
        parts.append(f"{count} by {_lower(label[name])}")
    parts.append(date_span(query.start, query.end) if query.start or query.end else "all dates")
    if query.compare:
        parts.append(
            "compared with the period before"
            if query.compare is Compare.PREVIOUS_PERIOD
            else "compared with a year earlier"
        )
    return "I read this as: " + ", ".join(parts) + "."


def filter_text(catalogue: Catalogue, f: Filter) -> str:
    """>>> from bizsight.metrics.definitions import builtin
    >>> filter_text(builtin(), Filter(dimension="region", op="in", values=("Europe", "Asia Pacific")))
    'region is Europe or Asia Pacific'
    """
    dimension = catalogue.dimensions.get(f.dimension)
    name = _lower(dimension.label) if dimension else f.dimension
    verb = {"=": "is", "in": "is", "!=": "is not", "not_in": "is not"}.get(f.op, f.op)
    return f"{name} {verb} {' or '.join(str(v) for v in f.values)}"


def restriction_note(catalogue: Catalogue, restrictions: tuple[Filter, ...]) -> str:
    """What a restricted user's answers are limited to, in words."""
    return "Only the rows you may see: " + " and ".join(filter_text(catalogue, f) for f in restrictions) + "."


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def closest_questions(catalogue: Catalogue, metrics: list[str]) -> tuple[str, ...]:
    """Questions that can be answered, about ``metrics`` when the question named some."""
    found: list[str] = []
    for metric in metrics[:2]:
        name = _lower(catalogue.metrics[metric].label)
        usable = usable_dimensions(catalogue, metric)
        found.append(f"{name} by month this year")
        found += [f"{name} by {_lower(catalogue.dimensions[d].label)} last quarter" for d in usable[:2]]
    return tuple(dict.fromkeys([*found, *DEFAULT_SUGGESTIONS]))[:5]
