"""Pages that fit, at 1,400 px and 390 px wide (issue 12, part 5): no table hides a column and the
page never scrolls sideways; the KPI monitor stays readable with the demo's 80 targets; no axis
label is cut; time axes are labelled in their grain, on the periods (heatmap cells, bars).

The pages are those of scripts/screenshots.py (which saves them to docs/img), over a small demo
with some dirty rows, a saved dashboard with a widget of each kind and a finished job."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from scripts.screenshots import PAGES, WIDTHS, api, prepare, show
from tests.helpers import demo_project
from tests.web.conftest import Site, browsing, screenshots

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Every column of every shown table lies inside what its card (and any wrapper that clips) shows,
# no cell cuts its own text, and the document is no wider than the window.
CLIPPED = """() => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth + 1) problems.push("the page scrolls sideways by " + (doc.scrollWidth - doc.clientWidth) + " px");
  for (const table of document.querySelectorAll("table")) {
    if (!table.offsetParent) continue;
    const card = table.closest(".card, .modal-box") || document.body;
    const name = card.dataset.widget || card.className;
    let right = card.getBoundingClientRect().right;
    for (let node = table.parentElement; node && node !== card.parentElement; node = node.parentElement) {
      if (getComputedStyle(node).overflowX !== "visible") right = Math.min(right, node.getBoundingClientRect().left + node.clientLeft + node.clientWidth);
    }
    for (const cell of table.querySelectorAll("th, td")) {
      if (!cell.offsetParent) continue;
      const column = cell.tagName === "TH" ? cell.textContent : cell.dataset.label || "column " + (cell.cellIndex + 1);
      if (cell.getBoundingClientRect().right > right + 1) { problems.push(name + ": " + column + " is cut by the card's edge"); break; }
      if (cell.scrollWidth > cell.clientWidth + 1) { problems.push(name + ": " + column + " cuts " + JSON.stringify(cell.textContent)); break; }
    }
  }
  return { problems, tables: [...document.querySelectorAll("table")].filter((t) => t.offsetParent).length };
}"""

# tick labels of every chart (not the sparklines) that do not lie wholly inside the chart
CUT_LABELS = """() => [...document.querySelectorAll(".js-plotly-plot")].filter((p) => p.offsetParent && !p.closest(".spark")).flatMap((p) => {
  const box = p.querySelector(".main-svg").getBoundingClientRect();
  const name = (p.closest("[data-widget]") || { dataset: {} }).dataset.widget;
  return [...p.querySelectorAll(".xtick text, .ytick text")].filter((t) => {
    const r = t.getBoundingClientRect();
    return r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1;
  }).map((t) => name + ": " + t.textContent);
})"""

# the ticks of a chart's axis: their text and whether each sits on a value of the first trace
TICKS = """([widget, axis]) => {
  const plot = document.querySelector("[data-widget='" + widget + "'] .js-plotly-plot");
  const ax = plot._fullLayout[axis];
  const values = new Set(plot.data[0][axis[0]].map((v) => ax.d2l(v)));
  return ax._vals.map((t) => ({ text: t.text, onValue: values.has(t.x) }));
}"""


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory, chromium: Any) -> Iterator[tuple[Site, dict[str, str]]]:
    """The demo with 1 % dirty rows (quarantine, duplicates) served, with a dashboard and a job."""
    project = demo_project(tmp_path_factory.mktemp("layout"), customers=1500, years=2.0, seed=11, dirty=0.01)
    with project.paths.config_file.open("a", encoding="utf-8") as handle:
        handle.write("server:\n  queries_per_minute: 100000\n")
    with browsing(project, screenshots(tmp_path_factory), chromium) as site:
        values = prepare(site.login("admin"))
        yield site, values


def visit(site: Site, page: Any, path: str) -> None:
    show(page, site.base, path)


# The pages whose charts' axis labels are checked (the others draw no axis of their own).
AXES = ("overview", "sales", "customers", "products", "reviews", "forecasts", "monitor", "dashboard")


@dataclass
class Sweep:
    """What every page showed at one width: cut columns, the tables seen, cut axis labels, and
    the Sales page's categories beside the labels its bar chart shows for them."""

    clipped: dict[str, list[str]] = field(default_factory=dict)
    tables: int = 0
    cut_labels: dict[str, list[str]] = field(default_factory=dict)
    categories: list[str] = field(default_factory=list)
    category_labels: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def sweeps(shown: tuple[Site, dict[str, str]]) -> dict[int, Sweep]:
    """Every page visited once at each width, logged in as the admin; each check below reads
    what its visit found (one visit per page and width, not one per check)."""
    site, values = shown
    found: dict[int, Sweep] = {}
    for width in WIDTHS:
        page = site.login("admin", width=width)
        sweep = found[width] = Sweep()
        for name, path in PAGES.items():
            visit(site, page, path.format(**values))
            clipped = page.evaluate(CLIPPED)
            sweep.tables += clipped["tables"]
            if clipped["problems"]:
                sweep.clipped[name] = clipped["problems"]
                site.shot(page, f"clipped-{name}-{width}")
            if name in AXES and (labels := page.evaluate(CUT_LABELS)):
                sweep.cut_labels[name] = labels
            if name == "sales":
                sweep.categories = page.evaluate(
                    "document.querySelector('[data-widget=category] .js-plotly-plot').data[0].x"
                )
                sweep.category_labels = page.locator("[data-widget=category] .xtick text").all_text_contents()
        page.context.close()
    return found


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_cuts_a_column_or_scrolls_sideways(
    shown: tuple[Site, dict[str, str]], sweeps: dict[int, Sweep], width: int
) -> None:
    site, _ = shown
    assert not sweeps[width].clipped, sweeps[width].clipped
    assert (
        sweeps[width].tables >= 12
    )  # loads, quality, quarantine, pacing, anomalies, churn, users, jobs, ...
    assert not site.errors, "\n".join(site.errors)


def test_80_targets_are_shown_a_group_at_a_time(shown: tuple[Site, dict[str, str]]) -> None:
    site, _ = shown
    page = site.login("admin", width=1400)
    visit(site, page, "/monitor")
    targets = api(page, "GET", "/api/v1/targets")["targets"]
    assert len(targets) == 80
    assert page.evaluate("document.documentElement.scrollHeight") < 2600  # was 4,100
    chart = "document.querySelector('[data-widget=targets] .js-plotly-plot')"
    assert 0 < page.evaluate(f"{chart}.data[0].y.length") <= 15
    groups = page.evaluate("[...document.querySelectorAll('#targets-group option')].map(o => o.value)")
    series = [g for g in groups if g.startswith("series:")]
    assert len(series) == 6  # revenue: the total and four regions; bookings: the total
    seen = []
    for group in series:
        page.select_option("#targets-group", group)
        bars = page.evaluate(f"{chart}.data[0].y")
        assert len(bars) <= 15
        assert page.locator("[data-widget=targets]").bounding_box()["height"] < 900
        seen += [(group, bar) for bar in bars]
    assert len(set(seen)) == len(targets)  # every target is in one group


@pytest.mark.parametrize("width", WIDTHS)
def test_axis_labels_are_whole(sweeps: dict[int, Sweep], width: int) -> None:
    sweep = sweeps[width]
    assert not sweep.cut_labels, sweep.cut_labels
    assert "Home & Kitchen" in sweep.categories
    assert sweep.category_labels == sweep.categories


MONTH = re.compile(r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}$")


def test_time_axes_are_labelled_in_their_grain_on_the_cells(shown: tuple[Site, dict[str, str]]) -> None:
    site, values = shown
    page = site.login("admin", width=1400)
    checks = [
        ("/sales?preset=last_90_days", "region-month", "xaxis", MONTH),  # a 3-month heatmap
        ("/sales?preset=last_90_days", "new-customers", "xaxis", MONTH),  # bars by month
        ("/customers?preset=last_90_days", "retention", "yaxis", MONTH),  # cohorts
        ("/reviews", "sentiment", "xaxis", MONTH),
        (PAGES["dashboard"].format(**values), "quarter", "xaxis", re.compile(r"^Q[1-4] \d{4}$")),
        (PAGES["dashboard"].format(**values), "week", "xaxis", re.compile(r"^\d{2} [A-Z][a-z]{2} \d{4}$")),
    ]
    for path, widget, axis, label in checks:
        visit(site, page, path)
        ticks = page.evaluate(TICKS, [widget, axis])
        assert len(ticks) >= 2, (widget, ticks)
        assert all(label.match(t["text"]) and t["onValue"] for t in ticks), (widget, ticks)
    assert not site.errors, "\n".join(site.errors)


def test_the_screenshot_script_shows_every_page() -> None:
    from bizsight.web.routes import PAGES as ROUTES

    assert set(ROUTES) == set(PAGES)
