/* Dates in forms (agencies/widgets.py DateInput) and the item form's deadline preview.

   1. A date box holding something the browser cannot read as a date (a day that does not
      exist, a date half typed) would be sent empty, and the server would only see "no date".
      Such a form is not sent: the box is marked invalid with the message in its
      data-bad-date attribute (Vietnamese, from the server), and what was typed stays. The
      same check runs when the user leaves the box. The server says the same for a value it
      cannot read (typed where scripts are off) and shows it again as typed.
   2. "N ngày làm việc từ ngày …" on the item form (templates/coordination/task_form.html):
      the resulting date and the days off skipped are asked of the server (the calendar rule
      lives only in coordination/calendar.py) and shown before saving; the parts of the
      deadline that do not apply to the chosen way are hidden. */
(function () {
  "use strict";

  function described(input, id, add) {
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean)
      .filter(function (x) { return x !== id; });
    if (add) { ids.push(id); }
    if (ids.length) { input.setAttribute("aria-describedby", ids.join(" ")); } else { input.removeAttribute("aria-describedby"); }
  }

  function mark(input) {
    var id = (input.id || input.name) + "_baddate";
    var note = document.getElementById(id);
    if (!note) {
      note = document.createElement("p");
      note.id = id;
      note.className = "errorlist bad-date";
      note.setAttribute("role", "alert");
      input.insertAdjacentElement("afterend", note);
    }
    note.textContent = input.dataset.badDate;
    input.setAttribute("aria-invalid", "true");
    input.dataset.badDateShown = "1";
    described(input, id, true);
    var row = input.closest(".form-row");
    if (row) { row.classList.add("field-error"); }
  }

  function clear(input) {
    if (!input.dataset.badDateShown) { return; }
    var id = (input.id || input.name) + "_baddate";
    var note = document.getElementById(id);
    if (note) { note.remove(); }
    input.removeAttribute("aria-invalid");
    delete input.dataset.badDateShown;
    described(input, id, false);
  }

  function isBad(input) {
    return input.type === "date" && input.validity && input.validity.badInput && !input.closest("[hidden]");
  }

  // Capture phase: runs before the "sent once" guard of portal.js, which must not see a
  // form that is not sent.
  document.addEventListener("submit", function (event) {
    var bad = Array.prototype.filter.call(event.target.querySelectorAll("input[data-bad-date]"), isBad);
    if (!bad.length) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    bad.forEach(mark);
    bad[0].focus();
  }, true);

  document.addEventListener("focusout", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[data-bad-date]")) { return; }
    // Leaving for a send button: the send says it (a note added now would move the button
    // away from under the pointer, and the click would be lost).
    var next = event.relatedTarget;
    if (isBad(input) && next && next.form === input.form && next.type === "submit") { return; }
    if (isBad(input)) { mark(input); } else { clear(input); }
  });
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[data-bad-date]") && !isBad(input)) { clear(input); }
  });
})();

(function () {
  "use strict";
  var box = document.querySelector("[data-deadline-preview]");
  if (!box) { return; }
  var form = box.closest("form");
  var fieldset = box.closest("[data-deadline]");
  var days = form.querySelector("[name=due_working_days]");
  var start = form.querySelector("[name=due_start]");
  var radios = Array.prototype.slice.call(form.querySelectorAll("[name=due_mode]"));
  var asked = 0;
  var timer = null;

  function mode() {
    var checked = radios.filter(function (r) { return r.checked; })[0];
    return checked ? checked.value : "date";
  }

  function showMode() {
    fieldset.querySelectorAll("[data-deadline-mode]").forEach(function (part) {
      part.hidden = part.dataset.deadlineMode !== mode();
    });
  }

  function ask() {
    var n = days.value.trim();
    var from = start ? start.value : "";
    if (mode() !== "working_days" || !n || (start && start.validity.badInput) || !window.fetch) {
      box.textContent = "";
      return;
    }
    var mine = ++asked;
    var url = box.dataset.deadlinePreview + "?days=" + encodeURIComponent(n) + "&start=" + encodeURIComponent(from);
    window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (mine !== asked) { return; }
        if (data.ok) {
          box.innerHTML = data.html;  // rendered and escaped by the server's template
        } else {
          var first = Object.keys(data.errors)[0];
          box.textContent = data.errors[first][0];
        }
      })
      .catch(function () { if (mine === asked) { box.textContent = ""; } });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 250);
  }

  radios.forEach(function (r) { r.addEventListener("change", function () { showMode(); ask(); }); });
  days.addEventListener("input", later);
  if (start) { start.addEventListener("input", later); start.addEventListener("change", ask); }
  showMode();
  if (mode() === "working_days" && days.value.trim() && !box.children.length) { ask(); }
})();
