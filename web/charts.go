package web

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/templates"
)

// Charts: go-echarts builds each option server-side; the page carries it as
// JSON data and tach.js starts it. IDs are fixed per chart and nothing
// random goes in, so the same data gives the same page. Colours come from
// the theme tach.js builds out of the CSS (Okabe–Ito, light or dark), so
// options carry none.

// durationUnit is how a duration chart's axis reads: the unit is picked once
// per chart from its largest value.
type durationUnit struct {
	name    string
	seconds float64
}

func unitFor(maxSeconds float64) durationUnit {
	switch {
	case maxSeconds >= 2*86400:
		return durationUnit{"days", 86400}
	case maxSeconds >= 2*3600:
		return durationUnit{"hours", 3600}
	default:
		return durationUnit{"minutes", 60}
	}
}

// maxOf is the largest non-nil value of the series (0 when there is none).
func maxOf(series ...[]*float64) float64 {
	m := 0.0
	for _, s := range series {
		for _, v := range s {
			if v != nil && *v > m {
				m = *v
			}
		}
	}
	return m
}

// scaled converts values to the unit, rounded to 2 decimals; nil stays
// missing ("-" in ECharts, a gap in the line).
func scaled(values []*float64, by float64) []any {
	out := make([]any, len(values))
	for i, v := range values {
		if v == nil || math.IsNaN(*v) {
			out[i] = "-"
			continue
		}
		out[i] = math.Round(*v/by*100) / 100
	}
	return out
}

func lineData(values []any) []opts.LineData {
	out := make([]opts.LineData, len(values))
	for i, v := range values {
		out[i] = opts.LineData{Value: v}
	}
	return out
}

func barData(values []any) []opts.BarData {
	out := make([]opts.BarData, len(values))
	for i, v := range values {
		out[i] = opts.BarData{Value: v}
	}
	return out
}

// weekLabels are the x axis of weekly charts: where each week starts, its
// Monday (or the window's first day, in a first part week).
func weekLabels(weeks []metrics.WeekReport, loc *time.Location) []string {
	out := make([]string, len(weeks))
	for i, w := range weeks {
		out[i] = w.Start.In(loc).Format(time.DateOnly)
	}
	return out
}

// weekAxis is the x axis of a weekly chart: each week's label, which weeks
// are part weeks (the window cuts them: they are shaded and named "part
// week"), and the decisions that fall in its weeks, numbered in date
// order. A decision is a dashed line drawn behind the bars, labelled with
// its number above the plot; the chart's legend of decisions (Marks)
// names each number.
type weekAxis struct {
	labels    []string
	partial   []bool
	history   []string // per week: noData, partialHistory, or "" when the scope's history covers it
	shown     int      // the week whose rows the page lists, tinted; −1: none
	marks     []weekMark
	decisions []store.Decision // those on the chart, in number order
}

// weekMark is a week that holds decisions: its line's label is their
// numbers ("1", "2, 3").
type weekMark struct {
	label, name string
}

func newWeekAxis(weeks []metrics.WeekReport, decisions []store.Decision, loc *time.Location) weekAxis {
	ax := weekAxis{labels: weekLabels(weeks, loc), partial: make([]bool, len(weeks)), history: make([]string, len(weeks)), shown: -1}
	for i, w := range weeks {
		ax.partial[i] = w.Partial
		switch {
		case w.NoHistory:
			ax.history[i] = noData
		case w.PartialHistory:
			ax.history[i] = partialHistory
		}
	}
	sorted := slices.Clone(decisions)
	slices.SortStableFunc(sorted, func(a, b store.Decision) int { return strings.Compare(a.DecidedOn, b.DecidedOn) })
	byWeek := map[int][]string{}
	var order []int
	for _, d := range sorted {
		day, err := time.ParseInLocation(time.DateOnly, d.DecidedOn, loc)
		if err != nil {
			continue
		}
		i := slices.IndexFunc(weeks, func(w metrics.WeekReport) bool { return !day.Before(w.Start) && day.Before(w.End) })
		if i < 0 {
			continue
		}
		ax.decisions = append(ax.decisions, d)
		if _, ok := byWeek[i]; !ok {
			order = append(order, i)
		}
		byWeek[i] = append(byWeek[i], strconv.Itoa(len(ax.decisions)))
	}
	for _, i := range order {
		ax.marks = append(ax.marks, weekMark{label: ax.labels[i], name: strings.Join(byWeek[i], ", ")})
	}
	return ax
}

// legend names the decisions the chart numbers, each a link to its
// comparison.
func (ax weekAxis) legend() []templates.Link {
	var out []templates.Link
	for _, d := range ax.decisions {
		out = append(out, templates.Link{Label: d.DecidedOn + " " + d.Title, Href: "/compare?decision=" + strconv.FormatInt(d.ID, 10), Title: "what changed around this decision"})
	}
	return out
}

// spark are the decisions as a sparkline draws them: thin unlabelled lines.
func (ax weekAxis) spark() []opts.MarkLineNameXAxisItem {
	var out []opts.MarkLineNameXAxisItem
	for _, m := range ax.marks {
		out = append(out, opts.MarkLineNameXAxisItem{XAxis: m.label})
	}
	return out
}

// extras are the series that draw the decisions and the part weeks on the
// grid of x axis xi and y axis yi (ids decisions-N and part-weeks-N, which
// tach.js colours).
func (ax weekAxis) extras(xi, yi int) []any {
	var out []any
	if len(ax.marks) > 0 {
		data := make([]any, len(ax.marks))
		for i, m := range ax.marks {
			data[i] = map[string]any{"name": m.name, "xAxis": m.label}
		}
		out = append(out, map[string]any{
			"type": "line", "id": fmt.Sprintf("decisions-%d", xi), "name": "decisions", "data": []any{},
			"xAxisIndex": xi, "yAxisIndex": yi, "z": 1, "silent": true, "symbol": "none",
			"lineStyle": map[string]any{"type": "dashed", "width": 1.5},
			"markLine": map[string]any{
				// Behind the bars (z 2): a line never covers one.
				"z": 1, "silent": true, "symbol": []string{"none", "none"}, "data": data,
				"label":     map[string]any{"show": true, "formatter": "{b}", "position": "end", "fontSize": 11, "fontWeight": "bold"},
				"lineStyle": map[string]any{"type": "dashed", "width": 1.5},
			},
		})
	}
	var areas []any
	for i, part := range ax.partial {
		if part {
			areas = append(areas, []any{map[string]any{"name": "part week", "xAxis": ax.labels[i]}, map[string]any{"xAxis": ax.labels[i]}})
		}
	}
	if len(areas) > 0 {
		out = append(out, shadeSeries(fmt.Sprintf("part-weeks-%d", xi), "part week", areas, xi, yi, true))
	}
	return append(out, ax.historyShades(xi, yi, true)...)
}

// The shades of the weeks a scope's history does not cover (METRICS.md,
// "Where history starts"): "no data" where no repo in scope holds all its
// records (the week has no values, which a bar chart would otherwise draw
// as a quiet week), "partial history" where some do not.
const (
	noData         = "no data"
	partialHistory = "partial history"
)

// historyShades are the series that shade the weeks of each kind of gap
// (ids no-data-N and partial-history-N, which tach.js colours), runs of
// weeks as one area; labelled puts the words on the chart (not on a
// sparkline).
func (ax weekAxis) historyShades(xi, yi int, labelled bool) []any {
	var out []any
	for _, kind := range []string{noData, partialHistory} {
		var areas []any
		for i := 0; i < len(ax.history) && i < len(ax.labels); i++ {
			if ax.history[i] != kind {
				continue
			}
			j := i
			for j+1 < len(ax.history) && j+1 < len(ax.labels) && ax.history[j+1] == kind {
				j++
			}
			areas = append(areas, []any{map[string]any{"name": kind, "xAxis": ax.labels[i]}, map[string]any{"xAxis": ax.labels[j]}})
			i = j
		}
		if len(areas) > 0 {
			out = append(out, shadeSeries(fmt.Sprintf("%s-%d", strings.ReplaceAll(kind, " ", "-"), xi), kind, areas, xi, yi, labelled))
		}
	}
	return out
}

// shadeSeries is an empty series whose mark area shades bands of weeks,
// behind the bars, named in the legend by name.
func shadeSeries(id, name string, areas []any, xi, yi int, labelled bool) map[string]any {
	return map[string]any{
		"type": "line", "id": id, "name": name, "data": []any{}, "legendIcon": "rect",
		"xAxisIndex": xi, "yAxisIndex": yi, "z": 0, "silent": true, "symbol": "none",
		"markArea": map[string]any{"z": 0, "silent": true, "data": areas,
			"label": map[string]any{"show": labelled, "position": "insideTop", "fontSize": 10}},
	}
}

// partShades shade the part weeks' bands of an x axis, and the shown
// week's: a split area per week, "part-week" or "shown-week" (tach.js
// colours them) or transparent. (A mark area cannot cover a category's
// band; it only labels it.)
func (ax weekAxis) partShades(axis map[string]any) {
	if !slices.Contains(ax.partial, true) && ax.shown < 0 {
		return
	}
	colors := make([]any, len(ax.partial))
	for i, part := range ax.partial {
		switch {
		case i == ax.shown:
			colors[i] = "shown-week"
		case part:
			colors[i] = "part-week"
		default:
			colors[i] = "transparent"
		}
	}
	axis["splitArea"] = map[string]any{"show": true, "interval": 0, "areaStyle": map[string]any{"color": colors}}
}

// withExtras adds ax's extras to a single-grid chart, and to its legend
// when the legend lists its entries.
func (ax weekAxis) withExtras(m map[string]any) {
	if axes, ok := m["xAxis"].([]any); ok && len(axes) > 0 {
		if a, ok := axes[0].(map[string]any); ok {
			ax.partShades(a)
		}
	}
	extras := ax.extras(0, 0)
	if len(extras) == 0 {
		return
	}
	series, _ := m["series"].([]any)
	m["series"] = append(series, extras...)
	if legend, ok := m["legend"].(map[string]any); ok {
		if data, ok := legend["data"].([]any); ok {
			for _, e := range extras {
				data = append(data, e.(map[string]any)["name"])
			}
			legend["data"] = data
		}
	}
}

// chartNote is a weekly chart's note: what its lines and shades are.
func (ax weekAxis) note(note string) string {
	if slices.Contains(ax.partial, true) {
		note = joinNonEmpty(" ", note, "A shaded part week holds only the days of that week inside the window.")
	}
	if len(ax.marks) > 0 {
		note = joinNonEmpty(" ", note, "Numbered dashed lines are the decisions listed under the chart.")
	}
	if slices.Contains(ax.history, noData) {
		note = joinNonEmpty(" ", note, "Weeks shaded “no data” are before the synced history: they have no values, not zero.")
	}
	if slices.Contains(ax.history, partialHistory) {
		note = joinNonEmpty(" ", note, "Weeks shaded “partial history” are before the history start of some repos in scope.")
	}
	if ax.shown >= 0 {
		note = joinNonEmpty(" ", note, "The tinted week is the one whose rows are listed below.")
	}
	return note
}

// baseOpts are the options every full-size chart shares: a legend under
// it, a named y axis (its unit), room above the plot for the decisions'
// numbers, and labels kept inside the chart (containLabel).
func baseOpts(yName string) []charts.GlobalOpts {
	return []charts.GlobalOpts{
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithGridOpts(opts.Grid{Left: "12", Right: "24", Top: "48", Bottom: "36", ContainLabel: opts.Bool(true)}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: yName}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Bottom: "0", Left: "center"}),
	}
}

// optionJSON marshals a go-echarts chart to its option, drops go-echarts'
// default colours (the theme sets them) and applies patches for options
// go-echarts has no field for.
func optionJSON(c interface {
	Validate()
	JSON() map[string]any
}, patches ...func(map[string]any)) json.RawMessage {
	c.Validate()
	raw, err := json.Marshal(c.JSON())
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	delete(m, "color")
	alignAxisNames(m)
	for _, p := range patches {
		p(m)
	}
	if raw, err = json.Marshal(m); err != nil {
		return nil
	}
	return raw
}

// alignAxisNames keeps the y axes' names (their units) inside the chart:
// ECharts centres a name over its axis, and containLabel does not count
// names, so a long one was cut at the edge. The left axis's name starts at
// the axis, a right axis's ends there.
func alignAxisNames(m map[string]any) {
	axes, _ := m["yAxis"].([]any)
	for i, a := range axes {
		if am, ok := a.(map[string]any); ok {
			align := "left"
			if i > 0 {
				align = "right"
			}
			style, _ := am["nameTextStyle"].(map[string]any)
			if style == nil {
				style = map[string]any{}
			}
			style["align"] = align
			am["nameTextStyle"] = style
		}
	}
}

// noBoundaryGap starts a line chart's first point on the y axis (a
// sparkline's; a weekly chart keeps each week in the middle of its band,
// where its part-week shade and its first and last labels fit).
func noBoundaryGap(m map[string]any) {
	if axes, ok := m["xAxis"].([]any); ok {
		for _, a := range axes {
			if am, ok := a.(map[string]any); ok {
				am["boundaryGap"] = false
			}
		}
	}
}

// hideFromTooltip keeps the named series (a band's helper series) out of
// the tooltip.
func hideFromTooltip(names ...string) func(map[string]any) {
	return func(m map[string]any) {
		series, _ := m["series"].([]any)
		for _, s := range series {
			sm, _ := s.(map[string]any)
			if sm != nil && slices.Contains(names, fmt.Sprint(sm["name"])) {
				sm["tooltip"] = map[string]any{"show": false}
				sm["silent"] = true
				sm["legendHoverLink"] = false
			}
		}
		if legend, ok := m["legend"].(map[string]any); ok {
			var data []any
			for _, s := range series {
				if sm, _ := s.(map[string]any); sm != nil && !slices.Contains(names, fmt.Sprint(sm["name"])) {
					data = append(data, sm["name"])
				}
			}
			legend["data"] = data
		}
	}
}

// series is one named series of a chart.
type series struct {
	name   string
	values []*float64
}

// trendChart is a weekly median with its p75/p90 band: the median as a
// line, p75 as a thin line, and the area between median and p90 shaded.
// Durations are in seconds and shown in a unit that fits. Series ids
// (median, p75, band, p90) let tach.js give them one hue.
func trendChart(ax weekAxis, median, p75, p90 []*float64, durations bool, yName string) (json.RawMessage, string) {
	by := 1.0
	if durations {
		u := unitFor(maxOf(median, p75, p90))
		by, yName = u.seconds, u.name
	}
	c := charts.NewLine()
	c.SetGlobalOptions(append(baseOpts(yName), charts.WithXAxisOpts(opts.XAxis{Type: "category"}))...)
	c.SetXAxis(ax.labels)
	med := scaled(median, by)
	c.AddSeries("median", lineData(med), charts.WithSeriesId("median"),
		charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(true), SymbolSize: 5}),
		charts.WithLineStyleOpts(opts.LineStyle{Width: 2.5}))
	if p75 != nil {
		c.AddSeries("p75", lineData(scaled(p75, by)), charts.WithSeriesId("p75"),
			charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false)}),
			charts.WithLineStyleOpts(opts.LineStyle{Width: 1, Type: "dashed"}))
	}
	if p90 != nil {
		// The band: an invisible base at the median, and p90 − median
		// stacked on it with a light fill.
		top := make([]*float64, len(p90))
		for i := range p90 {
			if p90[i] != nil && median[i] != nil {
				d := *p90[i] - *median[i]
				top[i] = &d
			}
		}
		c.AddSeries("band-base", lineData(med), charts.WithSeriesId("band-base"),
			charts.WithLineChartOpts(opts.LineChart{Stack: "band", ShowSymbol: opts.Bool(false)}),
			charts.WithLineStyleOpts(opts.LineStyle{Opacity: opts.Float(0)}))
		c.AddSeries("median to p90", lineData(scaled(top, by)), charts.WithSeriesId("band"),
			charts.WithLineChartOpts(opts.LineChart{Stack: "band", ShowSymbol: opts.Bool(false)}),
			charts.WithLineStyleOpts(opts.LineStyle{Opacity: opts.Float(0)}),
			charts.WithAreaStyleOpts(opts.AreaStyle{Opacity: opts.Float(0.18)}))
		// p90 itself, for the tooltip.
		c.AddSeries("p90", lineData(scaled(p90, by)), charts.WithSeriesId("p90"),
			charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false)}),
			charts.WithLineStyleOpts(opts.LineStyle{Width: 1, Type: "dotted"}))
		return optionJSON(c, hideFromTooltip("band-base", "median to p90"), ax.withExtras), yName
	}
	return optionJSON(c, ax.withExtras), yName
}

// barChart is one or more weekly counts, side by side.
func barChart(ax weekAxis, ss []series, yName string) json.RawMessage {
	c := charts.NewBar()
	c.SetGlobalOptions(append(baseOpts(yName), charts.WithXAxisOpts(opts.XAxis{Type: "category"}))...)
	c.SetXAxis(ax.labels)
	for _, s := range ss {
		c.AddSeries(s.name, barData(scaled(s.values, 1)))
	}
	return optionJSON(c, ax.withExtras)
}

// deploymentsChart is each week's production deployments (bars, on the
// left axis) and its deploy days (a line, on a right axis of 0 to 7 days),
// so neither scale squeezes the other.
func deploymentsChart(ax weekAxis, deployments, days series) json.RawMessage {
	c := charts.NewBar()
	c.SetGlobalOptions(append(baseOpts(deployments.name), charts.WithXAxisOpts(opts.XAxis{Type: "category"}))...)
	c.ExtendYAxis(opts.YAxis{Type: "value", Name: days.name, Min: 0, Max: 7, SplitNumber: 7, SplitLine: &opts.SplitLine{Show: opts.Bool(false)}})
	c.SetXAxis(ax.labels)
	c.AddSeries(deployments.name, barData(scaled(deployments.values, 1)))
	line := charts.NewLine()
	line.AddSeries(days.name, lineData(scaled(days.values, 1)),
		charts.WithLineChartOpts(opts.LineChart{YAxisIndex: 1, ShowSymbol: opts.Bool(true), SymbolSize: 6}),
		charts.WithLineStyleOpts(opts.LineStyle{Width: 2}))
	c.Overlap(line)
	return optionJSON(c, ax.withExtras)
}

// lineChart is one or more weekly line series (no band).
func lineChart(ax weekAxis, ss []series, durations bool, yName string) (json.RawMessage, string) {
	by := 1.0
	if durations {
		var all [][]*float64
		for _, s := range ss {
			all = append(all, s.values)
		}
		u := unitFor(maxOf(all...))
		by, yName = u.seconds, u.name
	}
	c := charts.NewLine()
	c.SetGlobalOptions(append(baseOpts(yName), charts.WithXAxisOpts(opts.XAxis{Type: "category"}))...)
	c.SetXAxis(ax.labels)
	for i, s := range ss {
		so := []charts.SeriesOpts{charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(true), SymbolSize: 5})}
		if i == 0 {
			so = append(so, charts.WithLineStyleOpts(opts.LineStyle{Width: 2.5}))
		} else {
			so = append(so, charts.WithLineStyleOpts(opts.LineStyle{Width: 1.5, Type: "dashed"}))
		}
		c.AddSeries(s.name, lineData(scaled(s.values, by)), so...)
	}
	return optionJSON(c, ax.withExtras), yName
}

// cycleChart is the weekly medians of the cycle-time parts as small
// multiples: a grid per part, two by two, each on its own scale and in a
// unit that fits it, so that a part of hours is as readable beside one of
// days. Hovering a week shows it in every grid.
func cycleChart(ax weekAxis, parts []series) (json.RawMessage, []string) {
	var (
		grids, xAxes, yAxes, all []any
		legend                   []any
		units                    []string
	)
	for i, p := range parts {
		u := unitFor(maxOf(p.values))
		units = append(units, p.name+" in "+u.name)
		left, top := []string{"2%", "52%"}[i%2], []string{"46", "59%"}[i/2]
		grids = append(grids, map[string]any{"left": left, "top": top, "width": "46%", "height": "28%", "containLabel": true})
		x := map[string]any{"type": "category", "data": ax.labels, "gridIndex": i}
		ax.partShades(x)
		xAxes = append(xAxes, x)
		yAxes = append(yAxes, map[string]any{"type": "value", "gridIndex": i, "name": p.name + " (" + u.name + ")", "nameGap": 22, "splitNumber": 3,
			"nameTextStyle": map[string]any{"align": "left", "fontWeight": "bold"}})
		all = append(all, map[string]any{"type": "bar", "name": p.name, "data": scaled(p.values, u.seconds), "xAxisIndex": i, "yAxisIndex": i})
		legend = append(legend, p.name)
	}
	for i := range parts {
		all = append(all, ax.extras(i, i)...)
	}
	for _, e := range ax.extras(0, 0) {
		legend = append(legend, e.(map[string]any)["name"])
	}
	option := map[string]any{
		"animation":   false,
		"tooltip":     map[string]any{"show": true, "trigger": "axis"},
		"axisPointer": map[string]any{"link": []any{map[string]any{"xAxisIndex": "all"}}},
		"legend":      map[string]any{"show": true, "bottom": 0, "left": "center", "data": legend},
		"grid":        grids,
		"xAxis":       xAxes,
		"yAxis":       yAxes,
		"series":      all,
	}
	raw, err := json.Marshal(option)
	if err != nil {
		return nil, nil
	}
	return raw, units
}

// histogramChart is a distribution: a count per bin, for one or more
// series side by side.
func histogramChart(bins []string, names []string, counts [][]int, xName, yName string) json.RawMessage {
	c := charts.NewBar()
	c.SetGlobalOptions(
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithGridOpts(opts.Grid{Left: "12", Right: "16", Top: "40", Bottom: "32", ContainLabel: opts.Bool(true)}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Name: xName, NameLocation: "middle", NameGap: 28}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: yName, MinInterval: 1}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0", Right: "0"}),
	)
	c.SetXAxis(bins)
	for i, name := range names {
		vals := make([]any, len(counts[i]))
		for j, n := range counts[i] {
			vals[j] = n
		}
		c.AddSeries(name, barData(vals), charts.WithBarChartOpts(opts.BarChart{BarCategoryGap: "12%"}))
	}
	return optionJSON(c)
}

// sparkline is a small line with no axes, for a card; decisions are thin
// unlabelled lines (the card links to the page that names them).
func sparkline(ax weekAxis, name string, values []*float64) json.RawMessage {
	c := charts.NewLine()
	c.SetGlobalOptions(
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithGridOpts(opts.Grid{Left: "2", Right: "2", Top: "4", Bottom: "4"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Show: opts.Bool(false)}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Show: opts.Bool(false), Scale: opts.Bool(true)}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
	)
	c.SetXAxis(ax.labels)
	so := []charts.SeriesOpts{
		charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false), ConnectNulls: opts.Bool(true)}),
		charts.WithLineStyleOpts(opts.LineStyle{Width: 2}),
		charts.WithAreaStyleOpts(opts.AreaStyle{Opacity: opts.Float(0.12)}),
	}
	if marks := ax.spark(); len(marks) > 0 {
		so = append(so, charts.WithMarkLineNameXAxisItemOpts(marks...), charts.WithMarkLineStyleOpts(opts.MarkLineStyle{
			Symbol: []string{"none", "none"}, Label: &opts.Label{Show: opts.Bool(false)}, LineStyle: &opts.LineStyle{Type: "dashed", Width: 1.5},
		}))
	}
	c.AddSeries(name, lineData(scaled(values, 1)), so...)
	return optionJSON(c, noBoundaryGap, func(m map[string]any) {
		series, _ := m["series"].([]any)
		m["series"] = append(series, ax.historyShades(0, 0, false)...)
	})
}

// weeklyTable is the "view as table" of a weekly chart: a row per week
// (a part week says so), a column per series, each value humanised with
// the exact one on hover.
func weeklyTable(caption string, ax weekAxis, ss []series, format func(*float64) templates.Value) templates.Table {
	t := templates.Table{Caption: caption, Columns: []templates.Column{{Label: "Week of"}}, TestID: "chart-data"}
	for _, s := range ss {
		t.Columns = append(t.Columns, templates.Column{Label: s.name, Num: true})
	}
	for i, l := range ax.labels {
		week := templates.Cell{Text: l, NoWrap: true}
		if i < len(ax.partial) && ax.partial[i] {
			week.Tags = []string{"part week"}
			week.Title = "the window holds only some days of this week"
		}
		if i < len(ax.history) && ax.history[i] != "" {
			week.Tags = append(week.Tags, ax.history[i])
			week.Title = joinNonEmpty("; ", week.Title, "before the history start of a repo in scope: tach does not hold all its records of this week")
		}
		row := []templates.Cell{week}
		for _, s := range ss {
			var v *float64
			if i < len(s.values) {
				v = s.values[i]
			}
			fv := format(v)
			row = append(row, templates.Cell{Text: fv.Text, Title: fv.Exact, Num: true})
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// histogramTable is the table of a distribution.
func histogramTable(caption, binLabel string, bins []string, counts []int) templates.Table {
	t := templates.Table{Caption: caption, Columns: []templates.Column{{Label: binLabel}, {Label: "count", Num: true}}, TestID: "chart-data"}
	for i, b := range bins {
		t.Rows = append(t.Rows, []templates.Cell{{Text: b}, {Text: fmt.Sprint(counts[i]), Num: true}})
	}
	return t
}

// Bins of the distributions. Durations use widening bins (hours matter
// for a fast team, weeks for a slow one); sizes likewise.
type bin struct {
	label string
	upTo  float64 // exclusive upper bound; +Inf for the last
}

var durationBins = []bin{
	{"< 1h", 3600}, {"1–4h", 4 * 3600}, {"4–12h", 12 * 3600}, {"12–24h", 86400}, {"1–2 d", 2 * 86400},
	{"2–4 d", 4 * 86400}, {"4–7 d", 7 * 86400}, {"1–2 w", 14 * 86400}, {"2–4 w", 28 * 86400}, {"≥ 4 w", math.Inf(1)},
}

var shortDurationBins = []bin{
	{"< 1m", 60}, {"1–2m", 120}, {"2–5m", 300}, {"5–10m", 600}, {"10–20m", 1200}, {"20–40m", 2400},
	{"40–60m", 3600}, {"1–2h", 7200}, {"≥ 2h", math.Inf(1)},
}

var sizeBins = []bin{
	{"< 10", 10}, {"10–49", 50}, {"50–99", 100}, {"100–249", 250}, {"250–499", 500}, {"500–999", 1000}, {"≥ 1000", math.Inf(1)},
}

// histogram counts values into bins, dropping empty bins at both ends so a
// fast team's chart is not mostly empty weeks.
func histogram(values []float64, bins []bin) ([]string, []int) {
	counts := make([]int, len(bins))
	for _, v := range values {
		for i, b := range bins {
			if v < b.upTo {
				counts[i]++
				break
			}
		}
	}
	lo, hi := 0, len(bins)
	for lo < hi && counts[lo] == 0 {
		lo++
	}
	for hi > lo && counts[hi-1] == 0 {
		hi--
	}
	labels := make([]string, 0, hi-lo)
	for _, b := range bins[lo:hi] {
		labels = append(labels, b.label)
	}
	return labels, counts[lo:hi]
}
