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

// Parties and RSVP: copy buttons, the reader's local time, the countdown.
(function () {
  "use strict";

  // <button data-copy="input-id" hidden>: shown only when copying can work.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) { return; }
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () {
        button.textContent = "Copied!";
        window.setTimeout(function () { button.textContent = label; }, 2000);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.value).then(done, function () { source.select(); });
      } else {
        source.select();
        try { if (document.execCommand("copy")) { done(); } } catch (e) { /* the text stays selected */ }
      }
    });
  });

  // <time datetime="…Z" data-local-time data-zone="Europe/London">: add the
  // reader's own time when their zone differs from the party's.
  document.querySelectorAll("time[data-local-time]").forEach(function (element) {
    var when = new Date(element.getAttribute("datetime"));
    if (isNaN(when.getTime())) { return; }
    try {
      var mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
      var theirs = element.getAttribute("data-zone");
      if (!mine || mine === theirs) { return; }
      var text = when.toLocaleString(undefined, {
        weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZoneName: "short"
      });
      var note = document.createElement("span");
      note.className = "local-time";
      note.textContent = " (" + text + " your time)";
      element.insertAdjacentElement("afterend", note);
    } catch (e) { /* old browser: the party's own time is already shown */ }
  });

  // <span data-countdown="…Z" data-now="…Z">in 3 days</span>: kept up to date every minute,
  // counting from the server's clock (data-now, when the page was made): a phone
  // whose clock is wrong would otherwise count to the wrong moment.
  function describe(ms) {
    if (ms <= 0) { return "started"; }
    var minutes = Math.floor(ms / 60000);
    var hours = Math.floor(minutes / 60);
    var days = Math.floor(hours / 24);
    if (days >= 2) { return "in " + days + " days"; }
    if (hours >= 1) { return "in " + hours + "h " + (minutes % 60) + "m"; }
    return "in " + Math.max(minutes, 1) + " min";
  }
  var countdowns = document.querySelectorAll("[data-countdown]");
  // A page shown again from the browser's cache (back button, restored tab)
  // carries the time it was first made: then the device's clock is all we have.
  function freshFromServer() {
    var entries = window.performance && performance.getEntriesByType ? performance.getEntriesByType("navigation") : [];
    var navigation = entries && entries[0];
    return !navigation || (navigation.type !== "back_forward" && navigation.transferSize !== 0);
  }
  var clockOffset = 0;  // server time minus this device's time, in ms
  if (countdowns.length && freshFromServer()) {
    var serverNow = Date.parse(countdowns[0].getAttribute("data-now") || "");
    if (!isNaN(serverNow)) { clockOffset = serverNow - Date.now(); }
  }
  function tick() {
    countdowns.forEach(function (element) {
      var when = new Date(element.getAttribute("data-countdown"));
      if (!isNaN(when.getTime())) { element.textContent = describe(when.getTime() - (Date.now() + clockOffset)); }
    });
  }
  if (countdowns.length) {
    tick();
    window.setInterval(tick, 30000);
  }
})();
