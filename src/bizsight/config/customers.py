"""Settings of the customer analytics (``customers:`` in bizsight.yml): RFM segment rules,
cohorts, lifetime value and the churn window.

>>> CustomerSettings().clv.horizon_months
12
>>> [rule.segment for rule in RFMSettings().rules][-1]
'Hibernating'
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SegmentRule(_Strict):
    """A named segment for R scores in ``r`` and FM scores in ``fm`` (inclusive ranges)."""

    segment: str
    r: tuple[int, int]
    fm: tuple[int, int]


def _rule(segment: str, r: tuple[int, int], fm: tuple[int, int]) -> SegmentRule:
    return SegmentRule(segment=segment, r=r, fm=fm)


# The usual 11 segments on the 5 × 5 grid of R × FM; together they cover every cell. Order
# matters: Lost (R 1, FM 1) is carved out of Hibernating by coming first.
DEFAULT_RULES: tuple[SegmentRule, ...] = (
    _rule("Champions", (5, 5), (4, 5)),
    _rule("Loyal", (3, 4), (4, 5)),
    _rule("Potential Loyalists", (4, 5), (2, 3)),
    _rule("New Customers", (5, 5), (1, 1)),
    _rule("Promising", (4, 4), (1, 1)),
    _rule("Need Attention", (3, 3), (3, 3)),
    _rule("About to Sleep", (3, 3), (1, 2)),
    _rule("Can't Lose Them", (1, 2), (5, 5)),
    _rule("At Risk", (1, 2), (3, 4)),
    _rule("Lost", (1, 1), (1, 1)),
    _rule("Hibernating", (1, 2), (1, 2)),
)


class RFMSettings(_Strict):
    """How customers are scored and segmented.

    ``ties``: ``ntile`` cuts the customers ordered by value into ``bins`` groups of (almost)
    equal size, breaking ties by customer id, so equal values may straddle two scores but the
    result never depends on row order; ``rank`` gives equal values the same score
    (``1 + floor(bins × (rank − 1) / n)``), at the price of unequal group sizes.
    """

    bins: int = 5
    ties: Literal["ntile", "rank"] = "ntile"
    rules: tuple[SegmentRule, ...] = DEFAULT_RULES

    @model_validator(mode="after")
    def _rules_in_range(self) -> RFMSettings:
        if self.bins < 2:
            raise ValueError("bins must be at least 2")
        for rule in self.rules:
            for name, (lo, hi) in (("r", rule.r), ("fm", rule.fm)):
                if not 1 <= lo <= hi <= self.bins:
                    raise ValueError(
                        f"segment {rule.segment!r}: {name} range {lo}–{hi} is not within 1–{self.bins}"
                    )
        return self


class CLVSettings(_Strict):
    """Horizon, discounting and margin of the predicted CLV, and the models behind it."""

    horizon_months: int = Field(default=12, ge=1, description="months of future purchases valued")
    annual_discount_rate: float = Field(default=0.10, gt=-1.0, description="e.g. 0.10 for 10 % a year")
    margin: float = Field(default=1.0, gt=0.0, le=1.0, description="share of revenue kept as profit")
    model: Literal["bgnbd", "pareto"] = Field(default="bgnbd", description="purchase model")
    time_unit: Literal["day", "week", "month"] = Field(
        default="week", description="unit of recency and age in the models"
    )


class CohortDefaults(_Strict):
    """The cohort table ``bizsight refresh`` writes to marts.cohort_retention."""

    grain: Literal["month", "week"] = "month"
    anchor: Literal["first_purchase", "signup"] = "first_purchase"


class ChurnSettings(_Strict):
    """``days``: a customer has churned after this many days without a purchase (default: the
    90th percentile of the gaps between a customer's purchases, rounded up to whole weeks)."""

    days: int | None = Field(default=None, ge=1)


class CustomerSettings(_Strict):
    """The ``customers:`` section of bizsight.yml."""

    rfm: RFMSettings = Field(default_factory=lambda: RFMSettings())
    cohorts: CohortDefaults = Field(default_factory=CohortDefaults)
    clv: CLVSettings = Field(default_factory=CLVSettings)
    churn: ChurnSettings = Field(default_factory=ChurnSettings)
