// Survey page, progressive enhancement only: the form works the same without this file.
// 1. The submit button is disabled after the first click, so a double click sends once
//    (the server records one response per link in any case).
// 2. Each section's progress line also shows how many questions are answered so far.
(function () {
  "use strict";
  var form = document.getElementById("survey");
  if (!form) { return; }
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
