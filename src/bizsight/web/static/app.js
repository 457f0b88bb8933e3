"use strict";
// The core of every page: the JSON API with the session's CSRF token, the global filters,
// formatting, tables, exports and the drill-down dialog. Pages register in Bizsight.pages.
const Bizsight = (function () {
  const boot = JSON.parse(document.getElementById("boot").textContent);
  const DIMENSIONS = ["region", "category", "customer_segment"];
  const state = { catalogue: null, filters: null };

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  async function request(method, path, body) {
    const headers = { "X-CSRF-Token": boot.csrf || "" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, {
      method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401) { window.location.assign("/login?next=" + encodeURIComponent(location.pathname)); }
    return response;
  }

  async function api(method, path, body) {
    const response = await request(method, path, body);
    if (response.status === 204) return null;
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      const message = (answer.error && answer.error.message) ||
        (Array.isArray(answer.detail) ? answer.detail.map((d) => d.msg).join("; ") : "request failed");
      throw new ApiError(response.status, message);
    }
    return answer;
  }

  async function download(method, path, body) {
    const response = await request(method, path, body);
    if (!response.ok) {
      const answer = await response.json().catch(() => ({}));
      throw new ApiError(response.status, (answer.error && answer.error.message) || "export failed");
    }
    const disposition = response.headers.get("Content-Disposition") || "";
    const name = (disposition.match(/filename="([^"]+)"/) || [])[1] || "bizsight-export";
    const url = URL.createObjectURL(await response.blob());
    const link = el("a", { href: url, download: name });
    document.body.append(link); link.click(); link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 5000);
    return name;
  }

  // --- DOM helpers ---------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  function notice(message) {
    const box = document.getElementById("notice");
    if (!box) return;
    box.textContent = message || ""; box.hidden = !message;
  }

  // --- presentation: labels, units and numbers, exactly as bizsight.presentation writes them ----
  const P = boot.presentation;
  const LEGACY_UNITS = { currency: "money", decimal: "ratio" };
  const SUFFIXES = [["__change_pct", " change (%)", "percent"], ["__previous", " (previous)", null], ["__change", " change", null], ["_name", " name", ""]];
  function words(name) {
    const text = name.replace(/__/g, " ").replace(/_/g, " ").trim();
    return text.charAt(0).toUpperCase() + text.slice(1);
  }
  function label(column) {
    if (P.labels[column]) return P.labels[column];
    for (const [suffix, text] of SUFFIXES) {
      const base = column.endsWith(suffix) ? column.slice(0, -suffix.length) : null;
      if (base && P.labels[base]) return P.labels[base] + text;
    }
    return words(column);
  }
  function unitOf(column) {
    if (P.units[column]) return P.units[column];
    for (const [suffix, , unit] of SUFFIXES) {
      const base = column.endsWith(suffix) ? column.slice(0, -suffix.length) : null;
      if (base && P.labels[base]) return unit === "" ? null : unit || P.units[base] || null;
    }
    return null;
  }
  // The same algorithm as Presenter.format: fixed decimals per unit rounded half away from zero
  // (toFixed), groups of three, the locale's symbols, percentages stored as fractions.
  function formatter(spec) {
    function grouped(fixed) {
      const [whole, fraction] = fixed.split(".");
      let out = "";
      for (let end = whole.length; end > 0; end -= 3) out = whole.slice(Math.max(0, end - 3), end) + (out ? spec.group + out : "");
      return fraction ? out + spec.decimal + fraction : out;
    }
    return function format(value, unit, compact) {
      if (value === null || value === undefined || value === "") return spec.missing;
      const number = typeof value === "number" ? value : Number(value);
      if (typeof value !== "number" && (typeof value !== "string" || Number.isNaN(number))) return String(value);
      if (!Number.isFinite(number)) return spec.missing;
      unit = LEGACY_UNITS[unit] || unit || "number";
      if (!(unit in spec.decimals) && unit !== "money") unit = "number";
      let scaled = unit === "percent" ? number * 100 : number;
      let places = unit === "money" ? spec.money_decimals : spec.decimals[unit];
      let suffix = "";
      if (compact && ["money", "count", "number"].includes(unit) && Math.abs(scaled) >= spec.compact_from) {
        const [size, letter] = spec.compact_steps.find(([step]) => Math.abs(scaled) >= step);
        scaled /= size; places = 1; suffix = letter;
      }
      const fixed = Math.abs(scaled).toFixed(places);
      const digits = grouped(fixed) + suffix;
      const sign = scaled < 0 && /[1-9]/.test(fixed) ? spec.minus : "";
      if (unit === "money") return sign + spec.money_before + digits + spec.money_after;
      if (unit === "percent") return sign + digits + spec.percent_after;
      if (unit === "days") return sign + digits + (digits === "1" ? spec.day : spec.days);
      if (unit === "stars") return sign + digits + spec.stars;
      return sign + digits;
    };
  }
  const format = formatter(P);
  // A column's value as text: in the unit the column is known by, unless the caller says; an
  // integer of no known unit (a year, an id) is written as it is.
  function cell(value, column, unit) {
    unit = unit || unitOf(column);
    if (!unit && Number.isInteger(value)) return String(value);
    return format(value, unit);
  }

  // --- catalogue and the models a metric reads --------------------------------------------
  async function catalogue() {
    if (!state.catalogue) state.catalogue = await api("GET", "/api/v1/catalogue");
    return state.catalogue;
  }
  function modelsOf(cat, name, seen) {
    seen = seen || new Set();
    const metric = cat.metrics[name];
    if (!metric || seen.has(name)) return new Set();
    seen.add(name);
    if (metric.model) return new Set([metric.model]);
    const parts = [].concat(metric.ratio || [], metric.growth ? [metric.growth] : []);
    if (metric.derived) for (const word of metric.derived.match(/[a-z_][a-z0-9_]*/g) || []) if (cat.metrics[word]) parts.push(word);
    const out = new Set();
    for (const part of parts) for (const m of modelsOf(cat, part, seen)) out.add(m);
    return out;
  }
  function fits(cat, metrics, dimension) {
    const dim = cat.dimensions[dimension];
    if (!dim) return false;
    for (const metric of metrics) for (const model of modelsOf(cat, metric)) if (!dim.models.includes(model)) return false;
    return true;
  }

  // --- global filters --------------------------------------------------------------------
  function iso(date) { return date.toISOString().slice(0, 10); }
  function presetRange(preset) {
    const last = boot.bounds.last ? new Date(boot.bounds.last + "T00:00:00Z") : new Date();
    const first = boot.bounds.first ? new Date(boot.bounds.first + "T00:00:00Z") : last;
    const back = (days) => { const d = new Date(last); d.setUTCDate(d.getUTCDate() - days + 1); return d; };
    const ranges = {
      last_30_days: [back(30), last], last_90_days: [back(90), last],
      last_12_months: [(() => { const d = new Date(last); d.setUTCFullYear(d.getUTCFullYear() - 1); d.setUTCDate(d.getUTCDate() + 1); return d; })(), last],
      year_to_date: [new Date(Date.UTC(last.getUTCFullYear(), 0, 1)), last],
      all: [first, last],
    };
    const [start, end] = ranges[preset] || ranges.last_12_months;
    return { start: iso(start < first ? first : start), end: iso(end) };
  }
  function readFilters() {
    const params = new URLSearchParams(location.search);
    const preset = params.get("preset") || (params.get("start") ? "custom" : "last_12_months");
    const range = preset === "custom" ? { start: params.get("start"), end: params.get("end") } : presetRange(preset);
    const filters = { preset, start: range.start, end: range.end };
    for (const d of DIMENSIONS) filters[d] = params.get(d) || "";
    return filters;
  }
  function filters() {
    if (!state.filters) state.filters = readFilters();
    return state.filters;
  }
  async function setupFilters(onChange) {
    const form = document.getElementById("filters");
    if (!form) return;
    const f = filters();
    form.preset.value = f.preset; form.start.value = f.start || ""; form.end.value = f.end || "";
    form.preset.addEventListener("change", () => {
      if (form.preset.value === "custom") return;
      const range = presetRange(form.preset.value);
      form.start.value = range.start; form.end.value = range.end;
    });
    for (const input of [form.start, form.end]) input.addEventListener("change", () => { form.preset.value = "custom"; });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const next = { preset: form.preset.value, start: form.start.value, end: form.end.value };
      for (const d of DIMENSIONS) next[d] = form[d].value;
      state.filters = next;
      const params = new URLSearchParams();
      params.set("preset", next.preset);
      if (next.preset === "custom") { params.set("start", next.start); params.set("end", next.end); }
      for (const d of DIMENSIONS) if (next[d]) params.set(d, next[d]);
      history.replaceState(null, "", location.pathname + "?" + params.toString());
      onChange();
    });
    await Promise.all(DIMENSIONS.map((d) => {
      const select = form[d];
      return api("POST", "/api/v1/query", { metrics: ["orders"], dimensions: [d], order_by: [d] })
        .then((answer) => {
          for (const row of answer.rows) if (row[d] !== null) select.append(el("option", { value: row[d], text: row[d] }));
          select.value = f[d];
        })
        .catch(() => { select.disabled = true; });
    }));
  }
  // The page's filters added to a metric query: dates unless the query names its own, and each
  // chosen dimension value the query's metrics can be filtered by.
  function scoped(query, options) {
    const f = filters();
    const out = JSON.parse(JSON.stringify(query));
    if (!(options && options.noDates) && !out.range && !out.start && f.start) { out.start = f.start; out.end = f.end; }
    const cat = state.catalogue;
    out.filters = out.filters || [];
    for (const d of DIMENSIONS) {
      if (f[d] && cat && fits(cat, out.metrics, d)) out.filters.push({ dimension: d, op: "=", values: [f[d]] });
    }
    return out;
  }
  // A saved dashboard's filters, unless the address names its own.
  function useSaved(saved) {
    if (location.search || !saved) return;
    const f = filters();
    if (saved.start) { f.preset = "custom"; f.start = saved.start; f.end = saved.end || f.end; }
    for (const x of saved.filters || []) if (DIMENSIONS.includes(x.dimension)) f[x.dimension] = String(x.values[0]);
    const form = document.getElementById("filters");
    if (!form) return;
    form.preset.value = f.preset; form.start.value = f.start || ""; form.end.value = f.end || "";
    for (const d of DIMENSIONS) if ([...form[d].options].some((o) => o.value === f[d])) form[d].value = f[d];
  }
  function scope() {
    const f = filters();
    const out = { start: f.start || null, end: f.end || null, filters: [] };
    for (const d of DIMENSIONS) if (f[d]) out.filters.push({ dimension: d, op: "=", values: [f[d]] });
    return out;
  }

  // --- tables ------------------------------------------------------------------------------
  function table(columns, rows, options) {
    options = options || {};
    const formats = options.formats || {};
    const head = el("tr", {}, columns.map((c) => el("th", { text: (options.labels && options.labels[c]) || label(c) })));
    const body = rows.map((row) => {
      const tr = el("tr", { class: options.onRow ? "clickable" : null },
        columns.map((c) => {
          const value = row[c];
          const unit = formats[c] || unitOf(c);
          const isNumber = typeof value === "number" || (typeof value === "string" && value !== "" && !Number.isNaN(Number(value)) && unit);
          const td = el("td", { class: isNumber ? "num" : null });
          if (options.titles && options.titles[c] && options.titles[c](row)) td.title = options.titles[c](row);
          if (options.link && options.link[c]) td.append(el("a", { href: options.link[c](row), text: String(value ?? "") }));
          else td.textContent = isNumber ? cell(value, c, formats[c]) : text(value);
          return td;
        }));
      if (options.onRow) tr.addEventListener("click", () => options.onRow(row));
      return tr;
    });
    return el("div", { class: "table-wrap" }, stacking(el("table", {}, el("thead", {}, head), el("tbody", {}, body))));
  }
  // Each cell names its column, so that on a narrow screen a row of more than three columns
  // becomes a list of "column value" lines that fits the card (app.css, table.stacks).
  function stacking(node) {
    const names = [...node.querySelectorAll("thead th")].map((th) => th.textContent);
    for (const tr of node.querySelectorAll("tbody tr")) [...tr.children].forEach((td, i) => { td.dataset.label = names[i] || ""; });
    if (names.length > 3) node.classList.add("stacks");
    return node;
  }
  function text(value) {
    if (value === null || value === undefined) return "–";
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  }
  function empty(message) { return el("p", { class: "empty", text: message || "No data for these filters yet." }); }

  function exportButtons(exporter) {
    const status = el("span", { class: "pill", hidden: true });
    const button = (fmt) => el("button", {
      type: "button", class: "small export", "data-format": fmt, text: fmt.toUpperCase(),
      onclick: async () => {
        status.hidden = false; status.textContent = "…";
        try { status.textContent = "saved " + (await exporter(fmt)); } catch (err) { status.textContent = err.message; }
      },
    });
    return el("span", { class: "tools" }, button("csv"), button("xlsx"), status);
  }
  function exportQuery(query) { return (fmt) => download("POST", "/api/v1/exports/query?format=" + fmt, query); }
  function exportShown(name, columns, rows) {
    return (fmt) => download("POST", "/api/v1/insights/export?format=" + fmt,
      { name, columns, rows: rows.map((r) => columns.map((c) => (r[c] === undefined ? null : r[c]))) });
  }

  // --- drill-down ----------------------------------------------------------------------
  async function drill(query, metric, cell) {
    const modal = document.getElementById("drill");
    const body = document.getElementById("drill-body");
    const tools = document.getElementById("drill-tools");
    const label = Object.entries(cell).map(([k, v]) => k + " = " + v).join(", ");
    document.getElementById("drill-title").textContent = "Rows behind " + metric + (label ? " · " + label : "");
    modal.hidden = false;
    const request = { query, metric, cell, page: 1, page_size: 100 };
    const show = async () => {
      body.replaceChildren(el("p", { text: "Loading…" }));
      try {
        const answer = await api("POST", "/api/v1/drill-down", request);
        const columns = answer.columns.map((c) => c.name);
        body.replaceChildren(answer.rows.length ? table(columns, answer.rows) : empty("No rows behind this cell."));
        tools.replaceChildren(
          el("span", { text: "page " + request.page }),
          el("button", { type: "button", class: "small", text: "‹ prev", disabled: request.page <= 1, onclick: () => { request.page -= 1; show(); } }),
          el("button", { type: "button", class: "small", text: "next ›", disabled: answer.rows.length < request.page_size, onclick: () => { request.page += 1; show(); } }),
          exportButtons((fmt) => download("POST", "/api/v1/exports/drill-down?format=" + fmt, { query, metric, cell })),
        );
      } catch (err) { body.replaceChildren(el("p", { class: "error", text: err.message })); }
    };
    await show();
  }
  function closeDrill() { const modal = document.getElementById("drill"); if (modal) modal.hidden = true; }

  // --- start -------------------------------------------------------------------------------
  const pages = {};
  async function start() {
    const logout = document.getElementById("logout");
    if (logout) logout.addEventListener("click", async () => {
      await request("POST", "/api/v1/auth/logout");
      location.assign("/login");
    });
    const close = document.getElementById("drill-close");
    if (close) close.addEventListener("click", closeDrill);
    document.addEventListener("keydown", (e) => { if (e.key === "Escape") closeDrill(); });
    const grid = document.getElementById("grid");
    const page = pages[boot.page];
    try { await catalogue(); } catch (err) { notice(err.message); }
    const render = async () => {
      grid.replaceChildren();
      notice("");
      if (!boot.bounds.last && !["settings", "data", "jobs", "dashboards"].includes(boot.page)) {
        // nothing to chart before the first orders are loaded: say what to do, ask nothing
        grid.append(el("div", { class: "empty span-12", id: "no-data" },
          el("h2", { text: "No data yet" }),
          el("p", { text: "Load your files with `bizsight ingest PATH`, then run `bizsight refresh`: the charts appear here." }),
          el("p", {}, "See what has been loaded on the ", el("a", { href: "/data", text: "Data" }), " page.")));
      } else {
        try { await page(grid, boot.params); } catch (err) { notice(err.message); }
      }
      document.body.dataset.ready = "1";
    };
    await setupFilters(() => { document.body.dataset.ready = ""; render(); });
    await render();
  }

  return {
    boot, api, download, el, notice, format, formatter, label, unitOf, cell, table, stacking, empty, exportButtons, exportQuery, exportShown,
    drill, scoped, scope, filters, useSaved, DIMENSIONS, catalogue, fits, pages, start, can: (p) => boot.permissions.includes(p),
  };
})();
window.Bizsight = Bizsight;
