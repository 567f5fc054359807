// Small behaviours for Kyoso pages. Loaded as a file: the CSP allows no inline script.
(function () {
  "use strict";
  // Confirm destructive buttons marked with data-confirm.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = button && button.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
})();
