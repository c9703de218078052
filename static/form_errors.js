// A form sent back with errors: focus goes to the first field in error, so that a keyboard
// or screen-reader user lands on it and hears its message (tied by aria-describedby). The
// survey moves focus to its own list of problems instead, and a page that already put focus
// somewhere keeps it.
(function () {
  "use strict";
  if (document.getElementById("problems")) return;
  if (document.activeElement && document.activeElement !== document.body) return;
  var field = document.querySelector(
    "main [aria-invalid=true], main .has-error input, main .has-error select, main .has-error textarea"
  );
  if (field) field.focus();
})();
