// Progressive enhancement only: the pages work without it (CSP: no inline script).
(function () {
  // The session's idle time-out: a countdown in the header, a warning five
  // minutes before, and the sign-in page when it has run out.
  var w = document.getElementById("timeout-warning");
  var left = document.getElementById("session-left");
  if (w && left) {
    var idle = parseInt(w.getAttribute("data-idle-seconds"), 10) || 1800;
    var ends = Date.now() + idle * 1000;
    var tick = function () {
      var s = Math.max(0, Math.round((ends - Date.now()) / 1000));
      left.textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
      w.hidden = s > 300;
      if (s === 0) {
        window.location.href = "/ui/signin";
        return;
      }
      setTimeout(tick, 1000);
    };
    tick();
  }

  // Put the cursor on the first field with an error.
  var bad = document.querySelector("[aria-invalid=true]");
  if (bad) bad.focus();

  // A running job's page follows its progress without reloading.
  var job = document.getElementById("job");
  if (job && job.getAttribute("data-running") === "true") {
    var id = job.getAttribute("data-job-id");
    var set = function (elId, text) {
      var e = document.getElementById(elId);
      if (e) e.textContent = text;
    };
    var poll = function () {
      fetch("/ui/jobs/" + id + "/status", { credentials: "same-origin", cache: "no-store" })
        .then(function (r) {
          if (r.status === 401) {
            window.location.href = "/ui/signin";
            throw new Error("signed out");
          }
          return r.json();
        })
        .then(function (j) {
          document.getElementById("job-progress").value = j.percent;
          set("job-percent", j.percent);
          set("job-done", j.done);
          set("job-total", j.total);
          set("job-status", j.status_ja);
          document.getElementById("job-status").className = j.status;
          set("job-finished", j.finished);
          set("job-summary", j.summary);
          if (j.running) {
            setTimeout(poll, 500);
          } else {
            job.setAttribute("data-running", "false");
            document.getElementById("job-report").hidden = !j.has_error_report;
          }
        })
        .catch(function () {});
    };
    setTimeout(poll, 300);
  }
})();
