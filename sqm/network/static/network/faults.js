// Fault event page: poll the SMS counts of the event every few seconds while a large send
// is going out, and update the counts and the progress bar in place.
// The box names its JSON in data-url (…/faults/<pk>/progress/) and the period in
// data-interval (ms); each count is an element with data-kind (all, fault, recovery) and
// data-state (scheduled … cancelled, done, total, percent).
(function () {
  "use strict";
  var box = document.getElementById("sms-progress");
  if (!box || !box.dataset.url || !window.fetch) return;
  var interval = Number(box.dataset.interval) || 3000;

  function fill(kind, counts) {
    var cells = box.querySelectorAll('[data-kind="' + kind + '"][data-state]');
    Array.prototype.forEach.call(cells, function (cell) {
      var value = counts[cell.dataset.state];
      if (value !== undefined && cell.textContent !== String(value)) {
        cell.textContent = value;
      }
    });
  }

  function update(data) {
    fill("all", data);
    Object.keys(data.kinds || {}).forEach(function (kind) { fill(kind, data.kinds[kind]); });
    var bar = document.getElementById("sms-bar");
    if (bar) {
      bar.setAttribute("aria-valuenow", data.percent);
      bar.firstElementChild.style.width = data.percent + "%";
    }
    box.dataset.updated = String(Date.now());
  }

  function poll() {
    if (document.hidden) { window.setTimeout(poll, interval); return; }
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.redirected || (response.status >= 400 && response.status < 500)) {
          box.dataset.stopped = String(response.status);  // logged out or gone: stop asking
          return;
        }
        return response.ok ? response.json().then(update) : null;
      })
      .catch(function () { /* the network hiccupped: try again next time */ })
      .then(function () {
        if (!box.dataset.stopped) window.setTimeout(poll, interval);
      });
  }

  window.setTimeout(poll, interval);
})();
