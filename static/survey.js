// Survey page, progressive enhancement only: the form works the same without this file.
// 1. The submit button is disabled after the first click, so a double click sends once
//    (the server records one response per link in any case).
// 2. Each section's progress line also shows how many questions are answered so far.
// 3. The language switch sends the question the respondent was at (the last one answered
//    or focused, else the first one in view), and the page comes back to it.
// 4. After an error, focus moves to the summary that lists the problems.
(function () {
  "use strict";
  var form = document.getElementById("survey");
  if (!form) { return; }
  var problems = document.getElementById("problems");
  if (problems && !window.location.hash) { problems.focus(); }

  var at = form.querySelector("input[name=at]");
  var current = null;
  function remember(event) {
    var item = event.target.closest ? event.target.closest("fieldset.item") : null;
    if (item) { current = item.id; }
  }
  form.addEventListener("focusin", remember);
  form.addEventListener("change", remember);
  function inView() {
    var items = form.querySelectorAll("fieldset.item");
    for (var i = 0; i < items.length; i++) {
      if (items[i].getBoundingClientRect().bottom > 80) { return items[i].id; }
    }
    return null;
  }
  var switches = document.querySelectorAll("button[name=lang]");
  for (var s = 0; s < switches.length; s++) {
    switches[s].addEventListener("click", function () {
      var id = current || inView();
      if (at && id) { at.value = id.replace(/^q-/, ""); }
    });
  }
  var total = parseInt(form.getAttribute("data-total"), 10) || 0;
  var template = form.getAttribute("data-answered-template") || "{n}/{total}";

  function answered() {
    var names = {};
    var inputs = form.querySelectorAll("input[type=radio]:checked");
    for (var i = 0; i < inputs.length; i++) { names[inputs[i].name] = true; }
    return Object.keys(names).length;
  }

  function update() {
    var text = " · " + template.replace("{n}", answered()).replace("{total}", total);
    var spans = form.querySelectorAll(".progress .answered");
    for (var i = 0; i < spans.length; i++) {
      spans[i].textContent = text;
      spans[i].hidden = false;
    }
  }

  form.addEventListener("change", update);
  update();

  var sent = false;
  form.addEventListener("submit", function (event) {
    if (sent) { event.preventDefault(); return; }
    sent = true;
    var buttons = form.querySelectorAll("button[type=submit]");
    // Disable after this event, so that the button's own name and value are still sent.
    window.setTimeout(function () {
      for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = true; }
    }, 0);
  });
  // A page restored from the back-forward cache must be usable again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    sent = false;
    var buttons = form.querySelectorAll("button[type=submit]");
    for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = false; }
  });
})();
