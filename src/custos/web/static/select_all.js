// "Select all on this page" for the admin's bulk forms (the requests queue, the system tasks). Progressive
// enhancement: without this file the box is still sent, and the server takes every row of the page.
(function () {
  "use strict";
  function rows(form) {
    return form.querySelectorAll("input[type=checkbox][data-pick]");
  }
  var boxes = document.querySelectorAll("input[type=checkbox][data-select-all]");
  for (var i = 0; i < boxes.length; i++) {
    (function (all) {
      var form = document.getElementById(all.getAttribute("data-select-all"));
      if (!form) {
        return;
      }
      all.addEventListener("change", function () {
        var picks = rows(form);
        for (var j = 0; j < picks.length; j++) {
          picks[j].checked = all.checked;
        }
      });
      form.addEventListener("change", function (event) {
        if (event.target === all || !event.target.hasAttribute("data-pick")) {
          return;
        }
        var picks = rows(form);
        var ticked = 0;
        for (var j = 0; j < picks.length; j++) {
          if (picks[j].checked) {
            ticked++;
          }
        }
        all.checked = ticked === picks.length;
        all.indeterminate = ticked > 0 && ticked < picks.length;
      });
    })(boxes[i]);
  }
})();
