// Starts the page once every script of it has loaded. It is a file of its own because the
// Content-Security-Policy allows no inline script (docs/security.md, "Headers").
Bizsight.start();
