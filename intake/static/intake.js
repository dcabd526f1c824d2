// Progressive enhancement only: every page works without JavaScript.
(function () {
  "use strict";
  // Move focus to the error summary so screen readers and keyboard users start there, unless
  // the page lands on a field of its own (a row just added or removed: autofocus, or the
  // fragment's target, which the browser focused).
  var summary = document.querySelector("[data-autofocus]");
  var landed = document.querySelector("[autofocus]");
  if (summary && !landed) { summary.focus(); }
  if (landed && document.activeElement !== landed) { landed.focus(); }

  // A status shown on arrival ("Medication 2 removed.") is written again once the page is
  // ready: a live region announces changes, not what it held when the page loaded.
  var announce = document.querySelectorAll("[data-announce]");
  Array.prototype.forEach.call(announce, function (region) {
    var words = region.innerHTML;
    region.innerHTML = "";
    window.setTimeout(function () { region.innerHTML = words; }, 250);
  });

  // Show "Date you stopped" only for medications marked as stopped.
  function syncStopped(card) {
    var status = card.querySelector("select[id$='-status']");
    var stopped = card.querySelector("[data-stopped-only]");
    if (!status || !stopped) { return; }
    var isStopped = status.value === "stopped";
    var hasError = stopped.querySelector(".field-error");
    stopped.hidden = !isStopped && !hasError;
  }
  var cards = document.querySelectorAll("[data-medication]");
  Array.prototype.forEach.call(cards, function (card) {
    syncStopped(card);
    var status = card.querySelector("select[id$='-status']");
    if (status) { status.addEventListener("change", function () { syncStopped(card); }); }
  });

  // Ask "how much does it affect you?" only for the goals that are ticked.
  var goals = document.querySelectorAll(".goal");
  Array.prototype.forEach.call(goals, function (goal) {
    var box = goal.querySelector("input[type=checkbox]");
    var severity = goal.querySelector(".goal-severity");
    if (!box || !severity) { return; }
    function sync() { severity.hidden = !box.checked && !severity.querySelector(".field-error"); }
    sync();
    box.addEventListener("change", sync);
  });
})();
