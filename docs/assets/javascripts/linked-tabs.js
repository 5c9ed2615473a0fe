/*
 * Linked content tabs for tab groups inside collapsed solutions.
 *
 * Material's content.tabs.link matches tab labels by innerText, which is empty for
 * a label inside a closed <details>. So choosing "BCC" in one solution left every
 * still-collapsed solution on "bpftrace", on the same page and on the next one.
 * This matches by textContent instead, for every group on the page.
 */
(function () {
  "use strict";

  function labelOf(input) {
    return document.querySelector('label[for="' + input.id + '"]');
  }

  function inputsOf(set) {
    return Array.prototype.slice.call(set.querySelectorAll(":scope > input"));
  }

  function select(set, text, notify) {
    var inputs = inputsOf(set);
    for (var i = 0; i < inputs.length; i++) {
      var label = labelOf(inputs[i]);
      if (label && label.textContent.trim() === text) {
        if (!inputs[i].checked) {
          inputs[i].checked = true;
          if (notify) {
            // Tell Material's tab component (it moves the underline); the marker stops
            // it from re-broadcasting the change with its innerText matching.
            label.setAttribute("data-md-switching", "");
            inputs[i].dispatchEvent(new Event("change"));
          }
        }
        return true;
      }
    }
    return false;
  }

  // On load (before Material starts, so a plain `checked` is enough): apply the stored
  // choices, most recent first, to every group.
  var stored = typeof __md_get === "function" ? __md_get("__tabs") : null;
  if (Array.isArray(stored)) {
    document.querySelectorAll(".tabbed-set").forEach(function (set) {
      for (var i = 0; i < stored.length; i++) {
        if (select(set, stored[i], false)) break;
      }
    });
  }

  // A reader's choice (a trusted event; Material's own switching is synthetic) reaches every group.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!event.isTrusted || !input.matches || !input.matches(".tabbed-set > input")) return;
    var label = labelOf(input);
    if (!label) return;
    var text = label.textContent.trim();
    var own = input.parentElement;
    document.querySelectorAll(".tabbed-set").forEach(function (set) {
      if (set !== own) select(set, text, true);
    });
  });
})();
