// Behaviour of every page that would otherwise sit in inline attributes, which the
// Content-Security-Policy refuses (docs/security.md, "Web hardening"): the language menu
// submits itself, and progress bars take their width from aria-valuenow, also in content
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
  if (window.htmx) {
    htmx.onLoad(sizeBars);  // the whole body once, then every swapped-in fragment
  } else {
    document.addEventListener("DOMContentLoaded", function () { sizeBars(document); });
  }
})();
