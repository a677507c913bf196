// Falconer web UI: small progressive enhancements. Every page works without this script
// (times then stay in UTC, filters stay open, no copy buttons).
"use strict";
(function () {
  var pad = function (n, w) { n = String(n); while (n.length < (w || 2)) { n = "0" + n; } return n; };

  // The browser's offset from UTC, as "UTC+01:00".
  function zoneLabel(d) {
    var m = -d.getTimezoneOffset();
    var sign = m < 0 ? "-" : "+";
    m = Math.abs(m);
    return "UTC" + sign + pad(Math.floor(m / 60)) + ":" + pad(m % 60);
  }

  function localText(d) {
    return d.getFullYear() + "/" + pad(d.getMonth() + 1) + "/" + pad(d.getDate()) + " " +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + "." +
      pad(d.getMilliseconds(), 3);
  }

  // "YYYY-MM-DDTHH:MM" in local time for a Date.
  function inputValue(d) {
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
      pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function localTimes() {
    var zone = zoneLabel(new Date());
    document.querySelectorAll("time[data-local]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (!isNaN(d.getTime())) {
        el.title = el.textContent + " UTC";
        el.textContent = localText(d);
      }
    });
    document.querySelectorAll(".tz").forEach(function (el) { el.textContent = "(" + zone + ")"; });
    // From/to: the server writes UTC; show and edit them in local time, send UTC back.
    document.querySelectorAll("input[type=datetime-local][data-utc]").forEach(function (input) {
      if (input.value) {
        var d = new Date(input.value + ":00Z");
        if (!isNaN(d.getTime())) { input.value = inputValue(d); }
      }
      var form = input.form;
      if (!form || form.dataset.utcBound) { return; }
      form.dataset.utcBound = "1";
      form.addEventListener("submit", function () {
        form.querySelectorAll("input[type=datetime-local][data-utc]").forEach(function (i) {
          if (!i.value || !i.name) { return; }
          var local = new Date(i.value);
          if (isNaN(local.getTime())) { return; }
          var hidden = document.createElement("input");
          hidden.type = "hidden";
          hidden.name = i.name;
          hidden.value = local.toISOString().replace(/\.\d{3}Z$/, "Z");
          i.removeAttribute("name");
          form.appendChild(hidden);
        });
      });
    });
  }

  function copyButtons() {
    document.querySelectorAll("button[data-copy]").forEach(function (b) {
      if (!navigator.clipboard) { return; }
      b.hidden = false;
      b.addEventListener("click", function () {
        var target = document.querySelector(b.getAttribute("data-copy"));
        if (!target) { return; }
        navigator.clipboard.writeText(target.textContent).then(function () {
          var label = b.textContent;
          b.textContent = "Copied";
          setTimeout(function () { b.textContent = label; }, 1500);
        });
      });
    });
  }

  function foldFilters() {
    var box = document.getElementById("filterbox");
    if (box && window.matchMedia && window.matchMedia("(max-width: 760px)").matches) {
      box.open = false;
    }
    // One multi-select open at a time; a click elsewhere closes it.
    var menus = document.querySelectorAll("details.multi");
    menus.forEach(function (m) {
      m.addEventListener("toggle", function () {
        if (!m.open) { return; }
        menus.forEach(function (o) { if (o !== m) { o.open = false; } });
      });
    });
    document.addEventListener("click", function (e) {
      menus.forEach(function (m) { if (m.open && !m.contains(e.target)) { m.open = false; } });
    });
  }

  function start() {
    localTimes();
    copyButtons();
    foldFilters();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
