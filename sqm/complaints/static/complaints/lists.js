// Work-order lists: "select all on this page" and the count of selected rows for the bulk
// actions (a static file: the Content-Security-Policy refuses inline scripts).
(function () {
  "use strict";
  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll("input[name=ids][form=bulk]"));
  }
  function show() {
    var out = document.getElementById("selected-count");
    var all = document.getElementById("select-all");
    var picked = boxes().filter(function (box) { return box.checked; }).length;
    if (out) out.textContent = picked ? "(" + picked + ")" : "";
    if (all) all.checked = picked > 0 && picked === boxes().length;
  }
  document.addEventListener("change", function (event) {
    if (event.target.id === "select-all") {
      boxes().forEach(function (box) { box.checked = event.target.checked; });
    }
    if (event.target.id === "select-all" || event.target.matches("input[name=ids]")) show();
  });
})();
