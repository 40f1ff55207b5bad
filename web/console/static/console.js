// Keyboard shortcuts: one key per action. Elements with data-key="k" are clicked (buttons, links) or focused
// (fields) when k is pressed outside a text field; the queue page adds j/k/x/o to move, select and open rows.
"use strict";
(function () {
  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("table.queue tbody tr")); }
  var current = -1;
  function move(step) {
    var list = rows();
    if (!list.length) { return; }
    if (current >= 0 && list[current]) { list[current].classList.remove("current"); }
    current = Math.max(0, Math.min(list.length - 1, current + step));
    list[current].classList.add("current");
    list[current].scrollIntoView({ block: "nearest" });
  }
  function currentRow() { var list = rows(); return current >= 0 ? list[current] : null; }
  var queueKeys = {
    j: function () { move(1); },
    k: function () { move(-1); },
    x: function () { var row = currentRow(); if (row) { var box = row.querySelector("input[type=checkbox]"); box.checked = !box.checked; } },
    o: function () { var row = currentRow(); if (row) { window.location.href = row.getAttribute("data-href"); } },
    a: function () { var row = currentRow(); var button = row && row.querySelector(".row-approve"); if (button) { button.click(); } }
  };
  queueKeys.Enter = queueKeys.o;
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.key === "Escape" && typing(event.target)) { event.target.blur(); return; }
    if (typing(event.target)) { return; }
    if (event.key === "?") { var help = document.querySelector("footer"); if (help) { help.id = help.id ? "" : "help"; } return; }
    var page = document.body.getAttribute("data-page");
    if (page === "queue" && queueKeys[event.key]) { event.preventDefault(); queueKeys[event.key](); return; }
    if (page === "dashboard" && /^[1-5]$/.test(event.key)) {
      var tabs = document.querySelectorAll("header nav a");
      if (tabs[Number(event.key) - 1]) { tabs[Number(event.key) - 1].click(); }
      return;
    }
    var target = document.querySelector('[data-key="' + (event.key === '"' ? "" : event.key) + '"]');
    if (!target) { return; }
    event.preventDefault();
    if (typing(target)) { target.focus(); } else { target.click(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var all = document.getElementById("select-all");
    if (all) {
      all.addEventListener("change", function () {
        rows().forEach(function (row) { row.querySelector("input[type=checkbox]").checked = all.checked; });
      });
    }
    var template = document.getElementById("template");
    if (template) { template.addEventListener("change", function () { template.form.submit(); }); }
  });
})();
