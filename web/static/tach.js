// tach.js starts every chart of a page. Pages carry no inline script (the
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
      // and the part weeks' (shaded): their legend entries take their
      // colours. A decision's label is its number; other marked lines are
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
      if (id.indexOf("part-weeks-") === 0 && s.markArea) {
        var shade = cssVar("--grid");
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

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
