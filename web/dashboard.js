/* Visit counter dashboard: figures, daily / monthly / yearly charts (hand-written SVG),
 * top pages and CSV export. No dependencies; works from any static host (see the
 * visit-counter-api meta tag in dashboard.html, or ?api=). Vietnamese, or English with
 * ?lang=en: the page's fixed texts carry data-i18n keys into T. */
(function () {
  "use strict";
  var params = new URLSearchParams(location.search);
  var site = params.get("site") || "demo";
  var meta = document.querySelector('meta[name="visit-counter-api"]');
  var api = (params.get("api") || (meta && meta.content) || location.origin).replace(/\/+$/, "");
  var base = api + "/v1/sites/" + encodeURIComponent(site);
  // A private site's share link carries a read token, best in the fragment (#token=...):
  // browsers never send a fragment to any server, nor in a Referer. It goes to the API
  // as a header, so it stays out of URLs and logs.
  var token = new URLSearchParams(location.hash.slice(1)).get("token") || params.get("token");
  var SVG = "http://www.w3.org/2000/svg";
  var PAGES_MAX_DAYS = 92;
  var series = {}; // granularity -> last answer, for CSV and redraws
  var metricSet = false; // by default, the figure the site's counter block shows
  var $ = function (id) { return document.getElementById(id); };
  var lang = params.get("lang") === "en" ? "en" : "vi";
  var locale = lang === "en" ? "en-US" : "vi-VN";
  var T = {
    vi: {
      title: "Thống kê truy cập", from: "Từ", to: "Đến", range: "Khoảng thời gian",
      days7: "7 ngày", days30: "30 ngày", days90: "90 ngày", days365: "1 năm", metric: "Chỉ số",
      visits: "Lượt truy cập", pageviews: "Lượt xem trang", show: "Xem", figures: "Số liệu hiện tại",
      today: "Hôm nay", yesterday: "Hôm qua", thisMonth: "Tháng này", thisYear: "Năm nay",
      total: "Tổng số", online: "Đang truy cập", byDay: "Theo ngày", byMonth: "Theo tháng",
      byYear: "Theo năm", topPages: "Trang được xem nhiều nhất", csv: "Tải CSV",
      month: function (date) { return "Tháng " + date.slice(5, 7); },
      year: function (date) { return "Năm " + date.slice(0, 4); },
      unknown: "không rõ", imported: "nhập từ bộ đếm cũ", counted: "đếm được",
      noPages: "Chưa có lượt xem nào trong khoảng này.", failed: "Không tải được số liệu: ",
      private: "báo cáo của trang này là riêng tư, cần liên kết chia sẻ hợp lệ",
      dateFormat: "(dd/mm/yyyy)", badDate: "Nhập một ngày có thật theo dạng dd/mm/yyyy, ví dụ 30/04/2026.",
    },
    en: {
      title: "Visit statistics", from: "From", to: "To", range: "Range",
      days7: "7 days", days30: "30 days", days90: "90 days", days365: "1 year", metric: "Metric",
      visits: "Visits", pageviews: "Page views", show: "Show", figures: "Current figures",
      today: "Today", yesterday: "Yesterday", thisMonth: "This month", thisYear: "This year",
      total: "Total", online: "Online now", byDay: "By day", byMonth: "By month",
      byYear: "By year", topPages: "Most viewed pages", csv: "CSV",
      month: function (date) { return dateText(date.slice(0, 7) + "-01", { month: "long" }); },
      year: function (date) { return "Year " + date.slice(0, 4); },
      unknown: "unknown", imported: "imported from the previous counter", counted: "counted",
      noPages: "No page views in this range yet.", failed: "Could not load the figures: ",
      private: "this site's reports are private and need a valid share link",
      dateFormat: "(yyyy-mm-dd)", badDate: "Enter a real date as yyyy-mm-dd, e.g. 2026-04-30.",
    },
  }[lang];

  function fmt(n) { return typeof n === "number" ? n.toLocaleString(locale) : "–"; }

  // A calendar date (YYYY-MM-DD) in the page's language, read as UTC so no time zone shifts it.
  function dateText(text, options) {
    return new Date(text + "T00:00:00Z").toLocaleDateString(locale, Object.assign({ timeZone: "UTC" }, options));
  }

  function iso(d) { return d.toISOString().slice(0, 10); }

  function addDays(text, n) {
    var d = new Date(text + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + n);
    return iso(d);
  }

  // -- date fields -------------------------------------------------------------------------
  // Text fields in the page's language (dd/mm/yyyy in Vietnamese, ISO in English), whatever
  // the browser's locale; ISO is accepted in both, so a pasted API date works too.
  var DATE_PATTERN = lang === "vi" ? "\\d{1,2}[\\/.\\-]\\d{1,2}[\\/.\\-]\\d{4}|\\d{4}-\\d{2}-\\d{2}" : "\\d{4}-\\d{2}-\\d{2}";

  function showDate(text) {
    return lang === "vi" && /^\d{4}-\d{2}-\d{2}$/.test(text) ? text.split("-").reverse().join("/") : text;
  }

  // The ISO date a field holds, or null (not in the format, or no such day: 31/02).
  function readDate(id) {
    var text = $(id).value.trim();
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    if (!m && lang === "vi") {
      m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(text);
      m = m && [text, m[3], m[2], m[1]];
    }
    if (!m) return null;
    var d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    var day = iso(d);
    return d.getUTCFullYear() === Number(m[1]) && day === [m[1], ("0" + m[2]).slice(-2), ("0" + m[3]).slice(-2)].join("-")
      ? day : null;
  }

  function setDate(id, text) {
    $(id).value = showDate(text);
    checkDate(id);
  }

  function checkDate(id) {
    $(id).setCustomValidity(readDate(id) ? "" : T.badDate);
  }

  // Arrow keys step a day, as in a date field.
  function stepDate(e) {
    var day = (e.key === "ArrowUp" || e.key === "ArrowDown") && readDate(e.target.id);
    if (!day) return;
    e.preventDefault();
    setDate(e.target.id, addDays(day, e.key === "ArrowUp" ? 1 : -1));
  }

  // Every panel's request goes through here: with a segment set (segments.js), the ones over a
  // range are answered from GET /segment instead (one request a range, shared by the panels).
  function getJSON(path, query) {
    var filter = window.VisitSegments && window.VisitSegments.text();
    if (filter && SEGMENT_PATHS[path]) return SEGMENT_PATHS[path](query || {}, filter);
    return fetchJSON(path, query);
  }

  var segmentAnswers = {}; // "from|to|filter" -> the answer's promise
  var range = {}; // the range load() shows

  function segmentOf(from, to, filter) {
    var key = [from, to, filter].join("|");
    if (!segmentAnswers[key]) {
      segmentAnswers[key] = fetchJSON("/segment", { from: from, to: to, filter: filter });
      segmentAnswers[key].catch(function () { delete segmentAnswers[key]; });
    }
    return segmentAnswers[key];
  }

  // Months and years of the segment: its days added up (inside the range shown).
  function rollUp(answer, granularity) {
    var size = granularity === "month" ? 7 : 4, points = [];
    answer.series.forEach(function (p) {
      var period = p.period.slice(0, size), last = points[points.length - 1];
      if (!last || last.period !== period) points.push(last = { period: period, visits: 0, pageviews: 0 });
      last.visits += p.visits;
      last.pageviews += p.pageviews;
    });
    return points;
  }

  function change(now, before) {
    var out = {};
    Object.keys(now).forEach(function (name) {
      var a = now[name], b = before[name];
      out[name] = a === null || !b ? null : Math.round((a / b - 1) * 10000) / 10000;
    });
    return out;
  }

  var SEGMENT_PATHS = {
    "/series": function (q, filter) {
      var day = q.granularity === "day";
      return segmentOf(day ? q.from : range.from, day ? q.to : range.to, filter).then(function (a) {
        return { site: a.site, granularity: q.granularity, from: a.from, to: a.to, count: a.count,
          points: day ? a.series : rollUp(a, q.granularity) };
      });
    },
    "/pages": function (q, filter) {
      return segmentOf(range.from, range.to, filter).then(function (a) {
        return { pages: a.pages.map(function (r) { return { path: r.value, pageviews: r.pageviews }; }) };
      });
    },
    "/breakdown": function (q, filter) {
      return segmentOf(q.from, q.to, filter).then(function (a) {
        var rows = q.dimension === "entry" ? a.entry : q.dimension === "exit" ? a.exit : a.breakdowns[q.dimension];
        return { count: a.count, rows: rows || [] }; // bots are in no segment
      });
    },
    "/goals": function (q, filter) {
      return segmentOf(q.from, q.to, filter).then(function (a) { return { goals: a.goals }; });
    },
    "/summary": function (q, filter) {
      var days = Math.round((Date.parse(q.to) - Date.parse(q.from)) / 86400000) + 1;
      var before = { from: addDays(q.from, -days), to: addDays(q.from, -1) };
      return Promise.all([segmentOf(q.from, q.to, filter), segmentOf(before.from, before.to, filter)])
        .then(function (both) {
          return { from: q.from, to: q.to, compared_from: before.from, compared_to: before.to,
            current: both[0].summary, compared: both[1].summary, change: change(both[0].summary, both[1].summary) };
        });
    },
  };

  function fetchJSON(path, query) {
    var url = base + path + (query ? "?" + new URLSearchParams(query) : "");
    var headers = token ? { Authorization: "Bearer " + token } : {};
    return fetch(url, { credentials: "omit", headers: headers }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (r.status === 401 || r.status === 403) {
          // Private reports: no read token, or a wrong or revoked one.
          throw new Error(T.private + " (" + (body.message || "HTTP " + r.status) + ")");
        }
        if (!r.ok) throw new Error(body.message || "HTTP " + r.status);
        return body;
      });
    });
  }

  function status(message) {
    $("status").hidden = !message;
    $("status").textContent = message || "";
  }

  function metric() { return $("metric").value; }

  function segmentSet() { return Boolean(window.VisitSegments && window.VisitSegments.text()); }

  // -- charts ------------------------------------------------------------------------------

  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function niceMax(max) {
    if (max <= 4) return 4;
    var step = Math.pow(10, Math.floor(Math.log10(max / 4)));
    var unit = [1, 2, 2.5, 5, 10].map(function (m) { return m * step; })
      .find(function (u) { return u * 4 >= max; });
    return unit * 4;
  }

  // 30/10/2026 in Vietnamese, Oct 30, 2026 in English.
  function longDate(text) {
    return lang === "vi" ? text.split("-").reverse().join("/") : dateText(text, { dateStyle: "medium" });
  }

  function label(period, granularity) {
    if (lang === "vi" && granularity === "day") return period.slice(8, 10) + "/" + period.slice(5, 7);
    if (lang === "vi" && granularity === "month") return period.slice(5, 7) + "/" + period.slice(0, 4);
    if (granularity === "day") return dateText(period, { month: "short", day: "numeric" });
    if (granularity === "month") return dateText(period + "-01", { month: "short", year: "numeric" });
    return period;
  }

  function draw(granularity) {
    var box = $("chart-" + granularity);
    var answer = series[granularity];
    box.textContent = "";
    if (!answer) return;
    var key = metric();
    var points = answer.points;
    var width = Math.max(box.clientWidth, 280), height = 220;
    var top = niceMax(Math.max.apply(null, points.map(function (p) { return p[key]; }).concat([0])));
    var left = 14 + 7 * fmt(top).length, bottom = 24, right = 8, pad = 8;
    var plotW = width - left - right, plotH = height - bottom - pad;
    var svg = el("svg", {
      viewBox: "0 0 " + width + " " + height, role: "img",
      "aria-label": box.parentNode.querySelector("h2").textContent,
      "data-points": points.length,
    });
    for (var i = 0; i <= 4; i++) {
      var y = pad + plotH - (plotH * i) / 4;
      svg.appendChild(el("line", { "class": "grid-line", x1: left, x2: width - right, y1: y, y2: y }));
      svg.appendChild(el("text", { "class": "axis", x: left - 6, y: y + 4, "text-anchor": "end" },
        fmt((top * i) / 4)));
    }
    var slot = plotW / points.length;
    var gap = slot > 6 ? Math.min(slot * 0.2, 8) : 0;
    // Label every n-th period so labels never overlap.
    var every = Math.ceil((label(points[0].period, granularity).length * 7 + 10) / slot);
    points.forEach(function (p, i) {
      // null: unknown (inside imported history known only as a total): a full-height
      // outline, not a zero. Imported figures are drawn in a lighter colour.
      var unknown = p[key] === null;
      var h = unknown ? plotH : top ? (plotH * p[key]) / top : 0;
      var bar = el("rect", {
        "class": "bar" + (unknown ? " unknown" : p.imported ? " imported" : ""),
        x: (left + i * slot + gap / 2).toFixed(1), y: (pad + plotH - h).toFixed(1),
        width: Math.max(slot - gap, 0.5).toFixed(1), height: h.toFixed(1), "data-period": p.period,
        "data-value": unknown ? "" : p[key],
      });
      bar.appendChild(el("title", {}, p.period + ": " + (unknown ? T.unknown : fmt(p[key])) +
        (p.imported ? " (" + T.imported + ")" : "")));
      svg.appendChild(bar);
      if (i % every === 0) {
        svg.appendChild(el("text", {
          "class": "axis", x: (left + i * slot + slot / 2).toFixed(1), y: height - 6,
          "text-anchor": "middle",
        }, label(p.period, granularity)));
      }
    });
    box.appendChild(svg);
    if (points.some(function (p) { return p.imported; })) {
      var legend = document.createElement("p");
      legend.className = "legend";
      [["counted", T.counted], ["imported", T.imported], ["unknown", T.unknown]].forEach(function (kind) {
        legend.append(Object.assign(document.createElement("span"), { className: "swatch " + kind[0] }), kind[1] + " ");
      });
      box.appendChild(legend);
    }
  }

  function drawAll() { ["day", "month", "year"].forEach(draw); }

  // -- data --------------------------------------------------------------------------------

  function loadFigures() {
    return getJSON("/stats").then(function (f) {
      document.querySelectorAll("[data-figure]").forEach(function (node) {
        node.textContent = fmt(f[node.getAttribute("data-figure")]);
      });
      $("month-label").textContent = T.month(f.date);
      $("year-label").textContent = T.year(f.date);
      return f;
    });
  }

  function loadSeries(granularity, from, to) {
    return getJSON("/series", { granularity: granularity, from: from, to: to }).then(function (s) {
      series[granularity] = s;
      draw(granularity);
      return s;
    });
  }

  function loadPages(from, to) {
    // The pages route answers at most 92 days: show the last 92 days of a longer range.
    var first = from < addDays(to, 1 - PAGES_MAX_DAYS) && !segmentSet() ? addDays(to, 1 - PAGES_MAX_DAYS) : from;
    return getJSON("/pages", { from: first, to: to, limit: 10 }).then(function (answer) {
      var list = $("pages");
      list.textContent = "";
      $("pages-range").textContent = longDate(first) + " – " + longDate(to);
      var most = answer.pages.length ? answer.pages[0].pageviews : 1;
      answer.pages.forEach(function (p) {
        var li = document.createElement("li");
        var share = document.createElement("span");
        share.className = "share";
        share.style.width = ((100 * p.pageviews) / most).toFixed(1) + "%";
        var path = document.createElement("span");
        path.className = "path";
        path.textContent = p.path;
        var views = document.createElement("span");
        views.className = "views";
        views.textContent = fmt(p.pageviews);
        li.append(share, path, views);
        list.appendChild(li);
      });
      if (!answer.pages.length) {
        var none = document.createElement("li");
        none.className = "none";
        none.textContent = T.noPages;
        list.appendChild(none);
      }
    });
  }

  function load() {
    var from = readDate("from"), to = readDate("to");
    if (!from || !to) {
      $("controls").reportValidity();
      return Promise.resolve();
    }
    setDate("from", from);
    setDate("to", to);
    range = { from: from, to: to };
    segmentAnswers = {};
    if (window.VisitSegments) window.VisitSegments.remember(range);
    status("");
    document.body.setAttribute("data-state", "loading");
    return Promise.all([
      loadFigures(),
      loadSeries("day", from, to),
      // Monthly: the 12 months to the range's end; yearly: the 5 years to it.
      loadSeries("month", addDays(to.slice(0, 7) + "-01", -334).slice(0, 7), to.slice(0, 7)),
      loadSeries("year", String(Number(to.slice(0, 4)) - 4), to.slice(0, 4)),
      loadPages(from, to),
    ]).then(function () {
      if (!params.get("metric") && series.day && !metricSet) {
        metricSet = true;
        $("metric").value = series.day.count;
        drawAll();
      }
      document.body.setAttribute("data-state", "ready");
      // Breakdown panels (breakdowns.js) load for the same range and metric.
      document.dispatchEvent(new CustomEvent("dashboard:loaded", { detail: {
        site: site, from: from, to: to, metric: metric(), series: series.day, getJSON: getJSON,
        saveCSV: saveCSV,
      } }));
    }, function (e) {
      status(T.failed + e.message);
      document.body.setAttribute("data-state", "error");
    });
  }

  // -- CSV -----------------------------------------------------------------------------------

  // One cell: numbers as they are (null: unknown, empty); text quoted when it needs it, and a
  // text that a spreadsheet would run as a formula (=, +, -, @, tab, CR first: a campaign
  // "=1+1") behind a single quote, the OWASP way, so it reads as text.
  function csvCell(value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "number") return String(value);
    var text = String(value);
    var formula = /^[=+\-@\t\r]/.test(text);
    if (formula) text = "'" + text;
    return formula || /[",;\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  // Every CSV of the dashboard (breakdowns.js's too: it comes with "dashboard:loaded").
  function saveCSV(name, header, rows) {
    var text = [header].concat(rows).map(function (row) { return row.map(csvCell).join(","); });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([text.join("\r\n") + "\r\n"], { type: "text/csv" }));
    a.download = name + ".csv";
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
  }

  function csv(granularity) {
    var s = series[granularity];
    if (!s) return;
    saveCSV([s.site, granularity, s.from, s.to].join("_"), ["period", "visits", "pageviews"],
      s.points.map(function (p) { return [p.period, p.visits, p.pageviews]; }));
  }

  // -- wiring ------------------------------------------------------------------------------

  document.documentElement.lang = lang;
  document.querySelectorAll("[data-i18n]").forEach(function (node) {
    node.textContent = T[node.getAttribute("data-i18n")];
  });
  document.querySelectorAll("[data-i18n-label]").forEach(function (node) {
    node.setAttribute("aria-label", T[node.getAttribute("data-i18n-label")]);
  });
  $("site-name").textContent = site;
  document.title = T.title + " – " + site;
  ["from", "to"].forEach(function (id) {
    var field = $(id);
    field.pattern = DATE_PATTERN;
    field.placeholder = lang === "vi" ? "dd/mm/yyyy" : "yyyy-mm-dd";
    field.addEventListener("input", function () { checkDate(id); });
    field.addEventListener("keydown", stepDate);
  });
  $("controls").addEventListener("submit", function (e) { e.preventDefault(); load(); });
  if (window.VisitSegments) window.VisitSegments.listen(function () { load(); });
  $("metric").addEventListener("change", drawAll);
  document.querySelectorAll("[data-days]").forEach(function (button) {
    button.addEventListener("click", function () {
      var to = readDate("to");
      if (!to) return $("controls").reportValidity();
      setDate("from", addDays(to, 1 - Number(button.getAttribute("data-days"))));
      load();
    });
  });
  document.querySelectorAll("button.csv").forEach(function (button) {
    button.addEventListener("click", function () { csv(button.getAttribute("data-chart")); });
  });
  var resizing;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(drawAll, 150);
  });

  // Start: the site's own today (from the figures) ends the default 30-day range.
  loadFigures().then(function (f) {
    setDate("to", params.get("to") || f.date);
    setDate("from", params.get("from") || addDays(readDate("to") || f.date, -29));
    if (params.get("metric")) $("metric").value = params.get("metric");
    return load();
  }).catch(function (e) {
    status(T.failed + e.message);
    document.body.setAttribute("data-state", "error");
  });
})();
