// Live updates for the workshop pages (server-sent events), shipped with the package: no CDN.
// The page holds /events/TOKEN open; the browser's EventSource reconnects by itself after a
// restart. A team page reloads when a new turn opens (or the clock or the game's end changes);
// otherwise it only updates who is still to move and the timer.
(function () {
  "use strict";
  const body = document.body;
  const url = body.dataset.events;
  const conn = document.getElementById("conn");
  function fmt(s) {
    s = Math.max(0, Math.round(s));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }
  function showTimers() {
    document.querySelectorAll(".timer").forEach(function (el) {
      const r = parseFloat(el.dataset.remaining);
      if (isNaN(r)) { el.textContent = ""; return; }
      el.textContent = fmt(r) + " left";
      el.classList.toggle("low", r < 30);
    });
  }
  let paused = body.dataset.paused === "true";
  setInterval(function () {
    if (paused) return;
    document.querySelectorAll(".timer").forEach(function (el) {
      const r = parseFloat(el.dataset.remaining);
      if (!isNaN(r)) el.dataset.remaining = String(Math.max(0, r - 1));
    });
    showTimers();
  }, 1000);
  showTimers();
  if (!url || !window.EventSource) return;
  let first = null;
  let reloading = false;
  const RELOAD_MS = 1000;
  const es = new EventSource(url);
  es.onopen = function () { if (conn) conn.hidden = true; };
  es.onerror = function () { if (conn) conn.hidden = false; };
  es.onmessage = function (e) {
    const s = JSON.parse(e.data);
    if (body.dataset.facilitator) {
      const key = JSON.stringify(s.games.map(function (g) { const c = Object.assign({}, g); delete c.remaining_s; return c; }));
      if (first === null) { first = key; return; }
      // when a whole class moves at once, reload once a second at most (not once per move)
      if (key !== first && !reloading) { reloading = true; setTimeout(function () { location.reload(); }, RELOAD_MS); }
      return;
    }
    if (s.freed) { es.close(); location.reload(); return; }  // the page then says why
    const changed = String(s.turn) !== body.dataset.turn || String(s.finished) !== body.dataset.finished ||
      String(s.paused) !== body.dataset.paused || String(s.revealed) !== body.dataset.revealed ||
      String(s.forecast_open) !== body.dataset.forecast;
    if (changed) { location.reload(); return; }
    const waiting = document.getElementById("waiting");
    const names = { us: "US", china: "China" };
    if (waiting) waiting.textContent = s.waiting_for.map(function (x) { return names[x]; }).join(", ") || "-";
    const timer = document.getElementById("timer");
    if (timer && s.remaining_s !== null) { timer.dataset.remaining = String(s.remaining_s); showTimers(); }
  };
}());
