// Draw the API reference from the OpenAPI document named on the page (no inline script: the CSP forbids it).
(function () {
  var element = document.getElementById("reference");
  Redoc.init(element.dataset.specUrl, { hideDownloadButton: false }, element);
})();
