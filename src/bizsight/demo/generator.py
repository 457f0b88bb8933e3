"""``generate``: the demo files, their ground truth and the per-customer latent values."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bizsight.demo import acquisition, events, fmt, planning, products, sales
from bizsight.demo import customers as customers_mod
from bizsight.demo import dirty as dirty_mod
from bizsight.demo import pipeline as deals_mod
from bizsight.demo import purchases as purchases_mod
from bizsight.demo import reviews as reviews_mod
from bizsight.demo.defects import FileSpec, file_truth, inject
from bizsight.demo.timeline import Timeline
from bizsight.demo.truth import (
    customer_table,
    product_quality,
    seasonality_truth,
    write_customer_table,
)
from bizsight.errors import InvalidArgumentError

Progress = Callable[[str, float], None]

FILES = (
    "customer_database.csv",
    "product_catalog.csv",
    "sales_transactions.csv",
    "customer_reviews.csv",
    "marketing_spend.csv",
    "sales_pipeline.csv",
    "targets.csv",
    "market_data.csv",
)
TRUTH_FILE = "ground_truth.json"
CUSTOMER_TRUTH_FILE = "ground_truth_customers.parquet"
MAX_DIRTY = 0.5
# Independent random streams, so that e.g. the dirty rate never changes the clean data.
STREAMS = (
    "acquisition",
    "customers",
    "catalog",
    "purchases",
    "sales",
    "reviews",
    "review_text",
    "deals",
    "market",
    *(f"defects:{name}" for name in FILES),
    "events",  # last: spawning one more stream leaves the others' seeds as they were
)


@dataclass(frozen=True)
class Job:
    """One file: how to build its clean columns, which defects it may carry, and its share of
    the progress bar."""

    name: str
    build: Callable[[], fmt.Columns]
    spec: FileSpec | None = None
    pools: dict[str, np.ndarray] | None = None
    weight: float = 0.01


def check_arguments(customers: int, years: float, dirty: float, end_date: dt.date, seed: int = 0) -> None:
    """Raise ``InvalidArgumentError`` for parameters ``generate`` cannot honour."""
    if isinstance(customers, bool) or not isinstance(customers, int) or customers < 1:
        raise InvalidArgumentError(f"customers must be a whole number of at least 1, not {customers!r}")
    if isinstance(years, bool) or not isinstance(years, int | float) or not math.isfinite(years):
        raise InvalidArgumentError(f"years must be a positive number, not {years!r}")
    if years <= 0 or round(years * 365.25) < 1:
        raise InvalidArgumentError(f"years must be positive and cover a day, not {years!r}")
    if isinstance(dirty, bool) or not isinstance(dirty, int | float) or not 0 <= dirty <= MAX_DIRTY:
        raise InvalidArgumentError(f"dirty must be a rate from 0 to {MAX_DIRTY}, not {dirty!r}")
    if not isinstance(end_date, dt.date):
        raise InvalidArgumentError(f"end_date must be a date, not {end_date!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidArgumentError(f"seed must be a whole number of 0 or more, not {seed!r}")


def generate(
    out_dir: Path,
    *,
    customers: int = 20_000,
    years: float = 3.0,
    seed: int = 42,
    dirty: float = 0.0,
    end_date: dt.date = dt.date(2026, 9, 30),
    progress: Progress | None = None,
) -> dict[str, object]:
    """Write the eight demo CSV files, ``ground_truth.json`` and ``ground_truth_customers.parquet``
    into ``out_dir`` and return the ground truth. The same arguments give byte-identical files.

    ``progress(step, fraction)`` is called with the current step and the fraction of the whole
    work done (0 to 1).

    >>> import tempfile
    >>> truth = generate(Path(tempfile.mkdtemp()), customers=200, years=0.5)
    >>> truth["files"]["customer_database.csv"]["rows"]
    200
    """
    check_arguments(customers, years, dirty, end_date, seed)
    if isinstance(end_date, dt.datetime):
        end_date = end_date.date()
    report: Progress = progress or (lambda step, fraction: None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    rng = {name: np.random.default_rng(c) for name, c in zip(STREAMS, children, strict=True)}
    timeline = Timeline.ending(end_date, float(years))

    report("acquisition", 0.0)
    acq = acquisition.acquire(rng["acquisition"], timeline, customers)
    cust = customers_mod.make_customers(rng["customers"], acq)
    catalog = products.make_catalog(rng["catalog"], customers)
    report("purchases", 0.04)
    pur = purchases_mod.simulate(rng["purchases"], timeline, cust)
    report("order lines", 0.12)
    sold = sales.make_sales(rng["sales"], pur, catalog)
    sold, drop = events.category_drop(rng["events"], timeline, sold, cust, catalog)
    report("reviews", 0.25)
    revs = reviews_mod.make_reviews(rng["reviews"], timeline, sold, pur, catalog)
    deal_set = deals_mod.make_deals(rng["deals"], timeline, cust)
    revenue = planning.revenue_by_day_region(timeline, sold, cust)
    targets, targets_truth = planning.target_columns(timeline, revenue, deal_set)
    market, market_truth = planning.market_columns(rng["market"], timeline, revenue)

    referenced = np.zeros(cust.n, dtype=bool)
    referenced[pur.buyer] = True
    referenced[deal_set.customer[deal_set.customer >= 0]] = True
    never_sold = ~catalog.sellable
    completed = sold.status[sold.lines.order] == sales.COMPLETED
    jobs = (
        Job(
            "customer_database.csv",
            lambda: customers_mod.customer_columns(cust),
            dirty_mod.customers_spec(),
            dict.fromkeys(("missing_required", "malformed_date"), ~referenced),
            0.05,
        ),
        Job(
            "product_catalog.csv",
            lambda: products.product_columns(catalog),
            dirty_mod.products_spec(),
            dict.fromkeys(("missing_required", "malformed_number", "out_of_range"), never_sold),
        ),
        Job(
            "sales_transactions.csv",
            lambda: sales.line_columns(sold, cust, catalog),
            dirty_mod.order_lines_spec(len(completed), cust.id_width, catalog.id_width),
            {"negative_quantity": completed},
            0.51,
        ),
        Job(
            "customer_reviews.csv",
            lambda: reviews_mod.review_columns(rng["review_text"], revs, sold, cust, catalog),
            dirty_mod.reviews_spec(len(revs.line), cust.id_width, catalog.id_width),
            weight=0.05,
        ),
        Job(
            "marketing_spend.csv",
            lambda: acquisition.spend_columns(acq),
            dirty_mod.marketing_spec(),
        ),
        Job(
            "sales_pipeline.csv",
            lambda: deals_mod.deal_columns(deal_set, cust),
            dirty_mod.deals_spec(),
        ),
        Job("targets.csv", lambda: targets),
        Job("market_data.csv", lambda: market),
    )
    files = {}
    done = 0.28
    for job in jobs:
        files[job.name] = _write(job, out_dir, float(dirty), rng[f"defects:{job.name}"], report, done)
        done += job.weight

    report("ground truth", 0.95)
    write_customer_table(customer_table(cust, pur, sold), out_dir / CUSTOMER_TRUTH_FILE)
    truth: dict[str, object] = {
        "generator": {
            "module": "bizsight.demo",
            "version": 1,
            "seed": seed,
            "customers": customers,
            "years": years,
            "dirty": dirty,
            "start_date": timeline.start.isoformat(),
            "end_date": timeline.end.isoformat(),
            "days": timeline.n_days,
            "files": list(FILES),
            "customer_truth": CUSTOMER_TRUTH_FILE,
        },
        "seasonality": seasonality_truth(),
        "events": [drop],
        "acquisition": acquisition.spend_truth(acq),
        "customers": customers_mod.customer_truth(cust),
        **purchases_mod.purchase_truth(pur),
        "products": {**products.product_truth(catalog), "quality": product_quality(catalog)},
        "orders": sales.sales_truth(sold, catalog),
        "reviews": reviews_mod.review_truth(revs),
        "pipeline": deals_mod.deal_truth(deal_set),
        "targets": targets_truth,
        "market": market_truth,
        "defects": {"rate": dirty, "contract": dirty_mod.contract(), **dirty_mod.NOTES},
        "files": files,
    }
    text = json.dumps(truth, indent=2, ensure_ascii=False) + "\n"
    (out_dir / TRUTH_FILE).write_text(text, encoding="utf-8")
    report("done", 1.0)
    return truth


def _write(
    job: Job,
    out_dir: Path,
    dirty: float,
    rng: np.random.Generator,
    report: Progress,
    start: float,
) -> dict[str, object]:
    """Build, dirty and write one file; return its truth."""
    step = f"writing {job.name}"
    report(step, start)
    columns = job.build()
    if job.spec is not None and dirty > 0:
        columns, truth = inject(rng, columns, job.spec, dirty, job.pools)
    else:
        truth = file_truth(len(next(iter(columns.values()))), {})
    fmt.write_csv(out_dir / job.name, columns, on_chunk=lambda f: report(step, start + f * job.weight))
    return truth
