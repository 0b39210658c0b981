package web

import (
	"fmt"
	"math"
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/templates"
)

// A measure's weekly series around the break, for the compare page: x is
// in weeks from the break (each week drawn at its middle), so the decision
// is the vertical line at 0, the settling gap is the space after it, and
// each side's window is a shaded band. The value each side is compared by
// (its median, rate or share) is a horizontal segment over its window.
// Without a break (two scopes over one period) the two scopes' series are
// drawn over the same weeks.

// compareUnit is how a measure's values are drawn.
type compareUnit struct {
	by   float64 // divide by this
	name string  // the y axis
}

func compareUnitOf(m impact.MeasureComparison) compareUnit {
	switch m.Unit {
	case "seconds":
		most := 0.0
		for _, w := range m.Weekly {
			if w.Value != nil {
				most = math.Max(most, *w.Value)
			}
		}
		for _, v := range []*float64{m.Before, m.After} {
			if v != nil {
				most = math.Max(most, *v)
			}
		}
		u := unitFor(most)
		return compareUnit{u.seconds, u.name}
	case "share":
		return compareUnit{0.01, "%"}
	case "per_week":
		return compareUnit{1, "a week"}
	case "lines":
		return compareUnit{1, "lines"}
	}
	return compareUnit{1, ""}
}

func (u compareUnit) of(v float64) float64 { return math.Round(v/u.by*100) / 100 }

// weeklyWord and levelWord name a measure's weekly values and each side's
// value.
func weeklyWord(m impact.MeasureComparison) (weekly, level string) {
	switch m.Statistic {
	case impact.StatRate:
		return "weekly count", "rate a week"
	case impact.StatProportion:
		return "weekly share", "share"
	}
	return "weekly median", "median"
}

// point is one data item of a compare chart.
type point struct {
	x, y  float64
	empty bool
	name  string
	label string // shown beside the point (a side's level at its end)
}

func (p point) item() map[string]any {
	var y any = p.y
	if p.empty {
		y = "-"
	}
	it := map[string]any{"value": []any{math.Round(p.x*1000) / 1000, y}}
	if p.name != "" {
		it["name"] = p.name
	}
	if p.label != "" {
		it["label"] = map[string]any{"show": true, "formatter": p.label, "position": "top", "align": "left", "fontWeight": "bold", "color": "inherit", "textBorderWidth": 0}
	}
	return it
}

// compareChart builds one measure's chart and its table.
func compareChart(c impact.Comparison, m impact.MeasureComparison, breakLabel string) templates.Chart {
	ch := templates.Chart{ID: "chart-compare-" + m.Key, Title: m.Name + ", week by week"}
	u := compareUnitOf(m)
	weeklyName, levelName := weeklyWord(m)
	ch.Table = compareTable(c, m, weeklyName)
	has := false
	for _, w := range m.Weekly {
		has = has || w.Value != nil
	}
	if !has {
		ch.Empty = "No week of either side has a value for this measure."
		return ch
	}
	withBreak := c.At != nil
	unitNote := u.name
	if unitNote == "" {
		unitNote = m.Unit
	}
	ch.Note = fmt.Sprintf("In %s. Each dot is a week's value; the segments are each side's %s.", unitNote, levelName)

	// The weekly points, side by side, with a gap at the break.
	var weeks [2][]point
	for _, w := range m.Weekly {
		side := 0
		if w.Side == "after" {
			side = 1
		}
		p := point{x: w.Week + 0.5, name: fmt.Sprintf("week of %s (n = %d):\u00a0", w.Start, w.N)}
		if w.Value != nil {
			p.y = u.of(*w.Value)
		} else {
			p.empty = true
		}
		weeks[side] = append(weeks[side], p)
	}
	// Where each side's window lies on the x axis.
	span := func(s impact.SideSummary) (float64, float64) {
		from := 0.0
		if withBreak {
			from = dayOf(s.From).Sub(dayOf(*c.At)).Hours() / 24 / 7
		}
		return from, from + s.Days/7
	}
	b0, b1 := span(c.Before)
	a0, a1 := span(c.After)
	level := func(v *float64, from, to float64, label string) []point {
		if v == nil {
			return nil
		}
		y := u.of(*v)
		return []point{{x: from, y: y, name: label, label: render.FormatMeasureValue(m.Unit, v)}, {x: to, y: y, name: label}}
	}

	line := charts.NewLine()
	xName := "weeks from the " + breakLabel
	if !withBreak {
		xName = "weeks into the period"
	}
	line.SetGlobalOptions(
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		charts.WithGridOpts(opts.Grid{Left: "24", Right: "24", Top: "40", Bottom: "40", ContainLabel: opts.Bool(true)}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: u.name}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: xName, NameLocation: "middle", NameGap: 26,
			Min: math.Floor(math.Min(b0, a0)), Max: math.Ceil(math.Max(b1, a1)), MinInterval: 1}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Bottom: "0", Left: "center"}),
	)
	var series []compareSeries
	if withBreak {
		all := append(append([]point{}, weeks[0]...), point{x: 0, empty: true})
		all = append(all, weeks[1]...)
		levels := level(m.Before, b0, b1, c.Before.Label+" "+levelName)
		if l := level(m.After, a0, a1, c.After.Label+" "+levelName); l != nil {
			if levels != nil {
				levels = append(levels, point{x: (b1 + a0) / 2, empty: true})
			}
			levels = append(levels, l...)
		}
		series = []compareSeries{
			{id: "weekly", name: weeklyName, points: all, symbols: true},
			{id: "levels", name: levelName + " of each side", points: levels, width: 3},
		}
	} else {
		series = []compareSeries{
			{id: "weekly", name: c.Before.Label, points: weeks[0], symbols: true},
			{id: "weekly-b", name: c.After.Label, points: weeks[1], symbols: true, dashed: true},
			{id: "levels-a", name: c.Before.Label + " " + levelName, points: level(m.Before, b0, b1, c.Before.Label+" "+levelName), width: 3},
			{id: "levels-b", name: c.After.Label + " " + levelName, points: level(m.After, a0, a1, c.After.Label+" "+levelName), width: 3, dashed: true},
		}
	}
	for i, s := range series {
		so := []charts.SeriesOpts{
			charts.WithSeriesId(s.id),
			charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(s.symbols), SymbolSize: 6}),
			charts.WithLineStyleOpts(opts.LineStyle{Width: float32(max(s.width, 1.5)), Type: map[bool]string{true: "dashed", false: "solid"}[s.dashed]}),
		}
		if i == 0 && withBreak {
			// The break, then every other decision inside the windows:
			// its number on the line, its title in the tooltip.
			marks := []opts.MarkLineNameXAxisItem{{Name: breakLabelText(c, breakLabel), XAxis: 0}}
			for _, d := range c.Confounders {
				marks = append(marks, opts.MarkLineNameXAxisItem{Name: fmt.Sprintf("#%d", d.ID), XAxis: math.Round(d.Week*1000) / 1000})
			}
			so = append(so, charts.WithMarkLineNameXAxisItemOpts(marks...),
				charts.WithMarkLineStyleOpts(opts.MarkLineStyle{
					Symbol:    []string{"none", "none"},
					Label:     &opts.Label{Show: opts.Bool(true), Formatter: "{b}", Position: "end", FontSize: 11},
					LineStyle: &opts.LineStyle{Type: "dashed", Width: 1.5},
				}))
			so = append(so,
				charts.WithMarkAreaData(
					[]opts.MarkAreaData{{Name: c.Before.Label, XAxis: b0}, {XAxis: b1}},
					[]opts.MarkAreaData{{Name: c.After.Label, XAxis: a0}, {XAxis: a1}},
				),
				charts.WithMarkAreaStyleOpts(opts.MarkAreaStyle{Label: &opts.Label{Show: opts.Bool(true), Position: "insideTop"}}),
			)
		}
		line.AddSeries(s.name, nil, so...)
	}
	ch.Option = optionJSON(line, func(o map[string]any) {
		// The y axis stays at the left edge, not at x = 0 (the break).
		if axes, ok := o["yAxis"].([]any); ok {
			for _, a := range axes {
				if am, ok := a.(map[string]any); ok {
					am["axisLine"] = map[string]any{"onZero": false}
				}
			}
		}
		list, _ := o["series"].([]any)
		for i, s := range list {
			sm, _ := s.(map[string]any)
			if sm == nil || i >= len(series) {
				continue
			}
			data := make([]any, 0, len(series[i].points))
			for _, p := range series[i].points {
				data = append(data, p.item())
			}
			sm["data"] = data
			sm["encode"] = map[string]any{"x": 0, "y": 1, "tooltip": []any{1}}
			if !series[i].symbols {
				// No marker at the segments' ends, but their labels show.
				sm["showSymbol"], sm["symbolSize"] = true, 1
			}
		}
	})
	return ch
}

// compareSeries is one line of a compare chart.
type compareSeries struct {
	id, name string
	points   []point
	symbols  bool
	dashed   bool
	width    float64
}

// breakLabelText is the decision line's label: the decision's day, the
// date, or the start of period B (the page's heading names the decision).
func breakLabelText(c impact.Comparison, breakLabel string) string {
	switch {
	case c.Decision != nil:
		return c.Decision.Date
	case c.Kind == impact.ComparePeriods && c.At != nil:
		return "B: " + *c.At
	case c.At != nil:
		return *c.At
	}
	return breakLabel
}

// compareTable is the chart's "view as table": each week's value and n.
func compareTable(c impact.Comparison, m impact.MeasureComparison, weeklyName string) templates.Table {
	weekCol := "Weeks from the break"
	if c.At == nil {
		weekCol = "Week of the period"
	}
	t := templates.Table{
		Caption: fmt.Sprintf("%s: %s %s, %s %s.", m.Name, c.Before.Label, render.FormatMeasureValue(m.Unit, m.Before), c.After.Label, render.FormatMeasureValue(m.Unit, m.After)),
		Columns: []templates.Column{{Label: "Week of"}, {Label: "Side"}, {Label: weekCol, Num: true}, {Label: weeklyName, Num: true}, {Label: "n", Num: true, Title: m.NUnit}},
		TestID:  "chart-data",
	}
	for _, w := range m.Weekly {
		side := c.Before.Label
		if w.Side == "after" {
			side = c.After.Label
		}
		v := weekValue(m, w.Value)
		t.Rows = append(t.Rows, []templates.Cell{
			{Text: w.Start, NoWrap: true}, {Text: side}, {Text: strconv.FormatFloat(w.Week, 'f', -1, 64), Num: true},
			{Text: v.Text, Title: v.Exact, Num: true}, {Text: strconv.Itoa(w.N), Num: true},
		})
	}
	return t
}

// weekValue is one week's value, humanised: a median, a count, a share.
func weekValue(m impact.MeasureComparison, v *float64) templates.Value {
	if v == nil {
		return templates.Value{Text: render.Dash, Exact: "no " + m.NUnit + " this week", Null: true}
	}
	switch m.Unit {
	case "per_week":
		return templates.Value{Text: strconv.FormatFloat(*v, 'f', -1, 64), Exact: strconv.FormatFloat(*v, 'f', -1, 64) + " this week"}
	case "seconds":
		return templates.Value{Text: render.FormatMeasureValue(m.Unit, v), Exact: strconv.FormatFloat(*v, 'f', -1, 64) + " s"}
	}
	return templates.Value{Text: render.FormatMeasureValue(m.Unit, v), Exact: strconv.FormatFloat(*v, 'f', -1, 64)}
}
