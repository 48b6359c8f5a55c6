// gaitlab web app: live job status (polls a JSON endpoint), confirmation of deletions, upload busy state.
(function () {
  "use strict";
  var POLL_MS = 2000;

  function pollStatus(box) {
    var url = box.getAttribute("data-status-url");
    var start = box.getAttribute("data-state");
    if (start !== "queued" && start !== "running") { return; }
    function tick() {
      fetch(url, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (s) {
          if (s.state === "done" || s.state === "failed") { window.location.reload(); return; }
          var state = document.getElementById("job-state");
          var stage = document.getElementById("job-stage");
          var bar = document.getElementById("job-progress");
          var pct = document.getElementById("job-pct");
          if (state) { state.textContent = s.state; state.className = "state state-" + s.state; }
          if (stage) { stage.textContent = s.stage || ""; }
          if (bar) { bar.value = s.progress_pct; bar.textContent = Math.round(s.progress_pct) + " %"; }
          if (pct) { pct.textContent = Math.round(s.progress_pct) + " %"; }
          window.setTimeout(tick, POLL_MS);
        })
        .catch(function () { window.setTimeout(tick, POLL_MS * 3); });
    }
    window.setTimeout(tick, POLL_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("job-status");
    if (box) { pollStatus(box); }
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { ev.preventDefault(); }
      });
    });
    var upload = document.getElementById("upload-form");
    if (upload) {
      upload.addEventListener("submit", function () {
        var button = document.getElementById("upload-button");
        var busy = document.getElementById("upload-busy");
        if (button) { button.disabled = true; button.textContent = "Uploading…"; }
        if (busy) { busy.hidden = false; }
      });
    }
  });
})();
