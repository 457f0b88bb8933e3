"use strict";
// Alerts on the KPI monitor page: the rules with their state, last value (written by the
// presentation's B.format), severity and checks; acknowledge, test (a dry run), remove; the
// history of a rule; and a form to add a threshold, change, anomaly or pacing rule on any metric
// of the catalogue, with a filter. Everything goes through /api/v1/alerts.
(function (B) {
  const { el } = B;
  const WINDOWS = ["last_month", "last_7_days", "last_30_days", "last_90_days", "last_12_months", "yesterday", "today",
    "this_week", "this_month", "month_to_date", "last_quarter", "this_quarter", "quarter_to_date", "this_year", "last_year", "year_to_date"];
  const path = (name, tail) => "/api/v1/alerts/" + encodeURIComponent(name) + (tail || "");

  function value(rule) {
    if (rule.last_value === null || rule.last_value === undefined) return "–";
    return B.format(rule.last_value, rule.value_unit || B.unitOf(rule.metric));
  }
  function when(iso) { return iso ? iso.slice(0, 16).replace("T", " ") + " UTC" : "–"; }
  function select(id, options, chosen) {
    const node = el("select", { id, name: id }, options.map(([v, text]) => el("option", { value: v, text })));
    if (chosen !== undefined) node.value = chosen;
    return node;
  }
  function field(text, input, kinds) {
    return el("label", { "data-kinds": kinds || null }, text + " ", input);
  }

  async function alerts(grid) {
    const card = B.card(grid, { id: "alerts", title: "Alerts", span: 12 });
    const message = el("p", { class: "notice", id: "alerts-message", hidden: true });
    const list = el("div", { class: "table-wrap", id: "alerts-list" });
    const history = el("div", { id: "alert-history" });
    card.body.replaceChildren(message, list, history);
    const say = (text) => { message.textContent = text || ""; message.hidden = !text; };
    const act = async (work) => {
      try { await work(); } catch (err) { say(err.message); }
      await load();
    };

    async function showHistory(name) {
      const found = await B.api("GET", path(name, "/history"));
      const rows = found.events.map((e) => el("tr", {},
        el("td", { text: when(e.at) }), el("td", { text: e.kind + (e.actor ? " by " + e.actor : "") }),
        el("td", {}, el("span", { class: "pill alert-" + e.status, text: e.status })),
        el("td", { class: "error", text: e.detail }),
        el("td", { text: e.deliveries.map((d) => d.channel + ":" + d.recipient + " " + d.status).join(", ") || "–" })));
      history.replaceChildren(el("h3", { text: "History of " + name }), rows.length
        ? el("table", { class: "data", id: "alert-history-table" }, el("thead", {}, el("tr", {}, ["When", "Event", "State", "Detail", "Sent to"].map((h) => el("th", { text: h })))), el("tbody", {}, rows))
        : B.empty("Nothing said yet."));
    }

    async function test(name) {
      const seen = await B.api("POST", path(name, "/test"), { send: false });
      const would = seen.would_send.map((w) => "'" + w.subject + "' to " + (w.recipients.join(", ") || "nobody"));
      say("Test of " + name + ": " + (seen.error || seen.detail || "nothing to judge by") + " — " +
        (would.length ? "would send " + would.join("; ") : "would send nothing now") + " (nothing was stored or sent).");
    }

    async function load() {
      let found;
      try { found = await B.api("GET", "/api/v1/alerts"); } catch (err) { list.replaceChildren(B.empty(err.message)); return; }
      if (!found.alerts.length) { list.replaceChildren(B.empty("No alerts yet" + (B.can("alerts:manage") ? ": add one below." : "."))); return; }
      const rows = found.alerts.map((r) => {
        const buttons = [el("button", { type: "button", class: "small", text: "History", onclick: () => act(() => showHistory(r.name)) })];
        if (r.status === "triggered" && B.can("alerts:acknowledge")) {
          buttons.push(el("button", { type: "button", class: "small primary", "data-action": "ack", text: "Acknowledge",
            onclick: () => act(async () => { await B.api("POST", path(r.name, "/ack")); say("Acknowledged " + r.name + "."); }) }));
        }
        if (B.can("alerts:manage")) {
          buttons.push(el("button", { type: "button", class: "small", "data-action": "test", text: "Test", onclick: () => act(() => test(r.name)) }));
          buttons.push(el("button", { type: "button", class: "small", "data-action": "remove", text: "Remove",
            onclick: () => { if (window.confirm("Remove the alert " + r.name + " and its history?")) act(async () => { await B.api("DELETE", path(r.name)); say("Removed " + r.name + "."); }); } }));
        }
        return el("tr", { "data-alert": r.name },
          el("td", { text: r.name + (r.enabled ? "" : " (paused)") }),
          el("td", { text: r.kind + " · " + B.label(r.metric) }),
          el("td", {}, el("span", { class: "pill alert-" + r.status, "data-status": r.status, text: r.status })),
          el("td", { class: "num", text: value(r) }),
          el("td", { text: r.severity }),
          el("td", { text: when(r.last_checked) }),
          el("td", { text: r.next_check ? when(r.next_check) : "after a refresh" }),
          el("td", { class: "error", text: r.error || "" }),
          el("td", {}, buttons));
      });
      list.replaceChildren(el("table", { class: "data", id: "alerts-table" },
        el("thead", {}, el("tr", {}, ["Alert", "Watches", "State", "Last value", "Severity", "Checked", "Next check", "Error", ""].map((h) => el("th", { text: h })))),
        el("tbody", {}, rows)));
    }

    if (B.can("alerts:manage")) card.body.append(await form((definition, recipients, escalation) => act(async () => {
      await B.api("POST", "/api/v1/alerts", { definition, recipients, escalation });
      say("Added " + definition.name + ": it is checked after each refresh and on the alerts schedules.");
    })));
    await load();
  }

  async function form(submit) {
    const cat = await B.catalogue();
    const metrics = Object.keys(cat.metrics).map((m) => [m, B.label(m)]).sort((a, b) => a[1].localeCompare(b[1]));
    const dims = [["", "(none)"], ...Object.keys(cat.dimensions).map((d) => [d, B.label(d)]).sort((a, b) => a[1].localeCompare(b[1]))];
    const input = (id, attrs) => el("input", Object.assign({ id, name: id }, attrs || {}));
    const f = {
      name: input("alert-name", { required: true, maxlength: "100", placeholder: "low revenue" }),
      kind: select("alert-kind", [["threshold", "above / below a value"], ["change", "% change"], ["anomaly", "anomaly"], ["pacing", "target behind"]]),
      metric: select("alert-metric", metrics, "revenue" in cat.metrics ? "revenue" : undefined),
      direction: select("alert-direction", [["below", "below"], ["above", "above"]]),
      value: input("alert-value", { type: "number", step: "any", placeholder: "1000, or -0.1 for -10 %", title: "threshold: in the metric's unit; change: a fraction (-0.1 is -10 %)" }),
      compare: select("alert-compare", [["previous_period", "previous period"], ["previous_year", "previous year"]]),
      minSeverity: select("alert-min-severity", [["low", "low"], ["medium", "medium"], ["high", "high"]], "medium"),
      probability: input("alert-probability", { type: "number", step: "0.05", min: "0", max: "1", placeholder: "status at risk" }),
      dimension: select("alert-dimension", dims, ""),
      dimValue: input("alert-dimension-value", { placeholder: "Europe" }),
      window: select("alert-window", WINDOWS.map((w) => [w, w.replace(/_/g, " ")]), "last_month"),
      severity: select("alert-severity", [["low", "low"], ["medium", "medium"], ["high", "high"]], "medium"),
      cooldown: input("alert-cooldown", { value: "24h", size: "6" }),
      escalateAfter: input("alert-escalate-after", { placeholder: "2h", size: "6" }),
      to: input("alert-to", { required: true, placeholder: "mail:ann@example.com, ops" }),
      escalateTo: input("alert-escalate-to", { placeholder: "mail:boss@example.com" }),
    };
    const node = el("form", { class: "filters", id: "alert-form" },
      field("Name", f.name), field("Kind", f.kind), field("Metric", f.metric), field("Direction", f.direction, "threshold change"),
      field("Value", f.value, "threshold change"), field("Compare with", f.compare, "change"), field("Min. severity", f.minSeverity, "anomaly"),
      field("Probability below", f.probability, "pacing"), field("Filter", f.dimension), field("equal to", f.dimValue), field("Window", f.window),
      field("Severity", f.severity), field("Cooldown", f.cooldown), field("Escalate after", f.escalateAfter),
      field("Send to", f.to), field("Escalate to", f.escalateTo), el("button", { type: "submit", class: "primary", text: "Add alert" }));
    const shape = () => node.querySelectorAll("[data-kinds]").forEach((label) => { label.hidden = !label.dataset.kinds.split(" ").includes(f.kind.value); });
    f.kind.addEventListener("change", shape);
    shape();
    const list = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);
    node.addEventListener("submit", (event) => {
      event.preventDefault();
      const kind = f.kind.value;
      const d = { name: f.name.value.trim(), kind, metric: f.metric.value, window: f.window.value, severity: f.severity.value };
      if (kind === "threshold" || kind === "change") { d.direction = f.direction.value; d.value = Number(f.value.value); }
      if (kind === "change") d.compare = f.compare.value;
      if (kind === "anomaly") d.min_severity = f.minSeverity.value;
      if (kind === "pacing" && f.probability.value !== "") d.probability_below = Number(f.probability.value);
      if (f.dimension.value && f.dimValue.value.trim()) d.filters = { [f.dimension.value]: list(f.dimValue.value) };
      if (f.cooldown.value.trim()) d.cooldown = f.cooldown.value.trim();
      if (f.escalateAfter.value.trim()) d.escalate_after = f.escalateAfter.value.trim();
      submit(d, list(f.to.value), list(f.escalateTo.value));
    });
    return el("div", { id: "alert-add" }, el("h3", { text: "Add an alert" }), node);
  }

  B.alerts = alerts;
})(window.Bizsight);
