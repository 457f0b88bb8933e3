"""The life of one alert, as a pure state machine (decision 0039).

A rule's :class:`AlertState` and a new :class:`Observation` go into :func:`step`; the new state
and the :class:`Notification` s to send come out. Nothing here reads a clock, a database or a
channel, so the whole life of an alert can be tested on a hand-written timeline, and the state is
plain data (:meth:`AlertState.to_json`) for the metadata store to keep.

States: ``ok`` (never triggered), ``triggered``, ``acknowledged`` (someone has seen it: no
reminders, no escalation) and ``resolved`` (back to normal after a trigger). Notifications:
``triggered`` once when the condition becomes true; ``reminder`` when it is still true after the
cooldown; ``worsened`` inside the cooldown when the value is further past the threshold by the
rule's margin, or the severity is higher; ``escalated`` to the second channel when triggered and
not acknowledged within the rule's delay; ``recovered`` when it is back to normal.

>>> import datetime as dt
>>> from bizsight.alerts.rules import parse_rule
>>> rule = parse_rule({"name": "low revenue", "kind": "threshold", "metric": "revenue",
...                    "direction": "below", "value": 1000, "cooldown": "1d"})
>>> t = dt.datetime(2025, 3, 1, 8, tzinfo=dt.UTC)
>>> state, sent = step(rule, AlertState("low revenue"), Observation(t, True, 800.0, "medium"))
>>> state.status.value, [n.kind for n in sent]
('triggered', ['triggered'])
>>> state, sent = step(rule, state, Observation(t + dt.timedelta(hours=1), True, 790.0, "medium"))
>>> state.status.value, sent
('triggered', [])
>>> state, sent = step(rule, state, Observation(t + dt.timedelta(hours=2), False, 1200.0, "medium"))
>>> state.status.value, [n.kind for n in sent]
('resolved', ['recovered'])
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Protocol

from bizsight.alerts.rules import severity_rank
from bizsight.errors import InvalidArgumentError


class Status(StrEnum):
    OK = "ok"
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


NotificationKind = Literal["triggered", "reminder", "worsened", "escalated", "recovered"]
Channel = Literal["primary", "escalation"]
ALERTING: tuple[NotificationKind, ...] = ("triggered", "reminder", "worsened")  # say "it is wrong"


class Policy(Protocol):
    """What the state machine needs of a rule (every rule kind of :mod:`.rules` is one)."""

    @property
    def name(self) -> str: ...
    @property
    def cooldown(self) -> dt.timedelta: ...
    @property
    def escalate_after(self) -> dt.timedelta | None: ...
    def worse(self, new: float | None, old: float | None) -> bool: ...


@dataclass(frozen=True)
class Observation:
    """A rule's condition at ``at``: ``breached`` None when there is nothing to judge by (no data
    in the window, no previous value), which changes no state. ``detail`` is the sentence the
    notification carries, numbers already formatted."""

    at: dt.datetime
    breached: bool | None
    value: float | None = None
    severity: str = "medium"
    detail: str = ""


@dataclass(frozen=True)
class Notification:
    rule: str
    kind: NotificationKind
    channel: Channel
    at: dt.datetime
    severity: str
    value: float | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "at": self.at.isoformat()}


@dataclass(frozen=True)
class Transition:
    """One line of an alert's history: a change of state, or a notification sent."""

    at: dt.datetime
    status: Status
    event: str  # "triggered", "reminder", "acknowledged by ann", ...
    value: float | None = None


@dataclass(frozen=True)
class AlertState:
    """Everything the next step needs, and the history; JSON via :meth:`to_json`/:meth:`from_json`.

    ``since``: when the current incident began (the escalation delay counts from it, or from a
    worsening that re-opened an acknowledged alert); ``last_sent_at``/``last_value``/``severity``:
    of the last notification saying "it is wrong" (the cooldown and the margin count from it)."""

    rule: str
    status: Status = Status.OK
    since: dt.datetime | None = None
    last_sent_at: dt.datetime | None = None
    last_value: float | None = None
    severity: str | None = None
    escalated: bool = False
    acknowledged_by: str | None = None
    history: tuple[Transition, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types only.

        >>> AlertState.from_json(AlertState("r").to_json()) == AlertState("r")
        True
        """
        data = dataclasses.asdict(self)
        for key in ("since", "last_sent_at"):
            data[key] = _iso(data[key])
        data["status"] = self.status.value
        data["history"] = [
            {"at": t.at.isoformat(), "status": t.status.value, "event": t.event, "value": t.value}
            for t in self.history
        ]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AlertState:
        return cls(
            **{
                **data,
                "status": Status(data["status"]),
                "since": _date_time(data.get("since")),
                "last_sent_at": _date_time(data.get("last_sent_at")),
                "history": tuple(
                    Transition(
                        dt.datetime.fromisoformat(t["at"]), Status(t["status"]), t["event"], t["value"]
                    )
                    for t in data.get("history", ())
                ),
            }
        )


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _date_time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def step(rule: Policy, state: AlertState, obs: Observation) -> tuple[AlertState, list[Notification]]:
    """The state after ``obs`` and what to send; see the module's docstring for the rules."""
    now = _Step(rule, obs)
    if obs.breached is None:
        pass
    elif obs.breached and state.status in (Status.OK, Status.RESOLVED):
        state = now.alert(state, "triggered", since=obs.at, escalated=False, acknowledged_by=None)
    elif obs.breached and state.status is Status.TRIGGERED:
        if state.last_sent_at is None or obs.at - state.last_sent_at >= rule.cooldown:
            state = now.alert(state, "reminder")
        elif severity_rank(obs.severity) > severity_rank(state.severity) or rule.worse(
            obs.value, state.last_value
        ):
            state = now.alert(state, "worsened")
    elif obs.breached and state.status is Status.ACKNOWLEDGED:
        if severity_rank(obs.severity) > severity_rank(state.severity):  # news, not a repeat: re-open
            state = now.alert(state, "worsened", since=obs.at, escalated=False, acknowledged_by=None)
    elif not obs.breached and state.status in (Status.TRIGGERED, Status.ACKNOWLEDGED):
        now.note("recovered")
        if state.escalated:
            now.note("recovered", "escalation")
        state = now.record(state, Status.RESOLVED, "recovered")
    return now.escalate(state), now.sent


class _Step:
    """One observation's step: what it sends and the history lines it writes."""

    def __init__(self, rule: Policy, obs: Observation) -> None:
        self.rule, self.obs = rule, obs
        self.sent: list[Notification] = []

    def note(self, kind: NotificationKind, channel: Channel = "primary") -> None:
        obs = self.obs
        message = _message(kind, self.rule.name, obs)
        self.sent.append(
            Notification(self.rule.name, kind, channel, obs.at, obs.severity, obs.value, message)
        )

    def record(self, state: AlertState, status: Status, event: str, **changes: Any) -> AlertState:
        line = Transition(self.obs.at, status, event, self.obs.value)
        return dataclasses.replace(state, status=status, history=(*state.history, line), **changes)

    def alert(self, state: AlertState, kind: NotificationKind, **changes: Any) -> AlertState:
        """Say "it is wrong": the cooldown and the margin count from here."""
        self.note(kind)
        obs = self.obs
        sent = {"last_sent_at": obs.at, "last_value": obs.value, "severity": obs.severity}
        return self.record(state, Status.TRIGGERED, kind, **sent, **changes)

    def escalate(self, state: AlertState) -> AlertState:
        """Tell the second channel, once per incident, when the delay has passed unacknowledged."""
        delay = self.rule.escalate_after
        due = state.since is not None and delay is not None and self.obs.at - state.since >= delay
        if state.status is Status.TRIGGERED and not state.escalated and due:
            self.note("escalated", "escalation")
            return self.record(state, Status.TRIGGERED, "escalated", escalated=True)
        return state


def acknowledge(state: AlertState, at: dt.datetime, by: str) -> AlertState:
    """``state`` acknowledged by ``by``: no more reminders or escalation for this incident.

    >>> t = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    >>> acknowledge(AlertState("r", Status.TRIGGERED), t, "ann").status
    <Status.ACKNOWLEDGED: 'acknowledged'>
    """
    if state.status is not Status.TRIGGERED:
        raise InvalidArgumentError(
            f"alert '{state.rule}' is {state.status.value}: only a triggered alert can be acknowledged"
        )
    line = Transition(at, Status.ACKNOWLEDGED, f"acknowledged by {by}", state.last_value)
    return dataclasses.replace(
        state, status=Status.ACKNOWLEDGED, acknowledged_by=by, history=(*state.history, line)
    )


_HEADLINES: dict[NotificationKind, str] = {
    "triggered": "Alert",
    "reminder": "Still alerting",
    "worsened": "Worse",
    "escalated": "Not acknowledged",
    "recovered": "Recovered",
}


def _message(kind: NotificationKind, rule: str, obs: Observation) -> str:
    """'Alert (high) — low revenue: Revenue last month is $800.00, below $1,000.00'."""
    text = f"{_HEADLINES[kind]} ({obs.severity}) — {rule}"
    return f"{text}: {obs.detail}" if obs.detail else text
