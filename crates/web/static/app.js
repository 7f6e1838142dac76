// Progressive enhancement only: the pages work without it.
// Warns before the idle time-out signs the clerk out (CSP: no inline script).
(function () {
  var w = document.getElementById("timeout-warning");
  if (!w) return;
  var idle = parseInt(w.getAttribute("data-idle-seconds"), 10) || 1800;
  var timer;
  function arm() {
    clearTimeout(timer);
    w.hidden = true;
    timer = setTimeout(function () { w.hidden = false; }, Math.max(idle - 300, 60) * 1000);
  }
  arm();
})();
