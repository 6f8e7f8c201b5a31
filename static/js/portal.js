/* Small progressive enhancements; the portal works without them (CSP: no inline scripts).
   - A form is sent once: a second click while the page is loading does nothing, and the
     clicked button says "Đang xử lý…" (imports and PDF issuing can take several seconds).
   - Links to generated files (PDF, Excel) show the same note while the file is prepared.
   - A create form's one-time token (agencies/once.py) survives Back: the token a form was
     sent with is kept for this tab (sessionStorage); coming back to the form through the
     history puts it back, so "send again" shows the first result instead of creating a
     second record (browsers restore what was typed, never a hidden input). */
(function () {
  "use strict";
  var script = document.currentScript;
  var busyText = (script && script.dataset.busyText) || "Đang xử lý…";

  function note(el) {
    if (el.querySelector(".busy-note") || (el.nextElementSibling && el.nextElementSibling.classList.contains("busy-note"))) {
      return;
    }
    var span = document.createElement("span");
    span.className = "busy-note";
    span.setAttribute("role", "status");
    span.textContent = busyText;
    el.insertAdjacentElement("afterend", span);
    return span;
  }

  function markBusy(el, ms) {
    el.classList.add("is-busy");
    el.setAttribute("aria-busy", "true");
    var span = note(el);
    if (ms) {
      window.setTimeout(function () {
        el.classList.remove("is-busy");
        el.removeAttribute("aria-busy");
        if (span) { span.remove(); }
      }, ms);
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.method.toLowerCase() !== "post") { return; }
    if (form.dataset.sending === "1") { event.preventDefault(); return; }
    form.dataset.sending = "1";
    remember(form);
    // The button keeps its name and value (a disabled submitter would not be sent).
    var button = event.submitter || form.querySelector("[type=submit]");
    if (button) { markBusy(button, 0); }
    // A response that is a file download leaves the page in place: allow another try later.
    window.setTimeout(function () { form.dataset.sending = ""; }, 15000);
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (!link || event.defaultPrevented) { return; }
    var href = link.getAttribute("href").split("?")[0];
    if (/\.(pdf|xlsx)$/.test(href)) { markBusy(link, 6000); }
  });

  function onceKey(form) {
    return "once:" + location.pathname + ":" + (form.getAttribute("action") || "");
  }

  function remember(form) {
    var token = form.querySelector("input[name=once]");
    try { if (token) { window.sessionStorage.setItem(onceKey(form), token.value); } } catch (e) { /* storage off */ }
  }

  var navigation = window.performance && performance.getEntriesByType
    ? performance.getEntriesByType("navigation")[0] : null;
  if (navigation && navigation.type === "back_forward") {
    document.querySelectorAll("input[name=once]").forEach(function (input) {
      var sent = null;
      try { sent = window.sessionStorage.getItem(onceKey(input.form)); } catch (e) { /* storage off */ }
      if (sent) { input.value = sent; }
    });
  }

  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll(".busy-note").forEach(function (n) { n.remove(); });
    document.querySelectorAll(".is-busy").forEach(function (n) {
      n.classList.remove("is-busy");
      n.removeAttribute("aria-busy");
    });
    document.querySelectorAll("form[data-sending]").forEach(function (f) { f.dataset.sending = ""; });
  });
})();
