// The console's only script (no framework, no build). Without it every form still posts and reloads the page.
// Keyboard shortcuts: elements with data-key="k" are clicked (buttons, links) or focused (fields) when k is
// pressed outside a text field; the queue page adds j/k/x/X/o/a/h to move, select, open and act on rows.
// Acting in place: on a queue page, forms marked data-live post with fetch; the server answers the page's
// changing parts only (header X-Console-Partial, web/console/page.py) and the cursor stays where it was, on
// the row that took the place of the one acted on.
"use strict";
(function () {
  var PARTIAL = "X-Console-Partial";
  var LIVE = ["nav", "who", "flash", "live"]; // the ids of the parts a partial answer replaces

  function typing(target) {
    if (!target || !target.tagName) { return false; }
    if (target.isContentEditable || /^(TEXTAREA|SELECT)$/.test(target.tagName)) { return true; }
    // A ticked checkbox keeps the focus: it must not swallow the shortcuts as a text field does.
    return target.tagName === "INPUT" && !/^(checkbox|radio|button|submit|reset)$/.test(target.type);
  }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("table.queue tbody tr")); }
  var current = -1;
  function show(index) {
    var list = rows();
    list.forEach(function (row) { row.classList.remove("current"); });
    if (!list.length) { current = -1; return; }
    current = Math.max(0, Math.min(list.length - 1, index));
    list[current].classList.add("current");
    list[current].scrollIntoView({ block: "nearest" });
  }
  function move(step) { show(current < 0 ? 0 : current + step); }
  function currentRow() { var list = rows(); return current >= 0 ? list[current] || null : null; }
  function box(row) { return row && row.querySelector("input[name=ids]"); }
  function ticked() { return document.querySelectorAll("table.queue input[name=ids]:checked").length; }
  function click(id) { var button = document.getElementById(id); if (button) { button.click(); } }
  function tickPage(on) { rows().forEach(function (row) { var b = box(row); if (b) { b.checked = on; } }); }

  var queueKeys = {
    j: function () { move(1); },
    k: function () { move(-1); },
    x: function () { var b = box(currentRow()); if (b) { b.checked = !b.checked; } },
    X: function () {
      var all = document.getElementById("select-matching");
      if (all) { all.checked = !all.checked; tickPage(all.checked); }
    },
    o: function () { var row = currentRow(); if (row) { window.location.href = row.getAttribute("data-href"); } },
    a: function () { click("bulk-approve"); },
    h: function () { click("bulk-handled"); }
  };
  queueKeys.Enter = queueKeys.o;

  // Post a data-live form in place. With nothing ticked, a bar button acts on the current row.
  var busy = false;
  function post(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
    var act = data.get("act") || "";
    var row = currentRow();
    if (form.id === "bulk" && act.indexOf(":") < 0 && !data.has("ids") && !data.has("scope") && row) {
      data.append("ids", row.getAttribute("data-id"));
    }
    if (form.id === "bulk" && act.indexOf(":") > 0) {
      // A row's own button: that row becomes the current one, so the next row takes the cursor.
      var acted = form.querySelector('tr[data-id="' + act.split(":")[1] + '"]');
      if (acted) { current = rows().indexOf(acted); }
    }
    busy = true;
    document.body.setAttribute("data-busy", "1");
    var headers = {};
    headers[PARTIAL] = "1";
    // A button with its own formaction (e.g. Dismiss on the Flagged queue) posts there, as without JS.
    var target = submitter && submitter.getAttribute("formaction") ? submitter.formAction : form.action;
    fetch(target, {
      method: "POST", body: new URLSearchParams(data), headers: headers, credentials: "same-origin"
    }).then(function (answer) {
      return answer.text().then(function (text) { return { answer: answer, text: text }; });
    }).then(function (got) {
      if (got.answer.headers.get(PARTIAL) !== "1") { problem(got.text); return; }
      // Not a queue any more (signed out meanwhile: the login page): show that page whole.
      if (got.text.indexOf('id="live"') < 0) { window.location.href = got.answer.url; return; }
      swap(got.text);
    }).catch(function (error) {
      problem("not sent: " + error + " (the page is unchanged; reload to retry)");
    }).then(function () {
      busy = false;
      document.body.removeAttribute("data-busy");
    });
  }
  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    LIVE.forEach(function (id) {
      var old = document.getElementById(id), replacement = fresh.getElementById(id);
      if (old && replacement) { old.replaceWith(document.adoptNode(replacement)); }
    });
    var title = fresh.querySelector("title");
    if (title) { document.title = title.textContent; }
    wire();
    show(current);
  }
  function problem(text) {
    var flash = document.getElementById("flash");
    if (!flash) { return; }
    var line = document.createElement("p");
    line.className = "flash error";
    line.textContent = text.slice(0, 300);
    flash.replaceChildren(line);
  }

  function wire() {
    var page = document.body.getAttribute("data-page");
    Array.prototype.forEach.call(document.querySelectorAll("form[data-live]"), function (form) {
      if (page !== "queue" || form.getAttribute("data-wired")) { return; }
      form.setAttribute("data-wired", "1");
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (!busy) { post(form, event.submitter); }
      });
    });
    var all = document.getElementById("select-all");
    if (all) { all.addEventListener("change", function () { tickPage(all.checked); }); }
    var matching = document.getElementById("select-matching");
    if (matching) { matching.addEventListener("change", function () { tickPage(matching.checked); }); }
    // Clicking a row's checkbox makes it the current row.
    rows().forEach(function (row, index) {
      var b = box(row);
      if (b) { b.addEventListener("click", function () { show(index); }); }
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    // Enter in a rejection reason menu rejects (the selection, or the current row; on a review: and next).
    if (event.key === "Enter" && target && target.tagName === "SELECT" && /reason$/.test(target.id)) {
      event.preventDefault();
      if (!target.value) { return; }
      target.blur();
      click(document.getElementById("do-reject-next") ? "do-reject-next" : (target.id === "reason" ? "do-reject" : "bulk-reject"));
      return;
    }
    if (event.key === "Escape" && typing(target)) { target.blur(); return; }
    if (typing(target)) { return; }
    // Enter or Space on a focused button or link does what it does natively.
    if ((event.key === "Enter" || event.key === " ") && target && /^(BUTTON|A)$/.test(target.tagName)) { return; }
    if (busy) { event.preventDefault(); return; } // one action at a time: the page is being updated
    if (event.key === "?") { var help = document.querySelector("footer"); if (help) { help.id = help.id ? "" : "help"; } return; }
    var page = document.body.getAttribute("data-page");
    if (page === "queue" && queueKeys[event.key]) { event.preventDefault(); queueKeys[event.key](); return; }
    if (page === "dashboard" && /^[1-5]$/.test(event.key)) {
      var tabs = document.querySelectorAll("header nav a");
      if (tabs[Number(event.key) - 1]) { tabs[Number(event.key) - 1].click(); }
      return;
    }
    var found = document.querySelector('[data-key="' + (event.key === '"' ? "" : event.key) + '"]');
    if (!found) { return; }
    event.preventDefault();
    if (typing(found)) { found.focus(); } else { found.click(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    wire();
    var template = document.getElementById("template");
    if (template) { template.addEventListener("change", function () { template.form.submit(); }); }
  });
})();
