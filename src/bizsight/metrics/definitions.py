"""Metric, dimension and model definitions: frozen, validated models read from YAML.

The built-in catalogue ships as ``catalogue.yml``; a project's ``metrics.yml`` adds metrics and
dimensions. Unknown keys, unknown references and cycles are rejected at load time with the file,
the key and the nearest valid spelling.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import sqlglot
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlglot import exp

from bizsight.errors import ConfigError, UnknownNameError, did_you_mean
from bizsight.metrics.choices import Compare
from bizsight.presentation import LEGACY_FORMATS, Unit


class Aggregate(StrEnum):
    SUM = "sum"
    COUNT = "count"
    COUNT_DISTINCT = "count_distinct"
    AVG = "avg"
    MIN = "min"
    MAX = "max"
    # Customer-level aggregates over the distinct keys of ``sql`` in each period:
    REPEAT_CUSTOMERS = "repeat_customers"  # keys with two or more distinct ``events``
    RETAINED = "retained"  # keys present in this period and the one before
    PREVIOUS_PERIOD_COUNT = "previous_period_count"  # keys present in the period before

    @property
    def additive(self) -> bool:
        """Whether an empty period is 0 (rather than unknown)."""
        return self not in (Aggregate.AVG, Aggregate.MIN, Aggregate.MAX)

    @property
    def needs_previous_period(self) -> bool:
        return self in (Aggregate.RETAINED, Aggregate.PREVIOUS_PERIOD_COUNT)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Join(_Strict):
    table: str
    key: str


class Model(_Strict):
    """Rows of one core table (alias ``f``), its time column, and many-to-one joins."""

    table: str
    time: str
    joins: dict[str, Join] = Field(default_factory=dict)
    # The finest grain the rows are stated at: market data comes one row per quarter, so a
    # month of it would read as a whole quarter's market. A finer query grain is refused.
    grain: Literal["day", "week", "month", "quarter", "year"] = "day"


class MemberNames(_Strict):
    """Where a dimension's members have names people read: ``P00375`` is "Garden hose 20 m"."""

    table: str
    key: str
    name: str


class Dimension(_Strict):
    label: str
    description: str = ""
    synonyms: tuple[str, ...] = ()  # other words people use for it, for questions (docs/ask.md)
    sql: dict[str, str]  # model → SQL over f and the model's joins
    names: MemberNames | None = None


class Metric(_Strict):
    """One of: an aggregate over a model; a ratio of two metrics; an expression of other
    metrics; the growth of a metric against an earlier period."""

    label: str
    description: str = ""
    synonyms: tuple[str, ...] = ()  # other words people use for it, for questions (docs/ask.md)
    unit: Unit = Unit.NUMBER
    model: str | None = None
    aggregate: Aggregate | None = None
    sql: str | None = None
    filter: str | None = None
    events: str | None = None
    ratio: tuple[str, str] | None = None
    derived: str | None = None
    growth: str | None = None
    compare: Compare | None = None

    @model_validator(mode="before")
    @classmethod
    def _legacy_format(cls, data: Any) -> Any:
        """``format: currency`` (the catalogue's earlier key) still reads as ``unit: money``."""
        if isinstance(data, dict) and "format" in data and "unit" not in data:
            data = {**data, "unit": LEGACY_FORMATS.get(data["format"], data["format"])}
            del data["format"]
        return data

    @model_validator(mode="after")
    def _one_kind(self) -> Metric:
        kinds = [k for k in ("aggregate", "ratio", "derived", "growth") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("a metric needs exactly one of aggregate, ratio, derived or growth")
        if self.aggregate is not None and not (self.model and self.sql):
            raise ValueError("an aggregate metric needs a model and sql")
        if self.aggregate is Aggregate.REPEAT_CUSTOMERS and not self.events:
            raise ValueError("repeat_customers needs events (what counts as a purchase, e.g. f.order_id)")
        if self.growth is not None and self.compare is None:
            raise ValueError("a growth metric needs compare: previous_period or previous_year")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("aggregate", "ratio", "derived", "growth") if getattr(self, k) is not None)


class _CatalogueFile(_Strict):
    models: dict[str, Model] = Field(default_factory=dict)
    dimensions: dict[str, Dimension] = Field(default_factory=dict)
    metrics: dict[str, Metric] = Field(default_factory=dict)


TIME = "time"  # the time dimension; its grain is a query parameter


class Catalogue:
    """Models, dimensions and metrics, checked as a whole."""

    def __init__(
        self,
        models: dict[str, Model],
        dimensions: dict[str, Dimension],
        metrics: dict[str, Metric],
        source: str = "catalogue",
    ) -> None:
        self.models = models
        self.dimensions = dimensions
        self.metrics = metrics
        self._check(source)

    def metric(self, name: str) -> Metric:
        if name not in self.metrics:
            raise UnknownNameError(f"unknown metric '{name}'{did_you_mean(name, self.metrics)}")
        return self.metrics[name]

    def dimension(self, name: str) -> Dimension:
        if name not in self.dimensions:
            raise UnknownNameError(
                f"unknown dimension '{name}'{did_you_mean(name, [*self.dimensions, TIME])}"
            )
        return self.dimensions[name]

    def references(self, name: str) -> list[str]:
        """The metrics ``name`` is computed from (none for an aggregate)."""
        metric = self.metrics[name]
        if metric.ratio:
            return list(metric.ratio)
        if metric.growth:
            return [metric.growth]
        if metric.derived:
            return sorted({c.name for c in parse_sql(metric.derived).find_all(exp.Column)})
        return []

    def aggregates(self, names: list[str]) -> list[str]:
        """Every aggregate metric that the metrics in ``names`` rest on, in a stable order."""
        found: list[str] = []

        def visit(name: str) -> None:
            if self.metrics[name].kind == "aggregate" and name not in found:
                found.append(name)
            for ref in self.references(name):
                visit(ref)

        for name in names:
            visit(name)
        return found

    @cached_property
    def order(self) -> list[str]:
        """Metrics in dependency order (references first)."""
        done: list[str] = []
        for name in self.metrics:
            self._visit(name, done, [])
        return done

    def _visit(self, name: str, done: list[str], path: list[str]) -> None:
        if name in done:
            return
        if name in path:
            cycle = " → ".join([*path[path.index(name) :], name])
            raise ConfigError(f"metric '{name}' depends on itself: {cycle}")
        for ref in self.references(name):
            self._visit(ref, done, [*path, name])
        done.append(name)

    def _check(self, source: str) -> None:
        for name, metric in self.metrics.items():
            where = f"{source}: metrics.{name}"
            if metric.model is not None and metric.model not in self.models:
                raise ConfigError(
                    f"{where}.model: unknown model '{metric.model}'{did_you_mean(metric.model, self.models)}"
                )
            for ref in self.references(name):
                if ref not in self.metrics:
                    raise ConfigError(f"{where}: unknown metric '{ref}'{did_you_mean(ref, self.metrics)}")
            for key in ("sql", "filter", "events", "derived"):
                text = getattr(metric, key)
                if text is not None:
                    _parse_or_explain(text, f"{where}.{key}")
        for name, dimension in self.dimensions.items():
            for model, text in dimension.sql.items():
                if model not in self.models:
                    raise ConfigError(
                        f"{source}: dimensions.{name}.sql: unknown model '{model}'{did_you_mean(model, self.models)}"
                    )
                _parse_or_explain(text, f"{source}: dimensions.{name}.sql.{model}")
        self._visit_all()

    def _visit_all(self) -> None:
        done: list[str] = []
        for name in self.metrics:
            self._visit(name, done, [])

    def extended(self, extra: _CatalogueFile, source: str) -> Catalogue:
        """This catalogue with a project's additions (which may not redefine built-in names)."""
        for kind in ("models", "dimensions", "metrics"):
            clash = set(getattr(extra, kind)) & set(getattr(self, kind))
            if clash:
                raise ConfigError(f"{source}: {kind}.{sorted(clash)[0]} is built in; choose another name")
        return Catalogue(
            {**self.models, **extra.models},
            {**self.dimensions, **extra.dimensions},
            {**self.metrics, **extra.metrics},
            source,
        )


def parse_sql(text: str) -> exp.Expr:
    return sqlglot.parse_one(text, read="duckdb")


def _parse_or_explain(text: str, where: str) -> exp.Expr:
    try:
        parsed = parse_sql(text)
    except sqlglot.errors.ParseError as err:
        raise ConfigError(f"{where}: not a valid SQL expression ({str(err).splitlines()[0]})") from None
    if isinstance(parsed, exp.Query | exp.Command) or parsed.find(exp.Query):
        raise ConfigError(f"{where}: must be an expression, not a query")
    return parsed


def _read(text: str, source: str) -> _CatalogueFile:
    try:
        data: Any = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{source}: not valid YAML ({getattr(err, 'problem', err)})") from None
    try:
        return _CatalogueFile.model_validate(data)
    except ValidationError as err:
        problem = err.errors()[0]
        location = ".".join(str(part) for part in problem["loc"])
        if problem["type"] == "extra_forbidden":
            key = str(problem["loc"][-1])
            owners: dict[str, type[BaseModel]] = {"models": Model, "dimensions": Dimension, "metrics": Metric}
            owner = (
                owners.get(str(problem["loc"][0]), _CatalogueFile)
                if len(problem["loc"]) > 2
                else _CatalogueFile
            )
            return _raise(f"{source}: unknown key '{location}'{did_you_mean(key, owner.model_fields)}")
        return _raise(f"{source}: {location}: {problem['msg']}")


def _raise(message: str) -> Any:
    raise ConfigError(message)


def builtin() -> Catalogue:
    text = resources.files("bizsight.metrics").joinpath("catalogue.yml").read_text(encoding="utf-8")
    parsed = _read(text, "built-in catalogue")
    return Catalogue(parsed.models, parsed.dimensions, parsed.metrics, "built-in catalogue")


def load_catalogue(project_metrics: Path | None = None) -> Catalogue:
    """The built-in catalogue, extended by a project's metrics.yml when there is one."""
    catalogue = builtin()
    if project_metrics is None or not project_metrics.exists():
        return catalogue
    extra = _read(project_metrics.read_text(encoding="utf-8"), str(project_metrics))
    return catalogue.extended(extra, str(project_metrics))
