// The incidents pages: tick each 72-hour countdown every 30 s between page loads. Progressive enhancement:
// the server renders the same text as of its own clock, so without this file the page is right at load time.
// Time is counted from the page load (not the browser's wall clock), so a wrong local clock changes nothing.
(function () {
  "use strict";
  var loaded = Date.now();
  var TICK_MS = 30000;

  function fill(template, hours, minutes) {
    return template.replace("{h}", String(hours)).replace("{m}", String(minutes));
  }

  function tick() {
    var passed = Math.floor((Date.now() - loaded) / 1000);
    var clocks = document.querySelectorAll("[data-countdown]");
    for (var i = 0; i < clocks.length; i++) {
      var box = clocks[i];
      var left = parseInt(box.getAttribute("data-seconds"), 10) - passed;
      var minutes = Math.floor(Math.abs(left) / 60);
      var text = box.querySelector(".countdown-text");
      if (text) {
        var template = box.getAttribute(left < 0 ? "data-overdue" : "data-left") || "";
        text.textContent = fill(template, Math.floor(minutes / 60), minutes % 60);
      }
      box.classList.toggle("overdue", left < 0);
      var bar = box.querySelector("progress");
      if (bar) {
        var elapsed = parseInt(box.getAttribute("data-elapsed"), 10) + Math.floor(passed / 60);
        bar.value = Math.min(elapsed, bar.max);
      }
    }
  }

  window.setInterval(tick, TICK_MS);
})();
