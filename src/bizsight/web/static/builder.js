"use strict";
// Dashboards: the list, and the builder — add widgets (KPI, line, bar, heatmap, table, pie) from
// any metric × dimension × filter, move them on the grid, save, share with users or roles, reopen.
(function (B) {
  const { el } = B;
  const TYPES = ["kpi", "line", "bar", "heatmap", "table", "pie"];
  const WIDTHS = { kpi: 3, line: 6, bar: 6, heatmap: 6, table: 12, pie: 4 };

  async function dashboards(grid) {
    const answer = await B.api("GET", "/api/v1/dashboards");
    const { body, tools } = B.card(grid, { id: "dashboards", title: "Dashboards", span: 12 });
    if (B.can("dashboards:write")) tools.append(el("a", { href: "/dashboards/new", id: "new-dashboard", text: "+ New dashboard" }));
    const rows = answer.dashboards.map((d) => Object.assign({}, d, { widgets: d.widgets.length, shared: [].concat(d.share_roles, d.share_users.map((u) => "user " + u)).join(", ") }));
    body.replaceChildren(rows.length
      ? B.table(["title", "widgets", "shared", "updated_at"], rows, { link: { title: (d) => "/dashboards/" + d.id } })
      : B.empty("No dashboards yet." + (B.can("dashboards:write") ? " Build one with “New dashboard”." : "")));
  }

  function uid() { return "w" + Math.random().toString(36).slice(2, 9); }

  let working = null; // the dashboard being built: it survives re-drawing when the filters change

  async function dashboard(grid, params) {
    const cat = await B.catalogue();
    const editable = B.can("dashboards:write");
    let current = working || { title: "New dashboard", description: "", widgets: [], filters: {}, share_users: [], share_roles: [] };
    if (!working && params.dashboard_id !== "new") current = await B.api("GET", "/api/v1/dashboards/" + encodeURIComponent(params.dashboard_id));
    working = current;
    document.getElementById("page-title").textContent = current.title;
    B.useSaved(current.filters, current.period);
    const area = el("div", { class: "grid", id: "dashboard-grid" });
    const status = el("span", { class: "pill", id: "save-status", hidden: true });

    const draw = () => {
      area.replaceChildren();
      if (!current.widgets.length) area.append(el("p", { class: "empty span-12", text: "No widgets yet." + (editable ? " Add one above." : "") }));
      current.widgets.forEach((w, i) => {
        const actions = editable ? [
          el("button", { type: "button", class: "small", title: "move up", "aria-label": "move up", text: "↑", disabled: i === 0, onclick: () => { move(i, -1); } }),
          el("button", { type: "button", class: "small", title: "move down", "aria-label": "move down", text: "↓", disabled: i === current.widgets.length - 1, onclick: () => { move(i, 1); } }),
          el("button", { type: "button", class: "small", title: "remove", "aria-label": "remove", text: "✕", onclick: () => { current.widgets.splice(i, 1); draw(); } }),
        ] : [];
        const query = Object.assign({}, w.query);
        if (w.type === "kpi") query.compare = query.compare || "previous_period";
        B.widget(area, { id: w.id, type: w.type, title: w.title, query, span: (w.layout && w.layout.w) || WIDTHS[w.type], actions });
      });
    };
    const move = (i, step) => {
      const [w] = current.widgets.splice(i, 1);
      current.widgets.splice(i + step, 0, w);
      draw();
    };

    if (editable) {
      const metricSelect = el("select", { id: "b-metric" }, Object.entries(cat.metrics).map(([name, m]) => el("option", { value: name, text: m.label || name })));
      const dimOptions = () => [el("option", { value: "", text: "—" }), ...Object.entries(cat.dimensions).map(([name, d]) => el("option", { value: name, text: d.label || name }))];
      const dimSelect = el("select", { id: "b-dimension" }, dimOptions());
      const dim2Select = el("select", { id: "b-dimension2" }, dimOptions());
      const typeSelect = el("select", { id: "b-type" }, TYPES.map((t) => el("option", { value: t, text: t })));
      const grainSelect = el("select", { id: "b-grain" }, ["", "day", "week", "month", "quarter", "year"].map((g) => el("option", { value: g, text: g || "none" })));
      const filterDim = el("select", { id: "b-filter-dimension" }, dimOptions());
      const filterValue = el("input", { id: "b-filter-value", placeholder: "value" });
      const titleInput = el("input", { id: "b-title", placeholder: "widget title" });
      const widthSelect = el("select", { id: "b-width" }, [["", "auto"], ["3", "quarter"], ["4", "third"], ["6", "half"], ["8", "two thirds"], ["12", "full"]].map(([v, t]) => el("option", { value: v, text: t })));
      const error = el("span", { class: "error", id: "b-error" });
      const add = () => {
        error.textContent = "";
        const query = { metrics: [metricSelect.value] };
        const dims = [dimSelect.value, dim2Select.value].filter(Boolean);
        for (const d of dims) if (!B.fits(cat, query.metrics, d)) { error.textContent = "“" + d + "” does not apply to " + metricSelect.value; return; }
        if (dims.length) query.dimensions = dims;
        if (grainSelect.value) query.grain = grainSelect.value;
        if (filterDim.value && filterValue.value) query.filters = [{ dimension: filterDim.value, op: "=", values: [filterValue.value] }];
        const type = typeSelect.value;
        const title = titleInput.value || (cat.metrics[metricSelect.value].label || metricSelect.value) + (dims.length ? " by " + dims.join(" × ") : "");
        current.widgets.push({ id: uid(), type, title, query, layout: { x: 0, y: current.widgets.length, w: Number(widthSelect.value) || WIDTHS[type], h: 3 } });
        titleInput.value = "";
        draw();
      };
      const titleField = el("input", { id: "d-title", value: current.title, oninput: () => { current.title = titleField.value; } });
      const rolesBox = ["admin", "editor", "viewer"].map((r) => el("label", { class: "inline" }, r, el("input", { type: "checkbox", value: r, class: "share-role", checked: current.share_roles.includes(r) })));
      const usersField = el("input", { id: "d-users", placeholder: "user ids, e.g. 2, 5", value: current.share_users.join(", ") });
      const save = async () => {
        const f = B.filters();
        const body = {
          title: titleField.value || "Untitled", description: current.description || "",
          widgets: current.widgets.map((w) => ({ id: w.id, type: w.type, title: w.title, query: w.query, layout: w.layout })),
          // a preset ("Last 12 months") stays relative: the service resolves it each time it is opened
          filters: Object.assign(f.preset && f.preset !== "custom" ? { range: f.preset } : f.start ? { start: f.start, end: f.end } : {}, {
            // the bar's dimension filters that every widget can take
            filters: B.DIMENSIONS.filter((d) => f[d] && current.widgets.every((w) => B.fits(cat, w.query.metrics, d)))
              .map((d) => ({ dimension: d, op: "=", values: [f[d]] })),
          }),
          share_roles: rolesBox.map((l) => l.querySelector("input")).filter((i) => i.checked).map((i) => i.value),
          share_users: usersField.value.split(/[ ,]+/).filter(Boolean).map(Number),
        };
        status.hidden = false;
        try {
          const saved = current.id ? await B.api("PUT", "/api/v1/dashboards/" + current.id, body) : await B.api("POST", "/api/v1/dashboards", body);
          current = working = saved;
          status.textContent = "saved";
          document.getElementById("page-title").textContent = saved.title;
          history.replaceState(null, "", "/dashboards/" + saved.id + location.search);
        } catch (err) { status.textContent = err.message; }
      };
      const remove = async () => {
        if (!current.id || !confirm("Delete this dashboard?")) return;
        await B.api("DELETE", "/api/v1/dashboards/" + current.id);
        location.assign("/dashboards");
      };
      grid.append(
        el("form", { class: "builder span-12", id: "builder", onsubmit: (e) => { e.preventDefault(); add(); } },
          el("label", {}, "Type", typeSelect), el("label", {}, "Metric", metricSelect), el("label", {}, "Dimension", dimSelect),
          el("label", {}, "Second dimension", dim2Select), el("label", {}, "Grain", grainSelect),
          el("label", {}, "Filter", filterDim), el("label", {}, "equals", filterValue), el("label", {}, "Title", titleInput), el("label", {}, "Width", widthSelect),
          el("button", { type: "submit", id: "b-add", text: "Add widget" }), error),
        el("div", { class: "builder span-12", id: "dashboard-meta" },
          el("label", {}, "Dashboard title", titleField), el("span", {}, "Share with roles: ", rolesBox), el("label", {}, "Share with users", usersField),
          el("button", { type: "button", class: "primary", id: "d-save", text: "Save", onclick: save }),
          el("button", { type: "button", id: "d-delete", text: "Delete", onclick: remove }), status),
      );
    }
    if (current.id && B.reports && B.can("reports:read")) {
      grid.append(el("div", { class: "toolbar span-12", id: "subscribe" }, B.reports.subscribeButton(current.id)));
    }
    grid.append(el("div", { class: "span-12" }, area));
    draw();
  }

  Object.assign(B.pages, { dashboards, dashboard });
})(Bizsight);
