/* Visit counter widget: <script src="https://API/widget.js" data-site="demo" async></script>
 * Options: data-api (default: this script's origin), data-lang="vi" (default) | "en",
 * data-target (id of the element to render into; default: right after the script).
 * Counts the page view once (POST, text/plain so no CORS preflight) and shows the figures.
 * Events (docs/events.md), sent with navigator.sendBeacon so a click never waits:
 *   clicks and middle clicks on links to files (data-file-types="pdf,docx" replaces the
 *   list below, data-add-file-types="dwg,dgn" extends it; data-track-downloads="false"
 *   turns it off) and on links to other hosts (data-track-outbound="false" turns it off);
 *   custom events: visitCounter.track("name", {key: "value"}) or, on any element,
 *   data-vc-event="name" with data-vc-event-KEY="value" properties; a custom event that
 *   must not end a bounce: visitCounter.track("name", props, {interactive: false}).
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

  // -- events: once per page, however often the tag is on it -------------------------
  if (window.visitCounter) return;
  // The server's list too (src/counters/events/links.py: a test keeps them equal).
  var FILE_TYPES = ("pdf xlsx docx txt rtf csv exe key pps ppt pptx 7z pkg rar gz zip avi " +
    "mov mp4 mpeg wmv midi mp3 wav wma dmg doc xls odt ods odp odg xlsm docm ppsx tif tiff " +
    "xml epub tar bz2 xz apk").split(" ");
  function listed(name) {
    var value = script.getAttribute(name);
    return value ? value.toLowerCase().split(/[\s,]+/).filter(Boolean) : null;
  }
  var fileTypes = (listed("data-file-types") || FILE_TYPES).concat(listed("data-add-file-types") || []);
  var trackDownloads = script.getAttribute("data-track-downloads") !== "false";
  var trackOutbound = script.getAttribute("data-track-outbound") !== "false";
  var eventsUrl = api + "/v1/sites/" + encodeURIComponent(site) + "/events";

  function send(body) {
    body.path = location.pathname.slice(0, 2048);
    var text = JSON.stringify(body);
    // A "simple" request (text/plain): no preflight, and the page never waits for it.
    if (navigator.sendBeacon && navigator.sendBeacon(eventsUrl, text)) return;
    fetch(eventsUrl, { method: "POST", body: text, keepalive: true, credentials: "omit",
      headers: { "Content-Type": "text/plain" } }).catch(function () {});
  }

  function track(name, props, options) {
    if (typeof name !== "string" || !name) return;
    var clean = {}, n = 0;
    Object.keys(props || {}).forEach(function (k) {
      if (n < 5 && props[k] != null) { clean[k.slice(0, 40)] = String(props[k]).slice(0, 100); n++; }
    });
    var quiet = options && options.interactive === false;
    send({ name: name.slice(0, 64), props: n ? clean : undefined, interactive: quiet ? false : undefined });
  }
  window.visitCounter = { track: track };

  function linkEvent(link) {
    var url;
    try { url = new URL(link.href, location.href); } catch (e) { return null; }
    if (!/^https?:$/.test(url.protocol)) return null;
    var ext = (/\.([a-z0-9]{1,8})$/i.exec(url.pathname) || [])[1];
    if (trackDownloads && ext && fileTypes.indexOf(ext.toLowerCase()) >= 0) return "download";
    if (trackOutbound && url.host !== location.host) return "outbound";
    return null;
  }

  function onClick(e) {
    if (e.type === "auxclick" && e.button !== 1) return;  // middle clicks only
    var el = e.target && e.target.closest ? e.target : null;
    if (!el) return;
    var custom = el.closest("[data-vc-event]");
    if (custom) {
      var props = {};
      Array.prototype.forEach.call(custom.attributes, function (a) {
        if (a.name.indexOf("data-vc-event-") === 0) props[a.name.slice(14)] = a.value;
      });
      track(custom.getAttribute("data-vc-event"), props);
    }
    var link = el.closest("a[href]");
    var kind = link && linkEvent(link);
    if (kind) send({ name: kind, url: link.href.slice(0, 2048) });
  }
  document.addEventListener("click", onClick, true);
  document.addEventListener("auxclick", onClick, true);
})();
