"""Alert rules: what to watch and when to speak up, as frozen, validated models.

Four kinds, told apart by ``kind``: ``threshold`` (a metric above or below a value), ``change``
(its % change against the previous period or the previous year, above or below), ``anomaly`` (an
anomaly of at least a severity on the metric's series, from marts.anomalies) and ``pacing`` (a
target behind: probability below ``p``, or status at risk / missed, from marts.target_pacing).
Each rule names a metric, optional filters (dimension → values), a window (a relative range of the
metrics layer: ``last_month`` is the last complete month), a severity, a cooldown and an
escalation delay. Unknown keys, metrics and dimensions are refused with the nearest spelling.

>>> rule = parse_rule({"name": "low revenue", "kind": "threshold", "metric": "revenue",
...                    "direction": "below", "value": 1000, "cooldown": "12h"})
>>> rule.kind, rule.window, rule.cooldown
('threshold', 'last_month', datetime.timedelta(seconds=43200))
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from bizsight.errors import ConfigError, did_you_mean
from bizsight.metrics.definitions import Catalogue, Compare
from bizsight.metrics.query import RELATIVE_RANGES, Filter

SEVERITIES = ("low", "medium", "high")  # as marts.anomalies grades them
Severity = Literal["low", "medium", "high"]
Direction = Literal["above", "below"]
KINDS = ("threshold", "change", "anomaly", "pacing")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def duration(value: object) -> object:
    """``"90m"``, ``"24h"``, ``"7d"`` as a timedelta; anything else is left to pydantic (seconds,
    ISO 8601 ``PT24H``, a timedelta).

    >>> duration("36h"), duration(60)
    (datetime.timedelta(days=1, seconds=43200), 60)
    """
    if isinstance(value, str) and (match := _DURATION.match(value)):
        return dt.timedelta(seconds=float(match[1]) * _SECONDS[match[2]])
    return value


Duration = Annotated[dt.timedelta, BeforeValidator(duration)]


def severity_rank(severity: str | None) -> int:
    """low 0, medium 1, high 2; nothing -1.

    >>> severity_rank("high") > severity_rank("medium") > severity_rank(None)
    True
    """
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    metric: str
    filters: dict[str, tuple[str, ...]] = {}
    window: str = "last_month"
    severity: Severity = "medium"
    cooldown: Duration = dt.timedelta(hours=24)
    escalate_after: Duration | None = None  # unacknowledged this long: tell the second channel
    worsen_by: float = Field(default=0.1, ge=0)  # a repeat inside the cooldown needs this much worse

    @model_validator(mode="after")
    def _shape(self) -> _Rule:
        if self.window not in RELATIVE_RANGES:
            raise ValueError(
                f"window: unknown window '{self.window}'{did_you_mean(self.window, RELATIVE_RANGES)}"
            )
        for dimension, values in self.filters.items():
            if not values:
                raise ValueError(f"filters.{dimension}: give at least one value")
        return self

    def query_filters(self) -> tuple[Filter, ...]:
        """The filters as the metrics layer's: one value is ``=``, several are ``in``."""
        return tuple(
            Filter(dimension=d, op="=" if len(v) == 1 else "in", values=v)
            for d, v in sorted(self.filters.items())
        )

    def threshold(self) -> tuple[Direction, float] | None:
        """Which way is bad and from where, for the rules that have a number to cross."""
        return None

    def worse(self, new: float | None, old: float | None) -> bool:
        """Whether ``new`` is further past the threshold than ``old`` by at least ``worsen_by`` ×
        the threshold's size (× ``old``'s when the threshold is 0).

        >>> rule = parse_rule({"name": "r", "kind": "threshold", "metric": "revenue",
        ...                    "direction": "below", "value": 1000})
        >>> rule.worse(850, 1000), rule.worse(950, 1000), rule.worse(1100, 1000)
        (True, False, False)
        """
        line = self.threshold()
        if line is None or new is None or old is None:
            return False
        direction, value = line
        margin = self.worsen_by * abs(value or old)
        return new >= old + margin if direction == "above" else new <= old - margin


class ThresholdRule(_Rule):
    """The metric's value over the window above (or below) ``value``."""

    kind: Literal["threshold"]
    direction: Direction
    value: float

    def threshold(self) -> tuple[Direction, float] | None:
        return self.direction, self.value


class ChangeRule(_Rule):
    """The metric's change over the window against ``compare``, as a fraction (-0.2 is a 20 %
    drop), above (or below) ``value``."""

    kind: Literal["change"]
    compare: Compare = Compare.PREVIOUS_PERIOD
    direction: Direction
    value: float

    def threshold(self) -> tuple[Direction, float] | None:
        return self.direction, self.value


class AnomalyRule(_Rule):
    """An anomaly of at least ``min_severity`` on the metric's series in the window; the filters
    pick a series scored by a dimension (one dimension at most)."""

    kind: Literal["anomaly"]
    min_severity: Severity = "medium"

    @model_validator(mode="after")
    def _one_dimension(self) -> AnomalyRule:
        if len(self.filters) > 1:
            raise ValueError("filters: an anomaly rule watches one series: filter on one dimension at most")
        return self


class PacingRule(_Rule):
    """A target of the metric (with exactly these filters) whose period holds the day of the check
    is behind: its probability of being reached is below ``probability_below``, or, without it,
    its status is at risk or missed."""

    kind: Literal["pacing"]
    probability_below: float | None = Field(default=None, ge=0, le=1)

    def threshold(self) -> tuple[Direction, float] | None:
        return None if self.probability_below is None else ("below", self.probability_below)


Rule = Annotated[ThresholdRule | ChangeRule | AnomalyRule | PacingRule, Field(discriminator="kind")]
_RULE: TypeAdapter[Rule] = TypeAdapter(Rule)
_MODELS: dict[str, type[_Rule]] = {
    "threshold": ThresholdRule,
    "change": ChangeRule,
    "anomaly": AnomalyRule,
    "pacing": PacingRule,
}


def parse_rule(data: Mapping[str, Any], catalogue: Catalogue | None = None, source: str = "alert") -> Rule:
    """A rule from its YAML/JSON form, checked against ``catalogue`` when given; a one-line
    :class:`ConfigError` naming the rule, the key and the nearest valid spelling otherwise.

    >>> parse_rule({"name": "r", "kind": "treshold"})
    Traceback (most recent call last):
    bizsight.errors.ConfigError: alert 'r': kind: unknown kind 'treshold' (did you mean 'threshold'?); use one of ...
    """
    where = f"{source} '{data['name']}'" if isinstance(data.get("name"), str) else source
    kind = data.get("kind")
    if kind not in _MODELS:
        raise ConfigError(
            f"{where}: kind: unknown kind '{kind}'{did_you_mean(str(kind), KINDS)}; use one of {', '.join(KINDS)}"
        )
    try:
        rule = _RULE.validate_python(dict(data))
    except ValidationError as err:
        raise ConfigError(f"{where}: {_explain(err, _MODELS[str(kind)])}") from None
    if catalogue is not None:
        check_rule(rule, catalogue, where)
    return rule


def parse_rules(items: Iterable[Mapping[str, Any]], catalogue: Catalogue | None = None) -> tuple[Rule, ...]:
    """Several rules, whose names must differ (a rule's state is kept by its name)."""
    rules = tuple(parse_rule(item, catalogue) for item in items)
    names = [r.name for r in rules]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"alert rules: the name '{twice[0]}' is used more than once")
    return rules


def check_rule(rule: _Rule, catalogue: Catalogue, where: str = "alert") -> None:
    """Refuse a metric or a filter dimension the catalogue does not know."""
    if rule.metric not in catalogue.metrics:
        raise ConfigError(
            f"{where}: metric: unknown metric '{rule.metric}'{did_you_mean(rule.metric, catalogue.metrics)}"
        )
    for dimension in rule.filters:
        if dimension not in catalogue.dimensions:
            raise ConfigError(
                f"{where}: filters: unknown dimension '{dimension}'{did_you_mean(dimension, catalogue.dimensions)}"
            )


def _explain(err: ValidationError, model: type[_Rule]) -> str:
    problem = err.errors()[0]
    loc = [str(p) for p in problem["loc"][1:]]  # the first is the union's tag
    key = ".".join(loc)
    if problem["type"] == "extra_forbidden":
        return f"unknown key '{key}'{did_you_mean(loc[-1], model.model_fields)}"
    if problem["type"] == "missing":
        return f"{key}: missing"
    message = str(problem["msg"]).removeprefix("Value error, ")
    return f"{key}: {message}" if key else message
