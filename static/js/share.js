// The share sheet, progressive enhancement only: without it (or without a share sheet in
// the browser) the Copy button and the WhatsApp, text and email links do the job.
(function () {
  "use strict";

  // <button data-share="input-id" data-share-title data-share-text hidden>: shown only where the
  // browser can share (mostly phones); it hands the link in the input to the share sheet.
  document.querySelectorAll("button[data-share]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-share"));
    if (!source || !navigator.share) { return; }
    var data = {
      title: button.getAttribute("data-share-title") || document.title,
      text: button.getAttribute("data-share-text") || "",
      url: source.value
    };
    if (navigator.canShare && !navigator.canShare(data)) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.share(data).catch(function () { /* closed without sharing: nothing to do */ });
    });
  });
})();
