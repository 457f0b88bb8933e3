"use strict";
// The Insights panel of the Overview and Executive pages: what changed and why over the last
// complete quarter, ranked by impact, and the recommendations that follow (GET /api/v1/insights,
// docs/insights.md). The sentences come written by the server's presentation layer; each insight
// with a drill-down opens the rows behind it.
(function (B) {
  const { el } = B;

  function drillButton(link) {
    const button = el("button", { type: "button", class: "small", text: "Rows" });
    button.title = "the rows behind it";
    button.addEventListener("click", () => B.drill(link.query, link.metric, link.cell || {}));
    return button;
  }

  function insightItem(i) {
    const item = el("li", { class: "insight " + i.direction, "data-kind": i.kind },
      el("strong", { text: i.title }), " ", el("span", { class: "hint", text: "impact " + i.impact_text }),
      el("p", { class: "insight-text", text: i.text }));
    if (i.drill) item.append(drillButton(i.drill));
    return item;
  }

  function adviceItem(r) {
    const facts = r.priority + " priority · " + r.confidence + " confidence" +
      (r.expected_impact_text ? " · expected impact " + r.expected_impact_text : "");
    const item = el("li", { class: "advice", "data-priority": r.priority, "data-action": r.action },
      el("strong", { text: r.title }), " ", el("span", { class: "badge " + r.priority, text: facts }),
      el("p", { text: r.text }), el("p", { class: "hint", text: r.why }));
    if (r.link && r.link.page) item.append(el("a", { href: r.link.page, text: "Open" }));
    else if (r.link && r.link.query) item.append(drillButton(r.link));
    return item;
  }

  async function panel(grid) {
    const { body } = B.card(grid, { id: "insights", title: "Insights", span: 12 });
    try {
      const answer = await B.api("GET", "/api/v1/insights");
      const period = el("p", { class: "hint", id: "insights-period",
        text: answer.start + " – " + answer.end + " against " + answer.previous_start + " – " + answer.previous_end +
          (answer.restricted ? " · worked out from your rows" : "") + "; ranked by impact" });
      const found = answer.insights.length ? el("ol", { class: "insights", id: "insight-list" }, answer.insights.map(insightItem))
        : el("p", { class: "hint", text: "Nothing stood out in this period." });
      const advice = el("ol", { class: "recommendations", id: "recommendation-list" }, answer.recommendations.map(adviceItem));
      body.replaceChildren(period, found, el("h3", { text: "Recommendations" }),
        answer.recommendations.length ? advice : el("p", { class: "hint", text: "No recommendation for this period." }));
    } catch (err) {
      body.replaceChildren(el("p", { class: "hint", text: "Insights are not available: " + err.message }));
    }
  }

  for (const name of ["overview", "executive"]) {
    const page = B.pages[name];
    // The panel draws after the page's own cards, without holding them up (it may take a few
    // seconds the first time after a refresh, or for a restricted user).
    if (page) B.pages[name] = async (grid, params) => { await page(grid, params); panel(grid); };
  }
  B.insightsPanel = panel;
})(window.Bizsight);
