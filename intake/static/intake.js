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

  // Character count (the GOV.UK pattern): the limit stays said under the box for screen
  // readers (aria-describedby), and a visible count replaces it on screen. A screen reader
  // hears the count once typing pauses, not after every key: a polite live region, written
  // a second after the last change.
  var ANNOUNCE_AFTER_MS = 1000;
  var counted = document.querySelectorAll("[data-character-count]");
  Array.prototype.forEach.call(counted, function (field) {
    var limit = parseInt(field.getAttribute("data-character-count"), 10);
    var box = field.querySelector("textarea");
    var info = field.querySelector(".character-count-info");
    if (!box || !info || !limit) { return; }
    var visible = document.createElement("p");
    visible.className = "hint character-count-status";
    visible.setAttribute("aria-hidden", "true");
    var spoken = document.createElement("p");
    spoken.className = "visually-hidden";
    spoken.setAttribute("aria-live", "polite");
    info.parentNode.insertBefore(visible, info.nextSibling);
    info.parentNode.insertBefore(spoken, visible.nextSibling);
    info.classList.add("visually-hidden");
    // Numbers grouped as the server groups them in the limit and the error ("4,000", "4.000").
    var group = info.getAttribute("data-group") || "";
    function number(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, group); }

    function message() {
      // Characters as the server counts them: a pair of surrogates (an emoji) is one.
      var left = limit - Array.from(box.value).length;
      var count = Math.abs(left);
      var kind = (left < 0 ? "over-" : "remaining-") + (count === 1 ? "one" : "other");
      var text = info.getAttribute("data-" + kind);
      return { over: left < 0, text: text.replace("{count}", number(count)) };
    }
    function show() {
      var now = message();
      visible.textContent = now.text;
      visible.classList.toggle("character-count-status--over", now.over);
      box.classList.toggle("textarea--over", now.over);
    }
    var timer = null;
    show();
    box.addEventListener("input", function () {
      show();
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { spoken.textContent = message().text; }, ANNOUNCE_AFTER_MS);
    });
  });
})();
