"use strict";
// The Ask box of every page (in the top bar): a question in plain English goes to
// POST /api/v1/ask; the answer shows how it was read, a chart, the table and the questions to try
// (links that ask them). Rows are the caller's own: the server adds their restrictions.
(function (B) {
  const { el } = B;
  const form = document.getElementById("ask");
  const input = document.getElementById("ask-q");
  const panel = document.getElementById("ask-answer");
  if (!form || !input || !panel) return;
  if (!B.can("ask:run")) { form.hidden = true; return; }

  function chart(answer) {
    const spec = answer.chart;
    if (!spec || !answer.rows.length) return null;
    const body = el("div", { class: "ask-chart" });
    const unit = answer.units[spec.y[0]];
    const groups = new Map();
    for (const row of answer.rows) {
      const key = spec.series ? String(row[spec.series] ?? "–") : null;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(row);
    }
    const traces = [];
    for (const metric of spec.y) {
      for (const [key, rows] of groups) {
        const values = rows.map((r) => r[metric]);
        const name = [spec.y.length > 1 || !key ? B.label(metric) : null, key].filter(Boolean).join(" · ");
        traces.push(Object.assign(
          { x: rows.map((r) => r[spec.x]), y: values, name, type: spec.kind === "line" ? "scatter" : "bar" },
          spec.kind === "line" ? { mode: "lines+markers" } : {},
          B.hover(values, answer.units[metric]),
        ));
      }
    }
    const xaxis = spec.kind === "line" ? { grain: answer.query.grain, periods: answer.rows.map((r) => r.period) } : { type: "category" };
    return { body, draw: () => B.plot(body, traces, { height: 280, xaxis, yaxis: B.valueAxis(unit), showlegend: traces.length > 1 }) };
  }

  function suggestions(answer) {
    if (!answer.suggestions.length) return null;
    const heading = answer.query ? "Did you mean:" : "Questions I can answer:";
    return el("p", { class: "ask-suggestions" }, heading + " ",
      answer.suggestions.map((q, i) => [i ? " · " : null, el("a", {
        href: "#", class: "ask-suggestion", text: q,
        onclick: (event) => { event.preventDefault(); input.value = q; ask(q); },
      })]).flat());
  }

  function show(answer) {
    const close = el("button", { type: "button", class: "close", "aria-label": "close", text: "×", onclick: () => { panel.hidden = true; } });
    const parts = [
      el("header", {}, el("h2", { text: answer.question }), close),
      el("p", { class: "ask-interpretation", text: answer.interpretation }),
    ];
    const drawn = chart(answer);
    if (drawn) parts.push(drawn.body);
    if (answer.query) {
      const columns = answer.columns.map((c) => c.name);
      parts.push(answer.rows.length ? B.table(columns, answer.rows, { labels: answer.labels, formats: answer.units }) : B.empty("No rows for this question."));
      parts.push(el("p", { class: "ask-producer", text: "Read by the " + answer.producer + "." }));
    }
    const tips = suggestions(answer);
    if (tips) parts.push(tips);
    panel.replaceChildren(...parts);
    panel.hidden = false;
    panel.dataset.state = answer.query ? "answered" : "declined";
    if (drawn) drawn.draw();
  }

  async function ask(question) {
    panel.hidden = false;
    panel.dataset.state = "asking";
    panel.replaceChildren(el("p", { class: "ask-interpretation", text: "Reading “" + question + "” …" }));
    try {
      show(await B.api("POST", "/api/v1/ask", { question }));
    } catch (err) {
      panel.replaceChildren(el("p", { class: "ask-interpretation", text: err.message }));
      panel.dataset.state = "failed";
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const question = input.value.trim();
    if (question) ask(question);
  });
  // A page opened with ?ask=... (the box of a page without scripts, or a shared link) asks it.
  const asked = new URLSearchParams(location.search).get("ask");
  if (asked) { input.value = asked; ask(asked); }
})(window.Bizsight);
