// Small behaviours the pages once wrote inline, kept in a file so that the
// Content-Security-Policy can forbid inline script: a form with
// data-confirm asks before it is sent, a link with data-back goes back.
(function () {
  "use strict";
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      e.preventDefault();
    }
  });
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a[data-back]");
    if (link && window.history.length > 1) {
      e.preventDefault();
      window.history.back();
    }
  });
})();
