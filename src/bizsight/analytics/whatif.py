"""What-if overlays: the baseline forecast moved by a change in one driver, with the assumption
stated next to the number.

Two drivers, each a multiplier on the forecast from its first period on:

* ``price:+5%:elasticity=-1.2`` — prices change by +5 % and demand follows a constant
  elasticity: units and orders × (1 + 5 %)^(−1.2), revenue × (1 + 5 %)^(1 − 1.2).
* ``new_customers:+10%:channel=Paid Search`` — 10 % more new customers from that channel (all
  channels without ``channel=``). The metric moves by 10 % × the share of it that new customers
  of that channel made in their first month over the last year: extra customers are assumed to
  behave like recent new ones, and only their first month is counted (their later repeat
  purchases are not), so the overlay understates the effect on later periods.

>>> s = parse_scenario("price:+5%:elasticity=-1.2")
>>> round(price_multiplier(s, money=True), 4), round(price_multiplier(s, money=False), 4)
(0.9903, 0.9431)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from bizsight.errors import InvalidArgumentError

_PATTERN = re.compile(
    r"^\s*(?P<kind>price|new_customers)\s*:\s*(?P<change>[+-]?\d+(\.\d+)?)\s*%\s*(?::(?P<options>.*))?$"
)


@dataclass(frozen=True)
class Scenario:
    kind: str  # price | new_customers
    change: float  # a fraction: +0.10 is +10 %
    elasticity: float | None = None
    channel: str | None = None

    @property
    def label(self) -> str:
        if self.kind == "price":
            return f"price {self.change:+.1%} with elasticity {self.elasticity}"
        return f"new customers {self.change:+.1%} from {self.channel or 'all channels'}"


def parse_scenario(text: str) -> Scenario:
    """``price:+5%:elasticity=-1.2`` or ``new_customers:+10%[:channel=NAME]``."""
    match = _PATTERN.match(text)
    if not match:
        raise InvalidArgumentError(
            f"cannot read scenario '{text}': write price:+5%:elasticity=-1.2 or new_customers:+10%:channel=NAME"
        )
    options = dict(_option(part, text) for part in (match["options"] or "").split(":") if part.strip())
    change = float(match["change"]) / 100
    if change <= -1:
        raise InvalidArgumentError(f"scenario '{text}': a change must be above -100%")
    if match["kind"] == "price":
        if "elasticity" not in options:
            raise InvalidArgumentError(f"scenario '{text}': a price change needs elasticity=E (e.g. -1.2)")
        try:
            elasticity = float(options.pop("elasticity"))
        except ValueError:
            raise InvalidArgumentError(f"scenario '{text}': elasticity must be a number") from None
        scenario = Scenario("price", change, elasticity=elasticity)
    else:
        scenario = Scenario("new_customers", change, channel=options.pop("channel", None))
    if options:
        raise InvalidArgumentError(f"scenario '{text}': unknown option {', '.join(options)}")
    return scenario


def _option(part: str, text: str) -> tuple[str, str]:
    key, sep, value = part.partition("=")
    if not sep:
        raise InvalidArgumentError(f"scenario '{text}': options are KEY=VALUE, got '{part}'")
    return key.strip(), value.strip()


def price_multiplier(scenario: Scenario, *, money: bool) -> float:
    """Constant-elasticity demand: quantities × (1 + Δp)^e; money × (1 + Δp)^(1 + e)."""
    assert scenario.elasticity is not None
    exponent = scenario.elasticity + (1.0 if money else 0.0)
    return float((1.0 + scenario.change) ** exponent)


def new_customer_multiplier(scenario: Scenario, share: float) -> float:
    """1 + change × the share of the metric made by the channel's customers in their first month."""
    return 1.0 + scenario.change * share


def overlay(forecasts: pa.Table, multiplier: float) -> pa.Table:
    """``forecasts`` with ``scenario`` and scenario bounds: the forecast and its interval × multiplier."""
    out = forecasts.append_column("scenario", pa.array(forecasts.column("forecast").to_numpy() * multiplier))
    for name in forecasts.column_names:
        if name.startswith(("lo_", "hi_")):
            values = forecasts.column(name).to_numpy(zero_copy_only=False).astype(float) * multiplier
            out = out.append_column(f"scenario_{name}", pa.array(values, mask=np.isnan(values)))
    return out
