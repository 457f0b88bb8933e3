"use strict";
// The light or dark theme, kept in localStorage so every page opens in the one chosen last. A file
// of its own, loaded first: the Content-Security-Policy allows no inline script.
(function () {
  const KEY = "bizsight-theme";
  const apply = (theme) => { document.documentElement.dataset.theme = theme === "dark" ? "dark" : "light"; };
  let stored = null;
  try { stored = window.localStorage.getItem(KEY); } catch (err) { stored = null; }
  apply(stored);
  window.BizsightTheme = {
    toggle() {
      const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
      apply(next);
      try { window.localStorage.setItem(KEY, next); } catch (err) { /* private windows may refuse */ }
      return next;
    },
  };
})();
