"""Alert rules: each kind reads from YAML, and every mistake is one line naming the key and the
nearest valid spelling."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from bizsight.alerts.rules import AnomalyRule, ChangeRule, PacingRule, ThresholdRule, parse_rule, parse_rules
from bizsight.errors import ConfigError
from bizsight.metrics.definitions import Compare, builtin

CATALOGUE = builtin()

RULES = """
- name: revenue below plan
  kind: threshold
  metric: revenue
  direction: below
  value: 50000
  filters: {region: [Europe]}
  window: last_month
  severity: high
  cooldown: 24h
  escalate_after: 4h
- name: orders dropping
  kind: change
  metric: orders
  compare: previous_year
  direction: below
  value: -0.2
  window: last_7_days
- name: revenue anomaly
  kind: anomaly
  metric: revenue
  min_severity: high
  window: last_30_days
- name: target at risk
  kind: pacing
  metric: revenue
  probability_below: 0.4
"""


def test_every_kind_reads_from_yaml() -> None:
    threshold, change, anomaly, pacing = parse_rules(yaml.safe_load(RULES), CATALOGUE)
    assert isinstance(threshold, ThresholdRule) and threshold.filters == {"region": ("Europe",)}
    assert threshold.cooldown == dt.timedelta(hours=24) and threshold.escalate_after == dt.timedelta(hours=4)
    assert threshold.query_filters()[0].values == ("Europe",)
    assert isinstance(change, ChangeRule) and change.compare is Compare.PREVIOUS_YEAR and change.value == -0.2
    assert (
        isinstance(anomaly, AnomalyRule) and anomaly.min_severity == "high" and anomaly.severity == "medium"
    )
    assert isinstance(pacing, PacingRule) and pacing.threshold() == ("below", 0.4)


def test_a_rule_survives_json() -> None:
    rule = parse_rules(yaml.safe_load(RULES))[0]
    assert parse_rule(rule.model_dump(mode="json"), CATALOGUE) == rule


def test_rules_are_frozen() -> None:
    rule = parse_rules(yaml.safe_load(RULES))[0]
    with pytest.raises(Exception, match="frozen"):
        rule.value = 1  # type: ignore[misc]


BASE = {"name": "r", "kind": "threshold", "metric": "revenue", "direction": "above", "value": 1}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"metric": "revenu"}, "alert 'r': metric: unknown metric 'revenu' (did you mean 'revenue'?)"),
        ({"cooldwn": "1h"}, "alert 'r': unknown key 'cooldwn' (did you mean 'cooldown'?)"),
        ({"kind": "tresholds"}, "alert 'r': kind: unknown kind 'tresholds' (did you mean 'threshold'?)"),
        (
            {"filters": {"regoin": ["Europe"]}},
            "alert 'r': filters: unknown dimension 'regoin' (did you mean 'region'?)",
        ),
        (
            {"window": "last_mnth"},
            "alert 'r': window: unknown window 'last_mnth' (did you mean 'last_month'?)",
        ),
        ({"direction": "up"}, "alert 'r': direction: Input should be 'above' or 'below'"),
        ({"severity": "urgent"}, "alert 'r': severity: Input should be 'low', 'medium' or 'high'"),
        ({"value": None}, "alert 'r': value:"),
        ({"cooldown": "soon"}, "alert 'r': cooldown:"),
        ({"filters": {"region": []}}, "alert 'r': filters.region: give at least one value"),
    ],
)
def test_mistakes_are_one_line_with_the_key_and_the_nearest_spelling(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_rule({**BASE, **changes}, CATALOGUE)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_a_missing_key_is_named() -> None:
    with pytest.raises(ConfigError, match="alert 'r': direction: missing"):
        parse_rule({k: v for k, v in BASE.items() if k != "direction"})


def test_an_anomaly_rule_watches_one_series() -> None:
    with pytest.raises(ConfigError, match="one dimension at most"):
        parse_rule(
            {
                "name": "a",
                "kind": "anomaly",
                "metric": "revenue",
                "filters": {"region": ["x"], "category": ["y"]},
            }
        )


def test_names_must_differ() -> None:
    with pytest.raises(ConfigError, match="'r' is used more than once"):
        parse_rules([BASE, BASE])


def test_a_metric_from_the_projects_metrics_yml_is_known(tmp_path) -> None:
    from bizsight.metrics.definitions import load_catalogue

    (tmp_path / "metrics.yml").write_text(
        "metrics:\n  big_orders:\n    label: Big orders\n    model: order_lines\n    aggregate: count_distinct\n"
        "    sql: order_id\n    filter: quantity > 5\n    unit: count\n"
    )
    rule = parse_rule({**BASE, "metric": "big_orders"}, load_catalogue(tmp_path / "metrics.yml"))
    assert rule.metric == "big_orders"
