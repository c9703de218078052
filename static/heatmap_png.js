// Heatmap as PNG: the product's own SVG picture drawn on a canvas and saved, all in the
// browser (no server-side renderer, nothing fetched from elsewhere). The SVG is loaded as a
// same-origin image, so the canvas may be read back. Without JavaScript the button stays
// hidden and the SVG link beside it is the download.
(function () {
  "use strict";
  // Browsers refuse canvases much larger than this (width, height or area); a picture
  // past it is drawn smaller rather than not at all.
  var MAX_SIDE = 16384;
  var MAX_AREA = 64 * 1024 * 1024;
  var SHARPNESS = 2; // pixels per SVG unit: crisp text on slides and high-density screens

  function save(blob, filename) {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = filename;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
  }

  function convert(button) {
    var status = document.getElementById("heatmap-png-status");
    var picture = new Image();
    button.disabled = true;
    status.textContent = button.dataset.working;
    picture.onload = function () {
      var width = picture.naturalWidth || picture.width;
      var height = picture.naturalHeight || picture.height;
      var scale = Math.min(
        SHARPNESS,
        MAX_SIDE / width,
        MAX_SIDE / height,
        Math.sqrt(MAX_AREA / (width * height))
      );
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.floor(width * scale));
      canvas.height = Math.max(1, Math.floor(height * scale));
      var context = canvas.getContext("2d");
      // A PNG has no page behind it: paint the white the SVG is read on.
      context.fillStyle = "#ffffff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(picture, 0, 0, canvas.width, canvas.height);
      canvas.toBlob(function (blob) {
        button.disabled = false;
        if (!blob) {
          status.textContent = button.dataset.failed;
          return;
        }
        status.textContent = "";
        save(blob, button.dataset.filename);
      }, "image/png");
    };
    picture.onerror = function () {
      button.disabled = false;
      status.textContent = button.dataset.failed;
    };
    picture.src = button.dataset.svg;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var control = document.getElementById("heatmap-png-control");
    var button = document.getElementById("heatmap-png");
    if (!control || !button || !window.HTMLCanvasElement) return;
    control.hidden = false;
    button.addEventListener("click", function () { convert(button); });
  });
})();
