/* Dashboard breakdown panels: sources, campaigns, browsers, systems, devices, countries,
 * languages, bots, events, file downloads, outbound links, event properties (ranked lists), hours (chart, from /breakdown) and weekdays (chart, from the
 * day series the dashboard already loaded); a CSV for each. Vietnamese, or English with ?lang=en.
 * Redrawn on the dashboard's "dashboard:loaded" event. */
(function () {
  "use strict";
  var params = new URLSearchParams(location.search);
  var lang = params.get("lang") === "en" ? "en" : "vi";
  var SVG = "http://www.w3.org/2000/svg";
  var T = {
    vi: {
      source: "Nguồn truy cập", campaign: "Chiến dịch (utm)", browser: "Trình duyệt",
      os: "Hệ điều hành", device: "Thiết bị", country: "Quốc gia", language: "Ngôn ngữ",
      bot: "Bot và trình thu thập", hour: "Theo giờ trong ngày", weekday: "Theo thứ trong tuần",
      csv: "Tải CSV", none: "Chưa có số liệu trong khoảng này.", other: "(khác)",
      direct: "Truy cập trực tiếp", internal: "(trong trang)", unknown: "(không rõ)",
      desktop: "Máy tính", mobile: "Điện thoại", tablet: "Máy tính bảng", otherDevice: "Khác",
      days: ["CN", "T2", "T3", "T4", "T5", "T6", "T7"], hits: "lượt",
      event: "Sự kiện", download: "Tệp được tải về", outbound: "Liên kết ra ngoài",
      property: "Thuộc tính sự kiện", downloadEvent: "Tải tệp", outboundEvent: "Bấm liên kết ra ngoài",
      goal: "Mục tiêu", noGoals: "Chưa đặt mục tiêu nào (visit-counter goals add).",
      conversions: "lượt đạt", rate: "tỉ lệ chuyển đổi",
      pageGoal: "trang", eventGoal: "sự kiện", views: "lượt xem", events: "sự kiện",
    },
    en: {
      source: "Sources", campaign: "Campaigns (utm)", browser: "Browsers",
      os: "Operating systems", device: "Devices", country: "Countries", language: "Languages",
      bot: "Bots and crawlers", hour: "By hour of day", weekday: "By day of week",
      csv: "CSV", none: "No data in this range yet.", other: "(other)",
      direct: "Direct", internal: "(internal)", unknown: "(unknown)",
      desktop: "Desktop", mobile: "Mobile", tablet: "Tablet", otherDevice: "Other",
      days: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"], hits: "hits",
      event: "Events", download: "File downloads", outbound: "Outbound links",
      property: "Event properties", downloadEvent: "File download", outboundEvent: "Outbound link click",
      goal: "Goals", noGoals: "No goals set (visit-counter goals add).",
      conversions: "conversions", rate: "conversion rate",
      pageGoal: "page", eventGoal: "event", views: "page views", events: "events",
    },
  }[lang];
  var LISTS = ["source", "campaign", "browser", "os", "device", "country", "language", "bot",
    "event", "download", "outbound", "property"];
  // Ranked by their only figure whatever the metric: page views of bots, and events (the
  // API's `pageviews` of events' dimensions).
  var BY_HITS = ["bot", "event", "download", "outbound", "property"];
  var regions = window.Intl && Intl.DisplayNames ? new Intl.DisplayNames([lang], { type: "region" }) : null;
  var languages = window.Intl && Intl.DisplayNames ? new Intl.DisplayNames([lang], { type: "language" }) : null;
  var answers = {}; // panel -> rows shown, for CSV
  var last = null; // the dashboard's last "dashboard:loaded" detail
  var $ = function (id) { return document.getElementById(id); };

  function fmt(n) { return n.toLocaleString(lang === "vi" ? "vi-VN" : "en-US"); }

  function label(dimension, value) {
    if (value === "(other)") return T.other;
    if (value === "(unknown)") return T.unknown;
    if (dimension === "source" && value === "direct") return T.direct;
    if (dimension === "source" && value === "(internal)") return T.internal;
    if (dimension === "event" && (value === "download" || value === "outbound")) return T[value + "Event"];
    if (dimension === "device") return T[value === "other" ? "otherDevice" : value] || value;
    try {
      if (dimension === "country" && regions) return regions.of(value) || value;
      if (dimension === "language" && languages) return languages.of(value) || value;
    } catch (e) { /* not a code Intl knows: show it as stored */ }
    return value;
  }

  function card(id, title, wide) {
    var section = document.createElement("section");
    section.className = "card breakdown" + (wide ? " wide" : "");
    section.id = "card-" + id;
    var header = document.createElement("header");
    var h2 = document.createElement("h2");
    h2.textContent = title;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "csv";
    button.textContent = T.csv;
    button.addEventListener("click", function () { download(id); });
    header.append(h2, button);
    section.appendChild(header);
    return section;
  }

  function build() {
    var grid = document.querySelector("main.grid");
    var hours = card("hour", T.hour, false);
    hours.appendChild(Object.assign(document.createElement("div"), { className: "chart", id: "chart-hour" }));
    var weekdays = card("weekday", T.weekday, false);
    weekdays.appendChild(Object.assign(document.createElement("div"), { className: "chart", id: "chart-weekday" }));
    grid.append(hours, weekdays);
    LISTS.forEach(function (dimension) {
      var section = card(dimension, T[dimension], false);
      var list = document.createElement("ol");
      list.className = "pages rows";
      list.id = "rows-" + dimension;
      section.appendChild(list);
      grid.appendChild(section);
    });
    var goals = card("goal", T.goal, false);
    goals.appendChild(Object.assign(document.createElement("ol"), { className: "pages rows", id: "rows-goal" }));
    grid.appendChild(goals);
  }

  // Goals: conversions (visits that reached the goal) and their share of the range's visits.
  function drawGoals(answer) {
    var list = $("rows-goal");
    list.textContent = "";
    answers.goal = answer.goals.map(function (g) {
      return { value: g.name, visits: g.conversions, pageviews: g.events, rate: g.conversion_rate };
    });
    var most = answer.goals.reduce(function (m, g) { return Math.max(m, g.conversions); }, 1);
    answer.goals.forEach(function (g) {
      var li = document.createElement("li");
      li.dataset.value = g.name;
      var share = Object.assign(document.createElement("span"), { className: "share" });
      share.style.width = ((100 * g.conversions) / most).toFixed(1) + "%";
      var name = Object.assign(document.createElement("span"), { className: "path", textContent: g.name });
      // What the goal is: a page pattern (its events are page views) or an event's name.
      var kind = Object.assign(document.createElement("small"), {
        className: "goal-kind",
        textContent: " " + (g.page ? T.pageGoal + " " + g.page : T.eventGoal + " " + g.event),
      });
      name.title = fmt(g.events) + " " + (g.page ? T.views : T.events);
      var rate = g.conversion_rate === null ? "–" :
        (100 * g.conversion_rate).toLocaleString(lang === "vi" ? "vi-VN" : "en-US", { maximumFractionDigits: 1 }) + "%";
      var figure = Object.assign(document.createElement("span"), { className: "views", textContent: fmt(g.conversions) + " · " + rate });
      figure.title = fmt(g.conversions) + " " + T.conversions + ", " + rate + " " + T.rate;
      li.append(share, name, kind, figure);
      list.appendChild(li);
    });
    if (!answer.goals.length) {
      list.appendChild(Object.assign(document.createElement("li"), { className: "none", textContent: T.noGoals }));
    }
  }

  function drawList(dimension, rows, key) {
    var list = $("rows-" + dimension);
    list.textContent = "";
    // The API ranks by the site's figure; the chosen metric re-ranks, "(other)" stays last.
    rows = rows.slice().sort(function (a, b) {
      return (a.value === "(other)") - (b.value === "(other)") || b[key] - a[key];
    });
    var most = rows.reduce(function (m, r) { return Math.max(m, r[key]); }, 1);
    rows.forEach(function (r) {
      var li = document.createElement("li");
      li.dataset.value = r.value;
      var share = Object.assign(document.createElement("span"), { className: "share" });
      share.style.width = ((100 * r[key]) / most).toFixed(1) + "%";
      var name = Object.assign(document.createElement("span"), { className: "path", textContent: label(dimension, r.value) });
      var figure = Object.assign(document.createElement("span"), { className: "views", textContent: fmt(r[key]) });
      li.append(share, name, figure);
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

  // The text alternative of a chart: its title and every bar that is not zero.
  function describe(id, labels, values) {
    var bars = labels.map(function (name, i) { return (id === "hour" ? name + ":00" : name) + ": " + fmt(values[i]); })
      .filter(function (text, i) { return values[i]; });
    return T[id] + ". " + (bars.length ? bars.join(", ") : T.none);
  }

  function drawBars(id, labels, values) {
    var box = $("chart-" + id);
    box.textContent = "";
    var width = Math.max(240, box.clientWidth || 480), height = 200, left = 40, bottom = 22;
    var svg = el("svg", { viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": describe(id, labels, values) });
    var max = Math.max.apply(null, values.concat([0]));
    // Whole ticks: 0, half and top of a round top (at least 4).
    max = max <= 4 ? 4 : Math.ceil(max / Math.pow(10, Math.floor(Math.log10(max)) - 1)) *
      Math.pow(10, Math.floor(Math.log10(max)) - 1);
    if (max % 2) max += Math.pow(10, Math.max(0, Math.floor(Math.log10(max)) - 1));
    var step = (width - left) / values.length;
    [0, 0.5, 1].forEach(function (f) {
      var y = height - bottom - f * (height - bottom - 10);
      svg.appendChild(el("line", { x1: left, x2: width, y1: y, y2: y, "class": "grid-line" }));
      svg.appendChild(el("text", { x: left - 4, y: y + 4, "text-anchor": "end", "class": "axis" }, fmt(Math.round(max * f))));
    });
    values.forEach(function (v, i) {
      var h = (v / max) * (height - bottom - 10);
      var bar = el("rect", {
        x: left + i * step + step * 0.15, width: step * 0.7, y: height - bottom - h, height: h, "class": "bar",
      });
      bar.dataset.period = labels[i];
      bar.dataset.value = String(v);
      bar.appendChild(el("title", {}, labels[i] + ": " + fmt(v)));
      svg.appendChild(bar);
      if (values.length <= 7 || i % 3 === 0) {
        svg.appendChild(el("text", { x: left + (i + 0.5) * step, y: height - 6, "text-anchor": "middle", "class": "axis" }, labels[i]));
      }
    });
    box.appendChild(svg);
  }

  // The dashboard's saveCSV writes the file: one place escapes cells (formulas too).
  function download(id) {
    var rows = answers[id];
    if (!rows || !last) return;
    var name = [answers.site, id, answers.from, answers.to].join("_");
    if (id === "goal") {
      last.saveCSV(name, ["goal", "conversions", "events", "conversion_rate"],
        rows.map(function (r) { return [String(r.value), r.visits, r.pageviews, r.rate === null ? "" : r.rate]; }));
      return;
    }
    last.saveCSV(name, ["value", "visits", "pageviews"],
      rows.map(function (r) { return [String(r.value), r.visits, r.pageviews]; }));
  }

  function load(detail) {
    document.body.setAttribute("data-breakdowns", "loading");
    var key = detail.metric;
    answers.site = detail.site;
    answers.from = detail.from;
    answers.to = detail.to;
    var get = function (dimension, limit) {
      return detail.getJSON("/breakdown", { dimension: dimension, from: detail.from, to: detail.to, limit: limit });
    };
    // Weekdays from the day series: the dashboard already has it, no request.
    var weekly = [0, 0, 0, 0, 0, 0, 0];
    ((detail.series && detail.series.points) || []).forEach(function (p) {
      weekly[new Date(p.period + "T00:00:00Z").getUTCDay()] += p[key] || 0;
    });
    answers.weekday = T.days.map(function (d, i) {
      var visits = 0, pageviews = 0;
      ((detail.series && detail.series.points) || []).forEach(function (p) {
        if (new Date(p.period + "T00:00:00Z").getUTCDay() === i) { visits += p.visits; pageviews += p.pageviews; }
      });
      return { value: d, visits: visits, pageviews: pageviews };
    });
    var order = [1, 2, 3, 4, 5, 6, 0]; // Monday first
    drawBars("weekday", order.map(function (i) { return T.days[i]; }), order.map(function (i) { return weekly[i]; }));
    var hours = get("hour", 24).then(function (answer) {
      var byHour = {};
      answer.rows.forEach(function (r) { byHour[r.value] = r; });
      var labels = [], values = [];
      answers.hour = [];
      for (var h = 0; h < 24; h++) {
        var name = (h < 10 ? "0" : "") + h;
        var row = byHour[name] || { value: name, visits: 0, pageviews: 0 };
        labels.push(name);
        values.push(row[key]);
        answers.hour.push(row);
      }
      drawBars("hour", labels, values);
    });
    var goals = detail.getJSON("/goals", { from: detail.from, to: detail.to }).then(drawGoals);
    return Promise.all([hours, goals].concat(LISTS.map(function (dimension) {
      return get(dimension, 10).then(function (answer) {
        answers[dimension] = answer.rows;
        drawList(dimension, answer.rows, BY_HITS.indexOf(dimension) >= 0 ? "pageviews" : key);
      });
    }))).then(function () {
      document.body.setAttribute("data-breakdowns", "ready");
    }, function (e) {
      document.body.setAttribute("data-breakdowns", "error");
      throw e;
    });
  }

  build();
  document.addEventListener("dashboard:loaded", function (e) { last = e.detail; load(last); });
  // The metric switch redraws the dashboard's charts; the panels follow it.
  document.getElementById("metric").addEventListener("change", function (e) {
    if (last) load(Object.assign({}, last, { metric: e.target.value }));
  });
})();
