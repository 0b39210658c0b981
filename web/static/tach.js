// tach.js starts every chart of a page, the weekly review's Copy summary
// button and its week picker. Pages carry no inline script (the
// Content-Security-Policy allows only tach's own files): each chart is a
// container with data-chart="ID" and a <script type="application/json"
// id="ID"> block holding its ECharts option, built server-side by
// go-echarts. The ECharts theme is made from the page's CSS variables, so
// charts follow light and dark mode.
(function () {
  "use strict";

  var instances = [];

  // Series of the compare page's charts, by id, and the colour each takes.
  var compareHues = { "weekly": "--series-1", "levels": "--series-2", "weekly-b": "--series-2", "levels-a": "--series-1", "levels-b": "--series-2" };

  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function theme() {
    var palette = [];
    for (var i = 1; i <= 7; i++) {
      var c = cssVar("--series-" + i);
      if (c) palette.push(c);
    }
    var fg = cssVar("--fg"), muted = cssVar("--muted"), grid = cssVar("--grid"), line = cssVar("--line"), surface = cssVar("--surface");
    var axis = {
      axisLine: { lineStyle: { color: line } },
      axisTick: { lineStyle: { color: line } },
      axisLabel: { color: muted },
      splitLine: { lineStyle: { color: grid } },
      nameTextStyle: { color: muted }
    };
    return {
      color: palette,
      backgroundColor: "transparent",
      textStyle: { color: fg, fontFamily: getComputedStyle(document.body).fontFamily },
      legend: { textStyle: { color: muted } },
      tooltip: { backgroundColor: surface, borderColor: line, textStyle: { color: fg } },
      categoryAxis: axis,
      valueAxis: axis,
      timeAxis: axis
    };
  }

  // Colours that depend on the page: decision lines take the decision
  // colour (their labels sit on the page's background, so they stay
  // readable over bars), and a trend's p75, p90 and band take the median's
  // hue, told apart by dashes and shading rather than colour.
  function style(option) {
    var decision = cssVar("--decision"), surface = cssVar("--surface"), first = cssVar("--series-1");
    // Tooltips drawn on the canvas: ECharts' HTML tooltips carry inline
    // styles, which the Content-Security-Policy (style-src 'self') blocks.
    [].concat(option.tooltip || []).forEach(function (t) { t.renderMode = "richText"; });
    // Part weeks' bands and the shown week's (a split area per week).
    [].concat(option.xAxis || []).forEach(function (a) {
      var area = a && a.splitArea && a.splitArea.areaStyle;
      if (area && Array.isArray(area.color)) {
        area.color = area.color.map(function (c) {
          return c === "part-week" ? cssVar("--grid") : c === "shown-week" ? cssVar("--shade-2") : c;
        });
      }
    });
    (option.series || []).forEach(function (s) {
      // The decisions' own series (numbered lines, drawn behind the bars)
      // and the shaded weeks' (part weeks, weeks before the history):
      // their legend entries take their colours. A decision's label is its number; other marked lines are
      // named, cut to a width.
      var id = String(s.id || "");
      if (s.markLine) {
        var label = { color: decision, backgroundColor: surface, padding: [1, 3] };
        if (id.indexOf("decisions-") !== 0) {
          label.width = 170;
          label.overflow = "truncate";
        }
        s.markLine.lineStyle = Object.assign({}, s.markLine.lineStyle, { color: decision });
        s.markLine.label = Object.assign({}, s.markLine.label, label);
      }
      if (id.indexOf("decisions-") === 0) {
        s.itemStyle = Object.assign({}, s.itemStyle, { color: decision });
        s.lineStyle = Object.assign({}, s.lineStyle, { color: decision });
      }
      // Part weeks take the grid's shade; the weeks before the history
      // (no data, partial history) the first compare shade.
      var shaded = id.indexOf("part-weeks-") === 0 ? "--grid" : id.indexOf("no-data-") === 0 || id.indexOf("partial-history-") === 0 ? "--shade-1" : "";
      if (shaded && s.markArea) {
        var shade = cssVar(shaded);
        s.itemStyle = Object.assign({}, s.itemStyle, { color: shade });
        s.markArea.itemStyle = Object.assign({}, s.markArea.itemStyle, { color: shade });
        s.markArea.label = Object.assign({}, s.markArea.label, { color: cssVar("--muted") });
        return;
      }
      if (s.id === "p75" || s.id === "p90" || s.id === "band") {
        s.itemStyle = Object.assign({}, s.itemStyle, { color: first });
        s.lineStyle = Object.assign({}, s.lineStyle, { color: first });
      }
      if (s.id === "band") {
        s.areaStyle = Object.assign({}, s.areaStyle, { color: first });
      }
      // Compare charts: the weekly values and each side's level keep one
      // hue per scope, and the compared windows are shaded, first and
      // second side told apart by their labels as much as by the tint.
      var hue = compareHues[s.id];
      if (hue) {
        var c = cssVar(hue);
        s.itemStyle = Object.assign({}, s.itemStyle, { color: c });
        s.lineStyle = Object.assign({}, s.lineStyle, { color: c });
      }
      if (s.markArea && s.markArea.data) {
        var shades = [cssVar("--shade-1"), cssVar("--shade-2")];
        s.markArea.data.forEach(function (pair, i) {
          if (pair && pair[0]) pair[0].itemStyle = Object.assign({}, pair[0].itemStyle, { color: shades[i % 2] });
        });
        s.markArea.label = Object.assign({}, s.markArea.label, { color: cssVar("--muted") });
      }
    });
    return option;
  }

  function start() {
    var containers = document.querySelectorAll("[data-chart]");
    if (!containers.length) return;
    if (typeof window.echarts === "undefined") {
      containers.forEach(function (el) {
        var p = el.querySelector(".chart-fallback");
        if (p) p.textContent = "Charts are not in this build (run `make assets` and rebuild); the table below has the same numbers.";
      });
      return;
    }
    window.echarts.registerTheme("tach", theme());
    containers.forEach(function (el) {
      var data = document.getElementById(el.getAttribute("data-chart"));
      if (!data) return;
      var option;
      try {
        option = JSON.parse(data.textContent);
      } catch (e) {
        return;
      }
      el.textContent = "";
      var chart = window.echarts.init(el, "tach", { renderer: "canvas" });
      chart.setOption(style(option));
      instances.push({ el: el, option: option, chart: chart });
      linkWeeks(el, chart);
    });
  }

  // A weekly chart whose container carries data-links (one per week) goes
  // to a week's link when the reader clicks anywhere in that week's
  // column: the same links the page lists under the chart, so the page
  // works without JavaScript and each week has an address.
  function linkWeeks(el, chart) {
    var raw = el.getAttribute("data-links");
    if (!raw) return;
    var links;
    try {
      links = JSON.parse(raw);
    } catch (e) {
      return;
    }
    var zr = chart.getZr();
    var weekAt = function (e) {
      var at = [e.offsetX, e.offsetY];
      var grids = (chart.getOption().grid || []).length;
      for (var g = 0; g < grids; g++) {
        if (!chart.containPixel({ gridIndex: g }, at)) continue;
        var x = chart.convertFromPixel({ gridIndex: g }, at);
        var i = Math.round(Array.isArray(x) ? x[0] : NaN);
        if (i >= 0 && i < links.length) return i;
      }
      return -1;
    };
    zr.on("click", function (e) {
      var i = weekAt(e);
      if (i >= 0) window.location.assign(links[i]);
    });
    zr.on("mousemove", function (e) {
      zr.setCursorStyle(weekAt(e) >= 0 ? "pointer" : "default");
    });
    // A chart follows its container, not only the window: a panel that
    // wraps under another at a narrow width, a disclosure that opens.
    if (window.ResizeObserver) {
      var observer = new window.ResizeObserver(function (entries) {
        entries.forEach(function (e) {
          instances.forEach(function (i) { if (i.el === e.target) i.chart.resize(); });
        });
      });
      instances.forEach(function (i) { observer.observe(i.el); });
    }
  }

  function restart() {
    instances.forEach(function (i) { i.chart.dispose(); });
    var old = instances;
    instances = [];
    window.echarts.registerTheme("tach", theme());
    old.forEach(function (i) {
      var chart = window.echarts.init(i.el, "tach", { renderer: "canvas" });
      chart.setOption(style(i.option));
      instances.push({ el: i.el, option: i.option, chart: chart });
      linkWeeks(i.el, chart);
    });
  }

  var resizeTimer = 0;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      instances.forEach(function (i) { i.chart.resize(); });
    }, 100);
  });

  if (window.matchMedia) {
    var dark = window.matchMedia("(prefers-color-scheme: dark)");
    var onChange = function () { if (instances.length) restart(); };
    if (dark.addEventListener) dark.addEventListener("change", onChange);
  }

  // Copy summary (the weekly review): a button with data-copy naming a
  // <template> of HTML and data-copy-text holding the same as text. Both
  // go on the clipboard, so a chat or a document keeps the links and the
  // bold, and a plain text field gets the text. Where the Clipboard API is
  // missing (plain http on a LAN is not a secure context), the copy event
  // carries both; failing that, the text opens selected for Ctrl+C.
  function startCopy() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      var tpl = document.getElementById(button.getAttribute("data-copy"));
      var text = button.getAttribute("data-copy-text") || "";
      var status = document.getElementById(button.getAttribute("data-copy-status"));
      var fallback = document.getElementById(button.getAttribute("data-copy-fallback"));
      var say = function (msg) { if (status) status.textContent = msg; };
      button.hidden = false;
      button.addEventListener("click", function () {
        var box = document.createElement("div");
        if (tpl && tpl.content) box.appendChild(tpl.content.cloneNode(true));
        var html = box.innerHTML;
        var done = function () { say("Copied: paste it into your chat or notes."); };
        var byEvent = function () {
          var copied = false;
          var onCopy = function (e) {
            e.clipboardData.setData("text/html", html);
            e.clipboardData.setData("text/plain", text);
            e.preventDefault();
            copied = true;
          };
          document.addEventListener("copy", onCopy);
          try { document.execCommand("copy"); } catch (e) { copied = false; }
          document.removeEventListener("copy", onCopy);
          if (copied) return done();
          if (fallback) {
            fallback.open = true;
            var area = fallback.querySelector("textarea");
            if (area) { area.focus(); area.select(); }
          }
          say("Copying is not allowed here: the summary is selected below, press Ctrl+C (⌘C).");
        };
        if (navigator.clipboard && navigator.clipboard.write && window.ClipboardItem && window.isSecureContext) {
          var item = new window.ClipboardItem({
            "text/html": new Blob([html], { type: "text/html" }),
            "text/plain": new Blob([text], { type: "text/plain" })
          });
          navigator.clipboard.write([item]).then(done, byEvent);
        } else {
          byEvent();
        }
      });
    });
  }

  // The week picker: any day chosen moves to the Monday of its week (the
  // server would take any day too; the field then shows what is reviewed).
  function startWeekPicker() {
    document.querySelectorAll("input[data-week-picker]").forEach(function (input) {
      input.addEventListener("change", function () {
        var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(input.value);
        if (!m) return;
        var d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
        d.setUTCDate(d.getUTCDate() - (d.getUTCDay() + 6) % 7);
        input.value = d.toISOString().slice(0, 10);
      });
    });
  }

  // A typed names field (past a few hundred repos or modules a form takes
  // them typed, comma-separated) suggests names as one types: the name
  // being typed, after the last comma, is looked up in data-suggest, and
  // each answer is offered as the field's whole value with that name
  // completed. Without script the field still takes names typed in full.
  function startNameSuggestions() {
    document.querySelectorAll("input[data-suggest]").forEach(function (input) {
      var list = document.getElementById(input.getAttribute("list"));
      var timer = 0, asked = null, seq = 0;
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          var parts = input.value.split(",");
          var word = parts.pop().trim();
          var head = parts.map(function (p) { return p.trim(); }).filter(function (p) { return p !== ""; });
          if (word === asked) return;
          asked = word;
          var mine = ++seq;
          if (word === "") {
            list.replaceChildren();
            return;
          }
          fetch(input.getAttribute("data-suggest") + "&q=" + encodeURIComponent(word), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
            .then(function (r) { return r.ok ? r.json() : { names: [] }; })
            .then(function (body) {
              if (mine !== seq) return; // a later keystroke asked since
              list.replaceChildren.apply(list, body.names.map(function (name) {
                var o = document.createElement("option");
                o.value = head.concat([name]).join(", ");
                return o;
              }));
            })
            .catch(function () {});
        }, 120);
      });
    });
  }

  function startAll() {
    startCopy();
    startWeekPicker();
    startNameSuggestions();
    start();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", startAll);
  } else {
    startAll();
  }
})();
