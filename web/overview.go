package web

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/a-h/templ"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/metrics/review"
	"github.com/tach-dev/tach/templates"
)

// The overview is built from widgets, each of which takes what it needs
// from the request's view and renders itself (as goatcounter's dashboard
// does). The view loads the window's rows once; widgets only compute, so
// adding one costs no query.

// widget is one block of the overview.
type widget interface {
	// name is the widget's key in /api/v1/overview.
	name() string
	// load computes the widget's data from the view: no I/O.
	load(ov *overview)
	component() templ.Component
	data() any
}

// overviewWidgets are the overview's widgets, in page order.
var overviewWidgets = []func() widget{
	func() widget { return &keysWidget{} },
	func() widget { return &cycleWidget{} },
	func() widget { return &throughputWidget{} },
	func() widget { return &prSizeWidget{} },
	func() widget { return &ciWidget{} },
}

// overview is what the widgets share: the view, its weeks and decisions.
type overview struct {
	v       *engine.View
	q       Query
	loc     *time.Location
	rep     metrics.Report
	prev    metrics.Report
	weeks   []metrics.WeekReport
	labels  []string
	ax      weekAxis
	widgets []widget
}

// loadOverview loads the overview and builds its widgets; release ends
// the room a heavy one holds to be built and written (heavy.go).
func (s *Server) loadOverview(r *http.Request, q Query) (_ *overview, release func(), _ error) {
	// The overview lists no rows: its view loads none.
	v, err := s.reports.View(r.Context(), q.Scope, q.Window, s.now(), engine.WithPrevious(), engine.WithoutRows())
	if err != nil {
		return nil, nil, err
	}
	if release, err = s.heavyPage(r.Context(), engine.HeavyWindow(q.Window)); err != nil {
		return nil, nil, err
	}
	ov := &overview{v: v, q: q, loc: v.Rules.Location, rep: v.Report(), weeks: v.Weekly()}
	ov.prev, _ = v.PreviousReport()
	ov.ax = newWeekAxis(ov.weeks, v.Decisions, ov.loc)
	ov.labels = ov.ax.labels
	for _, mk := range overviewWidgets {
		w := mk()
		w.load(ov)
		ov.widgets = append(ov.widgets, w)
	}
	return ov, release, nil
}

// weekSeries reads one value of each week's report.
func (ov *overview) weekSeries(name string, of func(metrics.Report) *float64) series {
	s := series{name: name, values: make([]*float64, len(ov.weeks))}
	for i, w := range ov.weeks {
		if !w.NoHistory {
			s.values[i] = of(w.Report)
		}
	}
	return s
}

func (ov *overview) measureHref(slug string) string {
	return link("/measures/"+slug, ov.q.scopeValues())
}

// previousLabel names the comparison period.
func (ov *overview) previousLabel() string {
	return fmt.Sprintf("previous period (%s to %s)", ov.v.Previous.From.In(ov.loc).Format(time.DateOnly), ov.v.Previous.To.In(ov.loc).Format(time.DateOnly))
}

func (s *Server) overviewPage(w http.ResponseWriter, r *http.Request) error {
	q, err := s.parse(r)
	if err != nil {
		return err
	}
	ov, release, err := s.loadOverview(r, q)
	if err != nil {
		return err
	}
	defer release()
	page := templates.OverviewPage{Page: s.page(q, "/", "overview", "Overview", viewChoices(ov.v), true)}
	page.History = historyNote(ov.rep.PartialHistory, ov.prev.PartialHistory, "the previous period")
	page.Empty = overviewEmpty(ov)
	// The first widget (the keys) spans the page; the others share a grid.
	var head, panels []templ.Component
	for i, wd := range ov.widgets {
		if i == 0 {
			head = append(head, wd.component())
		} else {
			panels = append(panels, wd.component())
		}
	}
	return s.render(w, r, templates.Overview(page, head, panels))
}

// overviewEmpty explains an overview with nothing in it.
func overviewEmpty(ov *overview) *templates.Empty {
	switch {
	case len(ov.v.Repos) == 0:
		return &templates.Empty{Title: "No data yet",
			Why: "The database holds no repository.",
			Fix: "Add repos to the config and run `tach sync --config tach.yaml`, or try `tach demo`."}
	case len(ov.v.Scope.IDs) == 0 && len(ov.v.Scope.Modules) == 0:
		return &templates.Empty{Title: "This scope has no repos",
			Why: "The team's repos are not in the database yet, or the repos chosen are not the team's.",
			Fix: "Run `tach sync` after adding the team's repos to the config, or pick other filters."}
	case ov.rep.DeploymentFrequency.Deployments == 0 && ov.rep.Throughput.Merged == 0 && ov.rep.CI.Runs == 0:
		return &templates.Empty{Title: "Nothing happened in this window",
			Why: "No deployment finished, no change was merged and no CI run finished between these dates in this scope.",
			Fix: "Choose a longer or more recent window, or check when the last sync ran on the Sync page."}
	case ov.rep.DeploymentFrequency.Deployments == 0:
		return &templates.Empty{Title: "No production deployments",
			Why: "Changes were merged, but no production deployment finished in this window, so deployment frequency, lead time, change failure rate and recovery time cannot be computed.",
			Fix: "Set each repo's deployments.source in the config: deployments (the provider's deployments API), workflow (a deploy workflow), releases, or merges (every merge ships); and production_environments if yours is not called prod or production."}
	}
	return nil
}

func (s *Server) apiOverview(w http.ResponseWriter, r *http.Request) error {
	q, err := s.parse(r)
	if err != nil {
		return err
	}
	ov, release, err := s.loadOverview(r, q)
	if err != nil {
		return err
	}
	defer release()
	widgets := map[string]any{}
	for _, wd := range ov.widgets {
		widgets[wd.name()] = wd.data()
	}
	return s.serveJSON(w, map[string]any{
		"scope":    ov.rep.Scope,
		"previous": review.Period{From: ov.v.Previous.From.In(ov.loc).Format(time.DateOnly), To: ov.v.Previous.To.In(ov.loc).Format(time.DateOnly)},
		// The previous period's partial history: changes against it are
		// not judged when it has one.
		"previous_partial_history": ov.prev.PartialHistory,
		"report":                   ov.rep,
		"widgets":                  widgets,
		"decisions":                apiDecisions(ov.v.Decisions),
	})
}

func (s *Server) apiMetrics(w http.ResponseWriter, r *http.Request) error {
	q, err := s.parse(r)
	if err != nil {
		return err
	}
	v, err := s.reports.View(r.Context(), q.Scope, q.Window, s.now(), engine.WithoutRows())
	if err != nil {
		return err
	}
	return s.serveJSON(w, v.Report())
}

// weeklySeriesData is a widget's weekly series in the API.
type weeklySeriesData struct {
	Weeks  []string              `json:"weeks"`
	Series map[string][]*float64 `json:"series"`
}

func seriesData(labels []string, ss ...series) weeklySeriesData {
	d := weeklySeriesData{Weeks: labels, Series: map[string][]*float64{}}
	for _, s := range ss {
		d.Series[s.name] = s.values
	}
	return d
}

// keysWidget is the five DORA keys as cards.
type keysWidget struct {
	cards []templates.KeyCard
	keys  []metrics.KeyComparison
}

func (k *keysWidget) name() string { return "keys" }

func (k *keysWidget) load(ov *overview) {
	r := ov.rep
	byKey := map[string]metrics.KeyComparison{}
	for _, c := range ov.v.Keys() {
		byKey[c.Key] = c
	}
	card := func(slug, key string, value templates.Value, unit, detail string, tier *string, tierNote string, spark series, durations bool) templates.KeyCard {
		c := templates.KeyCard{
			Key: key, Title: mustMeasure(slug).title, Href: ov.measureHref(slug), Value: value, Unit: unit, Detail: detail,
			TierRows: tierRows(key, tier), TierNote: tierNote, Delta: delta(byKey[key], ov.previousLabel()),
		}
		if tier != nil {
			c.Tier = *tier
		}
		c.Spark = sparkChart("chart-spark-"+key, c.Title+", weekly", ov.ax, spark, durations)
		k.keys = append(k.keys, byKey[key])
		return c
	}
	df, lt, cfr, rt, rr := r.DeploymentFrequency, r.LeadTime, r.ChangeFailureRate, r.RecoveryTime, r.ReworkRate
	dfNote := ""
	if df.Tier == nil {
		dfNote = "No tier: " + whyNoDeployments
	}
	ltNote, rtNote := "", ""
	if lt.Tier == nil {
		ltNote = "No tier: " + whyNoShipped
	}
	if rt.Tier == nil {
		rtNote = "No tier: " + whyNoRecovery
	}
	cfrNote := ""
	if cfr.Tier == nil {
		cfrNote = "No tier: " + whyNoDeployments
	}
	k.cards = []templates.KeyCard{
		card(measureDeploymentFrequency, "deployment_frequency",
			numberValue(df.PerWeek, fmt.Sprintf("%d production deployments ÷ %.0f days × 7 = %.3f", df.Deployments, metrics.WindowDays(ov.v.Window, ov.loc), deref(df.PerWeek)), whyNoDeployments),
			"/ week", fmt.Sprintf("%s; %s deploy days in the median week", plural(df.Deployments, "deployment", "deployments"), render.HumanNumber(df.DeployDaysPerWeekMedian)),
			df.Tier, dfNote, ov.weekSeries("deployments", func(r metrics.Report) *float64 { v := float64(r.DeploymentFrequency.Deployments); return &v }), false),
		card(measureLeadTime, "lead_time", secondsValue(lt.MedianSeconds, whyNoShipped), "",
			fmt.Sprintf("median of %s; p90 %s", plural(lt.Count, "change", "changes"), render.HumanDuration(lt.P90Seconds)),
			lt.Tier, ltNote, ov.weekSeries("median", func(r metrics.Report) *float64 { return r.LeadTime.MedianSeconds }), true),
		card(measureChangeFailureRate, "change_failure_rate", rateValue(cfr.Rate, cfr.Failed, cfr.Deployments, "production deployments failed", whyNoDeployments), "",
			fmt.Sprintf("%d of %s failed", cfr.Failed, plural(cfr.Deployments, "deployment", "deployments")),
			cfr.Tier, cfrNote, ov.weekSeries("rate %", func(r metrics.Report) *float64 { return percent(r.ChangeFailureRate.Rate) }), false),
		card(measureRecoveryTime, "recovery_time", secondsValue(rt.MedianSeconds, whyNoRecovery), "",
			fmt.Sprintf("median of %s; %s still open", plural(rt.Count, "recovery", "recoveries"), plural(rt.OpenIncidents, "incident", "incidents")),
			rt.Tier, rtNote, ov.weekSeries("median", func(r metrics.Report) *float64 { return r.RecoveryTime.MedianSeconds }), true),
		card(measureReworkRate, "rework_rate", rateValue(rr.Rate, rr.Rework, rr.Deployments, "production deployments were rework", whyNoDeployments), "",
			fmt.Sprintf("%d of %s were unplanned fixes", rr.Rework, plural(rr.Deployments, "deployment", "deployments")),
			nil, "Rework rate has no tier: the DORA reports publish none.", ov.weekSeries("rate %", func(r metrics.Report) *float64 { return percent(r.ReworkRate.Rate) }), false),
	}
}

func (k *keysWidget) component() templ.Component { return templates.KeyCards(k.cards) }
func (k *keysWidget) data() any                  { return k.keys }

func mustMeasure(slug string) measureDef {
	m, ok := findMeasure(slug)
	if !ok {
		panic("web: no measure " + slug)
	}
	return m
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// sparkChart is a card's sparkline, with its weekly values as a table.
func sparkChart(id, title string, ax weekAxis, s series, durations bool) templates.Chart {
	c := templates.Chart{ID: id, Title: title, Size: "spark"}
	if allNil(s) {
		c.Empty = "no weekly values"
		return c
	}
	by := 1.0
	format := func(v *float64) templates.Value { return numberValue(v, "", "no value that week") }
	if durations {
		u := unitFor(maxOf(s.values))
		by = u.seconds
		s.name = s.name + " (" + u.name + ")"
		format = func(v *float64) templates.Value { return secondsValue(v, "no value that week") }
	}
	scaledValues := make([]*float64, len(s.values))
	for i, v := range s.values {
		if v != nil {
			x := *v / by
			scaledValues[i] = &x
		}
	}
	c.Option = sparkline(ax, s.name, scaledValues)
	c.Table = weeklyTable(title, ax, []series{{name: s.name, values: s.values}}, format)
	return c
}

// cycleWidget is the cycle-time breakdown per week.
type cycleWidget struct {
	panel  templates.Panel
	weekly weeklySeriesData
}

func (c *cycleWidget) name() string { return "cycle_time" }

func (c *cycleWidget) load(ov *overview) {
	ct := ov.rep.CycleTime
	parts := cycleSeries(ov.weekSeries)
	c.weekly = seriesData(ov.labels, parts...)
	c.panel = templates.Panel{
		ID: "panel-cycle-time", Title: "Cycle time breakdown", Href: ov.measureHref(measureCycleTime),
		Lead: "Where a change's time goes, per week (medians of each part).",
		Facts: []templates.Fact{
			{Label: "coding", Value: secondsValue(ct.Coding.MedianSeconds, whyNoPart)},
			{Label: "pickup", Value: secondsValue(ct.Pickup.MedianSeconds, whyNoPart)},
			{Label: "review", Value: secondsValue(ct.Review.MedianSeconds, whyNoPart)},
			{Label: "deploy", Value: secondsValue(ct.Deploy.MedianSeconds, whyNoPart)},
		},
		Chart: cycleTrendChart("chart-overview-cycle-time", "Cycle time breakdown per week", ov.ax, parts, ""),
	}
}

func (c *cycleWidget) component() templ.Component { return templates.PanelView(c.panel) }
func (c *cycleWidget) data() any                  { return c.weekly }

// throughputWidget is changes merged and deployments per week.
type throughputWidget struct {
	panel  templates.Panel
	weekly weeklySeriesData
}

func (t *throughputWidget) name() string { return "throughput" }

func (t *throughputWidget) load(ov *overview) {
	tp, ow := ov.rep.Throughput, ov.rep.OpenWork
	merged := ov.weekSeries("merged", func(r metrics.Report) *float64 { v := float64(r.Throughput.Merged); return &v })
	deployed := ov.weekSeries("deployments", func(r metrics.Report) *float64 { v := float64(r.DeploymentFrequency.Deployments); return &v })
	t.weekly = seriesData(ov.labels, merged, deployed)
	waiting := ov.q.scopeValues()
	t.panel = templates.Panel{
		ID: "panel-throughput", Title: "Throughput", Href: ov.measureHref(measureThroughput),
		Lead: "Non-bot changes merged, and production deployments, per week.",
		Facts: []templates.Fact{
			{Label: "merged per week", Value: numberValue(tp.PerWeek, fmt.Sprintf("%d merged ÷ window days × 7", tp.Merged), whyNoMerged)},
			{Label: "merged", Value: countValue(tp.Merged, "non-bot changes merged in the window"), Href: link("/changes", withValues(ov.q.scopeValues(), "state", "merged"))},
			{Label: "open now", Value: countValue(ow.Open, "non-bot changes open now"), Href: link("/changes", withValues(ov.q.scopeValues(), "state", "open"))},
			{Label: "waiting for review", Value: countValue(ow.StaleReview, "open changes with no first review for longer than stale_review"), Href: link("/weekly", waiting)},
		},
		Chart: barTrendChart("chart-overview-throughput", "Changes merged and deployments per week", ov.ax, []series{merged, deployed}, "count", ""),
	}
}

func (t *throughputWidget) component() templ.Component { return templates.PanelView(t.panel) }
func (t *throughputWidget) data() any                  { return t.weekly }

// prSizeWidget is PR size per week.
type prSizeWidget struct {
	panel  templates.Panel
	weekly weeklySeriesData
}

func (p *prSizeWidget) name() string { return "pr_size" }

func (p *prSizeWidget) load(ov *overview) {
	ps := ov.rep.PRSize
	med := ov.weekSeries("median", func(r metrics.Report) *float64 { return r.PRSize.MedianLines })
	p75 := ov.weekSeries("p75", func(r metrics.Report) *float64 { return r.PRSize.P75Lines })
	p.weekly = seriesData(ov.labels, med, p75)
	chart := templates.Chart{ID: "chart-overview-pr-size", Title: "PR size per week (lines changed)"}
	if allNil(med) {
		chart.Empty = emptyWhy
	} else {
		chart.Option, _ = lineChart(ov.ax, []series{med, p75}, false, "lines")
		chart.Note, chart.Marks = ov.ax.note(""), ov.ax.legend()
		chart.Table = weeklyTable(chart.Title, ov.ax, []series{med, p75}, func(v *float64) templates.Value { return numberValue(v, "", "no change merged that week") })
	}
	p.panel = templates.Panel{
		ID: "panel-pr-size", Title: "PR size", Href: ov.measureHref(measurePRSize),
		Lead: "Lines changed (additions + deletions) of merged changes.",
		Facts: []templates.Fact{
			{Label: "median", Value: numberValue(ps.MedianLines, fmt.Sprintf("median of %d changes", ps.Count), whyNoSize)},
			{Label: "p75", Value: numberValue(ps.P75Lines, "", whyNoSize)},
		},
		Chart: chart,
	}
}

func (p *prSizeWidget) component() templ.Component { return templates.PanelView(p.panel) }
func (p *prSizeWidget) data() any                  { return p.weekly }

// ciWidget is CI duration per week.
type ciWidget struct {
	panel  templates.Panel
	weekly weeklySeriesData
}

func (c *ciWidget) name() string { return "ci" }

func (c *ciWidget) load(ov *overview) {
	ci := ov.rep.CI
	med := ov.weekSeries("median", func(r metrics.Report) *float64 { return r.CI.MedianSeconds })
	p90 := ov.weekSeries("p90", func(r metrics.Report) *float64 { return r.CI.P90Seconds })
	c.weekly = seriesData(ov.labels, med, p90)
	chart := templates.Chart{ID: "chart-overview-ci", Title: "CI duration per week"}
	if allNil(med) {
		chart.Empty = emptyWhy
	} else {
		var unit string
		chart.Option, unit = lineChart(ov.ax, []series{med, p90}, true, "")
		chart.Note, chart.Marks = ov.ax.note("In "+unit+"."), ov.ax.legend()
		chart.Table = weeklyTable(chart.Title, ov.ax, []series{med, p90}, func(v *float64) templates.Value { return secondsValue(v, "no run that week") })
	}
	c.panel = templates.Panel{
		ID: "panel-ci", Title: "CI duration", Href: ov.measureHref(measureCI),
		Lead: "Runs that finished with success or failure, start to finish.",
		Facts: []templates.Fact{
			{Label: "median", Value: secondsValue(ci.MedianSeconds, whyNoCI)},
			{Label: "p90", Value: secondsValue(ci.P90Seconds, whyNoCI)},
			{Label: "success rate", Value: rateValue(ci.SuccessRate, int(deref(ci.SuccessRate)*float64(ci.Runs)+0.5), ci.Runs, "runs succeeded", whyNoCI)},
		},
		Chart: chart,
	}
}

func (c *ciWidget) component() templ.Component { return templates.PanelView(c.panel) }
func (c *ciWidget) data() any                  { return c.weekly }

func withValues(v url.Values, kv ...string) url.Values {
	out := cloneValues(v)
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}
