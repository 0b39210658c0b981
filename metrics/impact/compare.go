// Package impact measures the impact of a decision: the before/after (or
// A/B, or scope against scope) comparison of every measure with its
// interval, p-value, verdict, pre-trend guard and interrupted time series
// (docs/decision-impact.md), and the decisions the data suggests that
// nobody recorded (candidates). Pure and deterministic, on the rows of
// package metrics and the tests of package stats; the words of a
// comparison are written apart, by package render.
package impact

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/stats"
)

// Compare: the before/after statistics of docs/decision-impact.md and the
// "Decision impact" section of METRICS.md. The same rows give the same
// result, interval for interval, on every run.

// Comparison kinds.
const (
	CompareDecision = "decision" // before and after a recorded decision
	CompareDate     = "date"     // before and after any date
	ComparePeriods  = "periods"  // two arbitrary periods (A and B)
	CompareScopes   = "scopes"   // two scopes over the same period
)

// Verdicts.
const (
	VerdictImproved      = "improved"
	VerdictWorsened      = "worsened"
	VerdictNoClearChange = "no clear change"
	VerdictNotEnoughData = "not enough data"
)

// The statistic each measure is compared by.
const (
	StatMedian     = "median"     // durations and sizes: difference of medians
	StatRate       = "rate"       // weekly counts: rate ratio
	StatProportion = "proportion" // shares of deployments: difference of proportions
)

// Which direction is better.
const (
	LowerIsBetter  = "lower"
	HigherIsBetter = "higher"
)

// MinObservations is the fewest observations (weeks, for rates) each side
// needs for a verdict.
const MinObservations = 5

// TrendAlpha is the significance level of the trend guard.
const TrendAlpha = 0.05

// MeasureDef describes one measure of a comparison.
type MeasureDef struct {
	Key    string // lead_time
	Name   string // Lead time
	Unit   string // seconds, lines, per_week, share
	Stat   string // median, rate or proportion
	Better string // lower or higher
	NUnit  string // what one observation is: changes, deployments, weeks, ...
}

// CompareMeasures are the measures every comparison reports, in order.
var CompareMeasures = []MeasureDef{
	{"lead_time", "Lead time", "seconds", StatMedian, LowerIsBetter, "changes"},
	{"deployment_frequency", "Deployment frequency", "per_week", StatRate, HigherIsBetter, "weeks"},
	{"change_failure_rate", "Change failure rate", "share", StatProportion, LowerIsBetter, "deployments"},
	{"recovery_time", "Recovery time", "seconds", StatMedian, LowerIsBetter, "recoveries"},
	{"rework_rate", "Rework rate", "share", StatProportion, LowerIsBetter, "deployments"},
	{"time_to_restore", "Time to restore", "seconds", StatMedian, LowerIsBetter, "incidents"},
	{"coding_time", "Coding time", "seconds", StatMedian, LowerIsBetter, "changes"},
	{"pickup_time", "Pickup time", "seconds", StatMedian, LowerIsBetter, "changes"},
	{"review_time", "Review time", "seconds", StatMedian, LowerIsBetter, "changes"},
	{"deploy_time", "Deploy time", "seconds", StatMedian, LowerIsBetter, "changes"},
	{"throughput", "Throughput", "per_week", StatRate, HigherIsBetter, "weeks"},
	{"pr_size", "PR size", "lines", StatMedian, LowerIsBetter, "changes"},
	{"ci_duration", "CI duration", "seconds", StatMedian, LowerIsBetter, "runs"},
}

// measureDef is the MeasureDef of a key of CompareMeasures.
func measureDef(key string) MeasureDef {
	return CompareMeasures[MeasureIndex(key)]
}

// MeasureIndex is a measure's place in CompareMeasures, the order a
// comparison lists its measures in; -1 for no measure.
func MeasureIndex(key string) int {
	return slices.IndexFunc(CompareMeasures, func(d MeasureDef) bool { return d.Key == key })
}

// CompareSide is one side of a comparison: the rows and the window they are
// read over.
type CompareSide struct {
	Label   string          // "before", "after", "A", "team checkout", ...
	Dataset metrics.Dataset // may hold more rows than the window needs
	// Facts, when not nil, are read instead of Dataset: the side's rows
	// reduced to what is compared (metrics.FactsOf, or the rollups), which
	// give the same comparison of the measures FromFacts accepts
	// (observeFacts).
	Facts   *metrics.Facts
	Window  metrics.Window // what is measured: the planned window, cut at the present
	Planned metrics.Window // the window as asked for; zero when it is Window
}

// CompareOptions set how a comparison is made.
type CompareOptions struct {
	Kind      string // CompareDecision, CompareDate, ComparePeriods or CompareScopes
	Rules     metrics.Rules
	Resamples int    // bootstrap resamples; 0 means DefaultResamples
	Seed      uint64 // bootstrap seed; 0 means DefaultSeed
	// Break is the interruption (the decision's date): weeks are counted
	// from it, and the trend guard and the interrupted time series use it.
	// Zero (a comparison of two scopes over one period) turns both off.
	Break time.Time
	// Stop, when set, is asked between steps (each week observed, each
	// measure, every few dozen bootstrap resamples) whether to go on: an
	// error from it abandons the comparison, and Compare returns it. A
	// server passes its request's cancellation here, so a comparison
	// nobody waits for any more stops within milliseconds.
	Stop func() error
	// Measures are the keys of the measures to compare, in
	// CompareMeasures' order whatever their order here; nil means all. A
	// measure's result is the same whichever others are compared.
	Measures []string
}

// Comparison is the result of Compare: its JSON is the machine output of
// `tach report compare --format json` and of /api/v1/compare. Field names
// are stable; a value that cannot be computed is null.
type Comparison struct {
	Kind     string              `json:"kind"`
	Decision *ComparedDecision   `json:"decision"` // filled by the engine for a decision
	At       *string             `json:"at"`       // the break, YYYY-MM-DD; null for a comparison of scopes
	Before   SideSummary         `json:"before"`   // "before", period A, or scope A
	After    SideSummary         `json:"after"`    // "after", period B, or scope B
	Partial  bool                `json:"partial"`  // the after side is cut at the present
	Settings CompareSettings     `json:"settings"`
	Measures []MeasureComparison `json:"measures"`
	Summary  string              `json:"summary"` // the words (Summary, Notes, each measure's) are written by render.Explain
	Notes    []string            `json:"notes"`
	// Confounders are the other recorded decisions of the compared scope
	// whose date falls in either window: the estimate mixes their effects
	// with the one compared. Filled by the engine; [] when there are none.
	Confounders []Confounder `json:"confounders"`
	// CleanWindowDays is the longest window, in whole weeks, whose sides
	// hold none of the confounders (before and after a date only); null
	// when there are none, or when not even a week avoids them.
	CleanWindowDays *int `json:"clean_window_days"`
}

// Confounder is another decision inside a compared window.
type Confounder struct {
	ID    int64   `json:"id"`
	Date  string  `json:"date"` // YYYY-MM-DD
	Title string  `json:"title"`
	Kind  string  `json:"kind"`
	Side  string  `json:"side"` // the label of the side whose window holds it
	Week  float64 `json:"week"` // weeks from the break (negative before it); from the first side's start without one
}

// CleanWindowDays is the longest side, in whole weeks (as days), of a
// before/after comparison around at with a gap of gapDays, whose two
// windows hold none of the dates: a date before at must not fall after the
// before side's start (the before side then lies wholly after it), a date
// after at must fall at or after the after side's end. 0 when not even one
// week fits.
func CleanWindowDays(at time.Time, gapDays int, dates []time.Time) int {
	days := func(from, to time.Time) int {
		return int(math.Floor(metrics.WindowDays(metrics.Window{From: from, To: to}, at.Location())))
	}
	longest := math.MaxInt
	for _, d := range dates {
		var room int
		if d.Before(at) {
			room = days(d, at) // before = [at − room, at) starts on d at the earliest
		} else {
			room = days(metrics.AddDays(at, gapDays), d) // after = [at+gap, at+gap+room) ends on d at the latest
		}
		longest = min(longest, max(room, 0))
	}
	if longest == math.MaxInt || longest < 7 {
		return 0
	}
	return longest / 7 * 7
}

// ComparedDecision is the decision a comparison is anchored on.
type ComparedDecision struct {
	ID    int64    `json:"id"`
	Date  string   `json:"date"`
	Title string   `json:"title"`
	Kind  string   `json:"kind"`
	Team  *string  `json:"team"`
	Repos []string `json:"repos"`
	// Modules (REPO:NAME) the decision concerns, and the scopes it
	// compares before and after when they differ (as queries:
	// module=acme/shop:payments, repo=acme/payments).
	Modules     []string `json:"modules,omitempty"`
	BeforeScope string   `json:"before_scope,omitempty"`
	AfterScope  string   `json:"after_scope,omitempty"`
	Note        string   `json:"note"`
	Link        string   `json:"link"`
}

// SideSummary says what one side covers.
type SideSummary struct {
	Label    string   `json:"label"`
	Repos    []string `json:"repos"`             // filled by the engine
	Team     *string  `json:"team"`              // filled by the engine
	Modules  []string `json:"modules,omitempty"` // filled by the engine: REPO:NAME
	From     string   `json:"from"`              // YYYY-MM-DD, inclusive
	To       string   `json:"to"`                // YYYY-MM-DD, exclusive: the planned end
	Days     float64  `json:"days"`              // measured days (fewer than planned when partial)
	Planned  float64  `json:"planned_days"`
	Weeks    int      `json:"weeks"` // whole weeks measured
	Partial  bool     `json:"partial"`
	CutAt    *string  `json:"cut_at"` // RFC 3339: where a partial side stops (the present)
	Timezone string   `json:"timezone"`
}

// CompareSettings are the fixed settings behind the numbers.
type CompareSettings struct {
	Confidence      float64 `json:"confidence"`
	Resamples       int     `json:"bootstrap_resamples"`
	Seed            uint64  `json:"bootstrap_seed"`
	MinObservations int     `json:"min_observations"`
	TrendAlpha      float64 `json:"trend_alpha"`
	WindowDays      int     `json:"window_days"` // filled by the engine; 0 when the periods were given
	GapDays         int     `json:"gap_days"`
}

// CompareInterval is a 95 % interval in JSON: Of says whether it bounds the
// difference (after − before), the ratio (after ÷ before) or the relative
// change (after ÷ before − 1). An infinite end is null.
type CompareInterval struct {
	Low  *float64 `json:"low"`
	High *float64 `json:"high"`
	Of   string   `json:"of"`
}

// MeasureComparison is one measure compared.
type MeasureComparison struct {
	Key       string `json:"key"`
	Name      string `json:"name"`
	Unit      string `json:"unit"` // of before, after and difference: seconds, lines, per_week, share
	Statistic string `json:"statistic"`
	Better    string `json:"better"`
	Method    string `json:"method"`

	Before           *float64         `json:"before"`
	After            *float64         `json:"after"`
	Difference       *float64         `json:"difference"`        // after − before
	RelativeChange   *float64         `json:"relative_change"`   // after ÷ before − 1
	Interval         *CompareInterval `json:"interval"`          // of the difference (medians, proportions) or the ratio (rates)
	RelativeInterval *CompareInterval `json:"relative_interval"` // of the relative change (medians, rates)
	PValue           *float64         `json:"p_value"`
	NBefore          int              `json:"n_before"`
	NAfter           int              `json:"n_after"`
	NUnit            string           `json:"n_unit"`
	CountBefore      *int             `json:"count_before"` // rates: events; proportions: failed or rework deployments
	CountAfter       *int             `json:"count_after"`
	Dispersion       *float64         `json:"dispersion"`    // rates: the over-dispersion of the weekly counts
	DesignEffect     *float64         `json:"design_effect"` // medians and proportions: the variance inflation for weekly clustering

	Verdict  string           `json:"verdict"`
	PreTrend *TrendGuard      `json:"pre_trend"`
	ITS      *InterruptedTS   `json:"its"`
	Weekly   []ComparisonWeek `json:"weekly"`
	Summary  string           `json:"summary"`
	// Reconcile, when the before/after estimate and the interrupted time
	// series disagree, says in one sentence why (render.Explain); "".
	Reconcile string `json:"reconcile"`
}

// TrendGuard is the weekly series before the break fitted with a line.
type TrendGuard struct {
	Weeks         int             `json:"weeks"`          // weeks with a value
	SlopePerWeek  float64         `json:"slope_per_week"` // in the measure's unit
	Interval      CompareInterval `json:"interval"`
	PValue        float64         `json:"p_value"`
	Significant   bool            `json:"significant"`    // p < 0.05
	SameDirection bool            `json:"same_direction"` // the trend points the way the change does
	Note          string          `json:"note"`           // set when significant, by render.Explain
}

// InterruptedTS is the segmented regression of the weekly series on both
// sides: y = β₀ + β₁t + β₂·after + β₃·after·(t − t₀), t in weeks from the
// break and t₀ the first week after the gap.
type InterruptedTS struct {
	WeeksBefore   int             `json:"weeks_before"`
	WeeksAfter    int             `json:"weeks_after"`
	LevelChange   float64         `json:"level_change"` // β₂, in the measure's unit
	LevelInterval CompareInterval `json:"level_interval"`
	LevelP        float64         `json:"level_p_value"`
	SlopeChange   float64         `json:"slope_change"` // β₃, per week
	SlopeInterval CompareInterval `json:"slope_interval"`
	SlopeP        float64         `json:"slope_p_value"`
	PreSlope      float64         `json:"pre_slope"`  // β₁, per week
	PostSlope     float64         `json:"post_slope"` // β₁ + β₃, per week
}

// ComparisonWeek is one week of a measure's weekly series.
type ComparisonWeek struct {
	Start string   `json:"start"` // YYYY-MM-DD
	Side  string   `json:"side"`  // before or after
	Week  float64  `json:"week"`  // weeks from the break (negative before it); from each side's start without one
	Value *float64 `json:"value"` // the week's median, count or proportion; null with no data
	N     int      `json:"n"`
}

// Compare compares every measure of CompareMeasures between two sides. Its
// only error is Stop's.
func Compare(before, after CompareSide, opt CompareOptions) (Comparison, error) {
	if opt.Resamples <= 0 {
		opt.Resamples = stats.DefaultResamples
	}
	if opt.Seed == 0 {
		opt.Seed = stats.DefaultSeed
	}
	loc := opt.Rules.Timezone()
	c := Comparison{
		Kind:   opt.Kind,
		Before: sideSummary(before, loc),
		After:  sideSummary(after, loc),
		Settings: CompareSettings{
			Confidence: 0.95, Resamples: opt.Resamples, Seed: opt.Seed,
			MinObservations: MinObservations, TrendAlpha: TrendAlpha,
		},
		Notes:       []string{},
		Confounders: []Confounder{},
	}
	c.Partial = c.Before.Partial || c.After.Partial
	if !opt.Break.IsZero() {
		at := opt.Break.In(loc).Format(time.DateOnly)
		c.At = &at
	}
	bObs, err := observeSide(before, opt.Rules, loc, opt.Stop)
	if err != nil {
		return Comparison{}, err
	}
	aObs, err := observeSide(after, opt.Rules, loc, opt.Stop)
	if err != nil {
		return Comparison{}, err
	}
	for i, def := range CompareMeasures {
		if opt.Measures != nil && !slices.Contains(opt.Measures, def.Key) {
			continue
		}
		// Each measure has its own bootstrap stream, by its place in
		// CompareMeasures.
		m, err := compareMeasure(def, bObs, aObs, opt, uint64(i))
		if err != nil {
			return Comparison{}, err
		}
		c.Measures = append(c.Measures, m)
	}
	weekIndex(&c, bObs, aObs, opt.Break, before.Window.From, after.Window.From, loc)
	for i := range c.Measures {
		m := &c.Measures[i]
		if !opt.Break.IsZero() && !before.Window.To.After(after.Window.From) {
			trendGuard(m)
			interrupted(m)
		}
	}
	return c, nil
}

func sideSummary(s CompareSide, loc *time.Location) SideSummary {
	planned := s.Planned
	if planned.From.IsZero() && planned.To.IsZero() {
		planned = s.Window
	}
	sum := SideSummary{
		Label:    s.Label,
		Repos:    []string{},
		From:     s.Window.From.In(loc).Format(time.DateOnly),
		To:       planned.To.In(loc).Format(time.DateOnly),
		Days:     math.Max(0, metrics.WindowDays(s.Window, loc)),
		Planned:  math.Max(0, metrics.WindowDays(planned, loc)),
		Timezone: loc.String(),
	}
	if s.Window.To.Before(planned.To) {
		sum.Partial = true
		cut := s.Window.To.In(loc).Format(time.RFC3339)
		sum.CutAt = &cut
	}
	sum.Weeks = len(weekBins(s.Window, loc))
	return sum
}

// weekBins splits w into whole 7-day bins from w.From (calendar days in
// loc); a trailing part shorter than a week is left out.
func weekBins(w metrics.Window, loc *time.Location) []metrics.Window {
	var bins []metrics.Window
	start := w.From.In(loc)
	for k := 0; ; k++ {
		from := metrics.AddDays(start, 7*k)
		to := metrics.AddDays(start, 7*(k+1))
		if to.After(w.To) {
			return bins
		}
		bins = append(bins, metrics.Window{From: from, To: to})
	}
}

// observation is what one window holds for one measure.
type observation struct {
	values []float64 // StatMedian
	count  int       // StatRate: events; StatProportion: failed / rework
	total  int       // StatProportion: deployments
	days   float64   // StatRate: exposure
}

// sideObs is every measure over a side's window and over each of its
// weeks: the whole weeks for the weekly series, and every week including a
// trailing part-week as the clusters of the bootstrap and design effects.
type sideObs struct {
	whole map[string]observation
	weeks []map[string]observation // whole weeks only
	bins  []metrics.Window         // whole weeks only
	parts []map[string]observation // every week, the part-week included
}

func observeSide(s CompareSide, r metrics.Rules, loc *time.Location, stop func() error) (sideObs, error) {
	bins := weekBins(s.Window, loc)
	parts := bins
	end := s.Window.From
	if len(bins) > 0 {
		end = bins[len(bins)-1].To
	}
	if end.Before(s.Window.To) {
		parts = append(slices.Clone(bins), metrics.Window{From: end, To: s.Window.To})
	}
	so := sideObs{whole: map[string]observation{}, bins: bins}
	for i, p := range parts {
		if stop != nil {
			if err := stop(); err != nil {
				return sideObs{}, err
			}
		}
		var o map[string]observation
		if s.Facts != nil {
			o = observeFacts(*s.Facts, p, r, loc)
		} else {
			o = observeWindow(s.Dataset, p, r, loc)
		}
		if i < len(bins) {
			so.weeks = append(so.weeks, o)
		}
		so.parts = append(so.parts, o)
		for key, ob := range o {
			w := so.whole[key]
			w.values = append(w.values, ob.values...)
			w.count += ob.count
			w.total += ob.total
			w.days += ob.days
			so.whole[key] = w
		}
	}
	return so, nil
}

// clusters returns a measure's observations week by week: the values of a
// median, or the 0/1 outcomes of a proportion.
func (so sideObs) clusters(key string) [][]float64 {
	out := make([][]float64, 0, len(so.parts))
	for _, p := range so.parts {
		o := p[key]
		if o.total > 0 {
			c := make([]float64, o.total)
			for i := range o.count {
				c[i] = 1
			}
			out = append(out, c)
			continue
		}
		out = append(out, o.values)
	}
	return out
}

func nonEmpty(clusters [][]float64) int {
	n := 0
	for _, c := range clusters {
		if len(c) > 0 {
			n++
		}
	}
	return n
}

// observeWindow reads every measure's observations in w, with the row functions
// that Compute uses, so a comparison counts exactly what a report counts.
func observeWindow(ds metrics.Dataset, w metrics.Window, r metrics.Rules, loc *time.Location) map[string]observation {
	out := map[string]observation{}
	timings := metrics.LeadTimeRows(ds, w, r)
	part := func(of func(metrics.ChangeTiming) metrics.PartDuration) []float64 {
		var xs []float64
		for _, t := range timings {
			if p := of(t); p.Known {
				xs = append(xs, p.Duration.Seconds())
			}
		}
		return xs
	}
	var lead []float64
	for _, t := range timings {
		lead = append(lead, t.LeadTime.Seconds())
	}
	out["lead_time"] = observation{values: lead}
	out["coding_time"] = observation{values: part(func(t metrics.ChangeTiming) metrics.PartDuration { return t.Coding })}
	out["pickup_time"] = observation{values: part(func(t metrics.ChangeTiming) metrics.PartDuration { return t.Pickup })}
	out["review_time"] = observation{values: part(func(t metrics.ChangeTiming) metrics.PartDuration { return t.Review })}
	out["deploy_time"] = observation{values: part(func(t metrics.ChangeTiming) metrics.PartDuration { return t.Deploy })}

	var recovery, restore, sizes, ci []float64
	for _, row := range metrics.RecoveryRows(ds, w) {
		recovery = append(recovery, row.Duration.Seconds())
	}
	for _, row := range metrics.TimeToRestoreRows(ds, w) {
		restore = append(restore, row.Duration.Seconds())
	}
	merged := metrics.MergedChanges(ds, w, r)
	for _, c := range merged {
		if n, ok := metrics.PRSizeLines(c); ok {
			sizes = append(sizes, float64(n))
		}
	}
	for _, run := range metrics.CIRunsIn(ds, w) {
		if d, ok := metrics.CIRunDuration(run); ok {
			ci = append(ci, d.Seconds())
		}
	}
	out["recovery_time"] = observation{values: recovery}
	out["time_to_restore"] = observation{values: restore}
	out["pr_size"] = observation{values: sizes}
	out["ci_duration"] = observation{values: ci}

	days := metrics.WindowDays(w, loc)
	production := metrics.ProductionDeployments(ds, w)
	failed, rework := 0, 0
	for _, d := range production {
		if d.Failed {
			failed++
		}
		if d.Rework {
			rework++
		}
	}
	out["deployment_frequency"] = observation{count: len(production), days: days}
	out["throughput"] = observation{count: len(merged), days: days}
	out["change_failure_rate"] = observation{count: failed, total: len(production)}
	out["rework_rate"] = observation{count: rework, total: len(production)}
	return out
}

// FromFacts reports whether a comparison of measures (nil: all) from
// facts (CompareSide.Facts) is the one from rows, value for value. The
// design effect of a median's Mann–Whitney test sums in the order of the
// values within a week, so the facts must give each week's values in the
// rows' order: the changes' by deployment and ID, the CI runs' by end and ID. Recoveries,
// restores and merged changes carry no ID to order ties by, so recovery
// time, time to restore and PR size are compared from rows.
func FromFacts(measures []string) bool {
	if measures == nil {
		return false
	}
	for _, m := range measures {
		switch m {
		case "recovery_time", "time_to_restore", "pr_size":
			return false
		}
	}
	return true
}

// observeFacts is observeWindow from facts: the same values of every
// measure that FromFacts accepts, in the same order, and the same counts.
func observeFacts(f metrics.Facts, w metrics.Window, r metrics.Rules, loc *time.Location) map[string]observation {
	lo, hi := w.Seconds()
	in := func(t int64) bool { return t >= lo && t < hi }
	counts := func(bot bool) bool { return r.IncludeBotChanges || !bot }
	var lead, recovery, restore, sizes, ci []float64
	var parts [4][]float64
	var shipped []metrics.ShippedFact
	for _, s := range f.Shipped {
		if in(s.At) && counts(s.Bot) {
			shipped = append(shipped, s)
		}
	}
	// LeadTimeRows' order: deployed, then ID.
	slices.SortFunc(shipped, func(a, b metrics.ShippedFact) int {
		return cmp.Or(cmp.Compare(a.At, b.At), cmp.Compare(a.ChangeID, b.ChangeID))
	})
	for _, s := range shipped {
		lead = append(lead, s.Lead)
		for i := range parts {
			if s.Known&(1<<i) != 0 {
				parts[i] = append(parts[i], s.Parts[i])
			}
		}
	}
	merged := 0
	for _, m := range f.Merged {
		if !in(m.At) || !counts(m.Bot) {
			continue
		}
		merged++
		if m.SizeKnown {
			sizes = append(sizes, float64(m.Lines))
		}
	}
	for _, d := range f.Recoveries {
		if in(d.At) {
			recovery = append(recovery, d.Seconds)
		}
	}
	for _, d := range f.Restores {
		if in(d.At) {
			restore = append(restore, d.Seconds)
		}
	}
	var runs []metrics.CIFact
	for _, c := range f.CIRuns {
		if in(c.At) && c.Known {
			runs = append(runs, c)
		}
	}
	// CIRunsIn's order: end, then ID.
	slices.SortFunc(runs, func(a, b metrics.CIFact) int { return cmp.Or(cmp.Compare(a.At, b.At), cmp.Compare(a.ID, b.ID)) })
	for _, c := range runs {
		ci = append(ci, c.Seconds)
	}
	production, failed, rework := 0, 0, 0
	for _, d := range f.Deploys {
		if d.Production && in(d.At) {
			production++
			failed += b2i(d.Failed)
			rework += b2i(d.Rework)
		}
	}
	days := metrics.WindowDays(w, loc)
	return map[string]observation{
		"lead_time":            {values: lead},
		"coding_time":          {values: parts[metrics.PartCoding]},
		"pickup_time":          {values: parts[metrics.PartPickup]},
		"review_time":          {values: parts[metrics.PartReview]},
		"deploy_time":          {values: parts[metrics.PartDeploy]},
		"recovery_time":        {values: recovery},
		"time_to_restore":      {values: restore},
		"pr_size":              {values: sizes},
		"ci_duration":          {values: ci},
		"deployment_frequency": {count: production, days: days},
		"throughput":           {count: merged, days: days},
		"change_failure_rate":  {count: failed, total: production},
		"rework_rate":          {count: rework, total: production},
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func intervalOf(iv stats.Interval, of string) *CompareInterval {
	return &CompareInterval{Low: stats.FiniteOrNil(iv.Low), High: stats.FiniteOrNil(iv.High), Of: of}
}

func compareMeasure(def MeasureDef, bObs, aObs sideObs, opt CompareOptions, index uint64) (MeasureComparison, error) {
	m := MeasureComparison{
		Key: def.Key, Name: def.Name, Unit: def.Unit, Statistic: def.Stat, Better: def.Better, NUnit: def.NUnit,
		Verdict: VerdictNotEnoughData, Weekly: []ComparisonWeek{},
	}
	b, a := bObs.whole[def.Key], aObs.whole[def.Key]
	switch def.Stat {
	case StatMedian:
		m.Method = "difference of medians; 95 % percentile bootstrap interval; Mann–Whitney U p-value"
		m.NBefore, m.NAfter = len(b.values), len(a.values)
		mb, okB := stats.Median(b.values)
		ma, okA := stats.Median(a.values)
		m.Before, m.After = stats.FloatOrNil(mb, okB), stats.FloatOrNil(ma, okA)
		if okA && okB {
			m.Difference = stats.FiniteOrNil(ma - mb)
			if mb != 0 {
				m.RelativeChange = stats.FiniteOrNil(ma/mb - 1)
			}
		}
		if m.NBefore < MinObservations || m.NAfter < MinObservations {
			return m, nil
		}
		// Weeks are the clusters when each side has enough weeks with data;
		// otherwise each observation stands alone.
		cb, ca := bObs.clusters(def.Key), aObs.clusters(def.Key)
		if nonEmpty(cb) >= MinObservations && nonEmpty(ca) >= MinObservations {
			m.Method = "difference of medians; 95 % percentile bootstrap interval resampling whole weeks; Mann–Whitney U p-value with the design effect of weekly clustering"
		} else {
			cb, ca = stats.Singletons(b.values), stats.Singletons(a.values)
		}
		// Each measure has its own stream, so adding a measure never moves
		// another's interval.
		boot, _, err := stats.BootstrapMedianDifferenceClustered(cb, ca, opt.Resamples, opt.Seed+index, opt.Stop)
		if err != nil {
			return m, err
		}
		m.Interval = intervalOf(boot.Interval, "difference")
		if !math.IsNaN(boot.RatioInterval.Low) {
			m.RelativeInterval = intervalOf(stats.Interval{Low: boot.RatioInterval.Low - 1, High: boot.RatioInterval.High - 1}, "relative")
		}
		if mw, ok := stats.MannWhitneyClustered(ca, cb); ok {
			m.PValue = stats.FiniteOrNil(mw.P)
			m.DesignEffect = stats.FiniteOrNil(mw.DesignEffect)
		} else {
			one := 1.0 // every value tied: no evidence of a difference
			m.PValue = &one
		}
		m.Verdict = verdictFor(def, boot.Interval, 0)
	case StatRate:
		m.NBefore, m.NAfter = len(bObs.bins), len(aObs.bins)
		cb, ca := b.count, a.count
		m.CountBefore, m.CountAfter = &cb, &ca
		if b.days > 0 {
			m.Before = stats.FiniteOrNil(float64(cb) / b.days * 7)
		}
		if a.days > 0 {
			m.After = stats.FiniteOrNil(float64(ca) / a.days * 7)
		}
		if m.Before != nil && m.After != nil {
			m.Difference = stats.FiniteOrNil(*m.After - *m.Before)
			if *m.Before > 0 {
				m.RelativeChange = stats.FiniteOrNil(*m.After / *m.Before - 1) // the rate ratio − 1
			}
		}
		m.Method = "rate ratio of weekly counts; Poisson exact conditional interval and test"
		if m.NBefore < MinObservations || m.NAfter < MinObservations {
			return m, nil
		}
		var weeklyB, weeklyA []float64
		for _, w := range bObs.weeks {
			weeklyB = append(weeklyB, float64(w[def.Key].count))
		}
		for _, w := range aObs.weeks {
			weeklyA = append(weeklyA, float64(w[def.Key].count))
		}
		phi, df, okPhi := stats.Dispersion(weeklyB, weeklyA)
		if okPhi {
			m.Dispersion = stats.FiniteOrNil(phi)
		}
		var rr stats.RateRatioResult
		var ok bool
		if okPhi && phi > 1 && ca > 0 && cb > 0 {
			rr, ok = stats.QuasiPoissonRateRatio(ca, a.days, cb, b.days, phi, df)
			m.Method = "rate ratio of weekly counts; quasi-Poisson interval and test (the weekly counts vary more than Poisson: dispersion " + strconv.FormatFloat(phi, 'f', 2, 64) + ")"
		} else {
			rr, ok = stats.PoissonRateRatio(ca, a.days, cb, b.days)
		}
		if !ok {
			m.Verdict = VerdictNoClearChange
			if ca == 0 && cb == 0 {
				m.Verdict = VerdictNotEnoughData
			}
			return m, nil
		}
		m.Interval = intervalOf(rr.Interval, "ratio")
		m.RelativeInterval = intervalOf(stats.Interval{Low: rr.Interval.Low - 1, High: rr.Interval.High - 1}, "relative")
		m.PValue = stats.FiniteOrNil(rr.P)
		m.Verdict = verdictFor(def, rr.Interval, 1)
	case StatProportion:
		m.Method = "difference of proportions; Newcombe hybrid score interval; Fisher's exact p-value"
		m.NBefore, m.NAfter = b.total, a.total
		cb, ca := b.count, a.count
		m.CountBefore, m.CountAfter = &cb, &ca
		m.Before, m.After = stats.RateOrNil(cb, b.total), stats.RateOrNil(ca, a.total)
		if m.Before != nil && m.After != nil {
			m.Difference = stats.FiniteOrNil(*m.After - *m.Before)
			if *m.Before > 0 {
				m.RelativeChange = stats.FiniteOrNil(*m.After / *m.Before - 1)
			}
		}
		if m.NBefore < MinObservations || m.NAfter < MinObservations {
			return m, nil
		}
		// Failures cluster in bad weeks: with enough weeks each side, the
		// counts are deflated by the design effect of weekly clustering.
		deff := 1.0
		if kb, ka := bObs.clusters(def.Key), aObs.clusters(def.Key); nonEmpty(kb) >= MinObservations && nonEmpty(ka) >= MinObservations {
			deff = stats.DesignEffect(kb, ka)
			m.DesignEffect = stats.FiniteOrNil(deff)
		}
		_, iv, _ := stats.NewcombeDifferenceClustered(ca, a.total, cb, b.total, deff)
		m.Interval = intervalOf(iv, "difference")
		fa, fna := effective(ca, deff), effective(a.total-ca, deff)
		fb, fnb := effective(cb, deff), effective(b.total-cb, deff)
		m.PValue = stats.FiniteOrNil(stats.FisherExactTwoSided(fa, fna, fb, fnb))
		if deff > 1 {
			m.Method = "difference of proportions; Newcombe hybrid score interval; Fisher's exact p-value; counts deflated by the design effect of weekly clustering (" + strconv.FormatFloat(deff, 'f', 2, 64) + ")"
		}
		m.Verdict = verdictFor(def, iv, 0)
	}
	return m, nil
}

// effective is a count divided by the design effect, rounded: the
// effective sample size Fisher's exact test is run on.
func effective(n int, deff float64) int {
	return int(math.Round(float64(n) / deff))
}

// verdictFor applies the verdict rule: improved or worsened when the
// interval excludes no change (0 for a difference, 1 for a ratio), in the
// measure's better direction; no clear change otherwise.
func verdictFor(def MeasureDef, iv stats.Interval, none float64) string {
	if !iv.Excludes(none) || math.IsNaN(iv.Low) || math.IsNaN(iv.High) {
		return VerdictNoClearChange
	}
	up := iv.Low > none
	if up == (def.Better == HigherIsBetter) {
		return VerdictImproved
	}
	return VerdictWorsened
}

// weekIndex fills each measure's weekly series, the weeks counted from the
// break (or from each side's start when there is none).
func weekIndex(c *Comparison, bObs, aObs sideObs, origin, beforeFrom, afterFrom time.Time, loc *time.Location) {
	for i := range c.Measures {
		m := &c.Measures[i]
		def := measureDef(m.Key)
		add := func(side string, bins []metrics.Window, weeks []map[string]observation, start time.Time) {
			o := origin
			if o.IsZero() {
				o = start
			}
			for k, b := range bins {
				v, n := weekValue(def, weeks[k][def.Key])
				m.Weekly = append(m.Weekly, ComparisonWeek{
					Start: b.From.In(loc).Format(time.DateOnly), Side: side,
					Week:  math.Round(metrics.WindowDays(metrics.Window{From: o, To: b.From}, loc)/7*1000) / 1000,
					Value: v, N: n,
				})
			}
		}
		add("before", bObs.bins, bObs.weeks, beforeFrom)
		add("after", aObs.bins, aObs.weeks, afterFrom)
	}
}

// weekValue is a week's value of a measure: the median of its observations,
// its count, or its proportion; nil when the week has none (a week with no
// deployment has no failure rate; a rate's week is always a count).
func weekValue(def MeasureDef, o observation) (*float64, int) {
	switch def.Stat {
	case StatMedian:
		return stats.MedianOrNil(o.values), len(o.values)
	case StatRate:
		v := float64(o.count)
		return &v, o.count
	default:
		return stats.RateOrNil(o.count, o.total), o.total
	}
}

// weeklyPoints returns a measure's weekly points with a value, on one side or
// both: the week index, the value, and whether it is after the break.
func weeklyPoints(m *MeasureComparison, side string) (t, y []float64, post []bool) {
	for _, w := range m.Weekly {
		if w.Value == nil || (side != "" && w.Side != side) {
			continue
		}
		t, y, post = append(t, w.Week), append(y, *w.Value), append(post, w.Side == "after")
	}
	return t, y, post
}

// trendGuard fits the weekly series before the break. A significant slope
// means the measure was already moving: the plain before/after difference
// may credit the decision with a trend already under way.
func trendGuard(m *MeasureComparison) {
	t, y, _ := weeklyPoints(m, "before")
	if len(t) < 4 {
		return
	}
	fit, ok := stats.LinearRegression(t, y)
	if !ok {
		return
	}
	g := &TrendGuard{
		Weeks: fit.N, SlopePerWeek: fit.Slope, Interval: *intervalOf(fit.SlopeInterval, "difference"),
		PValue: fit.SlopeP, Significant: fit.SlopeP < TrendAlpha,
	}
	if m.Difference != nil {
		g.SameDirection = (fit.Slope > 0) == (*m.Difference > 0) && *m.Difference != 0
	}
	m.PreTrend = g
}

// interrupted fits the segmented regression over both sides' weeks.
func interrupted(m *MeasureComparison) {
	t, y, post := weeklyPoints(m, "")
	t0 := math.Inf(1)
	for _, w := range m.Weekly {
		if w.Side == "after" {
			t0 = math.Min(t0, w.Week)
		}
	}
	if math.IsInf(t0, 1) {
		return
	}
	fit, ok := stats.SegmentedRegression(t, y, post, t0)
	if !ok {
		return
	}
	m.ITS = &InterruptedTS{
		WeeksBefore: fit.Before, WeeksAfter: fit.After,
		LevelChange: fit.LevelChange, LevelInterval: *intervalOf(fit.LevelChangeCI, "difference"), LevelP: fit.LevelChangeP,
		SlopeChange: fit.SlopeChange, SlopeInterval: *intervalOf(fit.SlopeChangeCI, "difference"), SlopeP: fit.SlopeChangeP,
		PreSlope: fit.PreSlope, PostSlope: fit.PostSlope,
	}
}
