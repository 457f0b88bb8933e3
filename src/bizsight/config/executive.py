"""Settings of the executive view (``executive:`` in bizsight.yml): the sections, the KPIs each is
scored from, and how each KPI's value maps to 0–100 (docs/executive.md).

>>> [s for s in ExecutiveSettings().sections]
['Financial', 'Customer', 'Sales', 'Market', 'Operational']
>>> ExecutiveSettings().sections["Market"][1].measure
'change'
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Figures of the operational section that are not metrics: read from the warehouse's meta tables
# and the metadata store, not through the metrics layer.
OPERATIONAL = ("data_freshness_days", "quarantine_rate", "failed_jobs_7d")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KpiRule(_Strict):
    """One KPI of a section and its scoring rule.

    * ``trend``: the value against the mean of the ``history`` periods before it, in standard
      deviations of those periods (z); score = 100 / (1 + e^(−z)) — flat scores 50.
    * ``target``: achievement a = value / target (target / value when lower is better);
      score = 100 × clamp((a − floor) / (1 − floor), 0, 1) — at target or above 100, at ``floor`` 0.
    * ``threshold``: 100 at ``good`` or better, 0 at ``bad`` or worse, linear between.
    """

    metric: str
    weight: float = Field(default=1.0, gt=0)
    direction: Literal["higher", "lower"] = "higher"
    rule: Literal["trend", "target", "threshold"] = "trend"
    measure: Literal["value", "change"] = Field(
        default="value", description="change: the difference from the period before (share gained)"
    )
    period: Literal["scored", "next"] = Field(
        default="scored",
        description="next: the period after the one the data end in (forward-looking KPIs: pipeline coverage)",
    )
    target: float | None = None
    floor: float = Field(default=0.5, ge=0, lt=1)
    good: float | None = None
    bad: float | None = None

    @model_validator(mode="after")
    def _complete(self) -> KpiRule:
        if self.rule == "target" and self.target is None:
            raise ValueError(f"{self.metric}: the target rule needs target")
        if self.rule == "threshold" and (self.good is None or self.bad is None or self.good == self.bad):
            raise ValueError(f"{self.metric}: the threshold rule needs good and bad, and they must differ")
        if self.period == "next" and (self.rule == "trend" or self.measure == "change"):
            raise ValueError(f"{self.metric}: period next has no history; use the target or threshold rule")
        return self


def _k(metric: str, **rule: object) -> KpiRule:
    return KpiRule.model_validate({"metric": metric, **rule})


def _default_sections() -> dict[str, list[KpiRule]]:
    return {
        "Financial": [
            _k("revenue", weight=2),
            _k("revenue_growth_yoy", rule="threshold", good=0.10, bad=-0.05),
            _k("gross_margin"),
            _k("average_order_value"),
        ],
        "Customer": [
            _k("active_customers", weight=2),
            _k("customer_retention_rate"),
            _k("high_churn_risk_share", direction="lower"),
            _k("average_clv"),
        ],
        "Sales": [
            _k("orders", weight=2),
            _k("win_rate"),
            _k("pipeline_coverage", rule="threshold", good=3.0, bad=1.0, period="next"),
            _k("bookings"),
        ],
        "Market": [
            _k("market_share", weight=2),
            _k("market_share", measure="change", rule="threshold", good=0.005, bad=-0.005),
            _k("market_growth"),
        ],
        "Operational": [
            _k("data_freshness_days", direction="lower", rule="threshold", good=1, bad=7),
            _k("quarantine_rate", direction="lower", rule="threshold", good=0.01, bad=0.05),
            _k("failed_jobs_7d", direction="lower", rule="threshold", good=0, bad=3),
        ],
    }


class ExecutiveSettings(_Strict):
    grain: Literal["month", "quarter", "year"] = Field(
        default="quarter", description="the period scored: the last one the orders cover to its end"
    )
    history: int = Field(default=4, ge=2, le=24, description="earlier periods a trend is measured against")
    sections: dict[str, list[KpiRule]] = Field(default_factory=_default_sections)
