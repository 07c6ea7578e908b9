// Behaviour of every page that would otherwise sit in inline attributes, which the
// Content-Security-Policy refuses (docs/security.md, "Web hardening"): the language menu
// submits itself, an article's script goes into the reply, and progress bars take their width from aria-valuenow, also in content
// htmx swaps in later (setting element.style is allowed; a style="" attribute is not).
(function () {
  "use strict";
  function sizeBars(root) {
    root.querySelectorAll(".progress[aria-valuenow] > div").forEach(function (bar) {
      var percent = Number(bar.parentElement.getAttribute("aria-valuenow")) || 0;
      bar.style.width = Math.max(0, Math.min(100, percent)) + "%";
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) event.target.form.requestSubmit();
  });
  // A knowledge article's answer script into the reply: a button with data-insert-into (the
  // textarea's id) and data-insert-text; appended after what is already written.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-insert-into]");
    if (!button) return;
    var target = document.getElementById(button.getAttribute("data-insert-into"));
    if (!target) return;
    var text = button.getAttribute("data-insert-text") || "";
    target.value = target.value ? target.value.replace(/\s+$/, "") + "\n" + text : text;
    target.focus();
  });
  if (window.htmx) {
    htmx.onLoad(sizeBars);  // the whole body once, then every swapped-in fragment
  } else {
    document.addEventListener("DOMContentLoaded", function () { sizeBars(document); });
  }
})();
