"""The web UI: server-rendered pages (Jinja2) whose charts (plotly.js, served from the installed
plotly package) read the JSON API with the browser's session cookie. See docs/web.md."""
