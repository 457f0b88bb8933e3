"""Alert rules kept in the metadata store: add, list, remove, pause, acknowledge, history.

A rule is stored as it was given (``alert_rules.definition``, validated by
:func:`bizsight.alerts.rules.parse_rule` against the catalogue), with who hears of it
(``recipients`` for the primary channel, ``escalation`` for the second one, each checked against
bizsight.yml ``channels``) and its state (:meth:`AlertState.to_json`, plus the last check's value,
time and error under ``last_check``). Every notification and acknowledgement is a row of
``alert_events``; each copy of a notification is a row of ``deliveries``. Checking the rules
against the warehouse and sending is :mod:`bizsight.services.alert_runs`.

The CLI (``bizsight alerts``), the API (``/api/v1/alerts``) and the KPI monitor page all call
these functions; docs/alerts.md is the user's page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from bizsight.alerts.rules import Rule, parse_rule
from bizsight.alerts.states import AlertState
from bizsight.alerts.states import acknowledge as acknowledged
from bizsight.app import audit
from bizsight.app.models import AlertEvent, AlertRule, Delivery, Schedule, utcnow
from bizsight.app.store import MetadataStore
from bizsight.errors import InvalidArgumentError, NotFoundError, did_you_mean
from bizsight.services import deliveries
from bizsight.services.project import Project
from bizsight.services.schedules import create_schedule

MAX_NAME = 100  # alert_rules.name
LAST_CHECK = "last_check"  # the key of alert_rules.state holding the last check (not AlertState's)


def validate(project: Project, definition: Mapping[str, Any]) -> Rule:
    """``definition`` as a rule of the project's catalogue; a one-line error naming the key.

    >>> from bizsight.services.project import Project
    >>> validate(Project("."), {"name": "low", "kind": "threshold", "metric": "revenu",
    ...                          "direction": "below", "value": 1})
    Traceback (most recent call last):
    bizsight.errors.ConfigError: alert 'low': metric: unknown metric 'revenu' (did you mean 'revenue'?)
    """
    from bizsight.services.query import catalogue  # the query layer loads only for rules

    return parse_rule(definition, catalogue(project))


def definition_from(
    name: str,
    metric: str,
    *,
    below: float | None = None,
    above: float | None = None,
    change_below: float | None = None,
    change_above: float | None = None,
    compare: str | None = None,
    anomaly: bool = False,
    min_severity: str | None = None,
    pacing_behind: bool = False,
    probability: float | None = None,
    where: Iterable[str] = (),
    **common: Any,
) -> dict[str, Any]:
    """A rule's definition from the command line's options: exactly one of ``below``/``above``
    (threshold), ``change_below``/``change_above`` (change), ``anomaly`` or ``pacing_behind``;
    ``where`` as ``DIM=VALUE`` (``DIM=A,B`` for any of them); ``common`` (window, severity,
    cooldown, escalate_after) when given.

    >>> definition_from("low", "revenue", below=1000, where=["region=Europe"], cooldown="12h")
    {'name': 'low', 'kind': 'threshold', 'metric': 'revenue', 'direction': 'below', 'value': 1000, 'filters': {'region': ['Europe']}, 'cooldown': '12h'}
    """
    kinds: list[dict[str, Any]] = []
    for direction, value in (("below", below), ("above", above)):
        if value is not None:
            kinds.append({"kind": "threshold", "direction": direction, "value": value})
    for direction, value in (("below", change_below), ("above", change_above)):
        if value is not None:
            kinds.append({"kind": "change", "direction": direction, "value": value})
    if anomaly:
        kinds.append({"kind": "anomaly"})
    if pacing_behind:
        kinds.append({"kind": "pacing"})
    if len(kinds) != 1:
        raise InvalidArgumentError(
            "say what to watch with exactly one of --below, --above, --change-below, --change-above, "
            "--anomaly or --pacing-behind"
        )
    (shape,) = kinds
    extra = {
        "compare": compare if shape["kind"] == "change" else None,
        "min_severity": min_severity if shape["kind"] == "anomaly" else None,
        "probability_below": probability if shape["kind"] == "pacing" else None,
    }
    misplaced = [
        option
        for option, value, kind in (
            ("--compare", compare, "change"),
            ("--min-severity", min_severity, "anomaly"),
            ("--probability", probability, "pacing"),
        )
        if value is not None and shape["kind"] != kind
    ]
    if misplaced:
        raise InvalidArgumentError(f"{misplaced[0]} does not apply to a {shape['kind']} rule")
    from bizsight.services.query import parse_where

    filters: dict[str, list[str]] = {}
    for text in where:
        found = parse_where(text)
        if found.op not in ("=", "in"):
            raise InvalidArgumentError(f"alert filter '{text}': write DIMENSION=VALUE (or DIMENSION=A,B)")
        filters.setdefault(found.dimension, []).extend(str(v) for v in found.values)
    definition = {"name": name, "kind": shape.pop("kind"), "metric": metric, **shape}
    definition |= {k: v for k, v in extra.items() if v is not None}
    if filters:
        definition["filters"] = filters
    return definition | {k: v for k, v in common.items() if v is not None}


def state_of(row: AlertRule) -> AlertState:
    """The alert's state as the state machine reads it (a fresh ``ok`` one when never checked)."""
    data = {k: v for k, v in (row.state or {}).items() if k != LAST_CHECK}
    return AlertState.from_json(data) if data else AlertState(row.name)


def keep_state(row: AlertRule, state: AlertState, check: Mapping[str, Any] | None) -> None:
    """Store ``state`` (and the last check, when there was one) on ``row``."""
    last = check if check is not None else (row.state or {}).get(LAST_CHECK)
    row.state = {**state.to_json(), LAST_CHECK: dict(last) if last else None}
    row.updated_at = utcnow()


def add_rule(
    project: Project,
    store: MetadataStore,
    definition: Mapping[str, Any],
    *,
    recipients: Iterable[Mapping[str, str] | str] = (),
    escalation: Iterable[Mapping[str, str] | str] = (),
    cron: str | None = None,
    actor: str | None = None,
    owner_id: int | None = None,
    client: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Store a new rule; its view. With ``cron`` (a cron expression or a preset such as
    ``every 15 minutes``), the rule also gets a schedule of its own that checks it."""
    rule = validate(project, definition)
    if len(rule.name) > MAX_NAME:
        raise InvalidArgumentError(f"alert name '{rule.name[:40]}...': at most {MAX_NAME} characters")
    primary = [r.as_dict() for r in deliveries.recipients(project, recipients)]
    second = [r.as_dict() for r in deliveries.recipients(project, escalation)]
    if not primary:
        raise InvalidArgumentError(
            f"alert '{rule.name}': give at least one recipient (CHANNEL or CHANNEL:ADDRESS)"
        )
    if second and rule.escalate_after is None:
        raise InvalidArgumentError(
            f"alert '{rule.name}': escalation recipients need escalate_after (how long unacknowledged)"
        )
    with store.session() as s:
        if s.scalar(select(AlertRule.id).where(AlertRule.name == rule.name)) is not None:
            raise InvalidArgumentError(f"an alert named '{rule.name}' exists already")
        row = AlertRule(
            name=rule.name,
            definition=dict(definition),
            recipients=primary,
            escalation=second,
            owner_id=owner_id,
            state={},
        )
        s.add(row)
        s.flush()
        if cron is not None:
            row.schedule_id = _own_schedule(s, project, row, cron, actor, now)
        audit.record(s, "alert.add", actor=actor, target=rule.name, detail={"kind": rule.kind}, client=client)
        return rule_view(s, row)


def _own_schedule(
    s: OrmSession, project: Project, row: AlertRule, cron: str, actor: str | None, now: dt.datetime | None
) -> int:
    """A schedule of kind ``alerts`` that checks only this rule."""
    params = {"rule": row.name}
    zone = project.settings.timezone
    made = create_schedule(
        s, f"alert-{row.id}", "alerts", cron, timezone=zone, params=params, created_by=actor, now=now
    )
    return made.id


def find(s: OrmSession, name: str) -> AlertRule:
    """The rule named ``name``, or a :class:`NotFoundError` with the nearest name."""
    row = s.scalar(select(AlertRule).where(AlertRule.name == name))
    if row is None:
        known = list(s.scalars(select(AlertRule.name)))
        raise NotFoundError(f"no alert named '{name}'{did_you_mean(name, known)}")
    return row


def list_rules(store: MetadataStore, *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Every rule with its state, last check and next scheduled check, by name."""
    with store.session() as s:
        rows = list(s.scalars(select(AlertRule).order_by(AlertRule.name)))
        shared = _next_shared_check(s)
        return [rule_view(s, row, shared=shared) for row in rows]


def get_rule(store: MetadataStore, name: str) -> dict[str, Any]:
    with store.session() as s:
        return rule_view(s, find(s, name), shared=_next_shared_check(s))


def remove_rule(
    store: MetadataStore, name: str, *, actor: str | None = None, client: str | None = None
) -> dict[str, Any]:
    """Delete a rule, its own schedule, its history and its delivery log; its last view."""
    with store.session() as s:
        row = find(s, name)
        view = rule_view(s, row)
        events = select(AlertEvent.id).where(AlertEvent.rule_id == row.id)
        for delivery in s.scalars(select(Delivery).where(Delivery.alert_event_id.in_(events))):
            s.delete(delivery)
        for event in s.scalars(select(AlertEvent).where(AlertEvent.rule_id == row.id)):
            s.delete(event)
        if row.schedule_id is not None and (schedule := s.get(Schedule, row.schedule_id)) is not None:
            s.delete(schedule)
        s.delete(row)
        audit.record(s, "alert.remove", actor=actor, target=name, client=client)
        return view


def set_enabled(
    store: MetadataStore, name: str, enabled: bool, *, actor: str | None = None, client: str | None = None
) -> dict[str, Any]:
    """Pause or resume a rule (a paused rule is not checked; its state is kept)."""
    with store.session() as s:
        row = find(s, name)
        row.enabled = enabled
        if row.schedule_id is not None and (schedule := s.get(Schedule, row.schedule_id)) is not None:
            schedule.enabled = enabled
        action = "alert.enable" if enabled else "alert.disable"
        audit.record(s, action, actor=actor, target=name, client=client)
        return rule_view(s, row)


def acknowledge(
    store: MetadataStore,
    name: str,
    by: str,
    *,
    now: dt.datetime | None = None,
    client: str | None = None,
) -> dict[str, Any]:
    """Acknowledge the triggered alert ``name``: no reminders, ``worsened`` notices or escalation
    for the rest of this incident (its recovery is still sent). Recorded with who did it."""
    at = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    with store.session() as s:
        row = find(s, name)
        state = acknowledged(state_of(row), at, by)
        keep_state(row, state, None)
        s.add(
            AlertEvent(
                rule_id=row.id,
                at=at.replace(tzinfo=None),
                kind="acknowledged",
                status=state.status.value,
                value=state.last_value,
                severity=state.severity or str(row.definition.get("severity", "medium")),
                detail=f"acknowledged by {by}",
                actor=by[:64],
            )
        )
        audit.record(s, "alert.acknowledge", actor=by, target=name, client=client)
        return rule_view(s, row)


def history(store: MetadataStore, name: str, *, limit: int = 100) -> list[dict[str, Any]]:
    """The rule's events, newest first, each with its deliveries (channel, recipient, status,
    attempts, last error): what was decided and what reached whom."""
    with store.session() as s:
        row = find(s, name)
        events = list(
            s.scalars(
                select(AlertEvent)
                .where(AlertEvent.rule_id == row.id)
                .order_by(AlertEvent.at.desc(), AlertEvent.id.desc())
                .limit(limit)
            )
        )
        sent: dict[int, list[dict[str, Any]]] = {}
        ids = [e.id for e in events]
        for delivery in s.scalars(
            select(Delivery).where(Delivery.alert_event_id.in_(ids)).order_by(Delivery.id)
        ):
            assert delivery.alert_event_id is not None
            sent.setdefault(delivery.alert_event_id, []).append(deliveries.view(delivery))
        return [event_view(e, sent.get(e.id, [])) for e in events]


def event_view(event: AlertEvent, sent: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": _utc(event.at),
        "kind": event.kind,
        "status": event.status,
        "value": event.value,
        "severity": event.severity,
        "detail": event.detail,
        "actor": event.actor,
        "deliveries": sent,
    }


def rule_view(s: OrmSession, row: AlertRule, *, shared: dt.datetime | None = None) -> dict[str, Any]:
    """A rule as people read it: what it watches, who hears of it, its state and its checks."""
    state = state_of(row)
    check = (row.state or {}).get(LAST_CHECK) or {}
    own = s.get(Schedule, row.schedule_id) if row.schedule_id is not None else None
    times = [t for t in (shared, own.next_run_at if own and own.enabled else None) if t is not None]
    definition = dict(row.definition)
    return {
        "id": row.id,
        "name": row.name,
        "kind": definition.get("kind"),
        "metric": definition.get("metric"),
        "severity": definition.get("severity", "medium"),
        "definition": definition,
        "recipients": list(row.recipients or []),
        "escalation": list(row.escalation or []),
        "enabled": row.enabled,
        "status": state.status.value,
        "since": state.since.isoformat() if state.since else None,
        "acknowledged_by": state.acknowledged_by,
        "escalated": state.escalated,
        "last_value": check.get("value"),
        "value_unit": value_unit(str(definition.get("kind"))),
        "last_detail": check.get("detail"),
        "last_checked": check.get("at"),
        "error": check.get("error"),
        "schedule": own.cron if own else None,
        "next_check": _utc(min(times)) if times and row.enabled else None,
    }


def value_unit(kind: str) -> str | None:
    """How a rule's observed value reads: None for the metric's own unit (threshold), ``percent``
    for a change or a pacing probability, ``number`` for an anomaly's score.

    >>> value_unit("threshold"), value_unit("change"), value_unit("anomaly")
    (None, 'percent', 'number')
    """
    return {"threshold": None, "change": "percent", "pacing": "percent"}.get(kind, "number")


def _next_shared_check(s: OrmSession) -> dt.datetime | None:
    """The next run of a schedule that checks every rule (kind alerts without a rule)."""
    found = [
        r.next_run_at
        for r in s.scalars(select(Schedule).where(Schedule.kind == "alerts", Schedule.enabled.is_(True)))
        if not (r.params or {}).get("rule") and r.next_run_at is not None
    ]
    return min(found) if found else None


def _utc(value: dt.datetime | None) -> str | None:
    return value.replace(tzinfo=dt.UTC).isoformat() if value else None
