/* Visit counter widget: <script src="https://API/widget.js" data-site="demo" async></script>
 * Options: data-api (default: this script's origin), data-lang="vi" (default) | "en",
 * data-target (id of the element to render into; default: right after the script).
 * Counts the page view once (POST, text/plain so no CORS preflight) and shows the figures.
 */
(function () {
  "use strict";
  var script = document.currentScript ||
    document.querySelector('script[src*="widget.js"][data-site]');
  if (!script) return;
  var site = script.getAttribute("data-site") || "";
  var api = (script.getAttribute("data-api") || new URL(script.src, location.href).origin)
    .replace(/\/+$/, "");
  var en = script.getAttribute("data-lang") === "en";
  var T = en
    ? ["Visit statistics", "Today", "Yesterday", "This month", "This year", "Total", "Online now",
       "Month ", "Year "]
    : ["Thống kê truy cập", "Hôm nay", "Hôm qua", "Tháng này", "Năm nay", "Tổng số",
       "Đang truy cập", "Tháng ", "Năm "];
  var KEYS = ["today", "yesterday", "month", "year", "total", "online"];

  if (!document.getElementById("vc-style")) {
    var style = document.createElement("style");
    style.id = "vc-style";
    style.textContent =
      ".vc-widget{font:14px/1.5 system-ui,sans-serif;min-width:12em;max-width:22em}" +
      ".vc-widget h3{font-size:1em;margin:0 0 .3em;text-transform:uppercase}" +
      ".vc-widget table{border-collapse:collapse;width:100%}" +
      ".vc-widget td{padding:.1em 0}" +
      ".vc-widget td+td{text-align:right;font-variant-numeric:tabular-nums;font-weight:600}";
    document.head.appendChild(style);
  }

  var box = document.createElement("div");
  box.className = "vc-widget";
  box.setAttribute("lang", en ? "en" : "vi");
  box.setAttribute("data-site", site);
  var title = document.createElement("h3");
  title.textContent = T[0];
  var table = document.createElement("table");
  var labels = {}, values = {};
  KEYS.forEach(function (key, i) {
    var row = table.insertRow();
    labels[key] = row.insertCell();
    labels[key].textContent = T[i + 1];
    values[key] = row.insertCell();
    values[key].setAttribute("data-figure", key);
    values[key].textContent = "…";
  });
  box.appendChild(title);
  box.appendChild(table);
  var target = document.getElementById(script.getAttribute("data-target") || "");
  if (target) target.appendChild(box);
  else script.parentNode.insertBefore(box, script.nextSibling);

  function group(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, en ? "," : ".");
  }

  function show(f) {
    var ok = f && typeof f.date === "string";
    KEYS.forEach(function (key) {
      var n = ok ? f[key] : null;
      values[key].textContent = typeof n === "number" ? group(n) : "–";
    });
    box.setAttribute("data-state", ok ? "ready" : "error");
    if (!ok) return;
    // The site's own calendar: the month and year of the answer's date, not the browser's.
    labels.month.textContent = T[7] + f.date.slice(5, 7);
    labels.year.textContent = T[8] + f.date.slice(0, 4);
  }

  // One hit per page view, even if the tag is on the page twice.
  var hits = window.__visitCounterHits = window.__visitCounterHits || {};
  var key = api + "|" + site;
  if (!hits[key]) {
    // Campaign tags only: no other query key of the page's address leaves the page.
    var utm = null;
    new URLSearchParams(location.search).forEach(function (value, name) {
      if (/^utm_(source|medium|campaign)$/.test(name) && value) {
        utm = utm || {};
        utm[name] = value.slice(0, 200);
      }
    });
    hits[key] = fetch(api + "/v1/sites/" + encodeURIComponent(site) + "/hits", {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: JSON.stringify({
        path: location.pathname.slice(0, 2048),
        referrer: document.referrer.slice(0, 2048),
        utm: utm || undefined,
      }),
      credentials: "omit",
    }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  }
  hits[key].then(show, function () { show(null); });
})();
