"""Customer attributes: who signed up, where they live, and whether they ever buy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bizsight.demo import fmt, params
from bizsight.demo.acquisition import Acquisition

FIRST_NAMES = (
    "Emma", "Liam", "Olivia", "Noah", "Ava", "Lucas", "Mia", "Mateo", "Sofia", "Leon",
    "Hannah", "Elias", "Chloe", "Hugo", "Laura", "Marco", "Giulia", "Pablo", "Lucia", "Jan",
    "Sanne", "Yuki", "Haruto", "Aiko", "Wei", "Mei", "Arjun", "Priya", "Rahul", "Ananya",
    "Min-jun", "Seo-yeon", "Jack", "Charlotte", "Oliver", "Amelia", "Gabriel", "Valentina",
    "Diego", "Camila", "Santiago", "Isabella", "Thiago", "Martina", "Ethan", "Grace",
    "Samuel", "Nora", "Omar", "Leila",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Brown", "Garcia", "Miller", "Davis", "Martinez", "Lopez", "Wilson",
    "Anderson", "Mueller", "Schmidt", "Schneider", "Fischer", "Dubois", "Martin", "Bernard",
    "Rossi", "Russo", "Ferrari", "Fernandez", "Gonzalez", "Rodriguez", "de Jong", "Jansen",
    "Tanaka", "Suzuki", "Sato", "Wang", "Li", "Zhang", "Sharma", "Patel", "Singh", "Kim",
    "Lee", "Park", "Taylor", "Thompson", "White", "Silva", "Santos", "Oliveira", "Pereira",
    "Costa", "Morales", "Torres", "Ramirez", "O'Brien", "Nguyen",
)  # fmt: skip
DOMAINS = ("example.com", "example.net", "example.org")


@dataclass(frozen=True)
class Customers:
    n: int
    signup_day: np.ndarray  # epoch day
    channel: np.ndarray  # index into params.CHANNELS
    segment: np.ndarray  # index into params.SEGMENTS
    region: np.ndarray  # index into params.REGIONS
    country: np.ndarray  # index into COUNTRY_NAMES
    purchaser: np.ndarray  # bool: makes a first purchase on the signup day
    first_name: np.ndarray
    last_name: np.ndarray
    domain: np.ndarray

    @property
    def id_width(self) -> int:
        return fmt.id_width(self.n, 7)

    def ids(self, index: np.ndarray) -> pa.Array:
        return fmt.ids("C", np.asarray(index) + 1, self.id_width)


REGION_NAMES = tuple(params.REGIONS)
SEGMENT_NAMES = tuple(params.SEGMENTS)
COUNTRY_NAMES = tuple(country for region in REGION_NAMES for country in params.COUNTRIES[region])


def _choice(rng: np.random.Generator, weights: dict[str, float] | tuple[float, ...], n: int) -> np.ndarray:
    w = np.asarray(list(weights.values()) if isinstance(weights, dict) else weights, dtype=float)
    return rng.choice(len(w), size=n, p=w / w.sum())


def make_customers(rng: np.random.Generator, acq: Acquisition) -> Customers:
    n = len(acq.signup_day)
    region = _choice(rng, params.REGIONS, n)
    country = np.empty(n, dtype=np.int64)
    offset = 0
    for k, name in enumerate(REGION_NAMES):
        m = region == k
        country[m] = offset + _choice(rng, params.COUNTRIES[name], int(m.sum()))
        offset += len(params.COUNTRIES[name])
    return Customers(
        n=n,
        signup_day=acq.signup_day,
        channel=acq.channel,
        segment=_choice(rng, params.SEGMENTS, n),
        region=region,
        country=country,
        purchaser=rng.random(n) >= params.NEVER_PURCHASE_SHARE,
        first_name=rng.integers(0, len(FIRST_NAMES), n),
        last_name=rng.integers(0, len(LAST_NAMES), n),
        domain=rng.integers(0, len(DOMAINS), n),
    )


def customer_columns(c: Customers) -> fmt.Columns:
    index = np.arange(c.n)
    first = fmt.take(FIRST_NAMES, c.first_name)
    last = fmt.take(LAST_NAMES, c.last_name)
    local = pc.utf8_lower(fmt.join(first, ".", pc.replace_substring(last, " ", ""), fmt.integers(index + 1)))
    local = pc.replace_substring(local, "'", "")
    return {
        "customer_id": c.ids(index),
        "customer_name": fmt.join(first, last, sep=" "),
        "email": fmt.join(local, "@", fmt.take(DOMAINS, c.domain)),
        "signup_date": fmt.dates(c.signup_day),
        "customer_segment": fmt.take(SEGMENT_NAMES, c.segment),
        "region": fmt.take(REGION_NAMES, c.region),
        "country": fmt.take(COUNTRY_NAMES, c.country),
        "acquisition_channel": fmt.take(params.CHANNELS, c.channel),
    }


def customer_truth(c: Customers) -> dict[str, object]:
    return {
        "count": c.n,
        "never_purchase_share": params.NEVER_PURCHASE_SHARE,
        "purchasers": int(c.purchaser.sum()),
        "never_purchased": int((~c.purchaser).sum()),
        "first_purchase": "purchasers make their first purchase on the signup date",
        "segments": params.SEGMENTS,
        "regions": params.REGIONS,
        "countries": params.COUNTRIES,
        "segment_effects": "none: segment, region and country do not change purchase behaviour",
        "names_and_emails": ("random first and last names; email = first.last<customer number>@example.*"),
    }
