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

/* Confirmation before an irreversible act (agencies/confirm.py, docs/confirmations.md).
   A form, or the button that sends it, with data-confirm="question" (and optionally
   data-confirm-details="one consequence per line", data-confirm-label="button text")
   asks in a modal <dialog> first: focus stays in the dialog, Esc or "Quay lại" cancels
   and gives focus back to the button, OK adds confirmed=1 and sends the form, once (the
   double-submit guard and the one-time token above apply to that send as usual).
   Without scripts the server asks instead, on its confirm page. Registered in the capture
   phase so that a send that is still to be confirmed never reaches the guard above. */
(function () {
  "use strict";
  var script = document.currentScript;
  var texts = {
    ok: (script && script.dataset.confirmOk) || "Xác nhận",
    cancel: (script && script.dataset.confirmCancel) || "Quay lại",
    lead: (script && script.dataset.confirmLead) || "Khi xác nhận:"
  };

  function confirmedInput(form) {
    var input = form.querySelector("input[name=confirmed]");
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = "confirmed";
      form.appendChild(input);
    }
    return input;
  }

  function buildDialog(source) {
    var dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-modal", "true");
    var title = document.createElement("h2");
    title.id = "confirm-dialog-title";
    title.textContent = source.dataset.confirm;
    dialog.setAttribute("aria-labelledby", title.id);
    dialog.appendChild(title);
    var details = (source.dataset.confirmDetails || "").split("\n").filter(function (l) { return l.trim(); });
    if (details.length) {
      var lead = document.createElement("p");
      lead.textContent = texts.lead;
      var list = document.createElement("ul");
      list.id = "confirm-dialog-details";
      details.forEach(function (line) {
        var li = document.createElement("li");
        li.textContent = line;
        list.appendChild(li);
      });
      dialog.appendChild(lead);
      dialog.appendChild(list);
      dialog.setAttribute("aria-describedby", list.id);
    }
    var actions = document.createElement("div");
    actions.className = "actions";
    var ok = document.createElement("button");
    ok.type = "button";
    ok.className = "btn btn--danger";
    ok.dataset.confirmOk = "";
    ok.textContent = source.dataset.confirmLabel || texts.ok;
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "btn btn--secondary";
    cancel.dataset.confirmCancel = "";
    cancel.textContent = texts.cancel;
    actions.appendChild(ok);
    actions.appendChild(cancel);
    dialog.appendChild(actions);
    return { dialog: dialog, ok: ok, cancel: cancel };
  }

  function ask(source, onOk, returnFocus) {
    if (typeof HTMLDialogElement === "undefined" || !HTMLDialogElement.prototype.showModal) {
      var text = source.dataset.confirm + "\n\n" + (source.dataset.confirmDetails || "");
      if (window.confirm(text)) { onOk(); }
      return;
    }
    var parts = buildDialog(source);
    var dialog = parts.dialog;
    var accepted = false;
    document.body.appendChild(dialog);
    dialog.addEventListener("keydown", function (event) {
      if (event.key !== "Tab") { return; }
      // Keep focus on the dialog's two buttons (showModal makes the page inert too).
      var first = parts.ok, last = parts.cancel;
      if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
      else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
    });
    dialog.addEventListener("close", function () {
      dialog.remove();
      if (accepted) { onOk(); } else if (returnFocus) { returnFocus.focus(); }
    });
    parts.cancel.addEventListener("click", function () { dialog.close(); });
    parts.ok.addEventListener("click", function () { accepted = true; dialog.close(); });
    dialog.showModal();  // Esc fires "cancel" then "close": nothing is sent
    parts.cancel.focus();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.method || form.method.toLowerCase() !== "post") { return; }
    var button = event.submitter || null;
    var source = button && button.dataset && button.dataset.confirm !== undefined ? button
      : (form.dataset.confirm !== undefined ? form : null);
    if (!source) { return; }
    var input = form.querySelector("input[name=confirmed]");
    if (input && input.value === "1") { return; }
    if (form.dataset.sending === "1") { return; }  // the guard below refuses it
    // A required field left empty: nothing to confirm yet, the server says what is missing.
    if (form.checkValidity && !form.checkValidity()) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    ask(source, function () {
      confirmedInput(form).value = "1";
      if (form.requestSubmit) {
        form.requestSubmit(button && button.form === form ? button : undefined);
      } else {
        if (button && button.name) {
          var carry = document.createElement("input");
          carry.type = "hidden";
          carry.name = button.name;
          carry.value = button.value;
          form.appendChild(carry);
        }
        form.submit();
      }
    }, button || form.querySelector("[type=submit]"));
  }, true);

  // A form shown again (Back, or refused with the user's input) asks again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form input[name=confirmed]").forEach(function (input) {
      if (input.form && !input.hasAttribute("value")) { input.value = ""; }
    });
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

// What was typed is not left in silence: leaving a page whose form marked
// data-warn-unsaved was changed and not sent asks first (the scoring sheet opens one area
// at a time, issue 14; its inputs may sit outside the form, tied by form="…").
(function () {
  var forms = Array.prototype.slice.call(document.querySelectorAll("form[data-warn-unsaved]"));
  if (!forms.length) { return; }
  var dirty = false;
  document.addEventListener("input", function (event) {
    if (forms.indexOf(event.target.form) !== -1) { dirty = true; }
  });
  forms.forEach(function (form) {
    form.addEventListener("submit", function () { dirty = false; });
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
})();
