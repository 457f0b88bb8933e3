"""Dashboards keep relative ranges relative: a dashboard saved with "Last 12 months" keeps the
name and is resolved each time it is opened (against the last day with data, as the filter
bar's presets are); a fixed range stays as saved."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bizsight.metrics.periods import previous_year
from tests.api.conftest import Api

WIDGETS = [{"id": "k", "type": "kpi", "title": "Revenue", "query": {"metrics": ["revenue"]}}]


def _save(api: Api, filters: dict[str, Any]) -> Any:
    body = {"title": "periods", "widgets": WIDGETS, "filters": filters}
    return api.client.post("/api/v1/dashboards", json=body, headers=api.auth("ed"))


def _last_day(api: Api) -> dt.date:
    answer = api.client.post(
        "/api/v1/query", json={"metrics": ["orders"], "grain": "day", "order_by": ["-period"], "limit": 1},
        headers=api.auth("ed"),
    )  # fmt: skip
    return dt.date.fromisoformat(answer.json()["rows"][0]["period"])


def test_a_relative_range_is_kept_and_resolved_when_opened(api: Api) -> None:
    saved = _save(api, {"range": "last_12_months"})
    assert saved.status_code == 201, saved.text
    opened = api.client.get(f"/api/v1/dashboards/{saved.json()['id']}", headers=api.auth("ed")).json()
    assert opened["filters"]["range"] == "last_12_months"
    assert opened["filters"]["start"] is None and opened["filters"]["end"] is None
    last = _last_day(api)
    assert opened["period"] == {
        "range": "last_12_months",
        "start": (previous_year(last) + dt.timedelta(days=1)).isoformat(),
        "end": last.isoformat(),
    }


def test_a_fixed_range_stays_fixed(api: Api) -> None:
    saved = _save(api, {"start": "2025-01-01", "end": "2025-03-31"})
    opened = api.client.get(f"/api/v1/dashboards/{saved.json()['id']}", headers=api.auth("ed")).json()
    assert opened["period"] == {"range": None, "start": "2025-01-01", "end": "2025-03-31"}


def test_all_time_and_bad_ranges(api: Api) -> None:
    saved = _save(api, {"range": "all"})
    assert saved.status_code == 201, saved.text
    opened = api.client.get(f"/api/v1/dashboards/{saved.json()['id']}", headers=api.auth("ed")).json()
    assert opened["period"]["end"] == _last_day(api).isoformat()
    assert _save(api, {"range": "last_12_month"}).status_code == 422
    assert _save(api, {"range": "last_12_months", "start": "2025-01-01"}).status_code == 422


def test_the_period_rolls_forward_with_the_data() -> None:
    from bizsight.services.dashboards import GlobalFilters, resolve_period

    keep = GlobalFilters(range="last_12_months")
    first = dt.date(2024, 1, 1)
    before = resolve_period(keep, first, dt.date(2026, 9, 30))
    after = resolve_period(keep, first, dt.date(2026, 11, 30))  # two more months of data
    assert (before.start, before.end) == (dt.date(2025, 10, 1), dt.date(2026, 9, 30))
    assert (after.start, after.end) == (dt.date(2025, 12, 1), dt.date(2026, 11, 30))
    fixed = GlobalFilters(start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31))
    assert resolve_period(fixed, first, dt.date(2026, 11, 30)).start == dt.date(2025, 1, 1)
