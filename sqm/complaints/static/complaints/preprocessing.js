// Fault pre-processing on the intake page: Alt+B records a batch answer for the first fault
// shown; once recorded, the record number stays on the page and the form is cleared for the
// next call. A refused batch answer (400) shows its reason in the same place.
(function () {
  "use strict";
  function byId(id) { return document.getElementById(id); }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "batch-result" && event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("sqm:batch-answered", function () {
    var form = byId("intake-form");
    if (!form) return;
    form.reset();
    ["customer-box", "suggest-box"].forEach(function (id) {
      var box = byId(id);
      if (box) box.innerHTML = "";
    });
    var category = byId("id_category");
    if (category) category.classList.remove("picked");
    var facts = byId("facts");  // the triage preview follows the cleared facts
    if (facts) facts.dispatchEvent(new Event("change", { bubbles: true }));
    var lookup = byId("lookup");
    if (lookup) { lookup.value = ""; lookup.focus(); }
  });

  document.addEventListener("keydown", function (event) {
    if (!byId("intake-form")) return;
    // event.code: Alt+B types "∫" on a Mac keyboard, but it is still the B key.
    if (event.altKey && !event.ctrlKey && !event.metaKey && event.code === "KeyB") {
      var button = document.querySelector("#customer-box button.batch-answer");
      if (!button) return;
      event.preventDefault();
      // A fast Alt+B can land between htmx swapping the panel in and wiring its buttons
      // (the settle step); processing it first makes the click post either way.
      if (window.htmx) window.htmx.process(button);
      button.click();
    }
  });
})();
