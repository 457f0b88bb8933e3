"""The alert check use case: observe each rule's condition in the warehouse and step its state.

Threshold and change rules read their metric through the metrics layer (:func:`run_query`, the
same compiler and comparison every page uses), anomaly rules read marts.anomalies and pacing rules
marts.target_pacing, both made by refresh. Messages format their numbers through the project's
presentation, so an alert reads like the page it points to. Nothing is sent or stored here:
:func:`evaluate` returns the new states and the notifications, for the caller to deliver and keep.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlglot import exp

from bizsight.alerts.rules import (
    AnomalyRule,
    ChangeRule,
    PacingRule,
    Rule,
    ThresholdRule,
    check_rule,
    severity_rank,
)
from bizsight.alerts.states import AlertState, Notification, Observation, step
from bizsight.errors import BizsightError
from bizsight.metrics.query import Query, relative_range
from bizsight.services.presentation import Presentation, presentation
from bizsight.services.project import Project
from bizsight.services.query import catalogue, run_query
from bizsight.warehouse.connection import Warehouse
from bizsight.warehouse.sql import col, lit, table

BEHIND = ("at risk", "missed")  # the pacing statuses that are behind


@dataclass(frozen=True)
class Check:
    """One rule's check: what was observed, the state after it and what to send; ``error`` when
    the rule could not be checked (its state is then unchanged)."""

    rule: str
    observation: Observation
    state: AlertState
    notifications: tuple[Notification, ...]
    error: str | None = None


@dataclass(frozen=True)
class AlertRun:
    checks: tuple[Check, ...]

    @property
    def states(self) -> dict[str, AlertState]:
        return {c.rule: c.state for c in self.checks}

    @property
    def notifications(self) -> list[Notification]:
        return [n for c in self.checks for n in c.notifications]


def evaluate(
    project: Project,
    wh: Warehouse,
    rules: Sequence[Rule],
    states: Mapping[str, AlertState],
    now: dt.datetime,
) -> AlertRun:
    """Each rule observed at ``now`` (its window ends on ``now``'s day in the project's time zone)
    and stepped from its state in ``states`` (a fresh ``ok`` state when it has none). A rule that
    cannot be checked (a metric since removed from metrics.yml) keeps its state and says why;
    it does not stop the others."""
    now = now if now.tzinfo else now.replace(tzinfo=dt.UTC)
    today = now.astimezone(ZoneInfo(project.settings.timezone)).date()
    shown = presentation(project, wh)
    checks = []
    for rule in rules:
        state = states.get(rule.name) or AlertState(rule.name)
        try:
            check_rule(rule, catalogue(project), f"alert '{rule.name}'")
            obs = observe(project, wh, rule, now, today, shown)
        except BizsightError as err:
            checks.append(Check(rule.name, Observation(now, None, detail=str(err)), state, (), str(err)))
            continue
        new, sent = step(rule, state, obs)
        checks.append(Check(rule.name, obs, new, tuple(sent)))
    return AlertRun(tuple(checks))


def observe(
    project: Project, wh: Warehouse, rule: Rule, now: dt.datetime, today: dt.date, shown: Presentation
) -> Observation:
    """The rule's condition at ``now``, the window ending ``today``."""
    if isinstance(rule, ThresholdRule):
        return _threshold(project, wh, rule, now, today, shown)
    if isinstance(rule, ChangeRule):
        return _change(project, wh, rule, now, today, shown)
    if isinstance(rule, AnomalyRule):
        return _anomaly(project, wh, rule, now, today, shown)
    return _pacing(project, wh, rule, now, today, shown)


def subject(rule: Rule, shown: Presentation) -> str:
    """What the rule watches, in words.

    >>> from bizsight.alerts.rules import parse_rule
    >>> from bizsight.services.presentation import plain
    >>> rule = parse_rule({"name": "r", "kind": "threshold", "metric": "revenue", "direction": "above",
    ...                    "value": 1, "filters": {"region": ["Europe", "Asia"]}, "window": "last_7_days"})
    >>> subject(rule, plain())
    'Revenue (last 7 days, Region: Europe, Asia)'
    """
    where = [f"{shown.label(d)}: {', '.join(v)}" for d, v in sorted(rule.filters.items())]
    label = shown.label(rule.metric)
    return f"{label} ({', '.join([rule.window.replace('_', ' '), *where])})"


def _threshold(
    project: Project,
    wh: Warehouse,
    rule: ThresholdRule,
    now: dt.datetime,
    today: dt.date,
    shown: Presentation,
) -> Observation:
    query = Query(metrics=(rule.metric,), range=rule.window, filters=rule.query_filters())
    rows = run_query(project, query, today=today, wh=wh).table.to_pylist()
    value = _number(rows[0][rule.metric]) if rows else None
    if value is None:
        return Observation(now, None, None, rule.severity, f"{subject(rule, shown)}: no value")
    breached = value > rule.value if rule.direction == "above" else value < rule.value
    text = f"{subject(rule, shown)} is {shown.format(value, rule.metric)}"
    limit = shown.format(rule.value, rule.metric)
    detail = f"{text}, {rule.direction} {limit}" if breached else f"{text}, back within {limit}"
    return Observation(now, breached, value, rule.severity, detail)


def _change(
    project: Project, wh: Warehouse, rule: ChangeRule, now: dt.datetime, today: dt.date, shown: Presentation
) -> Observation:
    query = Query(
        metrics=(rule.metric,), range=rule.window, filters=rule.query_filters(), compare=rule.compare
    )
    rows = run_query(project, query, today=today, wh=wh).table.to_pylist()
    m = rule.metric
    current, previous, change = (
        (_number(rows[0][m]), _number(rows[0][f"{m}__previous"]), _number(rows[0][f"{m}__change_pct"]))
        if rows
        else (None, None, None)
    )
    against = rule.compare.value.replace("_", " ")
    if change is None:
        return Observation(
            now, None, None, rule.severity, f"{subject(rule, shown)}: no {against} to compare with"
        )
    breached = change > rule.value if rule.direction == "above" else change < rule.value
    pct = shown.format(change, "", unit="percent")
    limit = shown.format(rule.value, "", unit="percent")
    text = (
        f"{subject(rule, shown)} changed {pct} against the {against} "
        f"({shown.format(previous, m)} → {shown.format(current, m)})"
    )
    detail = f"{text}, {rule.direction} {limit}" if breached else f"{text}, back within {limit}"
    return Observation(now, breached, change, rule.severity, detail)


def _anomaly(
    project: Project, wh: Warehouse, rule: AnomalyRule, now: dt.datetime, today: dt.date, shown: Presentation
) -> Observation:
    if not wh.table_exists("marts", "anomalies"):
        return Observation(now, None, None, rule.severity, "no anomalies scored yet (run a refresh)")
    start, end = relative_range(rule.window, today, project.settings.fiscal_year_start)
    query = (
        exp.select("period", "actual", "expected", "severity", "score")
        .from_(table("marts", "anomalies"))
        .where(col("metric").eq(lit(rule.metric)))
        .where(
            exp.Between(
                this=col("period"),
                low=exp.cast(lit(str(start)), "DATE"),
                high=exp.cast(lit(str(end)), "DATE"),
            )
        )
        .order_by("period")
    )
    if rule.filters:
        ((dimension, values),) = rule.filters.items()
        query = query.where(col("dimension").eq(lit(dimension))).where(
            col("dimension_value").isin(*(lit(v) for v in values))
        )
    else:
        query = query.where(col("dimension").is_(exp.null()))
    found = [
        dict(zip(("period", "actual", "expected", "severity", "score"), row, strict=True))
        for row in wh.rows(query.sql("duckdb"))
        if severity_rank(row[3]) >= severity_rank(rule.min_severity)
    ]
    if not found:
        return Observation(
            now, False, None, rule.severity, f"{subject(rule, shown)}: no {rule.min_severity} anomaly"
        )
    worst = max(found, key=lambda r: (severity_rank(r["severity"]), r["score"]))
    latest = found[-1]
    detail = (
        f"{len(found)} anomal{'y' if len(found) == 1 else 'ies'} of {subject(rule, shown)}, the latest on "
        f"{latest['period']}: {shown.format(latest['actual'], rule.metric)} against "
        f"{shown.format(latest['expected'], rule.metric)} expected"
    )
    return Observation(now, True, _number(worst["score"]), str(worst["severity"]), detail)


def _pacing(
    project: Project, wh: Warehouse, rule: PacingRule, now: dt.datetime, today: dt.date, shown: Presentation
) -> Observation:
    if not wh.table_exists("marts", "target_pacing"):
        return Observation(now, None, None, rule.severity, "no target pacing yet (run a refresh)")
    day = exp.cast(lit(str(today)), "DATE")
    query = (
        exp.select("period_start", "period_end", "filter", "target", "actual", "probability", "status")
        .from_(table("marts", "target_pacing"))
        .where(col("metric").eq(lit(rule.metric)))
        .where(col("period_start") <= day)
        .where(col("period_end") >= day)
        .order_by("period_start")
    )
    names = ("period_start", "period_end", "filter", "target", "actual", "probability", "status")
    rows = [dict(zip(names, row, strict=True)) for row in wh.rows(query.sql("duckdb"))]
    rows = [r for r in rows if _filter_matches(str(r["filter"] or ""), rule.filters)]
    if not rows:
        return Observation(now, None, None, rule.severity, f"{subject(rule, shown)}: no target for {today}")
    known = [r for r in rows if r["probability"] is not None]
    worst = min(known, key=lambda r: r["probability"]) if known else rows[0]
    if rule.probability_below is not None:
        if not known:
            return Observation(now, None, None, rule.severity, f"{subject(rule, shown)}: no pacing forecast")
        breached = worst["probability"] < rule.probability_below
    else:
        behind = [r for r in rows if r["status"] in BEHIND]
        breached, worst = bool(behind), (behind[0] if behind else worst)
    probability = _number(worst["probability"])
    detail = (
        f"{subject(rule, shown)}: {shown.format(worst['actual'], rule.metric)} of "
        f"{shown.format(worst['target'], rule.metric)} by {worst['period_end']}, "
        f"{shown.format(probability, '', unit='percent')} likely to be reached ({worst['status']})"
    )
    return Observation(now, breached, probability, rule.severity, detail)


def _filter_matches(text: str, filters: Mapping[str, tuple[str, ...]]) -> bool:
    """Whether a target's filter (``region=Europe, category=Home``) is the rule's: the same
    dimensions, each value among the rule's.

    >>> _filter_matches("region=Europe", {"region": ("Europe", "Asia")}), _filter_matches("", {})
    (True, True)
    >>> _filter_matches("region=Europe, category=Home", {"region": ("Europe",)})
    False
    """
    pairs = dict(part.split("=", 1) for part in text.split(", ") if "=" in part)
    return pairs.keys() == filters.keys() and all(pairs[d] in v for d, v in filters.items())


def _number(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]
