/* Score bands as rows (scoring/bands.py): "Thêm dòng" adds a blank row, "Xóa" removes one.
   Without scripts the page has blank rows to fill and a row is removed by emptying it. */
(function () {
  "use strict";
  function setUp(box) {
    if (box.dataset.ready) { return; }
    box.dataset.ready = "1";
    var body = box.querySelector("tbody");
    var add = box.querySelector("[data-band-add]");
    var limit = parseInt(box.dataset.limit, 10) || 10;
    var next = body.querySelectorAll("[data-band-row]").length;

    function rows() { return body.querySelectorAll("[data-band-row]"); }
    function renumber() {
      rows().forEach(function (row, i) {
        row.querySelectorAll("input").forEach(function (input) {
          var label = input.getAttribute("aria-label") || "";
          input.setAttribute("aria-label", label.replace(/\d+$/, String(i + 1)));
        });
      });
      add.disabled = rows().length >= limit;
    }
    function wire(row) {
      var remove = row.querySelector("[data-band-remove]");
      remove.hidden = false;
      remove.addEventListener("click", function () {
        var focusTarget = row.nextElementSibling || row.previousElementSibling;
        row.remove();
        renumber();
        var input = focusTarget ? focusTarget.querySelector("input") : add;
        (input || add).focus();
      });
    }
    rows().forEach(wire);
    add.hidden = false;
    add.addEventListener("click", function () {
      if (rows().length >= limit) { return; }
      var template = rows()[0];
      var row = template.cloneNode(true);
      var index = next++;
      row.querySelectorAll("input").forEach(function (input) {
        input.name = input.name.replace(/-\d+-/, "-" + index + "-");
        input.id = input.id.replace(/-\d+-/, "-" + index + "-");
        input.value = "";
      });
      row.querySelector("[data-band-remove]").replaceWith(template.querySelector("[data-band-remove]").cloneNode(true));
      body.appendChild(row);
      wire(row);
      renumber();
      row.querySelector("input").focus();
    });
    renumber();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-band-rows]").forEach(setUp);
  });
})();
