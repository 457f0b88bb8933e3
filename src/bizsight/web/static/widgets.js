"use strict";
// Widgets: a card that runs a metric query (with the page's global filters) and draws it as a
// KPI, line, bar, heatmap, pie or table; clicking a point, bar, cell or row drills down to the
// rows behind it; every card exports CSV and XLSX.
(function (B) {
  const { el } = B;
  const CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
  const LAYOUT = { margin: { l: 50, r: 10, t: 10, b: 40 }, autosize: true, legend: { orientation: "h", y: -0.2 }, font: { size: 11 } };

  function card(grid, spec) {
    const body = el("div", { class: "body" });
    const tools = el("span", { class: "tools" });
    const node = el("article", { class: "card span-" + (spec.span || 6) + (spec.type === "kpi" ? " kpi" : ""), "data-widget": spec.id || spec.title },
      el("header", {}, el("h2", { text: spec.title || "" }), tools), body);
    if (spec.actions) tools.append(...spec.actions);
    grid.append(node);
    return { node, body, tools };
  }

  function plot(body, traces, layout, onClick) {
    const div = el("div", { class: "chart" });
    body.replaceChildren(div);
    Plotly.newPlot(div, traces, Object.assign({}, LAYOUT, layout || {}), CONFIG);
    if (onClick) div.on("plotly_click", (event) => { if (event.points && event.points[0]) onClick(event.points[0]); });
    return div;
  }

  // A chart of figure data that no metric query gives (trend, histogram, sentiment, affinity).
  function figure(grid, spec) {
    const { body, tools } = card(grid, spec);
    if (!spec.rows || !spec.rows.length) { body.replaceChildren(B.empty(spec.emptyMessage)); return; }
    tools.append(B.exportButtons(spec.exporter || B.exportShown(spec.name || "chart", spec.columns, spec.rows)));
    if (spec.traces) plot(body, spec.traces, spec.layout, spec.onClick);
    else body.replaceChildren(B.table(spec.columns, spec.rows, spec.tableOptions));
  }

  function hasData(rows, metrics) {
    return rows.some((r) => metrics.some((m) => r[m] !== null && r[m] !== undefined && Number(r[m]) !== 0));
  }

  async function widget(grid, spec) {
    const { body, tools } = card(grid, spec);
    body.replaceChildren(el("p", { class: "loading", text: "Loading…" }));
    const query = B.scoped(spec.query, spec);
    if (spec.type === "line" && !query.grain && !(query.dimensions || []).length) query.grain = "month";
    if (spec.type === "heatmap" && !query.grain && (query.dimensions || []).length < 2) query.grain = "month";
    let answer;
    try { answer = await B.api("POST", "/api/v1/query", query); } catch (err) {
      body.replaceChildren(el("p", { class: "error", text: err.message })); return;
    }
    tools.append(B.exportButtons(B.exportQuery(query)));
    const metrics = query.metrics;
    if (!answer.rows.length || !hasData(answer.rows, metrics)) { body.replaceChildren(B.empty()); return; }
    const draw = DRAW[spec.type] || DRAW.table;
    draw(body, query, answer, spec);
  }

  function cellOf(query, row) {
    const cell = {};
    if (query.grain) cell.period = row.period;
    for (const d of query.dimensions || []) cell[d] = row[d];
    return cell;
  }
  const drillTo = (query, metric) => (row) => B.drill(query, metric, cellOf(query, row));

  function series(query, answer) {
    // x = period (or the first dimension), one trace per metric, or per value of the other dimension
    const dims = query.dimensions || [];
    const xKey = query.grain ? "period" : dims[0];
    const splitKey = query.grain ? dims[0] : dims[1];
    const metric = query.metrics[0];
    if (splitKey) {
      const groups = new Map();
      for (const row of answer.rows) {
        const key = row[splitKey] ?? "–";
        if (!groups.has(key)) groups.set(key, []);
        groups.get(key).push(row);
      }
      return [...groups.entries()].map(([name, rows]) => ({ name: String(name), metric, rows, xKey }));
    }
    return query.metrics.map((m) => ({ name: m, metric: m, rows: answer.rows, xKey }));
  }

  const DRAW = {
    kpi(body, query, answer) {
      const metric = query.metrics[0];
      const row = answer.rows[0];
      const change = row[metric + "__change_pct"];
      body.replaceChildren(
        el("div", { class: "value", "data-metric": metric, text: B.format(row[metric], answer.units[metric]) }),
        el("div", { class: "change " + (change > 0 ? "up" : change < 0 ? "down" : ""), text: change === undefined || change === null ? "" : (change > 0 ? "▲ " : "▼ ") + (Math.abs(change) * 100).toFixed(1) + " % vs previous period" }),
      );
    },
    line(body, query, answer, spec) {
      const traces = series(query, answer).map((s) => ({
        type: "scatter", mode: "lines+markers", name: s.name, x: s.rows.map((r) => r[s.xKey]), y: s.rows.map((r) => r[s.metric]),
        customdata: s.rows.map((_, i) => i), meta: s.name,
      }));
      const groups = series(query, answer);
      plot(body, traces, {}, (point) => drillTo(query, groups[point.curveNumber].metric)(groups[point.curveNumber].rows[point.pointIndex]));
    },
    bar(body, query, answer) {
      const groups = series(query, answer);
      const traces = groups.map((s) => ({ type: "bar", name: s.name, x: s.rows.map((r) => r[s.xKey]), y: s.rows.map((r) => r[s.metric]) }));
      plot(body, traces, { barmode: "group", showlegend: groups.length > 1 }, (point) => drillTo(query, groups[point.curveNumber].metric)(groups[point.curveNumber].rows[point.pointIndex]));
    },
    pie(body, query, answer) {
      const dim = (query.dimensions || [])[0];
      const metric = query.metrics[0];
      const rows = answer.rows.filter((r) => Number(r[metric]) > 0);
      plot(body, [{ type: "pie", labels: rows.map((r) => r[dim] ?? "–"), values: rows.map((r) => r[metric]), hole: 0.4, sort: false }], {},
        (point) => drillTo(query, metric)(rows[point.pointNumber]));
    },
    heatmap(body, query, answer) {
      const dims = query.dimensions || [];
      const xKey = query.grain ? "period" : dims[1];
      const yKey = dims[0];
      const metric = query.metrics[0];
      const xs = [...new Set(answer.rows.map((r) => r[xKey]))].sort();
      const ys = [...new Set(answer.rows.map((r) => r[yKey]))].sort();
      const index = new Map(answer.rows.map((r) => [r[xKey] + "\u0000" + r[yKey], r]));
      const z = ys.map((y) => xs.map((x) => { const r = index.get(x + "\u0000" + y); return r ? r[metric] : null; }));
      plot(body, [{ type: "heatmap", x: xs, y: ys.map((y) => y ?? "–"), z, colorscale: "Blues", reversescale: true, hoverongaps: false }], { margin: { l: 110, r: 10, t: 10, b: 40 } },
        (point) => { const r = index.get(xs[point.pointIndex[1]] + "\u0000" + ys[point.pointIndex[0]]); if (r) drillTo(query, metric)(r); });
    },
    table(body, query, answer) {
      const columns = answer.columns.map((c) => c.name);
      body.replaceChildren(B.table(columns, answer.rows, { formats: answer.units, labels: answer.labels, onRow: drillTo(query, query.metrics[0]) }));
    },
  };

  B.card = card;
  B.plot = plot;
  B.widget = widget;
  B.figure = figure;
})(Bizsight);
