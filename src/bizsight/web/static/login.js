"use strict";
// The login form (cookie session) and the log-out button of pages without the app script.
(function () {
  const form = document.getElementById("login-form");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const error = document.getElementById("login-error");
      error.hidden = true;
      const body = { username: form.username.value, password: form.password.value };
      const response = await fetch("/api/v1/auth/login", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
      if (response.ok) { window.location.assign(form.dataset.next || "/"); return; }
      const answer = await response.json().catch(() => ({}));
      error.textContent = (answer.error && answer.error.message) || "Log in failed";
      error.hidden = false;
    });
  }
  const logout = document.getElementById("logout");
  if (logout && !window.Bizsight) {
    logout.addEventListener("click", async () => {
      const me = await fetch("/api/v1/auth/me").then((r) => r.json());
      await fetch("/api/v1/auth/logout", { method: "POST", headers: { "X-CSRF-Token": me.csrf_token || "" } });
      window.location.assign("/login");
    });
  }
})();
