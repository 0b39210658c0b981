package web

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
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

// weekLabels are the x axis of weekly charts: each week's Monday.
func weekLabels(weeks []metrics.WeekReport, loc *time.Location) []string {
	out := make([]string, len(weeks))
	for i, w := range weeks {
		out[i] = w.Start.In(loc).Format(time.DateOnly)
	}
	return out
}

// decisionMarks places each decision on the week that holds it; decisions
// outside the chart's weeks are left out.
func decisionMarks(decisions []store.Decision, labels []string, loc *time.Location, named bool) []opts.MarkLineNameXAxisItem {
	var out []opts.MarkLineNameXAxisItem
	for _, d := range decisions {
		day, err := time.ParseInLocation(time.DateOnly, d.DecidedOn, loc)
		if err != nil {
			continue
		}
		label := metrics.WeekStart(day, loc).Format(time.DateOnly)
		if !slices.Contains(labels, label) {
			continue
		}
		name := ""
		if named {
			name = d.Title
		}
		out = append(out, opts.MarkLineNameXAxisItem{Name: name, XAxis: label})
	}
	return out
}

// markLines are the decisions of a chart.
type markLines = []opts.MarkLineNameXAxisItem

// withDecisions adds the decisions as vertical marked lines to a series.
func withDecisions(marks []opts.MarkLineNameXAxisItem, labelled bool) []charts.SeriesOpts {
	if len(marks) == 0 {
		return nil
	}
	label := &opts.Label{Show: opts.Bool(false)}
	if labelled {
		label = &opts.Label{Show: opts.Bool(true), Formatter: "{b}", Position: "insideEndTop", FontSize: 11}
	}
	return []charts.SeriesOpts{
		charts.WithMarkLineNameXAxisItemOpts(marks...),
		charts.WithMarkLineStyleOpts(opts.MarkLineStyle{
			Symbol:    []string{"none", "none"},
			Label:     label,
			LineStyle: &opts.LineStyle{Type: "dashed", Width: 1.5},
		}),
	}
}

// baseOpts are the options every full-size chart shares.
func baseOpts(yName string, legend bool) []charts.GlobalOpts {
	bottom := "8"
	if legend {
		bottom = "32"
	}
	o := []charts.GlobalOpts{
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithGridOpts(opts.Grid{Left: "24", Right: "24", Top: "48", Bottom: bottom, ContainLabel: opts.Bool(true)}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: yName}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(legend), Bottom: "0", Left: "center"}),
	}
	return o
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
	for _, p := range patches {
		p(m)
	}
	if raw, err = json.Marshal(m); err != nil {
		return nil
	}
	return raw
}

// noBoundaryGap starts a line chart's first point on the y axis.
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
func trendChart(labels []string, median, p75, p90 []*float64, durations bool, yName string, marks []opts.MarkLineNameXAxisItem) (json.RawMessage, string) {
	by := 1.0
	if durations {
		u := unitFor(maxOf(median, p75, p90))
		by, yName = u.seconds, u.name
	}
	c := charts.NewLine()
	c.SetGlobalOptions(append(baseOpts(yName, true), charts.WithXAxisOpts(opts.XAxis{Type: "category"}))...)
	c.SetXAxis(labels)
	med := scaled(median, by)
	c.AddSeries("median", lineData(med), append([]charts.SeriesOpts{
		charts.WithSeriesId("median"),
		charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(true), SymbolSize: 5}),
		charts.WithLineStyleOpts(opts.LineStyle{Width: 2.5}),
	}, withDecisions(marks, true)...)...)
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
		return optionJSON(c, noBoundaryGap, hideFromTooltip("band-base", "median to p90")), yName
	}
	return optionJSON(c, noBoundaryGap), yName
}

// barChart is one or more weekly bar series, stacked when stack is set.
func barChart(labels []string, ss []series, stack bool, durations bool, yName string, marks []opts.MarkLineNameXAxisItem) (json.RawMessage, string) {
	by := 1.0
	if durations {
		var all [][]*float64
		if stack {
			all = [][]*float64{sumSeries(ss)}
		} else {
			for _, s := range ss {
				all = append(all, s.values)
			}
		}
		u := unitFor(maxOf(all...))
		by, yName = u.seconds, u.name
	}
	c := charts.NewBar()
	c.SetGlobalOptions(append(baseOpts(yName, len(ss) > 1), charts.WithXAxisOpts(opts.XAxis{Type: "category"}))...)
	c.SetXAxis(labels)
	for i, s := range ss {
		so := []charts.SeriesOpts{}
		if stack {
			so = append(so, charts.WithBarChartOpts(opts.BarChart{Stack: "total"}))
		}
		if i == 0 {
			so = append(so, withDecisions(marks, true)...)
		}
		c.AddSeries(s.name, barData(scaled(s.values, by)), so...)
	}
	return optionJSON(c), yName
}

func sumSeries(ss []series) []*float64 {
	if len(ss) == 0 {
		return nil
	}
	out := make([]*float64, len(ss[0].values))
	for i := range out {
		total, any := 0.0, false
		for _, s := range ss {
			if i < len(s.values) && s.values[i] != nil {
				total += *s.values[i]
				any = true
			}
		}
		if any {
			out[i] = &total
		}
	}
	return out
}

// lineChart is one or more weekly line series (no band).
func lineChart(labels []string, ss []series, durations bool, yName string, marks []opts.MarkLineNameXAxisItem) (json.RawMessage, string) {
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
	c.SetGlobalOptions(append(baseOpts(yName, len(ss) > 1), charts.WithXAxisOpts(opts.XAxis{Type: "category"}))...)
	c.SetXAxis(labels)
	for i, s := range ss {
		so := []charts.SeriesOpts{charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(true), SymbolSize: 5})}
		if i == 0 {
			so = append(so, charts.WithLineStyleOpts(opts.LineStyle{Width: 2.5}))
			so = append(so, withDecisions(marks, true)...)
		} else {
			so = append(so, charts.WithLineStyleOpts(opts.LineStyle{Width: 1.5, Type: "dashed"}))
		}
		c.AddSeries(s.name, lineData(scaled(s.values, by)), so...)
	}
	return optionJSON(c, noBoundaryGap), yName
}

// histogramChart is a distribution: a count per bin, for one or more
// series side by side.
func histogramChart(bins []string, names []string, counts [][]int, xName string) json.RawMessage {
	c := charts.NewBar()
	c.SetGlobalOptions(
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithGridOpts(opts.Grid{Left: "8", Right: "16", Top: "36", Bottom: "28", ContainLabel: opts.Bool(true)}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Name: xName, NameLocation: "middle", NameGap: 28}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: "count", MinInterval: 1}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(len(names) > 1), Top: "0", Right: "0"}),
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
// unlabelled lines.
func sparkline(labels []string, name string, values []*float64, marks []opts.MarkLineNameXAxisItem) json.RawMessage {
	c := charts.NewLine()
	c.SetGlobalOptions(
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithGridOpts(opts.Grid{Left: "2", Right: "2", Top: "4", Bottom: "4"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Show: opts.Bool(false)}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Show: opts.Bool(false), Scale: opts.Bool(true)}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
	)
	c.SetXAxis(labels)
	c.AddSeries(name, lineData(scaled(values, 1)), append([]charts.SeriesOpts{
		charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false), ConnectNulls: opts.Bool(true)}),
		charts.WithLineStyleOpts(opts.LineStyle{Width: 2}),
		charts.WithAreaStyleOpts(opts.AreaStyle{Opacity: opts.Float(0.12)}),
	}, withDecisions(marks, false)...)...)
	return optionJSON(c, noBoundaryGap)
}

// weeklyTable is the "view as table" of a weekly chart: a row per week,
// a column per series, each value humanised with the exact one on hover.
func weeklyTable(caption string, labels []string, ss []series, format func(*float64) templates.Value) templates.Table {
	t := templates.Table{Caption: caption, Columns: []templates.Column{{Label: "Week of"}}, TestID: "chart-data"}
	for _, s := range ss {
		t.Columns = append(t.Columns, templates.Column{Label: s.name, Num: true})
	}
	for i, l := range labels {
		row := []templates.Cell{{Text: l}}
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

// noHistoryAreas shades the weeks of a weekly chart in which the scope's
// history is missing: "no data" where no repo in scope holds all its
// records (the week has no values, which a bar chart would otherwise draw
// as a quiet week) and "partial history" where some do not. labelled puts
// the words on the chart (not on a sparkline). tach.js colours the shade.
func noHistoryAreas(option json.RawMessage, labels []string, weeks []metrics.WeekReport, labelled bool) json.RawMessage {
	type span struct {
		from, to, name string
	}
	var spans []span
	for i, w := range weeks {
		name := ""
		switch {
		case w.NoHistory:
			name = "no data"
		case w.PartialHistory:
			name = "partial history"
		}
		if name == "" || i >= len(labels) {
			continue
		}
		if n := len(spans); n > 0 && spans[n-1].name == name && i > 0 && spans[n-1].to == labels[i-1] {
			spans[n-1].to = labels[i]
			continue
		}
		spans = append(spans, span{labels[i], labels[i], name})
	}
	var m map[string]any
	if len(spans) == 0 || json.Unmarshal(option, &m) != nil {
		return option
	}
	series, _ := m["series"].([]any)
	if len(series) == 0 {
		return option
	}
	first, _ := series[0].(map[string]any)
	if first == nil {
		return option
	}
	var data []any
	for _, s := range spans {
		data = append(data, []any{map[string]any{"name": s.name, "xAxis": s.from}, map[string]any{"xAxis": s.to}})
	}
	first["markArea"] = map[string]any{
		"silent": true,
		"label":  map[string]any{"show": labelled, "position": "insideTop", "fontSize": 11},
		"data":   data,
	}
	out, err := json.Marshal(m)
	if err != nil {
		return option
	}
	return out
}
