"""Marketing spend and the customers it acquires.

Daily spend per paid channel grows by ``ACQUISITION_GROWTH`` a year, follows the month and
weekday factors and carries log-normal noise; the organic channels have a baseline of the same
shape and no spend. The expected new customers of a day and channel are proportional to that
intensity (spend / CPA for paid channels), and the exact total is drawn with one multinomial, so
that realised spend / signups is the stated CPA up to Poisson-like noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bizsight.demo import fmt, params
from bizsight.demo.timeline import Timeline


@dataclass(frozen=True)
class Acquisition:
    signup_day: np.ndarray  # epoch day per customer, non-decreasing
    channel: np.ndarray  # index into params.CHANNELS per customer
    spend_day: np.ndarray  # marketing_spend.csv rows: epoch day
    spend_channel: np.ndarray  # index into params.CHANNELS (paid only)
    spend_cents: np.ndarray
    impressions: np.ndarray
    clicks: np.ndarray
    signups: np.ndarray


def acquire(rng: np.random.Generator, timeline: Timeline, customers: int) -> Acquisition:
    n_days, channels = timeline.n_days, params.CHANNELS
    trend = (1.0 + params.ACQUISITION_GROWTH) ** timeline.years_since_start() * timeline.season()
    share = np.array([params.CHANNEL_SHARE[c] for c in channels])
    sigma = params.SPEND_NOISE_SIGMA
    noise = rng.lognormal(-(sigma**2) / 2, sigma, size=(n_days, len(channels)))
    intensity = trend[:, None] * share[None, :] * noise
    expected = intensity * (customers / intensity.sum())  # expected signups per day and channel
    counts = rng.multinomial(customers, (expected / customers).ravel()).reshape(expected.shape)

    cell = np.repeat(np.arange(counts.size), counts.ravel())
    day_index, channel = np.divmod(cell, len(channels))
    # Customers of one day arrive in random channel order; ids follow the arrival order.
    order = np.argsort(day_index + rng.random(len(cell)), kind="stable")
    day_index, channel = day_index[order], channel[order]

    n_paid = len(params.PAID_CHANNELS)
    cpa = np.array([params.CPA[c] for c in params.PAID_CHANNELS])
    cpm = np.array([params.CPM[c] for c in params.PAID_CHANNELS])
    ctr = np.array([params.CTR[c] for c in params.PAID_CHANNELS])
    spend = np.round(expected[:, :n_paid] * cpa[None, :] * 100).astype(np.int64)
    impressions = np.round(spend / 100 / cpm[None, :] * 1000 * rng.lognormal(0, 0.1, spend.shape))
    impressions = impressions.astype(np.int64)
    signups = counts[:, :n_paid]
    clicks = np.maximum(rng.binomial(impressions, np.broadcast_to(ctr, spend.shape)), signups)
    days = timeline.days()
    return Acquisition(
        signup_day=days[day_index],
        channel=channel,
        spend_day=np.repeat(days, n_paid),
        spend_channel=np.tile(np.arange(n_paid), n_days),
        spend_cents=spend.ravel(),
        impressions=impressions.ravel(),
        clicks=clicks.ravel(),
        signups=signups.ravel(),
    )


def spend_columns(acq: Acquisition) -> fmt.Columns:
    """The columns of marketing_spend.csv; one campaign per channel and quarter."""
    day = acq.spend_day.astype("datetime64[D]")
    year = day.astype("datetime64[Y]").astype(np.int64) + 1970
    quarter = day.astype("datetime64[M]").astype(np.int64) % 12 // 3 + 1
    slugs = [params.CAMPAIGNS[c] for c in params.PAID_CHANNELS]
    campaign = fmt.join(
        fmt.take(slugs, acq.spend_channel), "_", fmt.integers(year), "q", fmt.integers(quarter)
    )
    return {
        "date": fmt.dates(acq.spend_day),
        "channel": fmt.take(params.CHANNELS, acq.spend_channel),
        "campaign": campaign,
        "spend": fmt.money(acq.spend_cents),
        "impressions": fmt.integers(acq.impressions),
        "clicks": fmt.integers(acq.clicks),
        "signups": fmt.integers(acq.signups),
    }


def spend_truth(acq: Acquisition) -> dict[str, object]:
    paid = params.PAID_CHANNELS
    realised = {}
    for k, name in enumerate(paid):
        m = acq.spend_channel == k
        signups = int(acq.signups[m].sum())
        spend = float(acq.spend_cents[m].sum()) / 100
        realised[name] = {
            "spend": round(spend, 2),
            "signups": signups,
            "cpa": round(spend / max(signups, 1), 4),
        }
    per_channel = np.bincount(acq.channel, minlength=len(params.CHANNELS))
    return {
        "paid_channels": list(paid),
        "organic_channels": list(params.ORGANIC_CHANNELS),
        "channel_share": params.CHANNEL_SHARE,
        "cpa": params.CPA,
        "cpm": params.CPM,
        "ctr": params.CTR,
        "yearly_growth": params.ACQUISITION_GROWTH,
        "daily_noise_log_sd": params.SPEND_NOISE_SIGMA,
        "process": (
            "intensity(day, channel) = channel_share × (1 + yearly_growth)^(years since start) × "
            "month_factor × weekday_factor × LogNormal(noise, mean 1); spend = expected signups × "
            "CPA "
            "for paid channels; signups ~ Multinomial(customers, intensity / sum); organic "
            "channels "
            "have no spend and no rows in marketing_spend.csv"
        ),
        "campaigns": "one per paid channel and calendar quarter: <slug>_<year>q<quarter>",
        "impressions": "spend / CPM × 1000 × LogNormal(0, 0.1)",
        "clicks": "max(Binomial(impressions, CTR), signups)",
        "realised": realised,
        "customers_per_channel": {c: int(per_channel[k]) for k, c in enumerate(params.CHANNELS)},
        **funnel_truth(),
    }


def funnel_truth() -> dict[str, object]:
    """What a customer of each paid channel costs and how the funnel converts, in expectation."""
    buys = 1 - params.NEVER_PURCHASE_SHARE
    return {
        "cac": {c: round(cpa / buys, 4) for c, cpa in params.CPA.items()},
        "cac_definition": (
            "spend / new customers (first purchasers) = CPA / (1 - never_purchase_share): "
            "purchasers buy on their signup day, so signups and their first purchases fall in the "
            "same period"
        ),
        "funnel": {
            "click_rate": params.CTR,
            "signup_per_click": {
                c: round(params.CPM[c] / (1000 * params.CTR[c] * params.CPA[c]), 6)
                for c in params.PAID_CHANNELS
            },
            "first_purchase_per_signup": buys,
            "note": (
                "impressions = spend / CPM x 1000, clicks ~ Binomial(impressions, CTR), so signups per "
                "click = CPM / (1000 x CTR x CPA) in expectation; first purchase per signup = "
                "1 - never_purchase_share (every purchaser buys on the signup day); repeat purchase "
                "follows the purchase process (purchase_process)"
            ),
        },
        "attribution": (
            "customers carry no campaign column: bizsight attributes each to the campaign of their "
            "acquisition channel on their signup day (one campaign per paid channel and quarter)"
        ),
    }
