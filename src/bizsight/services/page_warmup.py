"""The result cache warmed after a refresh: the Overview and Executive pages as they first open
(their default range, for a caller without row-level restrictions) are computed once, by the
process that serves them, so the first page view reads the cache (decision 0051).

Every answer goes through :func:`bizsight.services.query.run_query`, whose cache key holds the
warehouse's data version: a later load or refresh bumps it, and nothing warmed before is served
after. Callers with restrictions ask other queries (their filters are added to each); they are
computed on their first view, as before.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from bizsight.app.models import Role
from bizsight.metrics.query import Grain, Query
from bizsight.services.access import Principal
from bizsight.services.executive import executive_view
from bizsight.services.overview import overview
from bizsight.services.page_data import Scope, data_bounds
from bizsight.services.project import Project
from bizsight.services.query import run_query
from bizsight.warehouse.connection import Warehouse

# Who the pages are warmed for: any role without restrictions asks the same queries.
UNRESTRICTED = Principal(0, "refresh", Role.VIEWER)
FILTER_DIMENSIONS = ("region", "category", "customer_segment")  # web/static/app.js DIMENSIONS


def last_12_months(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """The pages' default range (web/static/app.js ``presetRange("last_12_months")``): the year
    up to the last day with data, cut to the first.

    >>> last_12_months(dt.date(2024, 1, 1), dt.date(2026, 9, 30))
    (datetime.date(2025, 10, 1), datetime.date(2026, 9, 30))
    >>> last_12_months(dt.date(2024, 1, 1), dt.date(2028, 2, 29))  # 29 Feb → 1 March, as in JS
    (datetime.date(2027, 3, 2), datetime.date(2028, 2, 29))
    """
    try:
        year_before = last.replace(year=last.year - 1)
    except ValueError:  # 29 February: JavaScript's setUTCFullYear rolls over to 1 March
        year_before = dt.date(last.year - 1, 3, 1)
    return max(year_before + dt.timedelta(days=1), first), last


def default_scope(wh: Warehouse) -> Scope:
    """The scope the Overview page sends when it opens (no filters; empty before any order)."""
    bounds = data_bounds(wh)
    first, last = bounds["first"], bounds["last"]
    if first is None or last is None:
        return Scope()
    start, end = last_12_months(first, last)
    return Scope(start=start, end=end)


def page_queries(scope: Scope) -> list[Query]:
    """The metric queries the Overview page sends beside its KPIs (its two charts) and every page's
    filter lists, as the browser sends them."""
    start, end = scope.start, scope.end
    return [
        Query(metrics=("revenue", "gross_revenue"), grain=Grain.MONTH, start=start, end=end),
        Query(metrics=("revenue",), dimensions=("region",), start=start, end=end),
        *(Query(metrics=("orders",), dimensions=(d,), order_by=(d,)) for d in FILTER_DIMENSIONS),
    ]


def warm_pages(project: Project, wh: Warehouse, stop: threading.Event | None = None) -> list[str]:
    """Compute the Overview (default range) and the Executive view for an unrestricted caller, and
    the Overview page's other queries, into the result cache. Warming only saves time: a page
    that fails here is skipped (its request will say why), and what failed is returned. ``stop``
    set ends it between pages."""
    scope = default_scope(wh)
    work: list[tuple[str, Callable[[], object]]] = [
        ("overview", lambda: overview(project, wh, UNRESTRICTED, scope)),
        ("executive", lambda: executive_view(project, wh, UNRESTRICTED)),
        *((f"query {q.metrics}", lambda q=q: run_query(project, q, wh=wh)) for q in page_queries(scope)),
    ]
    failed = []
    for name, compute in work:
        if stop is not None and stop.is_set():
            break
        try:
            compute()
        except Exception as error:  # any failure only means that page is not warm
            failed.append(f"{name}: {str(error).splitlines()[0] if str(error) else type(error).__name__}")
    return failed


@contextmanager
def warming(project: Project) -> Iterator[threading.Thread]:
    """While the block runs (the server's life, in the process that owns the warehouse), warm the
    pages once in a background thread: after a refresh run by the CLI without a server, or a
    restart, the first view is then read from the cache too. Stopped between pages at the end."""
    stop = threading.Event()

    def run() -> None:
        try:
            with project.warehouse(read_only=True) as wh:
                for failure in warm_pages(project, wh, stop):
                    logging.getLogger("bizsight").warning("page not warmed: %s", failure)
        except Exception as error:  # warming only saves time; the server serves on
            logging.getLogger("bizsight").warning("pages not warmed: %s", error)

    thread = threading.Thread(target=run, name="bizsight-warm-pages", daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join()
