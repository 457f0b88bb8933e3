"use strict";
// The Reports page: report definitions (template, period, recipients, schedule and next run, the
// last delivery), a form to add one, "Preview" (the email body in a frame, or the PDF), "Send now"
// (a job, followed to its end) and the delivery log; and the "Subscribe" button of a dashboard.
// Every action is a call to the JSON API; the server decides who may do what.
(function (B) {
  const { el } = B;
  const RANGES = ["", "last_7_days", "last_30_days", "last_90_days", "last_month", "last_quarter", "last_12_months",
    "this_month", "month_to_date", "quarter_to_date", "year_to_date", "last_year"];
  const PRESETS = [["weekly on monday at 07:00", "Mondays at 07:00"], ["daily at 07:00", "every day at 07:00"],
    ["0 7 1 * *", "the 1st of each month at 07:00"], ["", "no schedule (send by hand)"]];
  const POLL_MS = 1000;
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const utc = (iso) => (iso ? iso.replace("T", " ").slice(0, 16) + " UTC" : "–");
  const local = (iso) => (iso ? iso.replace("T", " ").slice(0, 16) : "–");
  const who = (r) => r.recipients.map((x) => (x.to === x.channel ? x.to : `${x.channel}:${x.to}`)).join(", ") || "nobody";

  async function reports(grid) {
    const status = el("p", { id: "report-status", class: "hint", "aria-live": "polite" });
    const preview = el("div", { id: "report-preview" });
    const list = B.card(grid, { id: "reports", title: "Reports", span: 12 });
    const log = B.card(grid, { id: "deliveries", title: "Delivery log", span: 12 });
    const refresh = async () => {
      const [answer, deliveries] = await Promise.all([B.api("GET", "/api/v1/reports"), B.api("GET", "/api/v1/deliveries?limit=100")]);
      list.body.replaceChildren(answer.reports.length ? table(answer.reports, status, preview, refresh)
        : B.empty("No reports yet." + (B.can("reports:manage") ? " Add one below." : " Subscribe to a dashboard from its page.")), status, preview);
      log.body.replaceChildren(logTable(deliveries.deliveries));
    };
    await refresh();
    if (B.can("reports:manage")) await form(grid, refresh);
  }

  function table(rows, status, preview, refresh) {
    const columns = ["name", "template", "period", "recipients", "schedule (next run)", "last delivery", ""];
    return el("div", { class: "table-wrap" }, B.stacking(el("table", { id: "report-list" },
      el("thead", {}, el("tr", {}, columns.map((c) => el("th", { text: c })))),
      el("tbody", {}, rows.map((r) => el("tr", { "data-report": r.name },
        el("td", { text: r.name + (r.owner ? ` (${r.owner})` : "") }),
        el("td", { text: r.template + (r.dashboard_id ? " " + r.dashboard_id : "") }),
        el("td", { text: [r.period, ...r.filters].join(" · ") }),
        el("td", { text: who(r) + " · " + (r.formats.join(", ") || "email only") }),
        el("td", { class: "schedule", text: r.schedule ? `${r.schedule.description} (${local(r.schedule.next_run_local)} ${r.schedule.timezone})` : "–" }),
        el("td", { class: "last-run", "data-status": r.last_run ? r.last_run.status : "", text: lastRun(r.last_run) }),
        el("td", {},
          el("button", { type: "button", class: "small preview", text: "Preview", onclick: () => show(r, preview) }), " ",
          el("a", { class: "small", target: "_blank", rel: "noopener", href: `/api/v1/reports/${r.id}/preview?format=pdf`, text: "PDF" }), " ",
          el("button", { type: "button", class: "small send-now", text: "Send now", onclick: (e) => sendNow(r, e.target, status, refresh) }), " ",
          el("button", { type: "button", class: "small remove-report", text: "Remove", onclick: async () => {
            if (!window.confirm(`Remove the report ${r.name}? Its delivery log stays.`)) return;
            await B.api("DELETE", "/api/v1/reports/" + r.id); await refresh();
          } }))))))));
  }

  function lastRun(run) {
    if (!run) return "never sent";
    const counts = Object.entries(run.deliveries).filter(([, n]) => n).map(([k, n]) => `${B.format(n, "count")} ${k}`).join(", ");
    return `${run.status} · ${utc(run.created_at)}` + (counts ? ` (${counts})` : "");
  }

  function show(report, into) {
    // The email body as it would be sent now, in a frame that runs no script.
    const frame = el("iframe", { id: "preview-frame", title: "preview of " + report.name, sandbox: "allow-same-origin", src: `/api/v1/reports/${report.id}/preview?format=html` });
    into.replaceChildren(el("h3", { text: "Preview · " + report.name }), frame);
  }

  async function sendNow(report, button, status, refresh) {
    button.disabled = true;
    try {
      let job = await B.api("POST", `/api/v1/reports/${report.id}/send`);
      status.textContent = line(job);
      if (B.can("jobs:read")) {
        for (;;) {
          job = await B.api("GET", "/api/v1/jobs/" + job.id);
          status.textContent = line(job);
          if (!["queued", "running"].includes(job.state)) break;
          await sleep(POLL_MS);
        }
      } else { // viewers follow their report's last run instead of the job list
        const before = report.last_run ? report.last_run.id : 0;
        for (let i = 0; i < 300; i += 1) {
          const now = await B.api("GET", "/api/v1/reports/" + report.id);
          if (now.last_run && now.last_run.id !== before && now.last_run.status !== "pending") break;
          await sleep(POLL_MS);
        }
        status.textContent = `sent ${report.name}`;
      }
      await refresh();
    } catch (err) { status.textContent = err.message; status.className = "error"; }
    button.disabled = false;
  }

  function line(job) {
    const pct = Math.round((job.progress || 0) * 100);
    const res = job.result || {};
    const done = job.state === "succeeded" ? ` · ${B.format(res.sent, "count")} sent, ${B.format(res.failed, "count")} failed` : "";
    return `${job.label || job.kind} #${job.id}: ${job.state}` + (job.state === "running" ? ` · ${pct} % · ${job.message}` : "") + done +
      (job.error ? " · " + job.error : "");
  }

  function logTable(rows) {
    if (!rows.length) return B.empty("Nothing delivered yet.");
    const columns = ["time", "report", "channel", "recipient", "status", "attempts", "last error"];
    return el("div", { class: "table-wrap" }, B.stacking(el("table", { id: "delivery-log" },
      el("thead", {}, el("tr", {}, columns.map((c) => el("th", { text: c })))),
      el("tbody", {}, rows.map((d) => el("tr", { "data-delivery": d.id, "data-status": d.status },
        el("td", { text: utc(d.sent_at || d.created_at) }), el("td", { text: d.report || "–" }),
        el("td", { text: d.channel }), el("td", { text: d.recipient }),
        el("td", { class: "status", text: d.status }),
        el("td", { class: "num attempts", text: B.format(d.attempts, "count") }),
        el("td", { class: d.status === "failed" ? "error" : "hint", text: d.last_error || "" })))))));
  }

  async function form(grid, refresh) {
    const { body } = B.card(grid, { id: "add-report", title: "Add a report", span: 12 });
    const answer = await B.api("GET", "/api/v1/reports/templates");
    const name = el("input", { id: "r-name", placeholder: "weekly-sales", required: true });
    const template = el("select", { id: "r-template" }, answer.templates.map((t) => el("option", { value: t.name, text: `${t.title} (${t.name})` })));
    const range = el("select", { id: "r-range" }, RANGES.map((r) => el("option", { value: r, text: r ? B.label(r) : "the template's period" })));
    const where = el("input", { id: "r-where", placeholder: "region=Europe (optional)" });
    const formats = ["pdf", "xlsx", "csv"].map((f) => el("label", { class: "inline" }, f.toUpperCase(), el("input", { type: "checkbox", class: "r-format", value: f, checked: f === "pdf" })));
    const to = el("input", { id: "r-to", placeholder: "mail:ann@example.com, slack", required: true });
    const when = el("select", { id: "r-when" }, PRESETS.map(([v, t]) => el("option", { value: v, text: t })));
    const zone = el("input", { id: "r-timezone", value: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC" });
    const out = el("span", { id: "r-result" });
    body.replaceChildren(el("form", { class: "builder", id: "report-form", onsubmit: async (e) => {
      e.preventDefault();
      out.textContent = ""; out.className = "";
      const made = {
        name: name.value, template: template.value, range: range.value || null,
        where: where.value.split(";").map((w) => w.trim()).filter(Boolean),
        formats: formats.map((l) => l.querySelector("input")).filter((i) => i.checked).map((i) => i.value),
        recipients: to.value.split(/[ ,]+/).filter(Boolean).map((text) => {
          const [channel, ...rest] = text.split(":");
          return { channel, to: rest.join(":") || null };
        }),
      };
      try {
        const report = await B.api("POST", "/api/v1/reports", made);
        if (when.value) await B.api("PUT", `/api/v1/reports/${report.id}/schedule`, { when: when.value, timezone: zone.value || "UTC" });
        out.textContent = `Added ${report.name}.`;
        await refresh();
      } catch (err) { out.textContent = err.message; out.className = "error"; }
    } }, el("label", {}, "Name", name), el("label", {}, "Template", template), el("label", {}, "Period", range),
    el("label", {}, "Only rows where", where), el("span", {}, "Attach: ", ...formats), el("label", {}, "Send to", to),
    el("label", {}, "Schedule", when), el("label", {}, "Time zone", zone), el("button", { type: "submit", id: "r-add", text: "Add report" }), out));
  }

  // A dashboard's "Subscribe": the caller receives it by email (a report of template dashboard).
  function subscribeButton(dashboardId) {
    const out = el("span", { class: "hint", id: "subscribe-status" });
    const button = el("button", { type: "button", id: "d-subscribe", text: "Subscribe", onclick: async () => {
      const to = B.boot.user.username.includes("@") ? null : window.prompt("Your email address");
      try {
        const report = await B.api("POST", `/api/v1/dashboards/${dashboardId}/subscribe`, to ? { to } : {});
        out.textContent = `Subscribed: ${report.schedule ? report.schedule.description : "sent by hand"} (see Reports).`;
      } catch (err) { out.textContent = err.message; out.className = "error"; }
    } });
    return el("span", {}, button, " ", out);
  }

  B.reports = { subscribeButton };
  Object.assign(B.pages, { reports });
})(Bizsight);
