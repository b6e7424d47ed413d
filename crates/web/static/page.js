// Small behaviours the pages once wrote inline, kept in a file so that the
// Content-Security-Policy can forbid inline script: a form with
// data-confirm asks before it is sent, a link with data-back goes back, and
// a hotline form shows only the chosen category's questions (without
// script it shows every category's, each under its name).
(function () {
  "use strict";
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      e.preventDefault();
    }
  });
  function chosenCategory(form) {
    var select = form.querySelector("select[name=category]");
    if (select) {
      return select.value;
    }
    var radio = form.querySelector("input[name=category]:checked");
    return radio ? radio.value : "";
  }
  function showQuestions(form) {
    var sets = form.querySelectorAll("fieldset.questions[data-category]");
    var chosen = chosenCategory(form);
    for (var i = 0; i < sets.length; i++) {
      sets[i].hidden = chosen !== "" && sets[i].getAttribute("data-category") !== chosen;
    }
  }
  document.addEventListener("change", function (e) {
    if (e.target.name === "category" && e.target.form) {
      showQuestions(e.target.form);
    }
  });
  var forms = document.querySelectorAll("form");
  for (var f = 0; f < forms.length; f++) {
    if (forms[f].querySelector("fieldset.questions")) {
      showQuestions(forms[f]);
    }
  }
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a[data-back]");
    if (link && window.history.length > 1) {
      e.preventDefault();
      window.history.back();
    }
  });
})();
