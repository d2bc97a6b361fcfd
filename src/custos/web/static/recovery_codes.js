// The recovery codes page: copy the codes, download them as a text file, print them. Progressive enhancement:
// without this file the buttons stay hidden and the page says how to keep the codes by hand.
// The file is made here, in the browser, from the codes already on the page (a Blob), so no copy of them in
// clear is kept or served anywhere else; the page itself is sent with Cache-Control: no-store.
(function () {
  "use strict";
  var tools = document.getElementById("codes-tools");
  var list = document.getElementById("recovery-codes");
  var status = document.getElementById("codes-status");
  if (!tools || !list || !status) {
    return;
  }

  function codes() {
    var found = list.querySelectorAll("code");
    var lines = [];
    for (var i = 0; i < found.length; i++) {
      lines.push(found[i].textContent.trim());
    }
    return lines;
  }

  function say(key) {
    status.textContent = tools.getAttribute(key) || "";
  }

  function copyBySelection(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var done = false;
    try {
      done = document.execCommand("copy");
    } catch (e) {
      done = false;
    }
    document.body.removeChild(area);
    return done;
  }

  document.getElementById("codes-copy").addEventListener("click", function () {
    var text = codes().join("\n") + "\n";
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(
        function () { say("data-copied"); },
        function () { say(copyBySelection(text) ? "data-copied" : "data-copy-failed"); }
      );
    } else {
      say(copyBySelection(text) ? "data-copied" : "data-copy-failed");
    }
  });

  document.getElementById("codes-download").addEventListener("click", function () {
    var heading = tools.getAttribute("data-file-heading") || "";
    var body = heading + "\n\n" + codes().join("\n") + "\n";
    var url = URL.createObjectURL(new Blob([body], { type: "text/plain;charset=utf-8" }));
    var link = document.createElement("a");
    link.href = url;
    link.download = tools.getAttribute("data-file") || "recovery-codes.txt";
    document.body.appendChild(link);
    link.click();
    document.body.removeChild(link);
    // Let go of the file's memory once the browser has started saving it.
    window.setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
    say("data-downloaded");
  });

  document.getElementById("codes-print").addEventListener("click", function () {
    window.print();
  });

  tools.hidden = false;
  var byHand = document.getElementById("codes-by-hand");
  if (byHand) {
    byHand.hidden = true;
  }
})();
