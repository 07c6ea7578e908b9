// Keyboard-first intake: Enter in the look-up field searches instead of submitting,
// Alt+1..3 take a suggested category, Ctrl+Enter records.
(function () {
  "use strict";
  function form() { return document.getElementById("intake-form"); }
  function pick(button) {
    var select = document.getElementById("id_category");
    if (!select || !button) return;
    select.value = button.dataset.category;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    select.classList.add("picked");
  }
  document.addEventListener("keydown", function (event) {
    if (!form()) return;
    if (event.target.id === "lookup" && event.key === "Enter" && !event.ctrlKey && !event.metaKey) {
      // The form must not submit; htmx searches on the "search" event. Sent from here, not
      // by an hx-trigger filter: htmx evaluates filters as code, which the CSP refuses.
      event.preventDefault();
      event.target.dispatchEvent(new Event("search"));
    }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form().requestSubmit();
    }
    if (event.altKey && /^[1-3]$/.test(event.key)) {
      var buttons = document.querySelectorAll("#suggestions .suggestion");
      var button = buttons[Number(event.key) - 1];
      if (button) { event.preventDefault(); pick(button); }
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".suggestion");
    if (button) pick(button);
  });
})();
