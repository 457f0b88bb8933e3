"""Checking the stored alert rules and delivering what they decide (docs/alerts.md).

:func:`check_alerts` loads the enabled rules and their states, observes them in the warehouse
(:func:`bizsight.services.alert_checks.evaluate`), then in ONE transaction of the metadata store
keeps the new states, writes an ``alert_events`` row per notification and a pending
``deliveries`` row per recipient of the notification's channel (primary: the rule's recipients;
escalation: its escalation recipients), keyed ``alert-event-<event>:<channel>:<to>``. Only then
does it send, each delivery once (:func:`bizsight.services.deliveries.send`). A process killed in
between leaves the rows pending; the ``deliver`` job of the next server start rebuilds their
messages from the events (:func:`alert_message`, registered as the ``alert`` message source)
and sends them, once.

:func:`dry_run` is the dry run of ``bizsight alerts test``: what the rule observes now and what
it would send, storing and sending nothing (unless asked to send a message marked as a test).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from bizsight.alerts.rules import Rule, parse_rule
from bizsight.alerts.states import AlertState, Notification
from bizsight.app.models import AlertEvent, AlertRule, Delivery
from bizsight.app.store import MetadataStore
from bizsight.console import NullReporter, Reporter
from bizsight.delivery import Message, send_with_retries
from bizsight.errors import BizsightError, ConfigError
from bizsight.services import deliveries
from bizsight.services.alert_checks import AlertRun, Check, evaluate
from bizsight.services.alerts import find, keep_state, state_of
from bizsight.services.deliveries import Recipient, message_source
from bizsight.services.project import Project
from bizsight.warehouse.connection import Warehouse

MONITOR_PATH = "/monitor"  # the KPI monitor page, where alerts are managed


@dataclass
class CheckSummary:
    """What one check of the rules did."""

    checked: list[str] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)  # kind, rule, channel
    sent: int = 0
    failed: int = 0
    errors: dict[str, str] = field(default_factory=dict)  # rule → why it could not be checked

    def as_dict(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "notifications": self.notifications,
            "sent": self.sent,
            "failed": self.failed,
            "errors": self.errors,
        }


def subject(name: str, severity: str, kind: str) -> str:
    """The subject of an alert's message.

    >>> subject("Revenue below 1,000", "high", "triggered")
    '[HIGH] Revenue below 1,000 — triggered'
    """
    return f"[{severity.upper()}] {name} — {kind}"


def monitor_link(project: Project) -> str | None:
    """The KPI monitor page at bizsight.yml ``reports.public_url``, when it is set."""
    base = project.settings.reports.public_url
    return base.rstrip("/") + MONITOR_PATH if base else None


def alert_message(project: Project, rule: AlertRule, event: AlertEvent) -> Message:
    """The message of an alert event, the same whether sent at once or after a restart."""
    return Message(subject(rule.name, event.severity, event.kind), event.detail, link=monitor_link(project))


@message_source("alert")
def _rebuild(project: Project, s: OrmSession, row: Delivery) -> Message:
    event = s.get(AlertEvent, row.alert_event_id) if row.alert_event_id is not None else None
    rule = s.get(AlertRule, event.rule_id) if event is not None else None
    if event is None or rule is None:
        raise ConfigError(f"delivery {row.id}: its alert event is gone")
    return alert_message(project, rule, event)


def _loaded(
    store: MetadataStore, names: Sequence[str] | None
) -> list[tuple[str, dict[str, Any], AlertState]]:
    with store.session() as s:
        if names is not None:
            rows = [find(s, n) for n in names]
        else:
            rows = list(
                s.scalars(select(AlertRule).where(AlertRule.enabled.is_(True)).order_by(AlertRule.name))
            )
        return [(r.name, dict(r.definition), state_of(r)) for r in rows]


def _observe(
    project: Project,
    wh: Warehouse,
    loaded: list[tuple[str, dict[str, Any], AlertState]],
    now: dt.datetime,
) -> tuple[AlertRun, dict[str, str]]:
    """Evaluate the rules that parse; the others are errors (their state stays)."""
    rules: list[Rule] = []
    errors: dict[str, str] = {}
    for name, definition, _ in loaded:
        try:
            rules.append(parse_rule(definition))
        except BizsightError as err:
            errors[name] = str(err)
    states = {name: state for name, _, state in loaded}
    return evaluate(project, wh, rules, states, now), errors


def check_alerts(
    project: Project,
    wh: Warehouse,
    store: MetadataStore,
    now: dt.datetime | None = None,
    *,
    rules: Sequence[str] | None = None,
    reporter: Reporter | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> CheckSummary:
    """Check the enabled rules (or the rules named in ``rules``) at ``now``, keep what they
    decided and deliver it; see the module's docstring for the order of things."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    reporter = reporter or NullReporter()
    loaded = _loaded(store, rules)
    reporter.step(f"checking {len(loaded)} alert rule{'' if len(loaded) == 1 else 's'}")
    run, errors = _observe(project, wh, loaded, now)
    before = {name: state.to_json() for name, _, state in loaded}
    summary = CheckSummary(errors=dict(errors))
    intended: list[int] = []
    with store.session() as s:
        for check in run.checks:
            row = find(s, check.rule)
            if state_of(row).to_json() != before[check.rule]:
                # acknowledged (or checked) while this check ran: the newer state wins, and the
                # next check decides from it
                reporter.warn(f"alert '{check.rule}' changed during the check; left for the next one")
                continue
            keep_state(row, check.state, _last_check(check, now))
            summary.checked.append(check.rule)
            if check.error:
                summary.errors[check.rule] = check.error
            for note in check.notifications:
                intended += _record(s, row, check, note)
                summary.notifications.append({"rule": note.rule, "kind": note.kind, "channel": note.channel})
        for name, error in errors.items():
            row = find(s, name)
            keep_state(
                row, state_of(row), {"at": now.isoformat(), "value": None, "detail": None, "error": error}
            )
    for n, delivery_id in enumerate(intended, 1):
        with store.session() as s:
            delivery = s.get(Delivery, delivery_id)
            assert delivery is not None
            message = _rebuild(project, s, delivery)
        outcome = deliveries.send(project, store, delivery_id, message, sleep=sleep)
        summary.sent += outcome["status"] == "sent"
        summary.failed += outcome["status"] == "failed"
        reporter.advance(n, len(intended), f"delivered {n} of {len(intended)}")
    return summary


def _last_check(check: Check, now: dt.datetime) -> dict[str, Any]:
    obs = check.observation
    return {"at": now.isoformat(), "value": obs.value, "detail": obs.detail or None, "error": check.error}


def _record(s: OrmSession, row: AlertRule, check: Check, note: Notification) -> list[int]:
    """The event of ``note`` and a pending delivery per recipient of its channel; their ids."""
    event = AlertEvent(
        rule_id=row.id,
        at=note.at.astimezone(dt.UTC).replace(tzinfo=None),
        kind=note.kind,
        status=check.state.status.value,
        value=note.value,
        severity=note.severity,
        detail=note.message[:2000],
    )
    s.add(event)
    s.flush()
    targets = row.recipients if note.channel == "primary" else row.escalation
    ids = []
    for target in targets or []:
        recipient = Recipient(target["channel"], target["to"])
        key = f"alert-event-{event.id}:{recipient.channel}:{recipient.to}"
        text = subject(row.name, note.severity, note.kind)
        ids.append(deliveries.intend(s, key, recipient, text, alert_event_id=event.id).id)
    return ids


def dry_run(
    project: Project,
    wh: Warehouse,
    store: MetadataStore,
    name: str,
    now: dt.datetime | None = None,
    *,
    send: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """What rule ``name`` observes at ``now`` and what a check would send, storing nothing. With
    ``send``, a message marked as a test goes to each of its recipients (not through the
    delivery log: it is not an alert)."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    with store.session() as s:
        row = find(s, name)
        targets = {"primary": list(row.recipients or []), "escalation": list(row.escalation or [])}
        rule_id = row.id
    loaded = _loaded(store, [name])
    run, errors = _observe(project, wh, loaded, now)
    before = loaded[0][2]
    check = run.checks[0] if run.checks else None
    obs = check.observation if check else None
    would = [
        {
            "kind": n.kind,
            "channel": n.channel,
            "recipients": [str(Recipient(**t)) for t in targets[n.channel]],
            "subject": subject(name, n.severity, n.kind),
            "text": n.message,
        }
        for n in (check.notifications if check else ())
    ]
    result: dict[str, Any] = {
        "rule": name,
        "at": now.isoformat(),
        "breached": obs.breached if obs else None,
        "value": obs.value if obs else None,
        "severity": obs.severity if obs else None,
        "detail": obs.detail if obs else None,
        "error": errors.get(name) or (check.error if check else None),
        "status": before.status.value,
        "status_after": check.state.status.value if check else before.status.value,
        "would_send": would,
        "sent": [],
    }
    if send:
        text = f"This is a test of the alert '{name}'; nothing is wrong because of it.\n\n"
        text += obs.detail if obs and obs.detail else (result["error"] or "")
        message = Message(f"[TEST] {subject(name, str(result['severity'] or 'medium'), 'test')}", text,
                          link=monitor_link(project))  # fmt: skip
        stamp = now.strftime("%Y%m%dT%H%M%S")
        for target in targets["primary"] + targets["escalation"]:
            recipient = Recipient(**target)
            keyed = Message(message.subject, message.text, link=message.link,
                            idempotency_key=f"alert-test-{rule_id}-{stamp}:{recipient.channel}:{recipient.to}")  # fmt: skip
            result["sent"].append(_send_test(project, recipient, keyed, sleep))
    return result


def _send_test(
    project: Project, recipient: Recipient, message: Message, sleep: Callable[[float], None]
) -> dict[str, Any]:
    try:
        outcome = send_with_retries(
            deliveries.channel(project, recipient.channel),
            message,
            recipient.to,
            deliveries.retry_policy(project),
            sleep=sleep,
        )
        status, attempts, error = outcome.status, outcome.attempts, outcome.last_error
    except ConfigError as err:
        status, attempts, error = "failed", 0, str(err)
    return {"recipient": str(recipient), "status": status, "attempts": attempts, "last_error": error}


def has_rules(store: MetadataStore) -> bool:
    """Whether any rule is enabled (a refresh then queues a check)."""
    with store.session() as s:
        return s.scalar(select(AlertRule.id).where(AlertRule.enabled.is_(True)).limit(1)) is not None
