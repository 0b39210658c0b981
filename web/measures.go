package web

import (
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/templates"
)

// The measure pages: one per measure, each a definition, the headline
// figures, a weekly trend, a distribution and the rows behind the numbers.
// /measures/{measure} renders it, /api/v1/measures/{measure} returns the
// same data as JSON.

// Measure slugs, as in the URL.
const (
	measureDeploymentFrequency = "deployment-frequency"
	measureLeadTime            = "lead-time"
	measureChangeFailureRate   = "change-failure-rate"
	measureRecoveryTime        = "recovery-time"
	measureReworkRate          = "rework-rate"
	measureCycleTime           = "cycle-time"
	measureThroughput          = "throughput"
	measurePRSize              = "pr-size"
	measureCI                  = "ci"
)

// measureDef is one measure: what it is called, what it means, and how its
// page is built from a view.
type measureDef struct {
	slug       string
	title      string
	key        string // its name in the Report JSON and the tier tables
	definition string // one paragraph, as in docs/metrics.md
	build      func(b *measureBuild)
	// noRows: the page lists no rows but the slowest changes, so its view
	// loads none (engine.WithoutRows): at a thousand repos, loading the
	// window's rows is most of a page's cost.
	noRows bool
}

// viewOptions are what a measure's view loads.
func (d measureDef) viewOptions() []engine.ViewOption {
	if d.noRows {
		return []engine.ViewOption{engine.WithoutRows(), engine.WithSlowestChanges(rowLimit)}
	}
	return nil
}

// measures is every measure page, in the order of the navigation.
var measures []measureDef

func init() {
	// Assigned in init: the builders refer to the list (for links).
	measures = []measureDef{
		{measureDeploymentFrequency, "Deployment frequency", "deployment_frequency",
			"Production deployments that finished in the window: a deployment that succeeded (its first terminal status is success) in an environment matching production_environments, or — by the repo's deployments.source — a successful deploy workflow run, a published release, or every merge to the default branch. Reported per week (count ÷ window days × 7) and as deploy days: for each whole week, the days with at least one deployment. The tier rates the median week's deploy days. Failed attempts never reached production and only lower the deploy success rate.",
			buildDeploymentFrequency, false},
		{measureLeadTime, "Lead time for changes", "lead_time",
			"For each merged change (bots left out) shipped by a production deployment that finished in the window: the deployment's finish minus the change's first commit (its creation when there is no commit data). A change is shipped by the first production deployment that contains its merge commit. Values ≤ 0 are dropped. The median is rated.",
			buildLeadTime, true},
		{measureChangeFailureRate, "Change failure rate", "change_failure_rate",
			"Of the production deployments in the window, the share that failed: an incident was attributed to it (an incident belongs to the latest production deployment of its repo that finished before it was opened, within incident_window), or it was rolled back (a later deployment redeployed an earlier sha). Failed attempts are not counted here.",
			buildChangeFailureRate, false},
		{measureRecoveryTime, "Failed deployment recovery time", "recovery_time",
			"For each failed deployment whose recovery falls in the window: from its finish to its recovery — the earlier of the last resolution of its incidents (once all are resolved) and the finish of the rollback that replaced it. A failure with an incident still open and no rollback has not recovered yet. Time to restore (incidents resolved in the window: resolved − opened) is shown beside it.",
			buildRecoveryTime, false},
		{measureReworkRate, "Deployment rework rate", "rework_rate",
			"Of the production deployments in the window, the share that were unplanned fixes: a rollback, or a deployment whose every non-bot change is a fix (a rework label such as hotfix, bug or incident, or a title starting with revert, hotfix or fix). A planned release that carries a fix among features is not rework. No tier: the reports publish none.",
			buildReworkRate, false},
		{measureCycleTime, "Cycle time", "cycle_time",
			"The changes counted in lead time, split in four: coding (first commit to ready for review), pickup (ready to the first review by someone other than the author or a bot), review (first review to merge) and deploy (merge to the production deployment that shipped it). Negative parts count as 0; a change never reviewed has no pickup or review part.",
			buildCycleTime, false},
		{measureThroughput, "Throughput", "throughput",
			"Non-bot changes merged in the window, in total and per week.",
			buildThroughput, false},
		{measurePRSize, "PR size", "pr_size",
			"Additions plus deletions of the non-bot changes merged in the window; changes whose size the provider did not give are left out.",
			buildPRSize, false},
		{measureCI, "CI duration", "ci",
			"Workflow runs (GitHub Actions) and pipelines (GitLab), of any workflow and branch, that finished in the window with success or failure (cancelled, skipped and neutral runs are left out): finish minus the run's start, so queueing is left out. Success rate is success ÷ (success + failure).",
			buildCI, false},
	}
}

func findMeasure(slug string) (measureDef, bool) {
	for _, m := range measures {
		if m.slug == slug {
			return m, true
		}
	}
	return measureDef{}, false
}

// measureResult is one measure over one view: the API's JSON, and the
// page's view models beside it.
type measureResult struct {
	Measure      string         `json:"measure"`
	Title        string         `json:"title"`
	Definition   string         `json:"definition"`
	Scope        metrics.Scope  `json:"scope"`
	Summary      any            `json:"summary"` // the measure's part of the report
	Tier         *string        `json:"tier"`
	Weekly       []weekPoint    `json:"weekly"`
	Distribution []binCount     `json:"distribution"`
	Rows         map[string]any `json:"rows"`

	facts    []templates.Fact
	trend    templates.Chart
	dist     templates.Chart
	sections []templates.Section
}

// weekPoint is one week of a measure's weekly series.
type weekPoint struct {
	Week   string              `json:"week"` // Monday, YYYY-MM-DD
	Values map[string]*float64 `json:"values"`
}

// binCount is one bar of a distribution.
type binCount struct {
	Bin    string `json:"bin"`
	Count  int    `json:"count"`
	Series string `json:"series,omitempty"`
}

// measureBuild is what a builder works with.
type measureBuild struct {
	s      *Server
	v      *engine.View
	q      Query
	def    measureDef
	loc    *time.Location
	rep    metrics.Report
	weeks  []metrics.WeekReport
	labels []string
	marks  []opts.MarkLineNameXAxisItem
	res    *measureResult
}

// buildMeasure computes one measure over a view.
func (s *Server) buildMeasure(def measureDef, v *engine.View, q Query) *measureResult {
	loc := v.Rules.Location
	b := &measureBuild{s: s, v: v, q: q, def: def, loc: loc, rep: v.Report(), weeks: v.Weekly()}
	b.labels = weekLabels(b.weeks, loc)
	b.marks = decisionMarks(v.Decisions, b.labels, loc, true)
	b.res = &measureResult{Measure: def.slug, Title: def.title, Definition: def.definition, Scope: b.rep.Scope,
		Weekly: []weekPoint{}, Distribution: []binCount{}, Rows: map[string]any{}}
	def.build(b)
	return b.res
}

// weekly records a weekly series in the API result.
func (b *measureBuild) weekly(ss ...series) {
	for i, l := range b.labels {
		p := weekPoint{Week: l, Values: map[string]*float64{}}
		for _, s := range ss {
			p.Values[s.name] = s.values[i]
		}
		b.res.Weekly = append(b.res.Weekly, p)
	}
}

// distribution records a distribution in the API result.
func (b *measureBuild) distribution(series string, bins []string, counts []int) {
	for i := range bins {
		b.res.Distribution = append(b.res.Distribution, binCount{Bin: bins[i], Count: counts[i], Series: series})
	}
}

// weekSeries reads one value of each week's report.
func (b *measureBuild) weekSeries(name string, of func(metrics.Report) *float64) series {
	s := series{name: name, values: make([]*float64, len(b.weeks))}
	for i, w := range b.weeks {
		s.values[i] = of(w.Report)
	}
	return s
}

// weekCounts reads a count of each week's report.
func (b *measureBuild) weekCounts(name string, of func(metrics.Report) int) series {
	return b.weekSeries(name, func(r metrics.Report) *float64 { v := float64(of(r)); return &v })
}

// noWeeks is why a weekly chart is empty.
func (b *measureBuild) noWeeks() string {
	if len(b.weeks) == 0 {
		return "The window holds no whole week (Monday to Monday): choose a window of at least a week."
	}
	return ""
}

// listLink is a list page with the view's scope and window, and more.
func (b *measureBuild) listLink(path string, extra url.Values) string {
	v := b.q.scopeValues()
	for k, vs := range extra {
		v[k] = vs
	}
	return link(path, v)
}

// tier fills the tier of a measure that has a tier table.
func (b *measureBuild) tier(t *string) {
	b.res.Tier = t
}

// measureView is the measure named by the request's path, its query and
// the view it is computed from; release ends the room a heavy one holds to
// be built and written (heavy.go).
func (s *Server) measureView(r *http.Request) (_ measureDef, _ Query, _ *engine.View, release func(), _ error) {
	def, ok := findMeasure(r.PathValue("measure"))
	if !ok {
		return measureDef{}, Query{}, nil, nil, unknownMeasure(r.PathValue("measure"))
	}
	q, err := s.parse(r)
	if err != nil {
		return measureDef{}, Query{}, nil, nil, err
	}
	v, err := s.reports.View(r.Context(), q.Scope, q.Window, s.now(), def.viewOptions()...)
	if err != nil {
		return measureDef{}, Query{}, nil, nil, err
	}
	release, err = s.heavyPage(r.Context(), engine.HeavyWindow(q.Window))
	return def, q, v, release, err
}

func (s *Server) measurePage(w http.ResponseWriter, r *http.Request) error {
	def, q, v, release, err := s.measureView(r)
	if err != nil {
		return err
	}
	defer release()
	res := s.buildMeasure(def, v, q)
	if q.Format == "csv" {
		return s.measureCSV(w, def, q, res.sections)
	}
	for i := range res.sections {
		res.sections[i].Table.CSV = link("/measures/"+def.slug, withValues(q.scopeValues(), "format", "csv", "table", res.sections[i].ID))
	}
	c := viewChoices(v)
	page := templates.MeasurePage{
		Page:         s.page(q, "/measures/"+def.slug, "measures", def.title, c, true),
		Key:          def.key,
		Definition:   def.definition,
		RulesHref:    "/docs/metrics#" + def.slug,
		Facts:        res.facts,
		TierRows:     tierRows(def.key, res.Tier),
		Trend:        res.trend,
		Distribution: res.dist,
		Sections:     res.sections,
		JSONHref:     link("/api/v1/measures/"+def.slug, q.scopeValues()),
	}
	if res.Tier != nil {
		page.Tier = *res.Tier
	}
	for _, m := range measures {
		page.Measures = append(page.Measures, templates.Link{Label: m.title, Href: link("/measures/"+m.slug, q.scopeValues()), Active: m.slug == def.slug})
	}
	return s.render(w, r, templates.Measure(page))
}

func (s *Server) apiMeasure(w http.ResponseWriter, r *http.Request) error {
	def, q, v, release, err := s.measureView(r)
	if err != nil {
		return err
	}
	defer release()
	return s.serveJSON(w, s.buildMeasure(def, v, q))
}

func unknownMeasure(slug string) error {
	names := make([]string, len(measures))
	for i, m := range measures {
		names[i] = m.slug
	}
	return notFoundf("there is no measure %q; the measures are %s", truncate(slug, 40), joinNonEmpty(", ", names...))
}

// viewChoices are the filter choices a view already loaded.
func viewChoices(v *engine.View) scopeChoices {
	c := scopeChoices{teams: v.Teams}
	for _, r := range v.Repos {
		c.repos = append(c.repos, r.Name)
	}
	slices.Sort(c.repos)
	return c
}

// tierRows is a measure's tier table, with the current tier marked.
func tierRows(key string, current *string) []templates.TierRow {
	var rows []templates.TierRow
	for _, r := range metrics.TierTables[key] {
		rows = append(rows, templates.TierRow{Tier: r.Tier, Rule: r.Rule, Current: current != nil && *current == r.Tier})
	}
	return rows
}
