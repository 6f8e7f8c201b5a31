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

/* Document jobs (templates/reports/document_job.html): the status page polls its JSON every
   1.5 s, shows the stage and the progress, and starts the download once when the document is
   ready (remembered per job for this tab, so coming Back does not download it again). A
   failure reloads the page, which shows the message and the "Thử lại" button. Without
   scripts the page refreshes itself (<noscript> meta refresh). */
(function () {
  "use strict";
  var box = document.querySelector("[data-document-job]");
  if (!box || !window.fetch) { return; }
  var heading = document.querySelector("[data-job-heading]");
  var key = "document-job:" + box.dataset.jobId;

  function startDownload(url) {
    var started = null;
    try { started = window.sessionStorage.getItem(key); } catch (e) { /* storage off */ }
    if (started || !url) { return; }
    try { window.sessionStorage.setItem(key, "1"); } catch (e) { /* storage off */ }
    window.location.assign(url);
  }

  function show(state) {
    var bar = box.querySelector("[data-job-progress]");
    var percent = box.querySelector("[data-job-percent]");
    var stage = box.querySelector("[data-job-stage]");
    if (bar) { bar.value = state.progress; bar.textContent = state.progress + "%"; }
    if (percent) { percent.textContent = state.progress + "%"; }
    if (stage && stage.textContent !== state.stage) { stage.textContent = state.stage; }
    if (!state.done) { return; }
    box.querySelector("[data-job-link]").setAttribute("href", state.download);
    box.querySelector("[data-job-download]").hidden = false;
    if (heading) {
      heading.textContent = heading.dataset.doneText;
      document.title = heading.dataset.doneText;
    }
    startDownload(state.download);
  }

  function poll() {
    window.fetch(box.dataset.documentJob, {
      credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (state) {
      if (state.failed) { window.location.reload(); return; }
      show(state);
      if (!state.finished) { window.setTimeout(poll, 1500); }
    }).catch(function () { window.setTimeout(poll, 5000); });
  }

  if (box.dataset.state === "done") {
    startDownload(box.querySelector("[data-job-link]").getAttribute("href"));
  } else if (box.dataset.state !== "failed") {
    window.setTimeout(poll, 1000);
  }
})();
