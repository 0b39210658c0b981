// Package review assembles the weekly review: one complete week of a scope
// against the BaselineWeeks weeks before it, as the team reads it in its
// review — the headline measures and their change, what shipped, the
// incidents, the changes waiting for a first review, the largest open
// changes and the lead-time outliers. The web page, /api/v1/weekly,
// /weekly.md and `tach report weekly` all show this one value.
//
// Pure: package engine loads the rows and computes the two reports from
// facts; Build assembles the rest from the rows, and package render writes
// it as text and Markdown.
package review

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/stats"
)

// BaselineWeeks is how many weeks before the reviewed week it is compared with.
const BaselineWeeks = 4

// LargestOpenCount is how many of the largest open changes the review lists.
const LargestOpenCount = 10

// ErrWeekNotComplete is returned for a week that has not ended yet.
var ErrWeekNotComplete = errors.New("week not complete")

// Review is the weekly review. Its JSON is the output of
// /api/v1/weekly and `tach report weekly --format json`: durations in
// seconds, null where a value cannot be computed.
type Review struct {
	Scope    metrics.Scope           `json:"scope"` // From and To are the reviewed week
	Week     Period                  `json:"week"`
	Baseline Period                  `json:"baseline"` // the BaselineWeeks weeks before
	This     metrics.Report          `json:"this_week"`
	Before   metrics.Report          `json:"baseline_report"`
	Keys     []metrics.KeyComparison `json:"keys"`

	Shipped           []Deployment `json:"shipped"`            // production deployments of the week, oldest first
	IncidentsOpened   []Incident   `json:"incidents_opened"`   // created in the week
	IncidentsResolved []Incident   `json:"incidents_resolved"` // resolved in the week
	WaitingForReview  []Change     `json:"waiting_for_review"` // open now, no first review for longer than stale_review
	LargestOpen       []Change     `json:"largest_open"`       // open now, largest first
	// Outliers are the changes shipped in the week whose lead time is above
	// the p90 of the lead times of the baseline weeks.
	Outliers                []Change `json:"outliers"`
	OutlierThresholdSeconds *float64 `json:"outlier_threshold_seconds"`

	StaleReviewSeconds float64   `json:"stale_review_seconds"`
	GeneratedAt        time.Time `json:"generated_at"` // "now" for the open work

	// NewRadarSignals are the refactor radar's signals over the 12 weeks
	// that end with the reviewed week that its radar of the 12 weeks
	// before did not raise (the engine fills them).
	NewRadarSignals []RadarSignal `json:"new_radar_signals"`
}

// RadarSignal is a refactor radar signal, as the review lists it.
type RadarSignal struct {
	Repo         string  `json:"repo"`
	Module       *string `json:"module"` // null: the repo as a whole (it has no modules)
	Measure      string  `json:"measure"`
	Direction    string  `json:"direction"`
	SlopePerWeek float64 `json:"slope_per_week"`
	QValue       float64 `json:"q_value"`
	Weeks        int     `json:"weeks"`
}

// Period is a half-open range of days, [From, To), YYYY-MM-DD in the rules'
// timezone.
type Period = metrics.Period

// Change is a change as the review lists it.
type Change struct {
	Repo            string     `json:"repo"`
	Number          int64      `json:"number"`
	Title           string     `json:"title"`
	Author          string     `json:"author"`
	URL             string     `json:"url"`
	State           string     `json:"state"`
	Draft           bool       `json:"draft"`
	Bot             bool       `json:"bot"` // opened by a bot
	Fix             bool       `json:"fix"` // a fix for the rework rate (label or title; never a bot's)
	CreatedAt       time.Time  `json:"created_at"`
	MergedAt        *time.Time `json:"merged_at"`
	SizeLines       *int       `json:"size_lines"`        // additions + deletions; null when unknown
	LeadTimeSeconds *float64   `json:"lead_time_seconds"` // shipped changes counted in lead time
	WaitingSeconds  *float64   `json:"waiting_seconds"`   // open changes: time since ready for review
}

// Deployment is a production deployment and the changes it carried.
type Deployment struct {
	Repo         string     `json:"repo"`
	Environment  string     `json:"environment"`
	SHA          string     `json:"sha"`
	URL          string     `json:"url"`
	FinishedAt   time.Time  `json:"finished_at"`
	Failed       bool       `json:"failed"`
	FailureCause string     `json:"failure_cause"`
	Rollback     bool       `json:"rollback"`
	Rework       bool       `json:"rework"`
	Changes      []Change   `json:"changes"`
	Incidents    []Incident `json:"incidents"`
}

// Incident is an incident as the review lists it.
type Incident struct {
	Repo        string     `json:"repo"`
	Number      int64      `json:"number"`
	Title       string     `json:"title"`
	URL         string     `json:"url"`
	CreatedAt   time.Time  `json:"created_at"`
	ResolvedAt  *time.Time `json:"resolved_at"`
	OpenSeconds *float64   `json:"open_seconds"` // resolved − created; null while open
	// OpenSoFarSeconds is how long an incident still open has been open
	// (the review's generated_at − created); null once resolved.
	OpenSoFarSeconds *float64 `json:"open_so_far_seconds"`
	Attributed       bool     `json:"attributed"` // attributed to a production deployment
}

// WeekOf returns the Monday that starts the week holding day, and checks
// that the week is complete at now.
func WeekOf(day, now time.Time, loc *time.Location) (time.Time, error) {
	start := metrics.WeekStart(day, loc)
	if start.AddDate(0, 0, 7).After(now) {
		return start, fmt.Errorf("%w: the week of %s is not complete yet (it ends on %s); choose an earlier week",
			ErrWeekNotComplete, start.Format(time.DateOnly), start.AddDate(0, 0, 7).Format(time.DateOnly))
	}
	return start, nil
}

// LastCompleteWeek is the Monday that starts the last complete week at now.
func LastCompleteWeek(now time.Time, loc *time.Location) time.Time {
	return metrics.WeekStart(now, loc).AddDate(0, 0, -7)
}

// Windows are the reviewed week that starts at weekStart and its baseline,
// the BaselineWeeks weeks before it.
func Windows(weekStart time.Time) (week, baseline metrics.Window) {
	return metrics.Window{From: weekStart, To: weekStart.AddDate(0, 0, 7)},
		metrics.Window{From: weekStart.AddDate(0, 0, -7*BaselineWeeks), To: weekStart}
}

// Input is what a review is assembled from.
type Input struct {
	WeekStart time.Time      // Monday 00:00 in the rules' timezone (WeekOf)
	This      metrics.Report // the week's report, scoped
	Before    metrics.Report // the baseline's report
	// Keys are the headline measures of This against Before, judged
	// (impact.JudgeKeys); nil lays them side by side, not judged.
	Keys []metrics.KeyComparison
	// Data holds the rows of the week: its deployments with their changes
	// and incidents, the incidents created or resolved in it, and every
	// open change.
	Data  metrics.Dataset
	Names map[int64]string // repo names by id
	Rules metrics.Rules
	Now   time.Time
}

// Build assembles the review. Its figures (the keys, the outlier
// threshold) come from the two reports; its lists from the rows.
func Build(in Input) Review {
	loc := in.Rules.Timezone()
	week, base := Windows(in.WeekStart)
	rev := Review{
		Scope:              in.This.Scope,
		Week:               period(week, loc),
		Baseline:           period(base, loc),
		This:               in.This,
		Before:             in.Before,
		Keys:               in.Keys,
		StaleReviewSeconds: in.Rules.StaleAfter().Seconds(),
		GeneratedAt:        in.Now.UTC(),
		// The changes whose lead time is above the baseline's p90.
		OutlierThresholdSeconds: in.Before.LeadTime.P90Seconds,
	}
	ds := in.Data
	b := builder{rules: in.Rules, names: in.Names, now: in.Now, lead: map[int64]time.Duration{}}
	weekRows := metrics.LeadTimeRows(ds, week, in.Rules)
	for _, row := range weekRows {
		b.lead[row.Change.ID] = row.LeadTime
	}
	ix := ds.Index()
	for _, d := range metrics.ProductionDeployments(ds, week) {
		changes, incidents := ix.Shipped(d)
		sd := Deployment{
			Repo: in.Names[d.RepoID], Environment: d.Environment, SHA: d.SHA, URL: d.URL, FinishedAt: d.FinishedAt.UTC(),
			Failed: d.Failed, FailureCause: d.FailureCause, Rollback: d.Rollback, Rework: d.Rework,
			Changes: []Change{}, Incidents: []Incident{},
		}
		for _, c := range changes {
			sd.Changes = append(sd.Changes, b.change(c))
		}
		for _, inc := range incidents {
			sd.Incidents = append(sd.Incidents, b.incident(inc))
		}
		rev.Shipped = append(rev.Shipped, sd)
	}
	for _, inc := range ds.Incidents {
		if week.Contains(inc.CreatedAt) {
			rev.IncidentsOpened = append(rev.IncidentsOpened, b.incident(inc))
		}
		if week.Contains(inc.ResolvedAt) {
			rev.IncidentsResolved = append(rev.IncidentsResolved, b.incident(inc))
		}
	}
	slices.SortStableFunc(rev.IncidentsResolved, func(a, b Incident) int { return a.ResolvedAt.Compare(*b.ResolvedAt) })
	for _, c := range metrics.StaleChanges(ds, in.Rules, in.Now) {
		rev.WaitingForReview = append(rev.WaitingForReview, b.change(c))
	}
	slices.SortStableFunc(rev.WaitingForReview, func(a, b Change) int {
		return cmp.Compare(*b.WaitingSeconds, *a.WaitingSeconds)
	})
	largest := metrics.BySizeDesc(metrics.OpenChanges(ds, in.Rules, in.Now))
	for _, c := range largest[:min(len(largest), LargestOpenCount)] {
		rev.LargestOpen = append(rev.LargestOpen, b.change(c))
	}
	if rev.OutlierThresholdSeconds != nil {
		for _, row := range weekRows {
			if row.LeadTime.Seconds() > *rev.OutlierThresholdSeconds {
				rev.Outliers = append(rev.Outliers, b.change(row.Change))
			}
		}
		slices.SortStableFunc(rev.Outliers, func(a, b Change) int {
			return cmp.Compare(*b.LeadTimeSeconds, *a.LeadTimeSeconds)
		})
	}
	if rev.Keys == nil {
		rev.Keys = metrics.CompareKeys(in.This, in.Before)
	}
	rev.normalize()
	return rev
}

// normalize makes empty lists [] in JSON, never null.
func (r *Review) normalize() {
	for _, l := range []*[]Change{&r.WaitingForReview, &r.LargestOpen, &r.Outliers} {
		if *l == nil {
			*l = []Change{}
		}
	}
	for _, l := range []*[]Incident{&r.IncidentsOpened, &r.IncidentsResolved} {
		if *l == nil {
			*l = []Incident{}
		}
	}
	if r.Shipped == nil {
		r.Shipped = []Deployment{}
	}
}

func period(w metrics.Window, loc *time.Location) Period {
	return Period{From: w.From.In(loc).Format(time.DateOnly), To: w.To.In(loc).Format(time.DateOnly)}
}

// builder turns metric rows into review rows.
type builder struct {
	rules metrics.Rules
	names map[int64]string
	now   time.Time
	lead  map[int64]time.Duration
}

func (b builder) change(c metrics.Change) Change {
	rc := Change{
		Repo: b.names[c.RepoID], Number: c.Number, Title: c.Title, Author: c.Author, URL: c.URL, State: c.State,
		Draft: c.Draft, Bot: b.rules.IsBotChange(c), Fix: b.rules.IsFix(c) && !b.rules.IsBotChange(c),
		CreatedAt: c.CreatedAt.UTC(), MergedAt: timeOrNil(c.MergedAt),
	}
	if n, ok := metrics.PRSizeLines(c); ok {
		rc.SizeLines = &n
	}
	if d, ok := b.lead[c.ID]; ok {
		rc.LeadTimeSeconds = stats.FloatOrNil(d.Seconds(), true)
	}
	if c.State == "open" {
		if ready := metrics.ReadyForReview(c); !ready.IsZero() {
			rc.WaitingSeconds = stats.FloatOrNil(b.now.Sub(ready).Seconds(), true)
		}
	}
	return rc
}

func (b builder) incident(in metrics.Incident) Incident {
	ri := Incident{
		Repo: b.names[in.RepoID], Number: in.Number, Title: in.Title, URL: in.URL,
		CreatedAt: in.CreatedAt.UTC(), ResolvedAt: timeOrNil(in.ResolvedAt), Attributed: in.DeploymentID != 0,
	}
	if !in.ResolvedAt.IsZero() {
		ri.OpenSeconds = stats.FloatOrNil(max(in.ResolvedAt.Sub(in.CreatedAt), 0).Seconds(), true)
	} else {
		ri.OpenSoFarSeconds = stats.FloatOrNil(max(b.now.Sub(in.CreatedAt), 0).Seconds(), true)
	}
	return ri
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
