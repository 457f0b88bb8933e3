"use strict";
// The Marketing page (POST /api/v1/marketing): KPI cards, spend and CAC by channel over time, the
// acquisition funnel, the channel comparison and the budget recommendations. Every number is
// formatted by B.format / B.cell and drills to its rows; spend-based figures are withheld (with a
// note) from users restricted to part of the data, since spend has no region.
(function (B) {
  const { el } = B;
  const STEPS = { impressions: "Impressions", clicks: "Clicks", signups: "Signups", first_purchase: "First purchase", repeat_purchase: "Repeat purchase" };

  function kpiCard(grid, kpi, answer) {
    const { body } = B.card(grid, { id: "kpi-" + kpi.metric, title: kpi.title, type: "kpi", span: 2 });
    if (kpi.withheld) {
      body.replaceChildren(el("div", { class: "value withheld", "data-metric": kpi.metric, text: "withheld" }),
        el("div", { class: "change", text: "spend cannot be split by your restriction" }));
      return;
    }
    const payback = kpi.metric === "payback";
    const text = payback ? (kpi.value === null ? "not yet" : B.format(kpi.value, "count") + " months") : B.format(kpi.value, kpi.unit, true);
    const value = el("div", { class: "value", "data-metric": kpi.metric, text, title: payback ? answer.payback_basis : "click for the rows behind it" });
    const drillMetric = payback ? "marketing_spend" : kpi.metric;
    value.style.cursor = "pointer";
    value.addEventListener("click", () => B.drill(B.scoped({ metrics: [drillMetric] }), drillMetric, {}));
    body.replaceChildren(value, el("div", { class: "change", text: payback ? "months until margin covered spend" : "" }));
  }

  function funnelCard(grid, steps) {
    const query = (metric) => B.scoped({ metrics: [metric] });
    B.figure(grid, {
      id: "funnel", title: "Funnel: impressions → clicks → signups → first → repeat purchase", name: "marketing-funnel", span: 6,
      rows: steps.filter((s) => s.count !== null), columns: ["step", "count", "step_rate", "overall_rate"],
      traces: [{
        type: "funnel", y: steps.map((s) => STEPS[s.step] || s.step), x: steps.map((s) => s.count),
        text: steps.map((s) => B.format(s.count, "count") + (s.step_rate === null ? "" : " (" + B.format(s.step_rate, "percent") + " of the step before)")),
        textinfo: "text", hovertemplate: "%{y}: %{text}<extra></extra>",
      }],
      layout: { margin: { l: 120, r: 10, t: 10, b: 20 }, xaxis: { type: "log" } },
      onClick: (point) => { const s = steps[point.pointNumber]; B.drill(query(s.metric), s.metric, {}); },
    });
  }

  function channelTable(grid, answer) {
    const spendShown = !answer.withheld;
    const columns = ["channel", "new_customers", ...(spendShown ? ["marketing_spend", "signups", "conversion_rate", "customer_acquisition_cost", answer.ltv_metric, "roas", "payback"] : [])];
    const rows = answer.channels.map((r) => Object.assign({}, r, { [answer.ltv_metric]: r.ltv_to_cac }));
    B.figure(grid, {
      id: "channels", title: "Channel comparison", name: "marketing-channels", span: 12, rows, columns,
      tableOptions: {
        formats: { payback: "count" }, labels: { payback: "Payback (months)" },
        onRow: (row) => B.drill(B.scoped({ metrics: ["new_customers"], dimensions: ["channel"] }), "new_customers", { channel: row.channel }),
      },
    });
  }

  function recommendations(grid, answer) {
    const { body } = B.card(grid, { id: "recommendations", title: "Recommendations", span: 6 });
    if (answer.withheld) { body.replaceChildren(B.empty(answer.withheld + ".")); return; }
    if (!answer.recommendations.length) { body.replaceChildren(B.empty("No channel with spend in this period.")); return; }
    body.replaceChildren(el("ul", { class: "recommendations" },
      answer.recommendations.map((r) => el("li", { "data-action": r.action, "data-channel": r.channel, text: r.text }))));
  }

  async function marketing(grid) {
    const answer = await B.api("POST", "/api/v1/marketing", B.scope());
    if (answer.withheld) B.notice(answer.withheld + ".");
    for (const kpi of answer.kpis) kpiCard(grid, kpi, answer);
    const paid = answer.channels.filter((c) => Number(c.marketing_spend) > 0).map((c) => c.channel);
    const onlyPaid = paid.length ? [{ dimension: "channel", op: "in", values: paid }] : [];
    if (answer.withheld) {
      B.widget(grid, { id: "new-by-channel", type: "line", title: "New customers by channel", query: { metrics: ["new_customers"], dimensions: ["channel"], grain: "month" } });
    } else {
      B.widget(grid, { id: "spend-by-channel", type: "line", title: "Marketing spend by channel", query: { metrics: ["marketing_spend"], dimensions: ["channel"], grain: "month", filters: onlyPaid } });
      B.widget(grid, { id: "cac-by-channel", type: "line", title: "CAC by channel", query: { metrics: ["customer_acquisition_cost"], dimensions: ["channel"], grain: "month", filters: onlyPaid } });
    }
    funnelCard(grid, answer.funnel);
    recommendations(grid, answer);
    channelTable(grid, answer);
    if (!answer.withheld) {
      B.widget(grid, { id: "campaigns", type: "table", title: "Campaigns", span: 12, query: { metrics: ["marketing_spend", "new_customers", "customer_acquisition_cost", "roas"], dimensions: ["campaign"], order_by: ["-marketing_spend"] } });
    }
  }

  Object.assign(B.pages, { marketing });
})(Bizsight);
