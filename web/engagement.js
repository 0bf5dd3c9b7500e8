/* Dashboard engagement: a top row of visits, page views, views per visit, bounce rate and visit
 * duration over the range, each with its change against the period before (an arrow and a
 * percentage, green when it is good news: a falling bounce rate is), the day series beside the
 * period before's, and entry and exit page panels. From /summary, /series and /breakdown
 * (entry, exit). Vietnamese, or English with ?lang=en. Redrawn on "dashboard:loaded". */
(function () {
  "use strict";
  var params = new URLSearchParams(location.search);
  var lang = params.get("lang") === "en" ? "en" : "vi";
  var locale = lang === "vi" ? "vi-VN" : "en-US";
  var SVG = "http://www.w3.org/2000/svg";
  var T = {
    vi: {
      row: "Tổng quan khoảng thời gian", visits: "Lượt truy cập", pageviews: "Lượt xem trang",
      views_per_visit: "Số trang / lượt", bounce_rate: "Tỷ lệ thoát", visit_duration: "Thời gian / lượt",
      vsPrevious: "so với kỳ trước", compare: "Lượt truy cập: kỳ này và kỳ trước",
      current: "Kỳ này", previous: "Kỳ trước", entry: "Trang vào", exit: "Trang thoát",
      bounce: "thoát", none: "Chưa có số liệu trong khoảng này.", other: "(khác)",
    },
    en: {
      row: "The range at a glance", visits: "Visits", pageviews: "Page views",
      views_per_visit: "Views per visit", bounce_rate: "Bounce rate", visit_duration: "Visit duration",
      vsPrevious: "vs the previous period", compare: "Visits: this period and the previous",
      current: "This period", previous: "Previous period", entry: "Entry pages", exit: "Exit pages",
      bounce: "bounce", none: "No data in this range yet.", other: "(other)",
    },
  }[lang];
  var FIGURES = ["visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration"];
  var FALLING_IS_GOOD = { bounce_rate: true };
  var $ = function (id) { return document.getElementById(id); };

  function number(n, digits) {
    return n.toLocaleString(locale, { minimumFractionDigits: digits || 0, maximumFractionDigits: digits || 0 });
  }

  function seconds(total) {
    var s = Math.round(total);
    var m = Math.floor(s / 60);
    return m + ":" + String(s % 60).padStart(2, "0");
  }

  function show(name, value) {
    if (value === null || value === undefined) return "–";
    if (name === "bounce_rate") return number(100 * value, 1) + "%";
    if (name === "views_per_visit") return number(value, 2);
    if (name === "visit_duration") return seconds(value);
    return number(value);
  }

  function build() {
    var row = document.createElement("section");
    row.className = "figures engagement";
    row.id = "engagement";
    row.setAttribute("aria-label", T.row);
    FIGURES.forEach(function (name) {
      var box = Object.assign(document.createElement("div"), { className: "figure" });
      box.dataset.engagement = name;
      box.append(
        Object.assign(document.createElement("span"), { className: "label", textContent: T[name] }),
        Object.assign(document.createElement("span"), { className: "value", textContent: "–" }),
        Object.assign(document.createElement("span"), { className: "change" })
      );
      row.appendChild(box);
    });
    $("figures").after(row);
    var grid = document.querySelector("main.grid");
    var compare = card("compare", T.compare, true);
    compare.appendChild(Object.assign(document.createElement("div"), { className: "chart", id: "chart-compare" }));
    grid.insertBefore(compare, $("card-month"));
    var after = $("card-pages");
    ["entry", "exit"].forEach(function (id) {
      var section = card(id, T[id], false);
      section.appendChild(Object.assign(document.createElement("ol"), { className: "pages rows", id: "rows-" + id }));
      after.after(section);
      after = section;
    });
  }

  function card(id, title, wide) {
    var section = document.createElement("section");
    section.className = "card" + (wide ? " wide" : "");
    section.id = "card-" + id;
    var header = document.createElement("header");
    header.appendChild(Object.assign(document.createElement("h2"), { textContent: title }));
    section.appendChild(header);
    return section;
  }

  function drawRow(summary) {
    FIGURES.forEach(function (name) {
      var box = document.querySelector('[data-engagement="' + name + '"]');
      box.querySelector(".value").textContent = show(name, summary.current[name]);
      var change = summary.change[name];
      var node = box.querySelector(".change");
      node.className = "change";
      node.textContent = "";
      node.removeAttribute("title");
      if (change === null || change === undefined) return;
      var up = change > 0;
      var good = change === 0 ? null : up !== Boolean(FALLING_IS_GOOD[name]);
      node.classList.add(good === null ? "flat" : good ? "good" : "bad");
      node.dataset.change = String(change);
      node.textContent = (change === 0 ? "= " : up ? "▲ " : "▼ ") + number(Math.abs(100 * change), 1) + "%";
      node.title = T.vsPrevious + ": " + show(name, summary.compared[name]);
    });
  }

  function drawList(id, rows) {
    var list = $("rows-" + id);
    list.textContent = "";
    var most = rows.reduce(function (m, r) { return Math.max(m, r.visits); }, 1);
    rows.forEach(function (r) {
      var li = document.createElement("li");
      li.dataset.value = r.value;
      var share = Object.assign(document.createElement("span"), { className: "share" });
      share.style.width = ((100 * r.visits) / most).toFixed(1) + "%";
      var name = Object.assign(document.createElement("span"), {
        className: "path", textContent: r.value === "(other)" ? T.other : r.value,
      });
      var text = number(r.visits);
      if (id === "entry") {
        text += " · " + show("bounce_rate", r.bounce_rate) + " " + T.bounce + " · " + show("visit_duration", r.visit_duration);
      }
      li.append(share, name, Object.assign(document.createElement("span"), { className: "views", textContent: text }));
      list.appendChild(li);
    });
    if (!rows.length) {
      list.appendChild(Object.assign(document.createElement("li"), { className: "none", textContent: T.none }));
    }
  }

  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Each day of the range beside the same day of the period before (a lighter bar).
  function drawCompare(current, previous, key) {
    var box = $("chart-compare");
    box.textContent = "";
    var now = current.points.map(function (p) { return p[key] || 0; });
    var before = previous.points.map(function (p) { return p[key] || 0; });
    var width = Math.max(240, box.clientWidth || 480), height = 200, left = 40, bottom = 22;
    var label = T.compare + ". " + T.current + ": " + number(sum(now)) + ", " + T.previous + ": " + number(sum(before));
    var svg = el("svg", { viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": label });
    var max = Math.max.apply(null, now.concat(before, [4]));
    var step = (width - left) / Math.max(1, now.length);
    [0, 0.5, 1].forEach(function (f) {
      var y = height - bottom - f * (height - bottom - 10);
      svg.appendChild(el("line", { x1: left, x2: width, y1: y, y2: y, "class": "grid-line" }));
      svg.appendChild(el("text", { x: left - 4, y: y + 4, "text-anchor": "end", "class": "axis" }, number(Math.round(max * f))));
    });
    now.forEach(function (v, i) {
      [[before[i] || 0, "bar previous", previous.points[i]], [v, "bar", current.points[i]]].forEach(function (bar, k) {
        var h = (bar[0] / max) * (height - bottom - 10);
        var rect = el("rect", {
          x: left + i * step + step * (0.1 + 0.4 * k), width: step * 0.4, y: height - bottom - h, height: h, "class": bar[1],
        });
        rect.appendChild(el("title", {}, (bar[2] ? bar[2].period : "") + ": " + number(bar[0])));
        svg.appendChild(rect);
      });
      if (now.length <= 7 || i % Math.ceil(now.length / 7) === 0) {
        svg.appendChild(el("text", { x: left + (i + 0.5) * step, y: height - 6, "text-anchor": "middle", "class": "axis" },
          current.points[i].period.slice(5)));
      }
    });
    box.appendChild(svg);
    var legend = Object.assign(document.createElement("p"), { className: "legend" });
    [["counted", T.current], ["previous", T.previous]].forEach(function (kind) {
      legend.append(Object.assign(document.createElement("span"), { className: "swatch " + kind[0] }), kind[1]);
    });
    box.appendChild(legend);
  }

  function sum(values) { return values.reduce(function (a, b) { return a + b; }, 0); }

  function load(detail) {
    document.body.setAttribute("data-engagement", "loading");
    var range = { from: detail.from, to: detail.to };
    var get = function (dimension) {
      return detail.getJSON("/breakdown", Object.assign({ dimension: dimension, limit: 10 }, range));
    };
    return detail.getJSON("/summary", Object.assign({ compare: "previous" }, range)).then(function (summary) {
      drawRow(summary);
      return Promise.all([
        detail.getJSON("/series", { granularity: "day", from: summary.compared_from, to: summary.compared_to })
          .then(function (previous) { if (detail.series) drawCompare(detail.series, previous, detail.metric); }),
        get("entry").then(function (answer) { drawList("entry", answer.rows); }),
        get("exit").then(function (answer) { drawList("exit", answer.rows); }),
      ]);
    }).then(function () {
      document.body.setAttribute("data-engagement", "ready");
    }, function (e) {
      document.body.setAttribute("data-engagement", "error");
      throw e;
    });
  }

  build();
  var last = null;
  document.addEventListener("dashboard:loaded", function (e) { last = e.detail; load(last); });
  document.getElementById("metric").addEventListener("change", function (e) {
    if (last) load(Object.assign({}, last, { metric: e.target.value }));
  });
})();
