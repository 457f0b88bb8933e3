"use strict";
// Forecasts (history, forecast with 80/95 % bands, the models chosen, backtest and tracked
// accuracy) and the KPI monitor (its alerts, from alerts_page.js; target pacing, anomalies
// marked on their series). Both read the
// forecasts/anomalies/targets API, where row-level security applies.
(function (B) {
  const { el } = B;
  const TOTAL = "(total)";

  function picker(label, id, options, value) {
    const select = el("select", { id }, options.map(([v, text]) => el("option", { value: v, text })));
    select.value = value;
    return [el("label", {}, label + " ", select), select];
  }

  function bandTraces(history, forecasts, series) {
    const past = history.filter((r) => r.series === series);
    const ahead = forecasts.filter((r) => r.series === series);
    const x = ahead.map((r) => r.period);
    const band = (level, color) => [
      { type: "scatter", mode: "lines", x, y: ahead.map((r) => r["hi_" + level]), line: { width: 0 }, showlegend: false, hoverinfo: "skip" },
      { type: "scatter", mode: "lines", name: level + " % interval", x, y: ahead.map((r) => r["lo_" + level]), fill: "tonexty", fillcolor: color, line: { width: 0 } },
    ];
    return [
      ...band(95, "rgba(107,143,214,0.18)"),
      ...band(80, "rgba(107,143,214,0.35)"),
      { type: "scatter", mode: "lines+markers", name: "actual", x: past.map((r) => r.period), y: past.map((r) => r.actual), line: { color: "#333" } },
      { type: "scatter", mode: "lines+markers", name: "forecast", x, y: ahead.map((r) => r.forecast), line: { color: "#2856b8", dash: "dash" } },
      ...(ahead.length && "scenario" in ahead[0] ? [{ type: "scatter", mode: "lines+markers", name: "scenario", x, y: ahead.map((r) => r.scenario), line: { color: "#c0602a", dash: "dot" } }] : []),
    ];
  }

  async function forecasts(grid) {
    const cat = await B.catalogue();
    const metrics = Object.keys(cat.metrics).map((m) => [m, B.label(m)]).sort((a, b) => a[1].localeCompare(b[1]));
    const dims = [["", "(none)"], ...Object.keys(cat.dimensions).map((d) => [d, B.label(d)]).sort((a, b) => a[1].localeCompare(b[1]))];
    const [metricLabel, metric] = picker("Metric", "fc-metric", metrics, "revenue" in cat.metrics ? "revenue" : (metrics[0] || [""])[0]);
    const [byLabel, by] = picker("By", "fc-by", dims, "");
    const [grainLabel, grain] = picker("Grain", "fc-grain", [["month", "month"], ["week", "week"], ["day", "day"]], "month");
    const horizon = el("input", { type: "number", id: "fc-horizon", min: "1", max: "366", placeholder: "a quarter" });
    const scenario = el("input", { type: "text", id: "fc-scenario", placeholder: "price:+5%:elasticity=-1.2", title: "what-if: price:+5%:elasticity=-1.2 or new_customers:+10%:channel=NAME" });
    const form = el("form", { class: "filters", id: "fc-form" }, metricLabel, byLabel, grainLabel, el("label", {}, "Horizon ", horizon), el("label", {}, "Scenario ", scenario), el("button", { type: "submit", text: "Forecast" }));
    B.card(grid, { id: "fc-picker", title: "What to forecast", span: 12 }).body.replaceChildren(form);
    const area = el("div", { class: "grid span-12", id: "fc-area" });
    grid.append(area);
    const run = async () => {
      document.body.dataset.ready = "";
      area.replaceChildren();
      const q = "metric=" + encodeURIComponent(metric.value) + (by.value ? "&by=" + encodeURIComponent(by.value) : "") + "&grain=" + grain.value + (horizon.value ? "&horizon=" + encodeURIComponent(horizon.value) : "");
      try {
        const [fc, tracked] = await Promise.all([
          B.api("GET", "/api/v1/forecasts?" + q + (scenario.value.trim() ? "&scenario=" + encodeURIComponent(scenario.value.trim()) : "")),
          B.api("GET", "/api/v1/forecasts/accuracy?" + q.replace(/&horizon=[^&]*/, "")).catch((err) => ({ rows: [], by_step: [], withheld: err.message })),
        ]);
        showForecast(area, fc, tracked);
      } catch (err) {
        area.replaceChildren(B.empty(err.message));
      }
      document.body.dataset.ready = "1";
    };
    form.addEventListener("submit", (e) => { e.preventDefault(); run(); });
    await run();
  }

  function showForecast(area, fc, tracked) {
    const series = [...new Set(fc.forecasts.map((r) => r.series))];
    const chart = B.card(area, { id: "fc-chart", title: B.label(fc.metric) + " by " + fc.grain + ": history and forecast (80 and 95 % intervals)", span: 12 });
    const [seriesLabel, pick] = picker("Series", "fc-series", series.map((s) => [s, s]), series.includes(TOTAL) ? TOTAL : series[0]);
    const plotBox = el("div", {});
    const draw = () => {
      if (!fc.forecasts.length) { plotBox.replaceChildren(B.empty("No forecast: not enough history.")); return; }
      const div = el("div", { class: "chart" });
      plotBox.replaceChildren(div);
      const periods = [...fc.history, ...fc.forecasts].filter((r) => r.series === pick.value).map((r) => r.period);
      Plotly.newPlot(div, bandTraces(fc.history, fc.forecasts, pick.value), { margin: { l: 60, r: 10, t: 10, b: 40 }, autosize: true, legend: { orientation: "h" },
        xaxis: Object.assign({ automargin: true }, B.timeAxis(fc.grain, periods, div.clientWidth)), yaxis: { automargin: true } }, { displaylogo: false, responsive: true });
    };
    pick.addEventListener("change", draw);
    chart.body.replaceChildren(series.length > 1 ? seriesLabel : "", plotBox,
      el("p", { class: "notice", id: "fc-basis", text: "Forecast: " + fc.basis }),
      el("p", { class: "notice", text: "Reconciliation: " + fc.reconciliation + (fc.restricted ? " · your restricted slice only" : "") }),
      fc.scenario ? el("p", { class: "notice", id: "fc-assumptions", text: "Scenario × " + fc.scenario.multiplier.toFixed(4) + ": " + fc.scenario.assumptions.join("; ") }) : "");
    chart.tools.append(B.exportButtons(B.exportShown("forecast", ["series", "period", "step", "model", "forecast", "lo_80", "hi_80", "lo_95", "hi_95"], fc.forecasts)));
    draw();
    B.figure(area, { id: "fc-models", title: "Model chosen per series", name: "forecast-models", span: 12,
      rows: fc.selection, columns: ["unique_id", "model", "method", "reason", "n_obs", "windows", "mase", "smape", "coverage_80", "coverage_95"],
    });
    const backtest = fc.accuracy || [];
    const models = [...new Set(backtest.map((r) => r.model))];
    const measure = backtest.length && "mase" in backtest[0] ? "mase" : "smape";
    B.figure(area, { id: "fc-backtest", title: "Backtest accuracy of the candidates (" + measure + ", lower is better)", name: "forecast-backtest", span: 6,
      rows: backtest, columns: backtest.length ? Object.keys(backtest[0]) : [],
      emptyMessage: "No backtest: the history is too short to cross-validate (the forecast falls back to seasonal naive).",
      traces: [{ type: "bar", x: models, y: models.map((m) => { const v = backtest.filter((r) => r.model === m && r[measure] !== null).map((r) => r[measure]); return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null; }), marker: { color: "#6b8fd6" } }],
    });
    B.figure(area, { id: "fc-tracked", title: "Tracked accuracy of stored forecasts (by horizon step)", name: "forecast-tracked", span: 6,
      rows: tracked.by_step.length ? tracked.by_step : tracked.rows, columns: tracked.by_step.length ? ["step", "n", "mape", "bias", "coverage_80", "coverage_95"] : ["origin", "series", "period", "step", "actual", "forecast", "ape"],
      tableOptions: { unitFor: (row, column) => (["actual", "forecast", "bias"].includes(column) ? B.unitOf(fc.metric) : null) },
      emptyMessage: tracked.withheld || "No stored forecast has reached its period yet: refresh stores forecasts; they are scored once the actuals arrive." });
  }

  async function monitor(grid) {
    if (B.alerts && B.can("alerts:read")) await B.alerts(grid);  // alerts_page.js
    const [targets, anomalies] = await Promise.all([
      B.api("GET", "/api/v1/targets").catch((err) => ({ targets: [], error: err.message })),
      B.api("GET", "/api/v1/anomalies?since=2000-01-01").catch((err) => ({ anomalies: [], error: err.message })),
    ]);
    showTargets(grid, targets);
    await showAnomalies(grid, anomalies);
  }

  // Pacing bars for one group of targets at a time, so the chart stays readable with many
  // targets: the open periods most at risk (lowest probability first), or one target series
  // (a metric and its filter) over its periods.
  const AT_RISK = 10;
  function targetGroups(targets) {
    const groups = [];
    const open = targets.filter((t) => t.elapsed < 1 && t.probability !== null && t.probability !== undefined)
      .sort((a, b) => a.probability - b.probability).slice(0, AT_RISK);
    if (open.length) groups.push({ key: "at-risk", name: "Open periods, " + open.length + " most at risk", rows: open, label: (t) => seriesName(t) + " · " + t.period_start.slice(0, 7) });
    const bySeries = new Map();
    for (const t of targets) {
      const name = seriesName(t);
      if (!bySeries.has(name)) bySeries.set(name, []);
      bySeries.get(name).push(t);
    }
    for (const [name, rows] of bySeries) groups.push({ key: "series:" + name, name, rows: rows.sort((a, b) => (a.period_start < b.period_start ? -1 : 1)), label: (t) => t.period_start.slice(0, 7) });
    return groups;
  }
  function seriesName(t) { return t.metric + (t.filter ? " · " + t.filter : " (total)"); }

  function showTargets(grid, found) {
    const rows = found.targets;
    const empty = found.error || "No targets: load a targets.csv and run `bizsight refresh`.";
    const chart = B.card(grid, { id: "targets", title: "Targets: % achieved and probability of reaching them", span: 12 });
    if (!rows.length) chart.body.replaceChildren(B.empty(empty));
    else {
      const groups = targetGroups(rows);
      const [label, pick] = picker("Show", "targets-group", groups.map((g) => [g.key, g.name + " (" + g.rows.length + ")"]), groups[0].key);
      const box = el("div", {});
      const draw = () => {
        const group = groups.find((g) => g.key === pick.value);
        const shown = group.rows;
        const y = shown.map(group.label);
        chart.tools.replaceChildren(B.exportButtons(B.exportShown("target-pacing", ["metric", "filter", "period_start", "pct_achieved", "probability", "status"], shown)));
        const achieved = shown.map((r) => r.pct_achieved);
        const chance = shown.map((r) => r.probability ?? null);
        B.plot(box, [
          { type: "bar", orientation: "h", name: B.label("pct_achieved"), y, x: achieved, marker: { color: "#6b8fd6" }, ...B.hover(achieved, "percent", "%{y}") },
          { type: "bar", orientation: "h", name: B.label("probability"), y, x: chance, marker: { color: "#e0a040" }, ...B.hover(chance, "percent", "%{y}") },
        ], { barmode: "group", xaxis: B.valueAxis("percent"), yaxis: { type: "category", autorange: "reversed" }, margin: { l: 80, r: 10, t: 10, b: 40 }, height: Math.max(300, 34 * shown.length + 90) });
      };
      pick.addEventListener("change", draw);
      chart.body.replaceChildren(label, box);
      draw();
    }
    B.figure(grid, { id: "targets-table", title: "Target pacing", name: "target-pacing-table", span: 12,
      rows, columns: ["metric", "filter", "period_start", "period_end", "target", "actual", "pct_achieved", "expected", "probability", "status"],
      tableOptions: { unitFor: (row, column) => (["target", "actual", "expected"].includes(column) ? B.unitOf(row.metric) : null) }, emptyMessage: empty });
  }

  function seriesKey(a) { return a.metric + (a.dimension ? " · " + a.dimension + "=" + a.dimension_value : " (total)"); }

  function showAnomalies(grid, found) {
    const rows = found.anomalies;
    const empty = found.error || "No anomalies found by the last refresh.";
    B.figure(grid, { id: "anomalies", title: "Anomalies (newest first)", name: "anomalies", span: 12, rows,
      columns: ["period", "metric", "dimension", "dimension_value", "severity", "direction", "actual", "expected", "lower", "upper", "score"],
      tableOptions: { unitFor: (row, column) => (["actual", "expected", "lower", "upper"].includes(column) ? B.unitOf(row.metric) : null) }, emptyMessage: empty });
    const chart = B.card(grid, { id: "anomaly-chart", title: "Anomalies on their series", span: 12 });
    if (!rows.length) { chart.body.replaceChildren(B.empty(empty)); return; }
    const keys = [...new Set(rows.map(seriesKey))];
    const [label, pick] = picker("Series", "an-series", keys.map((k) => [k, k]), keys[0]);
    const box = el("div", {});
    const draw = async () => {
      const marks = rows.filter((a) => seriesKey(a) === pick.value).sort((a, b) => (a.period < b.period ? -1 : 1));
      const first = marks[0];
      const query = { metrics: [first.metric], grain: first.grain, start: marks[0].period, end: marks[marks.length - 1].period,
        filters: first.dimension ? [{ dimension: first.dimension, op: "=", values: [first.dimension_value] }] : [] };
      query.start = shift(query.start, -60); query.end = shift(query.end, 14);
      const answer = await B.api("POST", "/api/v1/query", query).catch(() => ({ rows: [] }));
      const line = answer.rows.filter((r) => r.period !== null).sort((a, b) => (a.period < b.period ? -1 : 1));
      const colors = { low: "#e0a040", medium: "#e07040", high: "#c0302a" };
      const div = el("div", { class: "chart" });
      box.replaceChildren(div);
      Plotly.newPlot(div, [
        { type: "scatter", mode: "lines", name: first.metric, x: line.map((r) => r.period), y: line.map((r) => r[first.metric]), line: { color: "#6b8fd6" } },
        { type: "scatter", mode: "markers", name: "anomaly", x: marks.map((a) => a.period), y: marks.map((a) => a.actual), text: marks.map((a) => a.severity + " " + a.direction),
          marker: { size: 11, symbol: "x", color: marks.map((a) => colors[a.severity] || "#c0302a") } },
      ], { margin: { l: 60, r: 10, t: 10, b: 40 }, autosize: true, legend: { orientation: "h" },
        xaxis: Object.assign({ automargin: true }, B.timeAxis(first.grain, line.map((r) => r.period), div.clientWidth)), yaxis: { automargin: true } }, { displaylogo: false, responsive: true });
    };
    pick.addEventListener("change", draw);
    chart.body.replaceChildren(label, box);
    return draw();
  }

  function shift(isoDate, days) {
    const d = new Date(isoDate + "T00:00:00Z"); d.setUTCDate(d.getUTCDate() + days); return d.toISOString().slice(0, 10);
  }

  Object.assign(B.pages, { forecasts, monitor });
})(Bizsight);
