/* A stand-in for an analytics tracker, for the demo page only: it sets Piwik PRO-like first-party cookies
   and reports page views to /consent/demo/collect, so a newcomer can watch the banner hold it back. */
(function () {
  "use strict";
  var id = Math.random().toString(16).slice(2);
  document.cookie = "_pk_id.demo.1=" + id + "; Max-Age=31536000; path=/; SameSite=Lax";
  document.cookie = "_pk_ses.demo.1=1; Max-Age=1800; path=/; SameSite=Lax";
  var stopped = false;
  function ping(kind) {
    if (!stopped) fetch("/consent/demo/collect?e=" + kind + "&v=" + id, { credentials: "same-origin" });
  }
  ping("pageview");
  var timer = setInterval(function () { ping("heartbeat"); }, 5000);
  var status = document.getElementById("analytics-status");
  if (status) status.textContent = "Fake analytics is running (visitor " + id + ").";
  // Stop at once when the visitor withdraws (Art. 7(3)); the banner deletes the cookies.
  document.addEventListener("custos:consent", function (e) {
    if (e.detail.choices.analytics) return;
    stopped = true;
    clearInterval(timer);
    if (status) status.textContent = "Fake analytics stopped.";
  });
})();
