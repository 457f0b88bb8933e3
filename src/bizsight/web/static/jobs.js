"use strict";
// Loading data and the jobs the server runs: the upload area and "Refresh now" on the Data page
// (editors and admins), the Jobs page (live progress, history, errors, cancel) and the schedules
// in Settings. Everything here is a call to the JSON API; the server decides who may do what.
(function (B) {
  const { el } = B;
  const ACTIVE = ["queued", "running"];
  const POLL_MS = 1000;
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const mb = (bytes) => (bytes / 1048576).toFixed(bytes < 1048576 ? 2 : 1) + " MB";

  // --- following a job -----------------------------------------------------------------------
  async function follow(id, onUpdate) {
    for (;;) {
      const job = await B.api("GET", "/api/v1/jobs/" + id);
      onUpdate(job);
      if (!ACTIVE.includes(job.state)) return job;
      await sleep(POLL_MS);
    }
  }

  function progressLine(job) {
    const pct = Math.round((job.progress || 0) * 100);
    return `${job.label || job.kind} #${job.id}: ${job.state}` + (job.state === "running" ? ` · ${pct} %` : "") +
      (job.message && ACTIVE.includes(job.state) ? ` · ${job.message}` : "");
  }

  // The end of a job, for people: per file what was read, loaded, quarantined (and why) and
  // skipped as duplicates, each load's quality report one click away; or the error.
  function result(job) {
    const box = el("div", { class: "job-result", "data-job": job.id, "data-state": job.state });
    box.append(el("p", { class: job.state === "succeeded" ? "" : "error", text: progressLine(job) }));
    if (job.error) box.append(el("p", { class: "error job-error", text: job.error }));
    for (const warning of job.warnings || []) box.append(el("p", { class: "hint", text: "warning: " + warning }));
    const res = job.result;
    if (!res) return box;
    if (res.files) {
      const rows = res.files.map((f) => ({
        file: (f.file || "").split(/[\\/]/).pop(), entity: f.entity, read: f.rows_read, loaded: f.loaded,
        quarantined: f.quarantined, duplicates: f.duplicates_skipped,
        reasons: Object.entries(f.quarantined_by_rule || {}).map(([rule, n]) => `${rule}: ${n}`).join("; ") || "–",
        load_id: f.load_id, already: f.already_loaded_as,
      }));
      const reports = el("div", { class: "quality-reports" });
      const table = el("table", { class: "ingest-files" },
        el("thead", {}, el("tr", {}, ["file", "entity", "read", "loaded", "quarantined", "duplicates", "quarantine reasons", ""].map((c) => el("th", { text: c })))),
        el("tbody", {}, rows.map((r) => el("tr", { "data-file": r.file },
          el("td", { text: r.file }), el("td", { text: r.entity || "–" }),
          ...["read", "loaded", "quarantined", "duplicates"].map((c) => el("td", { class: "num", text: B.format(r[c], "count") })),
          el("td", { class: "reasons", text: r.reasons }),
          el("td", {}, r.load_id && B.can("data:quality")
            ? el("button", { type: "button", class: "small quality-link", text: "quality report", onclick: () => qualityReport(r.load_id, reports) })
            : el("span", { class: "hint", text: r.already ? `already loaded (load ${r.already})` : "" }))))));
      box.append(el("div", { class: "table-wrap" }, B.stacking(table)), reports);
      if ((res.skipped_files || []).length) box.append(el("p", { class: "hint", text: "skipped (not recognised): " + res.skipped_files.map((p) => p.split(/[\\/]/).pop()).join(", ") }));
    } else if (res.tables) {
      const tables = Object.entries(res.tables).map(([table, rows]) => ({ table, rows }));
      box.append(el("p", { text: `data version ${res.data_version} · ${tables.length} tables rebuilt in ${res.seconds} s` }));
    } else {
      box.append(el("pre", { class: "hint", text: JSON.stringify(res, null, 2) }));
    }
    return box;
  }

  // A load's quality report: its counts (the CLI's: duplicates are exact and re-sent together),
  // the empty values per column (quarantined rows included), the quarantine rules.
  function qualityView(r) {
    const missing = Object.entries(r.missing_share || {}).map(([column, share]) => ({
      column, missing_rows: (r.missing_rows || {})[column] ?? null, missing: share,
      quarantined: (r.missing_rows_quarantined || {})[column] ?? null,
    }));
    const rules = Object.entries(r.quarantined_by_rule || {}).map(([rule, rows]) => ({ rule, rows }));
    const duplicates = r.duplicates ?? (r.exact_duplicates || 0) + (r.resent_duplicates || 0);
    const count = (n) => B.format(n, "count");
    return [
      el("p", { class: "quality-summary", text: `${r.entity} · ${r.file} · read ${count(r.rows_read)}, loaded ${count(r.loaded ?? r.inserted)}, quarantined ${count(r.quarantined)}, duplicates ${count(duplicates)}; invariant ${r.invariant_holds ? "holds" : "BROKEN"}` }),
      B.table(["column", "missing_rows", "missing", "quarantined"], missing, { labels: { missing_rows: "Empty values", missing: "Share empty", quarantined: "Of them quarantined" } }),
      rules.length ? B.table(["rule", "rows"], rules) : el("p", { text: "No rows quarantined." }),
    ];
  }
  B.qualityView = qualityView;

  async function qualityReport(loadId, into) {
    const existing = into.querySelector(`[data-load="${loadId}"]`);
    if (existing) { existing.remove(); return; } // a second click folds it away
    const box = el("div", { class: "quality-report", "data-load": loadId }, el("p", { text: "Loading…" }));
    into.append(box);
    try {
      const r = await B.api("GET", "/api/v1/data/loads/" + loadId + "/quality");
      box.replaceChildren(el("h3", { text: `Quality report · load ${loadId}` }), ...qualityView(r));
    } catch (err) { box.replaceChildren(el("p", { class: "error", text: err.message })); }
  }

  // --- the Data page: upload, refresh ----------------------------------------------------------
  function send(files, onProgress) {
    // XMLHttpRequest, not fetch: it reports upload progress.
    return new Promise((resolve, reject) => {
      const form = new FormData();
      for (const file of files) form.append("files", file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/v1/ingest");
      xhr.setRequestHeader("X-CSRF-Token", B.boot.csrf || "");
      xhr.responseType = "json";
      xhr.upload.addEventListener("progress", (e) => { if (e.lengthComputable) onProgress(e.loaded, e.total); });
      xhr.addEventListener("load", () => {
        const answer = xhr.response || {};
        if (xhr.status === 202) resolve(answer);
        else reject(new Error((answer.error && answer.error.message) || `upload refused (${xhr.status})`));
      });
      xhr.addEventListener("error", () => reject(new Error("the upload did not reach the server")));
      xhr.send(form);
    });
  }

  function loadPanel(grid, onDone) {
    const limitMb = (B.boot.limits && B.boot.limits.max_upload_mb) || 200;
    const { body } = B.card(grid, { id: "load", title: "Load data", span: 12 });
    const input = el("input", { type: "file", id: "upload-input", multiple: true, accept: ".csv,.tsv,.xlsx,.parquet,.jsonl" });
    const bar = el("progress", { id: "upload-progress", max: 100, value: 0, hidden: true });
    const status = el("span", { id: "upload-status", class: "hint" });
    const out = el("div", { id: "job-result", "aria-live": "polite" });
    let busy = false;
    const run = async (start) => {
      if (busy) return;
      busy = true; refresh.disabled = true; input.disabled = true;
      try {
        const job = await start();
        const done = await follow(job.id, (j) => {
          bar.hidden = false; bar.value = Math.round((j.progress || 0) * 100);
          status.textContent = progressLine(j);
        });
        status.textContent = progressLine(done);
        out.replaceChildren(result(done));
        if (done.state === "succeeded" && onDone) await onDone();
      } catch (err) {
        status.textContent = "";
        out.replaceChildren(el("p", { class: "error", id: "upload-error", text: err.message }));
      } finally {
        busy = false; refresh.disabled = false; input.disabled = false; input.value = "";
      }
    };
    const upload = (files) => {
      files = Array.from(files || []);
      if (!files.length) return;
      const total = files.reduce((n, f) => n + f.size, 0);
      if (total > limitMb * 1048576) {
        out.replaceChildren(el("p", { class: "error", id: "upload-error", text: `${mb(total)} is more than the ${limitMb} MB the server takes at once.` }));
        return;
      }
      out.replaceChildren();
      run(async () => {
        bar.hidden = false; bar.value = 0;
        status.textContent = `uploading ${files.length} file${files.length > 1 ? "s" : ""} (${mb(total)})…`;
        const job = await send(files, (done, all) => { bar.value = Math.round((100 * done) / all); });
        status.textContent = `uploaded; ${progressLine(job)}`;
        return job;
      });
    };
    input.addEventListener("change", () => upload(input.files));
    const zone = el("div", { class: "drop-zone", id: "upload-area" },
      el("p", {}, "Drop files here, or ", el("label", { class: "file-pick" }, "choose files", input)),
      el("p", { class: "hint", text: `CSV, TSV, Excel, Parquet or JSON lines, named as ingest expects (sales_transactions.csv, customer_database.csv, …); up to ${limitMb} MB per upload.` }));
    for (const name of ["dragenter", "dragover"]) zone.addEventListener(name, (e) => { e.preventDefault(); zone.classList.add("over"); });
    for (const name of ["dragleave", "drop"]) zone.addEventListener(name, (e) => { e.preventDefault(); zone.classList.remove("over"); });
    zone.addEventListener("drop", (e) => upload(e.dataTransfer && e.dataTransfer.files));
    const refresh = el("button", { type: "button", id: "refresh-now", class: "primary", text: "Refresh now",
      onclick: () => run(() => B.api("POST", "/api/v1/refresh")) });
    body.replaceChildren(zone,
      el("div", { class: "toolbar" }, refresh, bar, status,
        B.can("jobs:read") ? el("a", { href: "/jobs", text: "all jobs" }) : null),
      out);
  }

  // --- the Jobs page ---------------------------------------------------------------------------
  async function jobs(grid) {
    const { node, body } = B.card(grid, { id: "jobs", title: "Jobs", span: 12 });
    const detail = B.card(grid, { id: "job-detail", title: "Job", span: 12 });
    detail.body.replaceChildren(B.empty("Click a job to see its result or error."));
    const kind = el("select", { id: "jobs-kind" }, ["", "ingest", "refresh", "backup", "watch", "alerts", "deliver"].map((k) => el("option", { value: k, text: k || "all kinds" })));
    const state = el("select", { id: "jobs-state" }, ["", "queued", "running", "succeeded", "failed", "cancelled", "interrupted"].map((s) => el("option", { value: s, text: s || "all states" })));
    const list = el("div", { id: "jobs-list" });
    let shown = null;
    const cancel = async (job, button) => {
      button.disabled = true;
      try { await B.api("POST", `/api/v1/jobs/${job.id}/cancel`); } catch (err) { B.notice(err.message); }
      load();
    };
    const draw = (rows) => {
      if (!rows.length) { list.replaceChildren(B.empty("No jobs yet.")); return; }
      const columns = ["id", "job", "state", "progress", "step", "by", "created", "finished", "error", ""];
      list.replaceChildren(el("div", { class: "table-wrap" }, B.stacking(el("table", {},
        el("thead", {}, el("tr", {}, columns.map((c) => el("th", { text: c })))),
        el("tbody", {}, rows.map((j) => {
          const tr = el("tr", { class: "clickable", "data-job": j.id, "data-state": j.state },
            el("td", { class: "num", text: String(j.id) }), el("td", { text: j.label || j.kind }),
            el("td", {}, el("span", { class: "pill state-" + j.state, text: j.state })),
            el("td", {}, ACTIVE.includes(j.state) ? el("progress", { max: 100, value: Math.round(j.progress * 100) }) : el("span", { text: Math.round(j.progress * 100) + " %" })),
            el("td", { text: j.message || "–" }), el("td", { text: (j.requested_by || "schedule") + " · " + j.origin }),
            el("td", { text: (j.created_at || "").replace("T", " ").slice(0, 19) }),
            el("td", { text: (j.finished_at || "–").replace("T", " ").slice(0, 19) }),
            el("td", { class: "error", text: j.error || "" }),
            el("td", {}, ACTIVE.includes(j.state) && B.can("data:load") && !j.cancel_requested
              ? el("button", { type: "button", class: "small cancel-job", text: "Cancel", onclick: (e) => { e.stopPropagation(); cancel(j, e.target); } })
              : null));
          tr.addEventListener("click", () => { shown = j.id; detail.body.replaceChildren(result(j)); });
          return tr;
        }))))));
      const current = rows.find((j) => j.id === shown);
      if (current) detail.body.replaceChildren(result(current));
    };
    let timer = null;
    const load = async () => {
      clearTimeout(timer);
      if (!document.body.contains(node)) return; // the page was drawn again: this poll ends
      const query = new URLSearchParams({ limit: "100" });
      if (kind.value) query.set("kind", kind.value);
      if (state.value) query.set("state", state.value);
      try {
        const answer = await B.api("GET", "/api/v1/jobs?" + query.toString());
        draw(answer.jobs);
        // every second while anything runs; now and then otherwise, to see new jobs
        timer = setTimeout(load, answer.jobs.some((j) => ACTIVE.includes(j.state)) ? POLL_MS : 10 * POLL_MS);
      } catch (err) { list.replaceChildren(el("p", { class: "error", text: err.message })); }
    };
    kind.addEventListener("change", load); state.addEventListener("change", load);
    body.replaceChildren(el("div", { class: "toolbar" }, kind, state), list);
    await load();
  }

  // --- Settings: schedules ---------------------------------------------------------------------
  const PRESETS = [
    ["0 2 * * *", "Daily at 02:00"], ["0 6 * * *", "Daily at 06:00"], ["0 * * * *", "Hourly"],
    ["*/15 * * * *", "Every 15 minutes"], ["0 7 * * 1", "Mondays at 07:00"], ["0 3 1 * *", "Monthly, 1st at 03:00"],
    ["", "Custom (cron or words)…"],
  ];

  async function schedules(grid) {
    const { body } = B.card(grid, { id: "schedules", title: "Schedules", span: 12 });
    const answer = await B.api("GET", "/api/v1/schedules");
    const rows = answer.schedules;
    const change = async (s, action) => {
      try {
        if (action === "remove") {
          if (!confirm(`Remove the schedule ${s.name}?`)) return;
          await B.api("DELETE", "/api/v1/schedules/" + s.id);
        } else await B.api("PATCH", "/api/v1/schedules/" + s.id, { enabled: action === "enable" });
        grid.querySelector("[data-widget=schedules]").remove();
        await schedules(grid);
      } catch (err) { B.notice(err.message); }
    };
    const columns = ["name", "kind", "when", "time zone", "folder / keep", "enabled", "next run (its time zone)", "last run", ""];
    const table = rows.length ? el("div", { class: "table-wrap" }, B.stacking(el("table", {},
      el("thead", {}, el("tr", {}, columns.map((c) => el("th", { text: c })))),
      el("tbody", {}, rows.map((s) => el("tr", { "data-schedule": s.name },
        el("td", { text: s.name }), el("td", { text: s.kind }), el("td", { text: `${s.description} (${s.cron})` }), el("td", { text: s.timezone }),
        el("td", { text: s.params.folder || (s.params.keep ? "keep " + s.params.keep : "–") }),
        el("td", { text: s.enabled ? "yes" : "no" }),
        el("td", { text: (s.next_run_local || "–").replace("T", " ").slice(0, 16) }),
        el("td", { text: s.last_run_utc ? `${s.last_run_utc.replace("T", " ").slice(0, 16)} UTC${s.last_job_state ? ` (${s.last_job_state})` : ""}` : "–" }),
        el("td", {},
          el("button", { type: "button", class: "small toggle-schedule", text: s.enabled ? "Disable" : "Enable", onclick: () => change(s, s.enabled ? "disable" : "enable") }),
          " ",
          el("button", { type: "button", class: "small remove-schedule", text: "Remove", onclick: () => change(s, "remove") })))))))) : B.empty("No schedules yet.");
    body.replaceChildren(table, scheduleForm(grid));
  }

  function scheduleForm(grid) {
    const name = el("input", { id: "s-name", placeholder: "nightly-refresh", required: true });
    const kind = el("select", { id: "s-kind" }, ["refresh", "watch", "backup", "alerts"].map((k) => el("option", { value: k, text: k })));
    const preset = el("select", { id: "s-preset" }, PRESETS.map(([v, t]) => el("option", { value: v, text: v ? `${t} (${v})` : t })));
    const custom = el("input", { id: "s-when", placeholder: "cron, e.g. 30 1 * * 1-5", hidden: true });
    const zone = el("input", { id: "s-timezone", value: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC", list: "s-zones" });
    const zones = el("datalist", { id: "s-zones" }, ["UTC", "Europe/London", "Europe/Berlin", "Europe/Paris", "America/New_York", "America/Chicago", "America/Los_Angeles", "Asia/Tokyo", "Asia/Singapore", "Australia/Sydney"].map((z) => el("option", { value: z })));
    const folder = el("input", { id: "s-folder", placeholder: "/srv/exports (on the server)" });
    const keep = el("input", { id: "s-keep", type: "number", min: 1, max: 1000, placeholder: "all" });
    const folderLabel = el("label", { hidden: true }, "Folder", folder);
    const keepLabel = el("label", { hidden: true }, "Keep newest", keep);
    const out = el("span", { id: "s-result" });
    const fit = () => {
      folderLabel.hidden = kind.value !== "watch"; keepLabel.hidden = kind.value !== "backup";
      custom.hidden = preset.value !== "";
    };
    kind.addEventListener("change", fit); preset.addEventListener("change", fit);
    return el("form", { class: "builder", id: "schedule-form", onsubmit: async (e) => {
      e.preventDefault();
      const body = { name: name.value, kind: kind.value, when: preset.value || custom.value, timezone: zone.value || "UTC" };
      if (kind.value === "watch") body.folder = folder.value;
      if (kind.value === "backup" && keep.value) body.keep = Number(keep.value);
      try {
        await B.api("POST", "/api/v1/schedules", body);
        grid.querySelector("[data-widget=schedules]").remove();
        await schedules(grid);
      } catch (err) { out.textContent = err.message; out.className = "error"; }
    } }, el("label", {}, "Name", name), el("label", {}, "Kind", kind), el("label", {}, "When", preset), custom,
    el("label", {}, "Time zone", zone), zones, folderLabel, keepLabel, el("button", { type: "submit", text: "Add schedule" }), out);
  }

  // --- Settings: backups (admins) ---------------------------------------------------------------
  async function backups(grid) {
    const { body } = B.card(grid, { id: "backups", title: "Backups", span: 12 });
    const status = el("span", { id: "backup-status", class: "hint" });
    const list = el("div", {});
    const show = async () => {
      const answer = await B.api("GET", "/api/v1/backups");
      const rows = answer.backups.map((b) => ({ name: b.name, size: mb(b.size), modified: b.modified_at.replace("T", " ").slice(0, 19) + " UTC" }));
      list.replaceChildren(rows.length ? B.table(["name", "size", "modified"], rows) : B.empty("No backups yet (.bizsight/backups/)."));
    };
    const keep = el("input", { id: "backup-keep", type: "number", min: 1, max: 1000, placeholder: "all" });
    const start = el("button", { type: "button", id: "backup-now", text: "Back up now", onclick: async () => {
      start.disabled = true;
      try {
        const job = await B.api("POST", "/api/v1/backups", keep.value ? { keep: Number(keep.value) } : {});
        const done = await follow(job.id, (j) => { status.textContent = progressLine(j); });
        status.textContent = progressLine(done) + (done.error ? " · " + done.error : "");
        await show();
      } catch (err) { status.textContent = err.message; }
      start.disabled = false;
    } });
    body.replaceChildren(el("div", { class: "toolbar" }, start, el("label", { class: "hint" }, "keep newest ", keep), status), list);
    await show();
  }

  B.jobs = { loadPanel, schedules, backups, follow, result };
  Object.assign(B.pages, { jobs });
})(Bizsight);
