// Progressive enhancement only: every page works without JavaScript.
(function () {
  "use strict";
  // Move focus to the error summary so screen readers and keyboard users start there.
  var summary = document.querySelector("[data-autofocus]");
  if (summary) { summary.focus(); }

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
