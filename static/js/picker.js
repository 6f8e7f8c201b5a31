/* The body picker (agencies/widgets.py AgencyPicker, templates/widgets/agency_picker.html).
   Without scripts it is a list of checkboxes grouped by kind of body; with them:
   - a search box filters the bodies by name, short name or code (accents and case ignored:
     "tu phap" finds "Sở Tư pháp"); Enter in it does not send the form, Escape clears it;
   - "Chọn tất cả" per group ticks every body of the group that is shown (or clears them
     when all are ticked: "Bỏ chọn tất cả");
   - the number chosen, overall and per group, follows every change.
   Bodies hidden by the search keep their tick and are sent with the form. */
(function () {
  "use strict";

  function fold(text) {
    return (text || "").toLowerCase().normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d");
  }

  function list(root, selector) {
    return Array.prototype.slice.call(root.querySelectorAll(selector));
  }

  function setup(picker) {
    var search = picker.querySelector("[data-picker-search]");
    var none = picker.querySelector("[data-picker-none]");
    var count = picker.querySelector("[data-picker-count]");
    var groups = list(picker, "[data-picker-group]");
    list(picker, "[data-picker-item]").forEach(function (item) {
      item.dataset.folded = fold(item.dataset.search + " " + item.textContent);
    });

    function shownBoxes(group) {
      return list(group, "[data-picker-item]").filter(function (item) { return !item.hidden; })
        .map(function (item) { return item.querySelector("input[type=checkbox]"); });
    }

    function refresh() {
      var total = 0;
      groups.forEach(function (group) {
        var boxes = list(group, "input[type=checkbox]");
        var ticked = boxes.filter(function (b) { return b.checked; }).length;
        total += ticked;
        group.querySelector("[data-picker-group-count]").textContent = ticked + "/" + boxes.length;
        var button = group.querySelector("[data-picker-all]");
        var shown = shownBoxes(group);
        var all = shown.length > 0 && shown.every(function (b) { return b.checked; });
        button.hidden = shown.length === 0;
        button.textContent = all ? button.dataset.noneText : button.dataset.allText;
        button.setAttribute("aria-label", button.textContent + ": " + button.dataset.groupLabel);
      });
      count.textContent = String(total);
    }

    function filter() {
      var words = fold(search.value).trim().split(/\s+/).filter(Boolean);
      var any = false;
      groups.forEach(function (group) {
        var shown = 0;
        list(group, "[data-picker-item]").forEach(function (item) {
          var match = words.every(function (w) { return item.dataset.folded.indexOf(w) !== -1; });
          item.hidden = !match;
          if (match) { shown += 1; }
        });
        group.hidden = shown === 0;
        any = any || shown > 0;
      });
      none.hidden = any;
      refresh();
    }

    search.addEventListener("input", filter);
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
      if (event.key === "Escape" && search.value) {
        event.preventDefault();
        search.value = "";
        filter();
      }
    });
    picker.addEventListener("change", refresh);
    groups.forEach(function (group) {
      group.querySelector("[data-picker-all]").addEventListener("click", function () {
        var shown = shownBoxes(group);
        var all = shown.every(function (b) { return b.checked; });
        shown.forEach(function (b) { b.checked = !all; });
        refresh();
      });
    });
    picker.querySelector("[data-picker-tools]").hidden = false;
    if (search.value) { filter(); } else { refresh(); }
  }

  document.querySelectorAll("[data-picker]").forEach(setup);
})();
