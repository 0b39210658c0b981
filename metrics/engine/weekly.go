package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/stats"
)

// The weekly review: one complete week against the 4 weeks before it, as the
// team reads it in its review. The web page, /api/v1/weekly, /weekly.md and
// `tach report weekly` all show this one value.

// BaselineWeeks is how many weeks before the reviewed week it is compared with.
const BaselineWeeks = 4

// LargestOpenCount is how many of the largest open changes the review lists.
const LargestOpenCount = 10

// ErrWeekNotComplete is returned for a week that has not ended yet.
var ErrWeekNotComplete = errors.New("week not complete")

// WeeklyReview is the data of the weekly review. Its JSON is the output of
// /api/v1/weekly and `tach report weekly --format json`: durations in
// seconds, null where a value cannot be computed.
type WeeklyReview struct {
	Scope    metrics.Scope   `json:"scope"` // From and To are the reviewed week
	Week     Period          `json:"week"`
	Baseline Period          `json:"baseline"` // the BaselineWeeks weeks before
	This     metrics.Report  `json:"this_week"`
	Before   metrics.Report  `json:"baseline_report"`
	Keys     []KeyComparison `json:"keys"`

	Shipped           []ShippedDeployment `json:"shipped"`            // production deployments of the week, oldest first
	IncidentsOpened   []ReviewIncident    `json:"incidents_opened"`   // created in the week
	IncidentsResolved []ReviewIncident    `json:"incidents_resolved"` // resolved in the week
	WaitingForReview  []ReviewChange      `json:"waiting_for_review"` // open now, no first review for longer than stale_review
	LargestOpen       []ReviewChange      `json:"largest_open"`       // open now, largest first
	// Outliers are the changes shipped in the week whose lead time is above
	// the p90 of the lead times of the baseline weeks.
	Outliers                []ReviewChange `json:"outliers"`
	OutlierThresholdSeconds *float64       `json:"outlier_threshold_seconds"`

	StaleReviewSeconds float64   `json:"stale_review_seconds"`
	GeneratedAt        time.Time `json:"generated_at"` // "now" for the open work
}

// Period is a half-open range of days, [From, To), YYYY-MM-DD in the rules'
// timezone.
type Period struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// ReviewChange is a change as the review lists it.
type ReviewChange struct {
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

// ShippedDeployment is a production deployment and the changes it carried.
type ShippedDeployment struct {
	Repo         string           `json:"repo"`
	Environment  string           `json:"environment"`
	SHA          string           `json:"sha"`
	URL          string           `json:"url"`
	FinishedAt   time.Time        `json:"finished_at"`
	Failed       bool             `json:"failed"`
	FailureCause string           `json:"failure_cause"`
	Rollback     bool             `json:"rollback"`
	Rework       bool             `json:"rework"`
	Changes      []ReviewChange   `json:"changes"`
	Incidents    []ReviewIncident `json:"incidents"`
}

// ReviewIncident is an incident as the review lists it.
type ReviewIncident struct {
	Repo        string     `json:"repo"`
	Number      int64      `json:"number"`
	Title       string     `json:"title"`
	URL         string     `json:"url"`
	CreatedAt   time.Time  `json:"created_at"`
	ResolvedAt  *time.Time `json:"resolved_at"`
	OpenSeconds *float64   `json:"open_seconds"` // resolved − created; null while open
	Attributed  bool       `json:"attributed"`   // attributed to a production deployment
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

// WeeklyReview assembles the review of the week that starts at weekStart (a
// Monday 00:00 in the rules' timezone; see WeekOf), for a scope.
func (e *Engine) WeeklyReview(ctx context.Context, sc Scope, weekStart, now time.Time) (WeeklyReview, error) {
	loc := e.rules.Location
	week := metrics.Window{From: weekStart, To: weekStart.AddDate(0, 0, 7)}
	base := metrics.Window{From: weekStart.AddDate(0, 0, -7*BaselineWeeks), To: weekStart}
	r, err := e.Resolve(ctx, sc)
	if err != nil {
		return WeeklyReview{}, err
	}
	ds, err := e.Dataset(ctx, r, metrics.Window{From: base.From, To: week.To})
	if err != nil {
		return WeeklyReview{}, fmt.Errorf("weekly review: %w", err)
	}
	repos, err := e.st.Repos(ctx)
	if err != nil {
		return WeeklyReview{}, fmt.Errorf("weekly review: %w", err)
	}
	names := map[int64]string{}
	for _, repo := range repos {
		names[repo.ID] = repo.Name
	}
	v := &View{Scope: r, Window: week, Now: now, Rules: e.rules, Data: ds}
	rev := WeeklyReview{
		Week:               period(week, loc),
		Baseline:           period(base, loc),
		This:               v.compute(week),
		Before:             v.compute(base),
		StaleReviewSeconds: staleReview(e.rules).Seconds(),
		GeneratedAt:        now.UTC(),
	}
	rev.Scope = rev.This.Scope
	rev.Keys = CompareKeys(rev.This, rev.Before)
	b := reviewBuilder{rules: e.rules, names: names, now: now}

	leadByChange := map[int64]time.Duration{}
	weekRows := metrics.LeadTimeRows(ds, week, e.rules)
	for _, row := range weekRows {
		leadByChange[row.Change.ID] = row.LeadTime
	}
	b.lead = leadByChange
	for _, d := range metrics.ProductionDeployments(ds, week) {
		det := v.Detail(d)
		sd := ShippedDeployment{
			Repo: names[d.RepoID], Environment: d.Environment, SHA: d.SHA, URL: d.URL, FinishedAt: d.FinishedAt.UTC(),
			Failed: d.Failed, FailureCause: d.FailureCause, Rollback: d.Rollback, Rework: d.Rework,
			Changes: []ReviewChange{}, Incidents: []ReviewIncident{},
		}
		for _, c := range det.Changes {
			sd.Changes = append(sd.Changes, b.change(c))
		}
		for _, in := range det.Incidents {
			sd.Incidents = append(sd.Incidents, b.incident(in))
		}
		rev.Shipped = append(rev.Shipped, sd)
	}
	for _, in := range ds.Incidents {
		if week.Contains(in.CreatedAt) {
			rev.IncidentsOpened = append(rev.IncidentsOpened, b.incident(in))
		}
		if week.Contains(in.ResolvedAt) {
			rev.IncidentsResolved = append(rev.IncidentsResolved, b.incident(in))
		}
	}
	slices.SortStableFunc(rev.IncidentsResolved, func(a, b ReviewIncident) int { return a.ResolvedAt.Compare(*b.ResolvedAt) })
	for _, c := range metrics.StaleChanges(ds, e.rules, now) {
		rev.WaitingForReview = append(rev.WaitingForReview, b.change(c))
	}
	slices.SortStableFunc(rev.WaitingForReview, func(a, b ReviewChange) int {
		return cmp.Compare(*b.WaitingSeconds, *a.WaitingSeconds)
	})
	for _, c := range firstN(BySizeDesc(metrics.OpenChanges(ds, e.rules, now)), LargestOpenCount) {
		rev.LargestOpen = append(rev.LargestOpen, b.change(c))
	}
	var baseLead []float64
	for _, row := range metrics.LeadTimeRows(ds, base, e.rules) {
		baseLead = append(baseLead, row.LeadTime.Seconds())
	}
	rev.OutlierThresholdSeconds = stats.PercentileOrNil(baseLead, 0.90)
	if rev.OutlierThresholdSeconds != nil {
		for _, row := range weekRows {
			if row.LeadTime.Seconds() > *rev.OutlierThresholdSeconds {
				rev.Outliers = append(rev.Outliers, b.change(row.Change))
			}
		}
		slices.SortStableFunc(rev.Outliers, func(a, b ReviewChange) int {
			return cmp.Compare(*b.LeadTimeSeconds, *a.LeadTimeSeconds)
		})
	}
	rev.normalize()
	return rev, nil
}

// normalize makes empty lists [] in JSON, never null.
func (r *WeeklyReview) normalize() {
	for _, l := range []*[]ReviewChange{&r.WaitingForReview, &r.LargestOpen, &r.Outliers} {
		if *l == nil {
			*l = []ReviewChange{}
		}
	}
	for _, l := range []*[]ReviewIncident{&r.IncidentsOpened, &r.IncidentsResolved} {
		if *l == nil {
			*l = []ReviewIncident{}
		}
	}
	if r.Shipped == nil {
		r.Shipped = []ShippedDeployment{}
	}
}

func period(w metrics.Window, loc *time.Location) Period {
	return Period{From: w.From.In(loc).Format(time.DateOnly), To: w.To.In(loc).Format(time.DateOnly)}
}

func staleReview(r metrics.Rules) time.Duration {
	if r.StaleReview <= 0 {
		return metrics.DefaultStaleReview
	}
	return r.StaleReview
}

// reviewBuilder turns metric rows into review rows.
type reviewBuilder struct {
	rules metrics.Rules
	names map[int64]string
	now   time.Time
	lead  map[int64]time.Duration
}

func (b reviewBuilder) change(c metrics.Change) ReviewChange {
	rc := ReviewChange{
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
		ready := c.ReadyAt
		if ready.IsZero() && !c.Draft {
			ready = c.CreatedAt
		}
		if !ready.IsZero() {
			rc.WaitingSeconds = stats.FloatOrNil(b.now.Sub(ready).Seconds(), true)
		}
	}
	return rc
}

func (b reviewBuilder) incident(in metrics.Incident) ReviewIncident {
	ri := ReviewIncident{
		Repo: b.names[in.RepoID], Number: in.Number, Title: in.Title, URL: in.URL,
		CreatedAt: in.CreatedAt.UTC(), ResolvedAt: timeOrNil(in.ResolvedAt), Attributed: in.DeploymentID != 0,
	}
	if !in.ResolvedAt.IsZero() {
		ri.OpenSeconds = stats.FloatOrNil(max(in.ResolvedAt.Sub(in.CreatedAt), 0).Seconds(), true)
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
