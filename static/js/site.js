// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Register form: default the new account's time zone to the browser's.
  document.querySelectorAll("input[data-local-timezone]").forEach(function (input) {
    try {
      input.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) { /* leave it empty: the server falls back to UTC */ }
  });
})();
