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

  // Ticks that match the grain, placed on the periods themselves (every k-th when they would
  // crowd), so that a heatmap's cells and a line's points sit on their labels; days keep plotly's
  // own ticks and say the day on hover. ``room`` is the axis length and ``spacing`` the room a
  // label needs, in pixels.
  const GRAINS = {
    day: { format: "%d %b %Y" }, week: { format: "%d %b %Y", days: 7 },
    month: { format: "%b %Y", months: 1 }, quarter: { format: "Q%q %Y", months: 3 }, year: { format: "%Y", months: 12 },
  };
  function timeAxis(grain, periods, room, spacing) {
    const g = GRAINS[grain];
    if (!g) return {};
    const axis = { type: "date", hoverformat: g.format };
    const sorted = [...new Set(periods.filter(Boolean))].sort();
    if (!(g.days || g.months) || !sorted.length) return axis;
    const step = Math.max(1, Math.ceil(sorted.length / Math.max(2, Math.floor((room || 600) / (spacing || 80)))));
    return Object.assign(axis, { tickformat: g.format, tick0: sorted[0], dtick: g.months ? "M" + g.months * step : g.days * step * 86400000 });
  }

  // A value axis in its unit's terms: the currency's symbol, percentages from fractions; the
  // locale's separators are set for the whole chart in plot().
  function valueAxis(unit) {
    const P = B.boot.presentation;
    if (unit === "money") return { tickprefix: P.money_before, ticksuffix: P.money_after, tickformat: "~s" };
    if (unit === "percent") return { tickformat: ".0%" };
    if (unit === "count" || unit === "number") return { tickformat: "~s" };
    return {};
  }
  // Hover text of a trace's values, written by the presentation layer (not plotly's own format).
  function hover(values, unit, what) {
    return { customdata: values.map((v) => B.format(v, unit)), hovertemplate: (what || "%{x}") + ": %{customdata}<extra>%{fullData.name}</extra>" };
  }
  // How a dimension's member reads: its name where it has one (product_name beside product).
  const member = (row, key) => row[key + "_name"] || row[key];
  // A category axis of members with names: ticks say the names, points keep the ids (two
  // products of one name stay two bars; hover and drill-down use the id).
  function names(rows, key) {
    if (key === "period" || !rows.length || !(key + "_name" in rows[0])) return {};
    const ids = [...new Set(rows.map((r) => r[key]))];
    const byId = new Map(rows.map((r) => [r[key], member(r, key)]));
    return { type: "category", tickvals: ids, ticktext: ids.map((id) => byId.get(id)) };
  }

  function plot(body, traces, layout, onClick) {
    const div = el("div", { class: "chart" });
    body.replaceChildren(div);
    // Axes grow their margins to fit their labels (a category is never cut to "Home & Kitch"); an
    // axis given as { grain, periods } gets the ticks of that grain.
    const P = B.boot.presentation;
    const full = Object.assign({ separators: P.decimal + P.group }, LAYOUT, layout || {});
    for (const [axis, room, spacing] of [["xaxis", body.clientWidth, 80], ["yaxis", (full.height || 300) - 60, 24]]) {
      const { grain, periods, ...rest } = full[axis] || {};
      full[axis] = Object.assign({ automargin: true }, grain ? timeAxis(grain, periods || [], room, spacing) : {}, rest);
    }
    Plotly.newPlot(div, traces, full, CONFIG);
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
        const key = member(row, splitKey) ?? "–";
        if (!groups.has(key)) groups.set(key, []);
        groups.get(key).push(row);
      }
      return [...groups.entries()].map(([name, rows]) => ({ name: String(name), metric, rows, xKey }));
    }
    return query.metrics.map((m) => ({ name: B.label(m), metric: m, rows: answer.rows, xKey }));
  }

  const DRAW = {
    kpi(body, query, answer) {
      const metric = query.metrics[0];
      const row = answer.rows[0];
      const change = row[metric + "__change_pct"];
      body.replaceChildren(
        el("div", { class: "value", "data-metric": metric, text: B.format(row[metric], answer.units[metric], true) }),
        el("div", { class: "change " + (change > 0 ? "up" : change < 0 ? "down" : ""), text: change === undefined || change === null ? "" : (change > 0 ? "▲ " : "▼ ") + B.format(Math.abs(change), "percent") + " vs previous period" }),
      );
    },
    line(body, query, answer, spec) {
      const unit = answer.units[query.metrics[0]];
      const traces = series(query, answer).map((s) => Object.assign({
        type: "scatter", mode: "lines+markers", name: s.name, x: s.rows.map((r) => r[s.xKey]), y: s.rows.map((r) => r[s.metric]),
      }, hover(s.rows.map((r) => r[s.metric]), answer.units[s.metric])));
      const groups = series(query, answer);
      plot(body, traces, { xaxis: Object.assign({ grain: query.grain, periods: answer.rows.map((r) => r.period) }, names(answer.rows, groups[0].xKey)), yaxis: valueAxis(unit) }, (point) => drillTo(query, groups[point.curveNumber].metric)(groups[point.curveNumber].rows[point.pointIndex]));
    },
    bar(body, query, answer) {
      const groups = series(query, answer);
      const unit = answer.units[query.metrics[0]];
      const traces = groups.map((s) => Object.assign({ type: "bar", name: s.name, x: s.rows.map((r) => r[s.xKey]), y: s.rows.map((r) => r[s.metric]) },
        hover(s.rows.map((r) => r[s.metric]), answer.units[s.metric])));
      plot(body, traces, { barmode: "group", showlegend: groups.length > 1, xaxis: Object.assign({ grain: query.grain, periods: answer.rows.map((r) => r.period) }, names(answer.rows, groups[0].xKey)), yaxis: valueAxis(unit) }, (point) => drillTo(query, groups[point.curveNumber].metric)(groups[point.curveNumber].rows[point.pointIndex]));
    },
    pie(body, query, answer) {
      const dim = (query.dimensions || [])[0];
      const metric = query.metrics[0];
      const rows = answer.rows.filter((r) => Number(r[metric]) > 0);
      const shown = rows.map((r) => B.format(r[metric], answer.units[metric]));
      plot(body, [{ type: "pie", labels: rows.map((r) => member(r, dim) ?? "–"), values: rows.map((r) => r[metric]), hole: 0.4, sort: false,
        text: shown, textinfo: "percent", hovertemplate: "%{label}: %{text} (%{percent})<extra></extra>" }], {},
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
      const unit = answer.units[metric];
      plot(body, [{ type: "heatmap", x: xs, y: ys.map((y) => y ?? "–"), z, colorscale: "Blues", reversescale: true, hoverongaps: false,
        customdata: z.map((cells) => cells.map((v) => B.format(v, unit))), hovertemplate: "%{y} · %{x}: %{customdata}<extra></extra>",
        colorbar: valueAxis(unit) }],
        { margin: { l: 110, r: 10, t: 10, b: 40 }, xaxis: { grain: query.grain, periods: xs } },
        (point) => { const r = index.get(xs[point.pointIndex[1]] + "\u0000" + ys[point.pointIndex[0]]); if (r) drillTo(query, metric)(r); });
    },
    table(body, query, answer) {
      const columns = answer.columns.map((c) => c.name);
      body.replaceChildren(B.table(columns, answer.rows, { formats: answer.units, labels: answer.labels, onRow: drillTo(query, query.metrics[0]) }));
    },
  };

  B.card = card;
  B.plot = plot;
  B.valueAxis = valueAxis;
  B.hover = hover;
  B.timeAxis = timeAxis;
  B.widget = widget;
  B.figure = figure;
})(Bizsight);
