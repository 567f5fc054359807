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
  // A rate-limited fragment (429) carries its own explanation: show it like any answer.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 429) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // htmx keeps a copy of the page for Back and restores it as HTML. Style attributes that scripts set (a
  // dropdown's position, a collapse's height) would come back as markup, which the CSP refuses: the copy
  // is taken without them (the elements they belong to are closed by then or get them again when used).
  document.addEventListener("htmx:beforeHistorySave", function (event) {
    event.detail.historyElt.querySelectorAll("[style]").forEach(function (element) {
      element.removeAttribute("style");
    });
  });
  // The search box's live results close on Escape and on a click elsewhere.
  function closeSearchResults(event) {
    var live = document.getElementById("kyoso-search-live");
    if (!live || (event.type === "click" && live.parentNode.contains(event.target))) {
      return;
    }
    if (event.type === "click" || event.key === "Escape") {
      live.innerHTML = "";
    }
  }
  document.addEventListener("click", closeSearchResults);
  document.addEventListener("keydown", closeSearchResults);
})();
