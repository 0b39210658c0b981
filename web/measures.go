package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/review"
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
	Measure      string        `json:"measure"`
	Title        string        `json:"title"`
	Definition   string        `json:"definition"`
	Scope        metrics.Scope `json:"scope"`
	Summary      any           `json:"summary"` // the measure's part of the report
	Tier         *string       `json:"tier"`
	Weekly       []weekPoint   `json:"weekly"`
	Distribution []binCount    `json:"distribution"`
	// Week is the week the rows are of (week=), cut to the window; null:
	// the rows are the window's.
	Week *metrics.Period `json:"week"`
	// Breakdown explains the headline figures' change against the earlier
	// period (the period before the window; with a week, the 4 weeks
	// before it), by repo and by team.
	Breakdown []metrics.Breakdown `json:"breakdown"`
	// Changes are the same changes judged as the overview's and the
	// weekly review's are: verdict, counts of both sides, interval.
	Changes []metrics.KeyComparison `json:"changes"`
	// PartialHistory is the window's, PreviousPartialHistory that of the
	// period the changes are against (as the overview's): null when every
	// repo in scope holds all its records over it.
	PartialHistory         *metrics.PartialHistory `json:"partial_history"`
	PreviousPartialHistory *metrics.PartialHistory `json:"previous_partial_history"`
	Rows                   map[string]any          `json:"rows"`

	facts     []templates.Fact
	changes   templates.Changes
	trend     templates.Chart
	dist      templates.Chart
	breakdown []templates.BreakdownFigure
	sections  []templates.Section
	weekLinks []templates.Link
	week      *templates.ShownWeek
}

// weekPoint is one week of a measure's weekly series.
type weekPoint struct {
	Week string `json:"week"` // where the week starts, YYYY-MM-DD: its Monday, or the window's start in a part week
	// Partial marks a part week: the window cuts it (it holds the days
	// from Week to End only).
	Partial bool                `json:"partial,omitempty"`
	End     string              `json:"end,omitempty"` // a part week's end, YYYY-MM-DD (exclusive)
	Values  map[string]*float64 `json:"values"`
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
	v      *engine.View // the window: its figures, charts and distribution
	rv     *engine.View // the rows listed: the window's, or the shown week's
	q      Query
	def    measureDef
	loc    *time.Location
	rep    metrics.Report
	weeks  []metrics.WeekReport
	labels []string
	ax     weekAxis
	res    *measureResult
	shown  *metrics.Window // the week whose rows are listed; nil: the window's
	split  *metrics.Split  // the headline's change, by repo and team
	change []figureChange  // each headline figure's change, explained and judged
	rowIDs map[string]bool // row ids given on the page: one row per id
}

// measureInput is what a measure page is built from: the window's view,
// and, when the request shows one week, that week's view (its rows) and
// the week itself; the split of the change the page explains, and each
// headline figure's change by it, judged.
type measureInput struct {
	v, rows *engine.View
	shown   *metrics.Window
	split   *metrics.Split
	change  []figureChange
}

// previousHistory is the partial history of the period the page's change
// is against; nil when covered.
func (in measureInput) previousHistory() *metrics.PartialHistory {
	if in.split == nil {
		return nil
	}
	return in.split.PreviousHistory
}

// comparedName names the period the page's change is against.
func (in measureInput) comparedName() string {
	if in.shown != nil {
		return fmt.Sprintf("the %d weeks before the week", review.BaselineWeeks)
	}
	return "the period before"
}

// buildMeasure computes one measure over a view.
func (s *Server) buildMeasure(def measureDef, in measureInput, q Query) *measureResult {
	v := in.v
	loc := v.Rules.Location
	b := &measureBuild{s: s, v: v, rv: in.rows, q: q, def: def, loc: loc, rep: v.Report(), weeks: v.Weekly(), shown: in.shown, split: in.split, change: in.change, rowIDs: map[string]bool{}}
	if b.rv == nil {
		b.rv = v
	}
	b.ax = newWeekAxis(b.weeks, v.Decisions, loc)
	b.labels = b.ax.labels
	if in.shown != nil {
		b.ax.shown = slices.IndexFunc(b.weeks, func(w metrics.WeekReport) bool { return w.Start.Equal(in.shown.From) })
	}
	b.res = &measureResult{Measure: def.slug, Title: def.title, Definition: def.definition, Scope: b.rep.Scope,
		Weekly: []weekPoint{}, Distribution: []binCount{}, Breakdown: []metrics.Breakdown{}, Changes: []metrics.KeyComparison{}, Rows: map[string]any{}}
	if b.shown != nil {
		b.res.Week = &metrics.Period{From: b.day(b.shown.From), To: b.day(b.shown.To)}
	}
	b.res.PartialHistory, b.res.PreviousPartialHistory = b.rep.PartialHistory, in.previousHistory()
	def.build(b)
	b.explain()
	b.weekChoice()
	return b.res
}

// day is t's day in the rules' timezone, YYYY-MM-DD.
func (b *measureBuild) day(t time.Time) string { return t.In(b.loc).Format(time.DateOnly) }

// weekly records a weekly series in the API result.
func (b *measureBuild) weekly(ss ...series) {
	for i, l := range b.labels {
		p := weekPoint{Week: l, Values: map[string]*float64{}}
		if w := b.weeks[i]; w.Partial {
			p.Partial, p.End = true, b.day(w.End)
		}
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
		if !w.NoHistory { // before the scope's history: no value, not 0
			s.values[i] = of(w.Report)
		}
	}
	return s
}

// weekCounts reads a count of each week's report.
func (b *measureBuild) weekCounts(name string, of func(metrics.Report) int) series {
	return b.weekSeries(name, func(r metrics.Report) *float64 { v := float64(of(r)); return &v })
}

// listLink is a list page with the view's scope and window, and more.
func (b *measureBuild) listLink(path string, extra url.Values) string {
	v := b.q.scopeValues()
	for k, vs := range extra {
		v[k] = vs
	}
	return link(path, v)
}

// rowsLink is a list page with the scope and the rows' window: the shown
// week's when there is one.
func (b *measureBuild) rowsLink(path string, extra url.Values) string {
	if b.shown == nil {
		return b.listLink(path, extra)
	}
	v := b.q.scopeValues()
	v.Del("weeks")
	v.Set("from", b.day(b.shown.From))
	v.Del("to")
	if to := b.shown.To.In(b.loc); to.Hour() == 0 && to.Minute() == 0 && to.Second() == 0 {
		v.Set("to", b.day(to)) // else the week runs to now, as from alone does
	}
	for k, vs := range extra {
		v[k] = vs
	}
	return link(path, v)
}

// pageLink is this measure's page with the scope and window, and more.
func (b *measureBuild) pageLink(extra url.Values) string {
	return b.listLink("/measures/"+b.def.slug, extra)
}

// tier fills the tier of a measure that has a tier table.
func (b *measureBuild) tier(t *string) {
	b.res.Tier = t
}

// measureView is the measure named by the request's path, its query and
// what it is computed from: the window's view; the shown week's (week=)
// for its rows; and the split of the change the page explains — the
// window against the period before it, or the shown week against the
// review.BaselineWeeks weeks before it, as the weekly review compares;
// release ends the room a heavy page holds to be built and written
// (heavy.go).
func (s *Server) measureView(r *http.Request) (_ measureDef, _ Query, in measureInput, release func(), _ error) {
	def, ok := findMeasure(r.PathValue("measure"))
	if !ok {
		return measureDef{}, Query{}, in, nil, unknownMeasure(r.PathValue("measure"))
	}
	q, err := s.parse(r)
	if err != nil {
		return measureDef{}, Query{}, in, nil, err
	}
	shown, err := q.ShownWeek()
	if err != nil {
		return def, q, in, nil, err
	}
	ctx, now := r.Context(), s.now()
	if in.v, err = s.reports.View(ctx, q.Scope, q.Window, now, def.viewOptions()...); err != nil {
		return def, q, in, nil, err
	}
	current, previous := in.v.Window, in.v.Previous
	if q.WeekGiven {
		in.shown = &shown
		if in.rows, err = s.reports.View(ctx, q.Scope, shown, now, def.viewOptions()...); err != nil {
			return def, q, in, nil, err
		}
		current, previous = shown, metrics.Window{From: metrics.AddDays(shown.From, -7*review.BaselineWeeks), To: shown.From}
	}
	if in.split, err = s.reports.Split(ctx, q.Scope, current, previous); err != nil {
		return def, q, in, nil, err
	}
	if in.change, err = s.figureChanges(ctx, def, q.Scope, in.split, now); err != nil {
		return def, q, in, nil, err
	}
	release, err = s.heavyPage(ctx, engine.HeavyWindow(q.Window))
	return def, q, in, release, err
}

func (s *Server) measurePage(w http.ResponseWriter, r *http.Request) error {
	def, q, in, release, err := s.measureView(r)
	if err != nil {
		return err
	}
	defer release()
	res := s.buildMeasure(def, in, q)
	v := in.v
	if q.Format == "csv" {
		return s.measureCSV(w, def, q, res.sections)
	}
	for i := range res.sections {
		res.sections[i].Table.CSV = link("/measures/"+def.slug, withValues(q.pageValues(), "format", "csv", "table", res.sections[i].ID))
	}
	c := viewChoices(v)
	page := templates.MeasurePage{
		Page:         s.page(q, "/measures/"+def.slug, "measures", def.title, c, true),
		Key:          def.key,
		Definition:   def.definition,
		RulesHref:    "/docs/metrics#" + def.slug,
		Facts:        res.facts,
		TierRows:     tierRows(def.key, res.Tier),
		Changes:      res.changes,
		Trend:        res.trend,
		Distribution: res.dist,
		Breakdown:    res.breakdown,
		HowHref:      "/docs/metrics#which-part-moved-it",
		Sections:     res.sections,
		JSONHref:     link("/api/v1/measures/"+def.slug, q.pageValues()),
	}
	if res.Tier != nil {
		page.Tier = *res.Tier
	}
	page.History = historyNote(res.PartialHistory, res.PreviousPartialHistory, in.comparedName())
	page.Weeks, page.Week = res.weekLinks, res.week
	for _, m := range measures {
		page.Measures = append(page.Measures, templates.Link{Label: m.title, Href: link("/measures/"+m.slug, q.pageValues()), Active: m.slug == def.slug})
	}
	return s.render(w, r, templates.Measure(page))
}

func (s *Server) apiMeasure(w http.ResponseWriter, r *http.Request) error {
	def, q, in, release, err := s.measureView(r)
	if err != nil {
		return err
	}
	defer release()
	return s.serveJSON(w, s.buildMeasure(def, in, q))
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
	return scopeChoices{teams: v.Teams, repos: v.RepoNames, modules: v.ModuleRefs} // shared: read only
}

// tierRows is a measure's tier table, with the current tier marked.
func tierRows(key string, current *string) []templates.TierRow {
	var rows []templates.TierRow
	for _, r := range metrics.TierTables[key] {
		rows = append(rows, templates.TierRow{Tier: r.Tier, Rule: r.Rule, Current: current != nil && *current == r.Tier})
	}
	return rows
}

// rowsWords names what the rows listed are of: "the window", or "the week
// of Mon 16 Nov".
func (b *measureBuild) rowsWords() string {
	if b.shown == nil {
		return "the window"
	}
	return "the week of " + metrics.WeekStart(b.shown.From, b.loc).Format("Mon 2 Jan")
}
