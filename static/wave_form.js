// New-wave form: as teams are ticked and k changes, name the teams whose active roster is
// below k (they can never show results) and where their answers count. The server says the
// same on submit; this only says it earlier.
(function () {
  "use strict";
  var form = document.getElementById("wave-form");
  var live = document.getElementById("small-teams-live");
  var sizes = document.getElementById("roster-sizes");
  if (!form || !live || !sizes) return;
  var k = form.querySelector("input[name=k]");

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
  }

  function update() {
    var limit = parseInt(k && k.value, 10);
    var lines = [];
    if (!isNaN(limit)) {
      sizes.querySelectorAll("li").forEach(function (entry) {
        var box = form.querySelector("input[name=teams][value='" + entry.dataset.team + "']");
        var active = parseInt(entry.dataset.active, 10);
        if (!box || !box.checked || active >= limit) return;
        var department = entry.dataset.department;
        var template = department ? live.dataset.withDepartment : live.dataset.withoutDepartment;
        lines.push(fill(template, { team: entry.textContent, n: active, department: department }));
      });
    }
    live.textContent = lines.join(" ");
  }

  form.addEventListener("change", update);
  if (k) k.addEventListener("input", update);
  update();
})();
