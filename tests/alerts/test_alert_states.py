"""The life of an alert on hand-written timelines, and a property over random ones."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from bizsight.alerts.rules import Rule, parse_rule, severity_rank
from bizsight.alerts.states import ALERTING, AlertState, Notification, Observation, Status, acknowledge, step

T0 = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def low_revenue(**extra: object) -> Rule:
    """Revenue below 1,000: a 24-hour cooldown, a 10 % margin (100), escalation after 4 hours."""
    return parse_rule(
        {
            "name": "low revenue",
            "kind": "threshold",
            "metric": "revenue",
            "direction": "below",
            "value": 1000,
            "cooldown": "24h",
            "escalate_after": "4h",
            **extra,
        }
    )


def run(rule: Rule, timeline: list[tuple[float, float | None]], state: AlertState | None = None):
    """Steps ``rule`` through (hours after T0, value) points; None is no data. The kinds sent at
    each point, and the last state."""
    state = state or AlertState(rule.name)
    kinds: list[list[str]] = []
    for hours, value in timeline:
        breached = None if value is None else value < 1000
        state, sent = step(rule, state, Observation(T0 + hours * HOUR, breached, value, "medium"))
        kinds.append([f"{n.kind}:{n.channel}" if n.channel != "primary" else n.kind for n in sent])
    return kinds, state


def test_fires_once_when_the_condition_becomes_true() -> None:
    kinds, state = run(low_revenue(escalate_after=None), [(0, 1200), (1, 900), (2, 890), (3, 905)])
    assert kinds == [[], ["triggered"], [], []]
    assert state.status is Status.TRIGGERED and state.last_value == 900
    assert [t.event for t in state.history] == ["triggered"]


def test_no_repeat_inside_the_cooldown_then_a_reminder_after_it() -> None:
    kinds, _ = run(low_revenue(escalate_after=None), [(0, 900), (12, 900), (23.9, 900), (24, 900), (30, 900)])
    assert kinds == [["triggered"], [], [], ["reminder"], []]


def test_refires_inside_the_cooldown_when_it_worsens_by_the_margin() -> None:
    # the margin is 10 % of the threshold (100), counted from the last value sent
    kinds, state = run(low_revenue(escalate_after=None), [(0, 900), (1, 850), (2, 800), (3, 750), (4, 699)])
    assert kinds == [["triggered"], [], ["worsened"], [], ["worsened"]]
    assert state.last_value == 699


def test_a_higher_severity_is_news_inside_the_cooldown() -> None:
    rule = low_revenue(escalate_after=None)
    state, _ = step(rule, AlertState(rule.name), Observation(T0, True, 900, "low"))
    state, sent = step(rule, state, Observation(T0 + HOUR, True, 900, "low"))
    assert sent == []
    state, sent = step(rule, state, Observation(T0 + 2 * HOUR, True, 900, "high"))
    assert [n.kind for n in sent] == ["worsened"] and sent[0].severity == "high"


def test_recovers_with_a_notice_and_fires_again_on_a_new_breach() -> None:
    kinds, state = run(low_revenue(escalate_after=None), [(0, 900), (1, 1100), (2, 1200), (3, 900)])
    assert kinds == [["triggered"], ["recovered"], [], ["triggered"]]
    assert [t.status for t in state.history] == [Status.TRIGGERED, Status.RESOLVED, Status.TRIGGERED]


def test_no_data_changes_nothing() -> None:
    kinds, state = run(low_revenue(escalate_after=None), [(0, 900), (1, None), (30, None)])
    assert kinds == [["triggered"], [], []] and state.status is Status.TRIGGERED


def test_escalates_after_the_delay_when_not_acknowledged() -> None:
    kinds, state = run(low_revenue(), [(0, 900), (3.9, 900), (4, 900), (5, None), (6, 1100)])
    assert kinds == [["triggered"], [], ["escalated:escalation"], [], ["recovered", "recovered:escalation"]]
    assert state.status is Status.RESOLVED


def test_escalation_counts_even_when_the_check_has_no_data() -> None:
    kinds, _ = run(low_revenue(), [(0, 900), (5, None)])
    assert kinds == [["triggered"], ["escalated:escalation"]]


def test_acknowledgement_stops_reminders_and_escalation() -> None:
    rule = low_revenue()
    _, state = run(rule, [(0, 900)])
    state = acknowledge(state, T0 + HOUR, "ann")
    kinds, state = run(rule, [(5, 900), (30, 800), (60, 700)], state)
    assert kinds == [[], [], []]
    assert state.status is Status.ACKNOWLEDGED and state.acknowledged_by == "ann"
    kinds, state = run(rule, [(61, 1200)], state)
    assert kinds == [["recovered"]] and state.status is Status.RESOLVED


def test_a_higher_severity_reopens_an_acknowledged_alert() -> None:
    rule = low_revenue()
    state, _ = step(rule, AlertState(rule.name), Observation(T0, True, 900, "low"))
    state = acknowledge(state, T0, "ann")
    state, sent = step(rule, state, Observation(T0 + HOUR, True, 900, "high"))
    assert [n.kind for n in sent] == ["worsened"] and state.status is Status.TRIGGERED
    state, sent = step(rule, state, Observation(T0 + 5 * HOUR, True, 900, "high"))
    assert [n.kind for n in sent] == ["escalated"]  # the delay counts from the re-opening


def test_only_a_triggered_alert_can_be_acknowledged() -> None:
    import pytest

    from bizsight.errors import InvalidArgumentError

    with pytest.raises(InvalidArgumentError, match="is ok"):
        acknowledge(AlertState("r"), T0, "ann")


def test_state_and_notifications_travel_as_json() -> None:
    rule = low_revenue()
    state, sent = step(
        rule, AlertState(rule.name), Observation(T0, True, 900, "medium", "Revenue is $900.00")
    )
    state = acknowledge(state, T0 + HOUR, "ann")
    assert AlertState.from_json(json.loads(json.dumps(state.to_json()))) == state
    assert (
        json.loads(json.dumps(sent[0].to_json()))["message"]
        == "Alert (medium) — low revenue: Revenue is $900.00"
    )


points = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=48),  # hours since the previous check
        st.one_of(st.none(), st.floats(min_value=0, max_value=2000)),
        st.sampled_from(["low", "medium", "high"]),
        st.booleans(),  # acknowledge after this check (when triggered)
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(points)
def test_never_two_alerts_inside_the_cooldown_without_worsening(timeline: list) -> None:
    """Within one incident, an alert inside the cooldown of the previous one is always a
    ``worsened`` one, past it by the margin or of a higher severity; a recovery always follows a
    trigger; escalation goes out at most once per incident, never after an acknowledgement."""
    rule = low_revenue()
    state, at = AlertState(rule.name), T0
    sent: list[Notification] = []
    for hours, value, severity, ack in timeline:
        at += hours * HOUR
        breached = None if value is None else value < 1000
        before = state
        state, new = step(rule, state, Observation(at, breached, value, severity))
        sent += new
        if before.status is Status.ACKNOWLEDGED:
            assert not any(n.kind == "escalated" for n in new)
        if ack and state.status is Status.TRIGGERED:
            state = acknowledge(state, at, "ann")
    incident: list[Notification] = []
    for n in sent:
        if n.kind == "triggered" or n.kind == "recovered":
            incident = []
        if n.kind not in ALERTING:
            assert n.kind != "escalated" or n.channel == "escalation"
            continue
        if incident and n.at - incident[-1].at < rule.cooldown:
            last = incident[-1]
            assert n.kind == "worsened"
            assert severity_rank(n.severity) > severity_rank(last.severity) or (
                n.value is not None and last.value is not None and n.value <= last.value - 100
            )
        incident.append(n)
    assert AlertState.from_json(json.loads(json.dumps(state.to_json()))) == state
    escalations = [n for n in sent if n.kind == "escalated"]
    triggers = [n for n in sent if n.kind == "triggered" or (n.kind == "worsened")]
    assert len(escalations) <= len(triggers)
