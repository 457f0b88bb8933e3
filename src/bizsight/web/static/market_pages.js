"use strict";
// The Market page (share by region over time, our growth against the market's, share gained or
// lost, our place among the competitors: GET /api/v1/market) and the Executive page (five
// sections scored 0–100 with drivers and a summary: GET /api/v1/executive). Numbers are written
// by the presentation layer (B.format, B.cell); shares drill to the revenue rows behind them.
(function (B) {
  const { el } = B;
  const SHARE_QUERY = { metrics: ["market_share"], dimensions: ["region"], grain: "quarter" };
  const COMPETITOR_QUERY = { metrics: ["competitor_revenue"], dimensions: ["region", "competitor"], grain: "quarter" };
  const points = (v) => (v === null || v === undefined ? "–" : (v > 0 ? "+" : "") + B.format(v * 100, "number") + " pp");
  const quarter = (iso) => (iso ? iso.slice(0, 4) + " Q" + (Math.floor(Number(iso.slice(5, 7)) / 3) + 1) : "–");

  function byRegion(rows, key) {
    const regions = [...new Set(rows.map((r) => r.region))].sort();
    return regions.map((region) => {
      const mine = rows.filter((r) => r.region === region);
      return { region, x: mine.map((r) => r.period), y: mine.map((r) => r[key]), rows: mine };
    });
  }

  async function market(grid) {
    const answer = await B.api("GET", "/api/v1/market");
    for (const note of answer.notes) grid.append(el("p", { class: "hint span-12 market-note", text: note }));
    if (!answer.rows.length) { grid.append(B.empty("No market data loaded (market_data.csv).")); return; }
    const series = byRegion(answer.rows, "share");
    B.figure(grid, {
      id: "market-share", title: "Market share by region", span: 12, name: "market_share",
      columns: ["period", "region", "revenue", "market_size", "share"], rows: answer.rows,
      traces: series.map((s) => Object.assign({ type: "scatter", mode: "lines+markers", name: s.region, x: s.x, y: s.y }, B.hover(s.y, "percent"))),
      layout: { xaxis: { grain: "quarter", periods: answer.rows.map((r) => r.period) }, yaxis: { tickformat: ".1%" } },
      onClick: (p) => { const row = series[p.curveNumber].rows[p.pointIndex]; B.drill(SHARE_QUERY, "market_share", { period: row.period, region: row.region }); },
    });
    const latest = answer.rows.filter((r) => r.period === answer.latest);
    B.figure(grid, {
      id: "market-growth", title: "Our growth against the market's (year on year, " + quarter(answer.latest) + ")", span: 6, name: "market_growth",
      columns: ["region", "our_growth", "market_growth", "growth_gap"], rows: latest,
      traces: [
        Object.assign({ type: "bar", name: "Our growth", x: latest.map((r) => r.region), y: latest.map((r) => r.our_growth) }, B.hover(latest.map((r) => r.our_growth), "percent")),
        Object.assign({ type: "bar", name: "Market growth", x: latest.map((r) => r.region), y: latest.map((r) => r.market_growth) }, B.hover(latest.map((r) => r.market_growth), "percent")),
      ],
      layout: { barmode: "group", yaxis: { tickformat: ".0%" } },
    });
    const moves = (title, id, list) => {
      const { body } = B.card(grid, { id, title, span: 6 });
      if (!list.length) { body.replaceChildren(B.empty("Two complete quarters are needed.")); return; }
      const rows = list.map((m) => el("tr", { "data-region": m.region, class: "clickable", title: "click for the rows behind the latest share",
        onclick: () => B.drill(SHARE_QUERY, "market_share", { period: m.end, region: m.region }) },
        el("td", { text: m.region }), el("td", { class: "num", text: B.cell(m.share_start, "share", "percent") }),
        el("td", { class: "num", text: B.cell(m.share_end, "share", "percent") }),
        el("td", { class: "num " + (m.change > 0 ? "up" : m.change < 0 ? "down" : ""), text: points(m.change) })));
      body.replaceChildren(el("div", { class: "table-wrap" }, B.stacking(el("table", { class: "data" },
        el("thead", {}, el("tr", {}, [["Region"], [quarter(list[0].start)], [quarter(list[0].end)], ["Gained / lost"]].map(([t]) => el("th", { text: t })))),
        el("tbody", {}, rows)))));
    };
    moves("Share gained or lost on the previous quarter", "share-moves", answer.moves);
    moves("Share gained or lost over the year", "share-year-moves", answer.year_moves);
    const { body } = B.card(grid, { id: "competitor-ranking", title: "Ranking against competitors (" + quarter(answer.latest) + ")", span: 12 });
    const ranking = answer.ranking.map((r) => Object.assign({}, r, { name: r.is_us ? "Us" : r.name }));
    body.replaceChildren(ranking.length ? B.table(["region", "rank", "name", "revenue", "share"], ranking,
      { formats: { revenue: "money", share: "percent", rank: "count" }, labels: { name: "Company", share: "Share of market" } }) : B.empty("No competitor data."));
    body.querySelectorAll("tbody tr").forEach((tr, i) => {
      const r = ranking[i];
      if (r.is_us) tr.classList.add("us");
      tr.classList.add("clickable");
      tr.title = "click for the rows behind it";
      tr.addEventListener("click", () => (r.is_us
        ? B.drill({ metrics: ["revenue"], dimensions: ["region"], grain: "quarter" }, "revenue", { period: r.period, region: r.region })
        : B.drill(COMPETITOR_QUERY, "competitor_revenue", { period: r.period, region: r.region, competitor: r.name })));
    });
  }

  function gauge(score) {
    const bar = el("div", { class: "gauge", role: "meter", "aria-valuemin": "0", "aria-valuemax": "100" });
    if (score === null) { bar.append(el("span", { class: "gauge-none", text: "not scored" })); return bar; }
    bar.setAttribute("aria-valuenow", String(Math.round(score)));
    const fill = el("span", { class: "gauge-fill " + (score >= 70 ? "good" : score >= 45 ? "fair" : "poor") });
    fill.style.width = Math.max(0, Math.min(100, score)) + "%";
    bar.append(fill);
    return bar;
  }

  function themeButton() {
    const button = el("button", { type: "button", class: "small", id: "theme-toggle" });
    const show = () => { button.textContent = document.documentElement.dataset.theme === "dark" ? "Light theme" : "Dark theme"; };
    button.addEventListener("click", () => { window.BizsightTheme.toggle(); show(); });
    show();
    return button;
  }

  async function executive(grid) {
    const answer = await B.api("GET", "/api/v1/executive");
    const unit = (k) => answer.units[k.metric] || B.unitOf(k.metric);
    const value = (k) => (k.measure === "change" && unit(k) === "percent" ? points(k.value) : B.format(k.value, unit(k)));
    const print = el("button", { type: "button", class: "small", id: "print", text: "Print" });
    print.addEventListener("click", () => window.print());
    grid.append(el("p", { class: "span-12 hint", id: "executive-period" },
      "Scored period: " + (answer.period ? answer.period + " – " + answer.period_end + " (" + answer.grain + ")" : "none") +
      (answer.restricted ? " · your restricted slice of the data" : "") + " ", themeButton(), " ", print));
    for (const section of answer.sections) {
      const { body, node } = B.card(grid, { id: "section-" + section.name.toLowerCase(), title: section.name, span: section.name === "Operational" ? 12 : 6 });
      node.classList.add("health");
      const headline = el("div", { class: "score", "data-score": section.score === null ? "" : section.score.toFixed(1),
        text: section.score === null ? "–" : B.format(Math.round(section.score), "count") + " / 100" });
      const drivers = section.kpis.map((k) => {
        const ahead = k.period === "next";
        const label = (answer.labels[k.metric] || B.label(k.metric)) + (k.measure === "change" ? " (change)" : "") +
          (ahead ? " (next " + answer.grain + ")" : "");
        const pull = k.driver === null ? (k.missing || "–") : (k.driver >= 0 ? "+" : "−") + B.format(Math.abs(k.driver), "number") + " pts";
        const tr = el("tr", { "data-kpi": k.key, class: k.driver === null ? "missing" : "" },
          el("td", { text: label }), el("td", { class: "num", text: k.value === null ? "–" : value(k) }),
          el("td", { class: "num", text: k.score === null ? "–" : B.format(Math.round(k.score), "count") }),
          el("td", { class: "num " + (k.driver > 0 ? "up" : k.driver < 0 ? "down" : ""), text: pull }));
        if (k.value !== null && !k.missing && !["data_freshness_days", "quarantine_rate", "failed_jobs_7d"].includes(k.metric)) {
          tr.classList.add("clickable");
          tr.title = "click for the rows behind it";
          const [start, end] = ahead ? [answer.next_period, answer.next_period_end] : [answer.period, answer.period_end];
          tr.addEventListener("click", () => B.drill({ metrics: [k.metric], start, end }, k.metric, {}));
        }
        return tr;
      });
      body.replaceChildren(headline, gauge(section.score), el("p", { class: "summary", text: section.summary }),
        el("div", { class: "table-wrap" }, B.stacking(el("table", { class: "data drivers" },
          el("thead", {}, el("tr", {}, ["KPI", "Value", "Score", "Pull"].map((t) => el("th", { text: t })))), el("tbody", {}, drivers)))));
    }
  }

  Object.assign(B.pages, { market, executive });
})(window.Bizsight);
