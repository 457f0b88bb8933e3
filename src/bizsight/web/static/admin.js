"use strict";
// Data (loads, quality reports, quarantine browser) and Settings (users, roles, restrictions,
// tokens, audit log).
(function (B) {
  const { el } = B;
  const ENTITIES = ["order_lines", "customers", "products", "reviews", "marketing_spend", "deals", "targets", "market"];

  async function data(grid) {
    // after a load or a refresh the tables and loads below the panel are drawn again
    if (B.jobs && B.can("data:load")) B.jobs.loadPanel(grid, () => redraw(grid));
    await warehouse(grid);
  }
  function redraw(grid) {
    for (const card of [...grid.children]) if (card.dataset.widget !== "load") card.remove();
    return warehouse(grid);
  }

  async function warehouse(grid) {
    const status = await B.api("GET", "/api/v1/data/status");
    const tables = (status.tables || []).map((t) => ({ table: t.schema + "." + t.table, rows: t.rows }));
    const fresh = status.freshness || {};
    B.figure(grid, { id: "tables", title: "Tables · latest order " + (fresh.latest_order || "–") + (status.needs_refresh ? " · needs refresh" : ""), name: "tables", span: 4, rows: tables, columns: ["table", "rows"], emptyMessage: "No data yet: run `bizsight ingest PATH`." });
    const loads = await B.api("GET", "/api/v1/data/loads?page_size=100");
    const quality = B.can("data:quality");
    const report = B.card(grid, { id: "quality", title: "Quality report", span: 8 });
    report.body.replaceChildren(B.empty(quality ? "Click a load to see its quality report." : "Quality reports need the editor or admin role."));
    const showReport = async (load) => {
      const r = await B.api("GET", "/api/v1/data/loads/" + load.load_id + "/quality");
      report.body.replaceChildren(...B.qualityView(r));
      const missing = Object.entries(r.missing_share || {}).map(([column, share]) => ({ column, missing_rows: (r.missing_rows || {})[column] ?? null, missing: share }));
      report.tools.replaceChildren(B.exportButtons(B.exportShown("quality-" + r.load_id, ["column", "missing_rows", "missing"], missing)));
    };
    B.figure(grid, {
      id: "loads", title: "Loads", name: "loads", span: 12, rows: loads.loads,
      columns: ["load_id", "entity", "source_file", "finished_at", "rows_read", "inserted", "updated", "quarantined", "duplicates"],
      tableOptions: { onRow: quality ? showReport : null }, emptyMessage: "No loads yet.",
    });
    if (quality) quarantineBrowser(grid);
  }

  function quarantineBrowser(grid) {
    const { body, tools } = B.card(grid, { id: "quarantine", title: "Quarantine", span: 12 });
    const entity = el("select", { id: "q-entity" }, ENTITIES.map((e) => el("option", { value: e, text: e })));
    const rule = el("input", { id: "q-rule", placeholder: "rule (optional)" });
    const out = el("div", {});
    let page = 1; let shown = { columns: [], rows: [] };
    const run = async () => {
      const q = "/api/v1/data/quarantine/" + entity.value + "?page_size=50&page=" + page + (rule.value ? "&rule=" + encodeURIComponent(rule.value) : "");
      try {
        const answer = await B.api("GET", q);
        const rows = answer.rows || [];
        const columns = rows.length ? Object.keys(rows[0]) : [];
        shown = { columns, rows };
        // why each row was refused, with the source row's values in one column that wraps (the
        // exports keep every column)
        const why = ["_line", "_rule", "_reason", "_source_file"];
        const brief = rows.map((r) => Object.assign({ values: columns.filter((c) => !c.startsWith("_") && r[c] !== null).map((c) => c + " " + r[c]).join(" · ") }, r));
        out.replaceChildren(el("p", { text: `${answer.total ?? rows.length} rows quarantined · page ${page}` }),
          rows.length ? B.table([...why.filter((c) => columns.includes(c)), "values"], brief) : B.empty("Nothing quarantined here."));
      } catch (err) { out.replaceChildren(el("p", { class: "error", text: err.message })); }
    };
    tools.append(B.exportButtons((fmt) => B.exportShown("quarantine-" + entity.value, shown.columns, shown.rows)(fmt)));
    body.replaceChildren(el("div", { class: "toolbar" }, entity, rule,
      el("button", { type: "button", text: "Show", onclick: () => { page = 1; run(); } }),
      el("button", { type: "button", class: "small", text: "‹", onclick: () => { if (page > 1) { page -= 1; run(); } } }),
      el("button", { type: "button", class: "small", text: "›", onclick: () => { page += 1; run(); } })), out);
    run();
  }

  async function settings(grid) {
    if (B.can("users:manage")) await people(grid);
    if (B.jobs && B.can("schedules:manage")) await B.jobs.schedules(grid);
    if (B.jobs && B.can("backups")) await B.jobs.backups(grid);
  }

  async function people(grid) {
    const users = await B.api("GET", "/api/v1/users");
    const { body, tools } = B.card(grid, { id: "users", title: "Users", span: 12 });
    const rows = users.users.map((u) => Object.assign({}, u, { restrictions: formatRestrictions(u.restrictions) }));
    const change = async (u) => {
      const role = prompt(`Role of ${u.username} (admin, editor, viewer):`, u.role);
      if (role && role !== u.role) await B.api("PATCH", "/api/v1/users/" + encodeURIComponent(u.username), { role });
      const restriction = prompt(`Restrictions of ${u.username} (e.g. region=Europe; empty for none):`, u.restrictions);
      if (restriction !== null && restriction !== u.restrictions) {
        await B.api("PUT", "/api/v1/users/" + encodeURIComponent(u.username) + "/restrictions", { restrictions: parseRestrictions(restriction) });
      }
      location.reload();
    };
    tools.append(B.exportButtons(B.exportShown("users", ["id", "username", "role", "active", "restrictions"], rows)));
    body.replaceChildren(B.table(["id", "username", "role", "active", "restrictions", "last_login_at"], rows, { onRow: change }),
      el("p", { class: "hint", text: "Click a user to change their role or restrictions." }), addUserForm());
    await tokens(grid);
    const audit = await B.api("GET", "/api/v1/audit?limit=50");
    B.figure(grid, { id: "audit", title: "Audit log", name: "audit", span: 12, rows: audit.events, columns: Object.keys(audit.events[0] || { at: 0 }) });
  }

  function formatRestrictions(found) {
    if (!found) return "";
    if (Array.isArray(found)) return found.map((f) => f.dimension + "=" + f.values.join(",")).join("; ");
    return Object.entries(found).map(([d, v]) => d + "=" + v.join(",")).join("; ");
  }
  function parseRestrictions(text) {
    const out = {};
    for (const part of text.split(";").map((p) => p.trim()).filter(Boolean)) {
      const [dimension, values] = part.split("=");
      out[dimension.trim()] = (values || "").split(",").map((v) => v.trim()).filter(Boolean);
    }
    return out;
  }

  function addUserForm() {
    const name = el("input", { id: "u-name", placeholder: "user name" });
    const role = el("select", { id: "u-role" }, ["viewer", "editor", "admin"].map((r) => el("option", { value: r, text: r })));
    const result = el("span", { id: "u-result" });
    return el("form", { class: "builder", id: "add-user", onsubmit: async (e) => {
      e.preventDefault();
      try {
        const answer = await B.api("POST", "/api/v1/users", { username: name.value, role: role.value });
        result.textContent = `created ${answer.user.username}; password (shown once): ${answer.password}`;
      } catch (err) { result.textContent = err.message; }
    } }, el("label", {}, "New user", name), el("label", {}, "Role", role), el("button", { type: "submit", text: "Add user" }), result);
  }

  async function tokens(grid) {
    const { body } = B.card(grid, { id: "tokens", title: "API tokens", span: 12 });
    const answer = await B.api("GET", "/api/v1/tokens?all=true");
    const name = el("input", { id: "t-name", placeholder: "token name" });
    const shown = el("span", { id: "t-result" });
    body.replaceChildren(
      answer.tokens.length ? B.table(Object.keys(answer.tokens[0]), answer.tokens, { onRow: async (t) => {
        if (confirm("Revoke token " + t.name + "?")) { await B.api("DELETE", "/api/v1/tokens/" + t.id); location.reload(); }
      } }) : B.empty("No API tokens."),
      el("form", { class: "builder", onsubmit: async (e) => {
        e.preventDefault();
        const made = await B.api("POST", "/api/v1/tokens", { name: name.value || "web" });
        shown.textContent = "token (shown once): " + made.token;
      } }, el("label", {}, "New token", name), el("button", { type: "submit", text: "Create token" }), shown));
  }

  Object.assign(B.pages, { data, settings });
})(Bizsight);
