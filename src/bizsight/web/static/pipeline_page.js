"use strict";
// The Pipeline page: KPI cards from the metrics layer (they drill to their deals), open pipeline
// by stage and owner, stage conversion and velocity, the next quarter's bookings forecast with
// its interval, the open deals with their score and reasons, and the scoring model's quality.
// Everything comes from /api/v1/pipeline*, where row-level security applies (docs/pipeline.md).
(function (B) {
  const { el } = B;
  const KPIS = ["open_pipeline", "weighted_pipeline", "win_rate", "average_deal_size", "sales_cycle_days", "bookings"];

  function kpiCard(grid, id, title, value, unit, onClick) {
    const { body } = B.card(grid, { id, title, type: "kpi", span: 2 });
    const node = el("div", { class: "value" + (onClick ? " clickable" : ""), "data-metric": id, text: B.format(value, unit, true) });
    if (onClick) node.addEventListener("click", onClick);
    body.replaceChildren(node);
    return body;
  }

  function groupChart(grid, id, title, rows, dimension) {
    const query = { metrics: ["open_pipeline"], dimensions: [dimension] };
    const x = rows.map((r) => r.value);
    const amount = rows.map((r) => r.amount);
    const weighted = rows.map((r) => r.weighted);
    B.figure(grid, {
      id, title, name: id, span: 6, rows, columns: ["value", "deals", "amount", "weighted"],
      emptyMessage: "No open deals.",
      traces: [
        Object.assign({ type: "bar", name: B.label("open_pipeline"), x, y: amount, marker: { color: "#6b8fd6" } }, B.hover(amount, "money")),
        Object.assign({ type: "bar", name: B.label("weighted_pipeline"), x, y: weighted, marker: { color: "#e0a040" } }, B.hover(weighted, "money")),
      ],
      layout: { barmode: "group", xaxis: { type: "category" }, yaxis: B.valueAxis("money") },
      onClick: (point) => B.drill(query, "open_pipeline", { [dimension]: x[point.pointIndex] }),
    });
  }

  function forecastCard(grid, summary) {
    const f = summary.forecast;
    const c = summary.coverage;
    const { body, tools } = B.card(grid, { id: "pl-forecast", title: "Bookings forecast " + f.start + " – " + f.end + " (80 % interval)", span: 6 });
    tools.append(B.exportButtons(B.exportShown("bookings-forecast", ["start", "end", "expected", "low", "high", "from_pipeline", "run_rate", "deals"], [f])));
    const chart = el("div", {});
    body.replaceChildren(chart,
      el("p", { class: "notice", id: "pl-forecast-text", text: "Expected " + B.format(f.expected, "money") + " (" + B.format(f.low, "money") + " – " + B.format(f.high, "money") + "): " + B.format(f.from_pipeline, "money") + " from " + f.deals + " open deals, " + B.format(f.run_rate, "money") + " run-rate." }),
      el("p", { class: "notice", text: "Method: " + f.method }),
      el("p", { class: "notice", id: "pl-coverage-text", text: c.coverage === null || c.coverage === undefined
        ? "Coverage: no bookings target for " + c.start + " – " + c.end + (summary.restricted ? "" : " (add rows with metric bookings to targets.csv).")
        : "Coverage " + B.format(c.coverage, "ratio") + ": " + B.format(c.open_pipeline, "money") + " open pipeline expected to close in the quarter against a target of " + B.format(c.target, "money") + "." }));
    const parts = [["from pipeline", f.from_pipeline], ["run-rate", f.run_rate]];
    B.plot(chart, [
      ...parts.map(([name, v], k) => Object.assign({ type: "bar", name, x: ["next quarter"], y: [v], marker: { color: k ? "#9fb7e6" : "#2856b8" } }, B.hover([v], "money"))),
      { type: "scatter", mode: "markers", name: "expected (80 % interval)", x: ["next quarter"], y: [f.expected], marker: { color: "#333", size: 10 },
        error_y: { type: "data", symmetric: false, array: [f.high - f.expected], arrayminus: [f.expected - f.low] }, ...B.hover([f.expected], "money") },
    ], { barmode: "stack", yaxis: B.valueAxis("money") });
  }

  function reasonsText(reasons) {
    return reasons.map((r) => r.feature + " " + r.value + " " + r.direction + " it").join("; ");
  }

  async function dealsCard(grid) {
    const { body, tools } = B.card(grid, { id: "pl-deals", title: "Open deals: probability to win and why", span: 12 });
    const state = { page: 1, size: 25 };
    const columns = ["deal_id", "owner", "stage", "source", "amount", "expected_close_date", "win_probability", "reasons"];
    const show = async () => {
      const found = await B.api("GET", "/api/v1/pipeline/deals?page=" + state.page + "&page_size=" + state.size);
      const rows = found.rows.map((r) => Object.assign({}, r, { win_probability: r.probability, reasons: reasonsText(r.reasons) }));
      tools.replaceChildren(
        el("span", { text: "page " + state.page + " of " + Math.max(1, Math.ceil(found.total / state.size)) + " · " + found.total + " deals" }),
        el("button", { type: "button", class: "small", text: "‹ prev", disabled: state.page <= 1, onclick: () => { state.page -= 1; show(); } }),
        el("button", { type: "button", class: "small", text: "next ›", disabled: state.page * state.size >= found.total, onclick: () => { state.page += 1; show(); } }),
        B.exportButtons(B.exportShown("open-deals", columns, rows)));
      body.replaceChildren(rows.length ? B.table(columns, rows, { unitFor: (row, c) => ({ amount: "money", win_probability: "percent" })[c] || null }) : B.empty("No open deals."));
    };
    await show();
  }

  async function modelCard(grid) {
    const found = await B.api("GET", "/api/v1/pipeline/model");
    const e = found.evaluation;
    const { body } = B.card(grid, { id: "pl-model", title: "Deal-scoring model: temporal holdout", span: 6 });
    if (found.withheld) { body.replaceChildren(B.empty("The model's evaluation covers every deal: it is not shown to users with row-level restrictions.")); return; }
    if (!e) { body.replaceChildren(B.empty("No model yet: it needs closed deals that were won and lost (run `bizsight refresh`).")); return; }
    body.replaceChildren(
      el("div", { class: "value", id: "pl-auc", text: "ROC-AUC " + B.format(e.auc, "ratio") }),
      el("p", { class: "notice", text: e.model + ". Trained on " + e.train_rows + " stage examples of deals closed before " + e.cutoff + ", tested on " + e.test_rows + " closed from then on; Brier " + B.format(e.brier, "ratio") + ", won in the test " + B.format(e.base_rate, "percent") + "." }));
    const bins = found.calibration.filter((b) => b.count > 0);
    B.figure(grid, {
      id: "pl-calibration", title: "Calibration: predicted against observed (test deals)", name: "deal-calibration", span: 6,
      rows: found.calibration, columns: ["low", "high", "count", "predicted", "observed"], emptyMessage: "No test deals.",
      traces: [
        { type: "scatter", mode: "lines", name: "perfect", x: [0, 1], y: [0, 1], line: { dash: "dot", color: "#999" } },
        Object.assign({ type: "scatter", mode: "lines+markers", name: "model", x: bins.map((b) => b.predicted), y: bins.map((b) => b.observed), text: bins.map((b) => b.count + " examples"),
          marker: { size: bins.map((b) => 6 + Math.sqrt(b.count)), color: "#2856b8" } }, B.hover(bins.map((b) => b.observed), "percent", "predicted %{x:.0%}")),
      ],
      layout: { xaxis: B.valueAxis("percent"), yaxis: B.valueAxis("percent") },
    });
    B.figure(grid, { id: "pl-calibration-table", title: "Calibration table", name: "deal-calibration-table", span: 6, rows: found.calibration,
      columns: ["low", "high", "count", "predicted", "observed"], tableOptions: { unitFor: (row, c) => (c === "count" ? "count" : "percent") } });
  }

  async function pipeline(grid) {
    const summary = await B.api("GET", "/api/v1/pipeline");
    summary.restricted = B.boot.user.restricted;
    for (const m of KPIS) kpiCard(grid, m, B.label(m), summary.kpis[m], B.unitOf(m), () => B.drill({ metrics: [m] }, m, {}));
    const c = summary.coverage;
    kpiCard(grid, "pipeline_coverage", B.label("pipeline_coverage") + " (" + c.start.slice(0, 7) + " quarter)", c.coverage, "ratio");
    groupChart(grid, "pl-by-stage", "Open pipeline by stage (amount and weighted)", summary.by_stage, "deal_stage");
    groupChart(grid, "pl-by-owner", "Open pipeline by owner", summary.by_owner, "deal_owner");
    B.figure(grid, { id: "pl-flow", title: "Stage conversion and velocity (closed deals)", name: "stage-flow", span: 6, rows: summary.flow,
      columns: ["stage", "reached", "advanced", "conversion", "ended_here", "days_to_close", "days_in_stage"],
      tableOptions: { unitFor: (row, col) => ({ reached: "count", advanced: "count", ended_here: "count", conversion: "percent", days_to_close: "days", days_in_stage: "days" })[col] || null },
      emptyMessage: "No closed deals yet." });
    const learned = summary.stage_probabilities.map((r) => Object.assign({ win_probability: r.probability }, r));
    B.figure(grid, { id: "pl-probabilities", title: "Win probability by stage, learned from closed deals", name: "stage-probabilities", span: 6, rows: learned,
      columns: ["stage", "reached", "won", "win_probability"], tableOptions: { unitFor: (row, col) => ({ reached: "count", won: "count", win_probability: "percent" })[col] || null },
      emptyMessage: "No closed deals yet." });
    forecastCard(grid, summary);
    groupChart(grid, "pl-by-source", "Open pipeline by source", summary.by_source, "deal_source");
    await dealsCard(grid);
    await modelCard(grid);
  }

  Object.assign(B.pages, { pipeline });
})(Bizsight);
