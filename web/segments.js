/* Dashboard segments: a filter bar (a dimension, "is" / "is not", one or several values) and a
 * chip per filter to remove it. The filter lives in the address (?filter=..., the API's
 * syntax: source==Google|Zalo;device!=mobile), so a reload or a shared link shows the same.
 * While a filter is set, dashboard.js answers every panel from GET /segment. Loaded before
 * dashboard.js; Vietnamese, or English with ?lang=en. */
(function () {
  "use strict";
  var params = new URLSearchParams(location.search);
  var lang = params.get("lang") === "en" ? "en" : "vi";
  var DIMENSIONS = ["source", "campaign", "page", "entry", "browser", "os", "device", "country", "language", "event"];
  var T = {
    vi: {
      bar: "Phân đoạn", add: "Thêm bộ lọc", dimension: "Theo", operator: "Điều kiện", values: "Giá trị",
      valuesHint: "một hoặc nhiều, cách nhau bởi dấu phẩy", is: "là", isNot: "không là", or: " hoặc ",
      remove: "Bỏ bộ lọc", clear: "Bỏ tất cả", active: "Số liệu của phân đoạn (từ kho sự kiện):",
      source: "Nguồn", campaign: "Chiến dịch", page: "Trang", entry: "Trang vào", browser: "Trình duyệt",
      os: "Hệ điều hành", device: "Thiết bị", country: "Quốc gia", language: "Ngôn ngữ", event: "Sự kiện",
    },
    en: {
      bar: "Segment", add: "Add filter", dimension: "By", operator: "Condition", values: "Values",
      valuesHint: "one or several, separated by commas", is: "is", isNot: "is not", or: " or ",
      remove: "Remove filter", clear: "Clear all", active: "Figures of the segment (from the event archive):",
      source: "Source", campaign: "Campaign", page: "Page", entry: "Entry page", browser: "Browser",
      os: "Operating system", device: "Device", country: "Country", language: "Language", event: "Event",
    },
  }[lang];
  var filters = parse(params.get("filter") || "");
  var listeners = [];
  var $ = function (id) { return document.getElementById(id); };

  // The API's syntax: ";" between filters, "|" between values, "\" escapes both and itself.
  // Splits on `separator` where it is not escaped, keeping the escapes.
  function split(text, separator) {
    var parts = [], current = "";
    for (var i = 0; i < text.length; i++) {
      if (text[i] === "\\") { current += text[i] + (text[i + 1] || ""); i++; }
      else if (text[i] === separator) { parts.push(current); current = ""; }
      else current += text[i];
    }
    parts.push(current);
    return parts;
  }

  function unescape(value) { return value.replace(/\\([\s\S])/g, "$1"); }

  function parse(text) {
    return split(text, ";").filter(Boolean).map(function (part) {
      var m = /^([a-z]+)(==|!=)([\s\S]*)$/.exec(part);
      if (!m || DIMENSIONS.indexOf(m[1]) < 0) return null;
      return { dimension: m[1], operator: m[2] === "==" ? "is" : "is not", values: split(m[3], "|").map(unescape).filter(Boolean) };
    }).filter(function (f) { return f && f.values.length; });
  }

  function escape(value) { return value.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/;/g, "\\;"); }

  function text() {
    return filters.map(function (f) {
      return f.dimension + (f.operator === "is" ? "==" : "!=") + f.values.map(escape).join("|");
    }).join(";");
  }

  // The address keeps the filter (and, while one is set, the range it was read over).
  function remember(range) {
    var next = new URLSearchParams(location.search);
    if (filters.length) {
      next.set("filter", text());
      if (range) { next.set("from", range.from); next.set("to", range.to); }
    } else {
      next.delete("filter");
    }
    history.replaceState(null, "", location.pathname + "?" + next.toString() + location.hash);
  }

  function changed() {
    remember(null);
    drawChips();
    listeners.forEach(function (listener) { listener(text()); });
  }

  function option(value, label) {
    return Object.assign(document.createElement("option"), { value: value, textContent: label });
  }

  function labelled(caption, field) {
    var label = document.createElement("label");
    label.append(Object.assign(document.createElement("span"), { textContent: caption }), field);
    return label;
  }

  function build() {
    var bar = Object.assign(document.createElement("section"), { id: "segment", className: "segment" });
    bar.setAttribute("aria-label", T.bar);
    var form = Object.assign(document.createElement("form"), { id: "filter-form", className: "controls" });
    var dimension = Object.assign(document.createElement("select"), { id: "filter-dimension" });
    DIMENSIONS.forEach(function (d) { dimension.appendChild(option(d, T[d])); });
    var operator = Object.assign(document.createElement("select"), { id: "filter-operator" });
    operator.append(option("is", T.is), option("is not", T.isNot));
    var values = Object.assign(document.createElement("input"), {
      id: "filter-values", type: "text", autocomplete: "off", placeholder: T.valuesHint,
    });
    values.setAttribute("list", "filter-suggestions");
    var suggestions = Object.assign(document.createElement("datalist"), { id: "filter-suggestions" });
    var add = Object.assign(document.createElement("button"), { type: "submit", textContent: T.add });
    form.append(labelled(T.dimension, dimension), labelled(T.operator, operator), labelled(T.values, values), suggestions, add);
    var chips = Object.assign(document.createElement("p"), { id: "filter-chips", className: "chips" });
    chips.setAttribute("role", "list");
    bar.append(form, chips);
    $("controls").after(bar);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var chosen = values.value.split(",").map(function (v) { return v.trim(); }).filter(Boolean);
      if (!chosen.length) return;
      filters.push({ dimension: dimension.value, operator: operator.value, values: chosen });
      values.value = "";
      changed();
    });
    dimension.addEventListener("change", suggest);
    values.addEventListener("focus", suggest);
  }

  // Suggestions: the values the dimension's panel shows now.
  function suggest() {
    var d = $("filter-dimension").value;
    var selector = { page: "#pages li .path", entry: "#rows-entry li" }[d] || "#rows-" + d + " li";
    var list = $("filter-suggestions");
    list.textContent = "";
    document.querySelectorAll(selector).forEach(function (node) {
      var value = node.dataset.value || node.textContent;
      if (value && value !== "(other)" && !node.classList.contains("none")) list.appendChild(option(value, value));
    });
  }

  function drawChips() {
    var chips = $("filter-chips");
    chips.textContent = "";
    document.body.toggleAttribute("data-segment", filters.length > 0);
    if (!filters.length) return;
    chips.appendChild(Object.assign(document.createElement("span"), { className: "note", textContent: T.active }));
    filters.forEach(function (f, i) {
      var chip = Object.assign(document.createElement("span"), { className: "chip" });
      chip.setAttribute("role", "listitem");
      chip.dataset.filter = f.dimension + (f.operator === "is" ? "==" : "!=") + f.values.join("|");
      chip.appendChild(document.createTextNode(
        T[f.dimension] + " " + (f.operator === "is" ? T.is : T.isNot) + " " + f.values.join(T.or)));
      var remove = Object.assign(document.createElement("button"), { type: "button", textContent: "×", className: "remove" });
      remove.setAttribute("aria-label", T.remove + ": " + chip.textContent);
      remove.addEventListener("click", function () { filters.splice(i, 1); changed(); });
      chip.appendChild(remove);
      chips.appendChild(chip);
    });
    var clear = Object.assign(document.createElement("button"), { type: "button", textContent: T.clear, className: "clear" });
    clear.addEventListener("click", function () { filters = []; changed(); });
    chips.appendChild(clear);
  }

  window.VisitSegments = {
    text: text,
    remember: remember,
    listen: function (listener) { listeners.push(listener); },
  };
  build();
  drawChips();
})();
