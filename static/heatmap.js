// Heatmap: the selected cell's n, interval, SD and rwg(j), read from its data attributes.
(function () {
  "use strict";
  function show(cell) {
    var panel = document.getElementById("heatmap-detail");
    var row = cell.parentNode.querySelector("th");
    var table = document.getElementById("heatmap");
    var head = table.querySelector('thead th[data-scale="' + cell.dataset.scale + '"]');
    var parts = [row.textContent.trim() + " · " + head.textContent.trim(), "n = " + cell.dataset.n];
    if (cell.dataset.ci) parts.push(table.dataset.interval + " " + cell.dataset.ci);
    if (cell.dataset.sd) parts.push("SD " + cell.dataset.sd);
    if (cell.dataset.rwg) parts.push("rwg(j) " + Number(cell.dataset.rwg).toFixed(2));
    if (cell.dataset.estimate) parts.push(table.dataset[cell.dataset.estimate]);
    panel.textContent = parts.join("; ");
    panel.hidden = false;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var table = document.getElementById("heatmap");
    if (!table) return;
    table.addEventListener("focusin", function (event) {
      var cell = event.target.closest("td[data-mean]");
      if (cell) show(cell);
    });
    table.addEventListener("click", function (event) {
      var cell = event.target.closest("td[data-mean]");
      if (cell) cell.focus();
    });
  });
})();
