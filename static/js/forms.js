// Forms, progressive enhancement only: every form works without this file.
(function () {
  "use strict";

  // The error summary above a refused form (_macros/forms.html): focus goes to it, so a
  // screen reader reads it and the next Tab leads into its links.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }

  // Open any closed <details> around an element, so that a link to a field inside a
  // collapsed section (the party form's) shows the field.
  function reveal(element) {
    for (var node = element && element.parentElement; node; node = node.parentElement) {
      if (node.tagName === "DETAILS" && !node.open) { node.open = true; }
    }
  }

  // A summary link moves the focus to its field (a fragment link alone only scrolls), with the
  // field's label in view above it.
  document.querySelectorAll("[data-error-summary] a[href^='#']").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) { return; }
      event.preventDefault();
      reveal(target);
      var field = target.closest(".field") || target;
      field.scrollIntoView({ block: "start" });
      target.focus({ preventScroll: true });
      if (window.history && history.replaceState) { history.replaceState(null, "", link.getAttribute("href")); }
    });
  });
  if (window.location.hash.length > 1) {
    reveal(document.getElementById(window.location.hash.slice(1)));
  }

  // <select data-guess-timezone>: when the page chose no zone (no option is selected in the
  // HTML, e.g. a host without an account yet), choose the browser's own, if it is on the list.
  document.querySelectorAll("select[data-guess-timezone]").forEach(function (select) {
    var chosen = Array.prototype.some.call(select.options, function (option) { return option.defaultSelected; });
    if (chosen) { return; }
    try {
      var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      var match = Array.prototype.filter.call(select.options, function (option) { return option.value === zone; })[0];
      if (match) { select.value = zone; }
    } catch (e) { /* old browser: the server's default stays */ }
  });
})();
