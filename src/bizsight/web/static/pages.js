"use strict";
// The analysis pages: Overview, Sales, Customers (and one customer), Reviews, Products. Each is a
// list of widgets over the JSON API; the global filters apply to all of them.
(function (B) {
  const { el } = B;
  function sparkline(body, xs, ys) {
    const div = el("div", { class: "chart spark" });
    body.append(div);
    Plotly.newPlot(div, [{ type: "scatter", mode: "lines", x: xs, y: ys, line: { width: 1.5 }, hoverinfo: "x+y" }],
      { margin: { l: 0, r: 0, t: 2, b: 2 }, xaxis: { visible: false }, yaxis: { visible: false }, showlegend: false, height: 48, autosize: true },
      { displayModeBar: false, responsive: true, staticPlot: false });
  }

  // What each card says under its value; the numbers, comparisons and notes come from the service.
  function comparison(c) {
    if (!c) return "";
    const dates = c.start + " – " + c.end;
    if (c.kind === "previous_year") {
      return c.previous === null ? "no revenue a year earlier (" + dates + ")" + (c.note ? ": " + c.note : "")
        : B.format(c.current, c.unit) + " vs " + B.format(c.previous, c.unit) + " a year earlier (" + dates + ")";
    }
    if (c.change_pct === null) return "no previous period (" + dates + ")" + (c.note ? ": " + c.note : "");
    const arrow = c.change_pct > 0 ? "▲ " : c.change_pct < 0 ? "▼ " : "";
    return arrow + B.format(Math.abs(c.change_pct), "percent") + " vs previous period (" + dates + ")" + (c.partial ? "; " + c.note : "");
  }

  async function overview(grid) {
    const scope = B.scope();
    const answer = await B.api("POST", "/api/v1/insights/overview", scope);
    const empty = !answer.kpis.length || !answer.kpis.some((k) => k.metric === "orders" && k.value);
    for (const kpi of answer.kpis) {
      const { body, tools } = B.card(grid, { id: "kpi-" + kpi.metric, title: kpi.title, type: "kpi", span: 3 });
      const query = B.scoped({ metrics: [kpi.metric] });
      const value = el("div", { class: "value", "data-metric": kpi.metric, title: "click for the rows behind it", text: B.format(kpi.value, kpi.unit, true) });
      value.style.cursor = "pointer";
      value.addEventListener("click", () => B.drill(query, kpi.metric, {}));
      const change = kpi.compare && kpi.compare.kind === "previous_period" ? kpi.compare.change_pct : null;
      body.replaceChildren(value,
        el("div", { class: "change " + (change > 0 ? "up" : change < 0 ? "down" : ""), "data-compare": kpi.compare ? kpi.compare.kind : "", text: kpi.note || comparison(kpi.compare) }));
      if (kpi.sparkline.length) sparkline(body, kpi.sparkline.map((r) => r.period), kpi.sparkline.map((r) => r.value));
      tools.append(B.exportButtons(B.exportQuery(B.scoped({ metrics: [kpi.metric], grain: "month" }))));
    }
    if (empty) B.notice("No orders in the chosen period: widen the date range or load data.");
    B.widget(grid, { id: "revenue-month", type: "line", title: "Revenue by month", query: { metrics: ["revenue", "gross_revenue"], grain: "month" }, span: 8 });
    B.widget(grid, { id: "revenue-region", type: "pie", title: "Revenue by region", query: { metrics: ["revenue"], dimensions: ["region"] }, span: 4 });
  }

  async function sales(grid) {
    const trendQuery = B.scoped({ metrics: ["revenue"] });
    const trendCard = { id: "trend", title: "Revenue by day with 7- and 30-day moving averages", span: 12, name: "revenue-trend" };
    const trend = await B.api("POST", "/api/v1/insights/trend", trendQuery);
    const rows = trend.rows;
    const x = rows.map((r) => r.period);
    B.figure(grid, Object.assign(trendCard, {
      rows, columns: ["period", "revenue", "ma_7", "ma_30"],
      traces: [
        { type: "scatter", mode: "lines", name: "revenue", x, y: rows.map((r) => r.revenue), line: { width: 1, color: "#9db4e8" } },
        { type: "scatter", mode: "lines", name: "7-day average", x, y: rows.map((r) => r.ma_7), line: { width: 2 } },
        { type: "scatter", mode: "lines", name: "30-day average", x, y: rows.map((r) => r.ma_30), line: { width: 2.5 } },
      ],
      layout: { xaxis: { grain: "day", periods: x } },
      onClick: (point) => B.drill(Object.assign({}, trendQuery, { grain: "day" }), "revenue", { period: rows[point.pointIndex].period }),
    }));
    B.widget(grid, { id: "category", type: "bar", title: "Revenue by category", query: { metrics: ["revenue"], dimensions: ["category"], order_by: ["-revenue"] } });
    B.widget(grid, { id: "region-month", type: "heatmap", title: "Revenue: region × month", query: { metrics: ["revenue"], dimensions: ["region"], grain: "month" } });
    B.widget(grid, { id: "new-customers", type: "bar", title: "New customers by month", query: { metrics: ["new_customers"], grain: "month" } });
    B.widget(grid, { id: "channel", type: "table", title: "Sales channels", query: { metrics: ["revenue", "orders", "average_order_value"], dimensions: ["sales_channel"] } });
  }

  async function customers(grid) {
    B.widget(grid, { id: "segment-size", type: "bar", title: "RFM segments: customers", query: { metrics: ["new_customers"], dimensions: ["rfm_segment"], order_by: ["-new_customers"] }, noDates: true });
    B.widget(grid, { id: "segment-value", type: "bar", title: "RFM segments: revenue in the period", query: { metrics: ["revenue"], dimensions: ["rfm_segment"], order_by: ["-revenue"] } });
    const f = B.filters();
    const [clv, cohorts] = await Promise.all([
      B.api("GET", "/api/v1/insights/clv"),
      B.api("GET", "/api/v1/cohorts" + (f.start ? "?start=" + f.start + "&end=" + f.end : "")),
    ]);
    const retention = cohorts.cohorts.filter((c) => c.retention !== null);
    const cohortKeys = [...new Set(retention.map((c) => c.cohort))].sort();
    const ages = [...new Set(retention.map((c) => c.months_since_first))].sort((a, b) => a - b);
    const at = new Map(retention.map((c) => [c.cohort + "|" + c.months_since_first, c.retention]));
    B.figure(grid, {
      id: "retention", title: "Cohort retention (share of the first month's customers)", name: "cohort-retention",
      rows: retention, columns: ["cohort", "months_since_first", "cohort_customers", "active_customers", "retention"],
      emptyMessage: "No cohort starts inside the chosen period: widen the date range.",
      traces: [{ type: "heatmap", x: ages, y: cohortKeys, z: cohortKeys.map((c) => ages.map((a) => at.get(c + "|" + a) ?? null)), colorscale: "Greens", reversescale: true, zmin: 0, zmax: 1, hoverongaps: false }],
      layout: { xaxis: { title: "months since first order", dtick: Math.max(1, Math.ceil(ages.length / 12)) }, yaxis: { grain: "month", periods: cohortKeys }, margin: { l: 90, r: 10, t: 10, b: 40 } },
      onClick: (point) => B.drill(B.scoped({ metrics: ["active_customers"], dimensions: ["cohort_month"], grain: "month" }), "active_customers",
        { cohort_month: cohortKeys[point.pointIndex[0]], period: addMonths(cohortKeys[point.pointIndex[0]], ages[point.pointIndex[1]]) }),
    });
    const bins = clv.counts.map((count, i) => ({ from: clv.edges[i], to: clv.edges[i + 1], customers: count }));
    B.figure(grid, {
      id: "clv", title: "Predicted CLV distribution" + (clv.customers ? " (median " + B.format(clv.median, "currency") + ")" : ""), name: "clv-distribution",
      rows: bins, columns: ["from", "to", "customers"], emptyMessage: "No CLV scores yet: run `bizsight refresh`.",
      traces: [{ type: "bar", x: bins.map((b) => (b.from + b.to) / 2), y: bins.map((b) => b.customers), width: bins.map((b) => b.to - b.from), marker: { color: "#6b8fd6" } }],
      layout: { xaxis: { title: "predicted CLV" }, yaxis: { title: "customers" } },
    });
    await churnList(grid);
    customerSearch(grid);
  }

  function addMonths(isoDate, n) {
    const d = new Date(isoDate + "T00:00:00Z"); d.setUTCMonth(d.getUTCMonth() + n); return d.toISOString().slice(0, 10);
  }

  async function churnList(grid) {
    const columns = ["customer_id", "customer_name", "region", "net_revenue", "churn_probability", "risk_band", "main_reason"];
    const link = { customer_id: (r) => "/customers/" + encodeURIComponent(r.customer_id) };
    const { body, tools } = B.card(grid, { id: "churn", title: "Churn risk: customers most likely to leave", span: 12 });
    const best = await B.api("GET", "/api/v1/customers?sort=revenue&page_size=200");
    if (!best.customers.length) { body.replaceChildren(B.empty()); return; }
    if ("churn_probability" in best.customers[0]) {
      const answer = await B.api("GET", "/api/v1/customers?sort=churn_risk&page_size=25");
      tools.append(B.exportButtons((fmt) => B.download("GET", "/api/v1/exports/customers?format=" + fmt + "&sort=churn_risk&page_size=1000")));
      body.replaceChildren(B.table(columns, answer.customers, { link, formats: { net_revenue: "currency", churn_probability: "percent" } }));
      return;
    }
    // Without churn scores (`bizsight analyze churn` builds them): the valuable customers the CLV
    // model thinks least likely to be still buying.
    const shown = ["customer_id", "customer_name", "region", "net_revenue", "rfm_segment", "p_alive", "recency_days"];
    const atRisk = best.customers.filter((c) => c.p_alive !== null && c.p_alive !== undefined).sort((a, b) => a.p_alive - b.p_alive).slice(0, 25);
    body.replaceChildren(el("p", { class: "notice", text: "No churn scores yet: these are the 200 best customers' least likely to be still buying (CLV model's P(alive))." }),
      atRisk.length ? B.table(shown, atRisk, { link, formats: { net_revenue: "currency", p_alive: "percent" } }) : B.empty());
    tools.append(B.exportButtons(B.exportShown("customers-at-risk", shown, atRisk)));
  }

  function customerSearch(grid) {
    const { body, tools } = B.card(grid, { id: "customer-list", title: "Find a customer", span: 12 });
    const input = el("input", { type: "search", id: "customer-search", placeholder: "id, name or e-mail" });
    const results = el("div", {});
    const run = async () => {
      const q = encodeURIComponent(input.value);
      const answer = await B.api("GET", "/api/v1/customers?page_size=25&search=" + q);
      results.replaceChildren(answer.customers.length ? B.table(["customer_id", "customer_name", "email", "region", "orders", "net_revenue", "rfm_segment", "clv"], answer.customers,
        { link: { customer_id: (r) => "/customers/" + encodeURIComponent(r.customer_id) }, formats: { net_revenue: "currency", clv: "currency" } }) : B.empty("No customer matches."));
    };
    input.addEventListener("change", run);
    tools.append(B.exportButtons((fmt) => B.download("GET", "/api/v1/exports/customers?format=" + fmt + "&search=" + encodeURIComponent(input.value))));
    body.replaceChildren(input, results);
    run();
  }

  async function customer(grid, params) {
    const answer = await B.api("GET", "/api/v1/customers/" + encodeURIComponent(params.customer_id));
    const c = answer.customer;
    document.getElementById("page-title").textContent = (c.customer_name || c.customer_id) + " · " + c.customer_id;
    const profile = ["customer_segment", "region", "country", "acquisition_channel", "signup_date", "orders", "net_revenue", "first_order_date", "last_order_date", "rfm_segment", "recency_days", "frequency", "monetary", "clv", "p_alive", "churn_probability", "risk_band"];
    const { body } = B.card(grid, { id: "profile", title: "Profile", span: 6 });
    // The RFM columns: frequency counts orders and monetary sums net revenue (not the CLV model's repeat purchases and average order).
    const named = { frequency: "Orders (RFM frequency)", monetary: "Net revenue (RFM monetary)", recency_days: "Days since last order (RFM recency)", p_alive: "Still a customer (p_alive)" };
    body.replaceChildren(B.table(["field", "value"], profile.filter((k) => k in c).map((k) => ({ field: named[k] || B.label(k), value: B.cell(c[k], k) }))));
    const reasons = c.reasons || [];
    const said = answer.explanation || {};
    const risk = B.card(grid, { id: "churn", title: "Churn risk", span: 6 });
    risk.body.replaceChildren(...[el("div", { class: "value", text: c.churn_probability !== undefined && c.churn_probability !== null ? B.format(c.churn_probability, "percent") : "not scored" }),
      c.p_alive !== undefined && c.p_alive !== null ? el("p", { text: "Still a customer (p_alive, purchase model): " + B.format(c.p_alive, "percent") }) : null,
      said.summary ? el("p", { class: "summary", text: said.summary }) : null,
      reasons.length ? el("ol", { class: "reasons" }, reasons.map((r) => el("li", { text: r }))) : B.empty("No churn reasons: churn scores are not built yet.")].filter(Boolean));
    const meanings = [["Segment", said.segment], ["Churn risk", said.churn_risk], ["Still a customer", said.p_alive], ["CLV", said.clv]].filter(([, text]) => text);
    if (meanings.length) {
      const card = B.card(grid, { id: "meaning", title: "What these numbers mean", span: 12 });
      card.body.replaceChildren(...[el("dl", { class: "meanings" }, meanings.flatMap(([term, text]) => [el("dt", { text: term }), el("dd", { text })])),
        said.clv_if_alive !== undefined && said.clv_if_alive !== null ? el("p", { text: "CLV if still a customer: " + B.format(said.clv_if_alive, "currency") }) : null].filter(Boolean));
    }
    B.figure(grid, { id: "orders", title: "Orders", span: 12, name: "customer-orders", rows: answer.orders, columns: ["order_id", "order_date", "product_name", "category", "quantity", "net_amount", "status"], tableOptions: { formats: { net_amount: "currency" }, labels: { product_name: "Product" }, titles: { product_name: (r) => r.product_id } } });
    B.figure(grid, { id: "reviews", title: "Reviews", span: 12, name: "customer-reviews", rows: answer.reviews || [], columns: ["review_date", "product_name", "rating", "review_text"], tableOptions: { labels: { product_name: "Product" }, titles: { product_name: (r) => r.product_id } }, emptyMessage: "No reviews." });
  }

  async function reviews(grid) {
    const [sentiment, worst] = await Promise.all([
      B.api("POST", "/api/v1/insights/sentiment", B.scope()),
      B.api("POST", "/api/v1/insights/worst-products", B.scope()),
    ]);
    const months = sentiment.months;
    const x = months.map((m) => m.month);
    B.figure(grid, {
      id: "sentiment", title: "Review sentiment by month", name: "sentiment-by-month", span: 12,
      rows: months, columns: ["month", "reviews", "mean_compound", "positive_share", "neutral_share", "negative_share", "mean_rating"],
      traces: [
        { type: "scatter", mode: "lines+markers", name: "positive share", x, y: months.map((m) => m.positive_share) },
        { type: "scatter", mode: "lines+markers", name: "negative share", x, y: months.map((m) => m.negative_share) },
        { type: "scatter", mode: "lines", name: "mean compound", x, y: months.map((m) => m.mean_compound), line: { dash: "dot" } },
      ],
      layout: { yaxis: { range: [-0.2, 1] }, xaxis: { grain: "month", periods: x } },
      onClick: (point) => B.drill(B.scoped({ metrics: ["review_count"], grain: "month" }), "review_count", { period: x[point.pointIndex] }),
    });
    B.widget(grid, { id: "rating", type: "line", title: "Average rating by month", query: { metrics: ["average_rating"], grain: "month" } });
    const products = worst.products;
    B.figure(grid, {
      id: "worst", title: "Worst-rated products (5+ reviews)", name: "worst-products",
      rows: products, columns: ["product", "product_name", "average_rating", "review_count", "negative_review_share"],
      traces: [{ type: "bar", orientation: "h", name: "Average rating", y: products.map((p) => p.product), x: products.map((p) => p.average_rating), marker: { color: "#d9776b" },
        ...B.hover(products.map((p) => p.average_rating), "stars", "%{y}") }],
      layout: { yaxis: { autorange: "reversed", type: "category", tickvals: products.map((p) => p.product), ticktext: products.map((p) => p.product_name || p.product) },
        xaxis: { range: [1, 5], title: "average rating (stars)" }, margin: { l: 80, r: 10, t: 10, b: 40 } },
      onClick: (point) => B.drill(B.scoped({ metrics: ["review_count"], dimensions: ["product"] }), "review_count", { product: products[point.pointIndex].product }),
    });
  }

  async function products(grid) {
    const found = await B.api("GET", "/api/v1/insights/affinity");
    if (found.withheld) {
      B.card(grid, { id: "affinity", title: "Product affinity", span: 12 }).body.replaceChildren(B.empty(found.withheld + "."));
    } else {
      B.figure(grid, {
        id: "pairs", title: "Bought together: strongest pairs (5+ orders, shrunk lift)", name: "product-pairs", span: 12,
        rows: found.pairs, columns: ["product_a_name", "product_b_name", "orders", "confidence_a_to_b", "lift", "shrunk_lift"],
        tableOptions: { formats: { orders: "count", confidence_a_to_b: "percent" }, labels: { orders: "Orders with both", product_a_name: "Product A", product_b_name: "Product B" },
          titles: { product_a_name: (r) => r.product_a, product_b_name: (r) => r.product_b } },
        emptyMessage: "No pair of products was bought together in 5 orders or more yet.",
      });
      const cats = [...new Set(found.categories.map((c) => c.category_from))].sort();
      const lift = new Map(found.categories.map((c) => [c.category_from + "|" + c.category_to, c.lift]));
      B.figure(grid, {
        id: "cross-sell", title: "Category cross-sell (lift: 1 = by chance)", name: "category-cross-sell", span: 6,
        rows: found.categories, columns: ["category_from", "category_to", "orders", "support", "confidence", "lift"], tableOptions: { labels: { orders: "Orders with both" } },
        traces: [{ type: "heatmap", x: cats, y: cats, z: cats.map((a) => cats.map((b) => lift.get(a + "|" + b) ?? null)), colorscale: "RdBu", reversescale: true, zmid: 1, hoverongaps: false }],
        layout: { margin: { l: 100, r: 10, t: 10, b: 80 }, xaxis: { title: "also bought" } },
      });
    }
    B.widget(grid, { id: "top-products", type: "bar", title: "Top products by revenue", query: { metrics: ["revenue"], dimensions: ["product"], order_by: ["-revenue"], limit: 15 } });
    B.widget(grid, { id: "category-units", type: "pie", title: "Units sold by category", query: { metrics: ["units"], dimensions: ["category"] } });
  }

  Object.assign(B.pages, { overview, sales, customers, customer, reviews, products });
})(Bizsight);
