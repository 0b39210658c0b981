package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/store"
)

// View is one scope over one window, as a page shows it: the rows are
// loaded once, and every report, weekly series and list of rows a page's
// widgets ask for is computed from them. Loading is the costly part of a
// page; computing from loaded rows is cheap and pure.
//
// With WithPrevious the rows of the period of the same length before the
// window are loaded too, in the same queries, so a page can compare the
// DORA keys, throughput and PR size. CI runs are loaded for the window only:
// the previous period's CI figures are null.
type View struct {
	Scope       Resolved
	Window      metrics.Window
	Previous    metrics.Window // the period of the same length just before Window
	HasPrevious bool           // the rows of Previous are loaded (WithPrevious)
	Now         time.Time
	Rules       metrics.Rules
	// Data holds the rows Compute needs for Window (and Previous, with
	// WithPrevious); it may hold more, and Compute filters.
	Data      metrics.Dataset
	Repos     map[int64]store.Repo // every repo in the database, by id
	Decisions []store.Decision     // the decisions that concern the scope, oldest first
	Teams     []store.Team         // every team, for filters

	reportOnce, previousOnce, weeklyOnce, indexOnce sync.Once
	report, previous                                metrics.Report
	weekly                                          []metrics.WeekReport
	changes                                         map[int64]metrics.Change
	incidents                                       map[int64]metrics.Incident

	// From facts (Engine.View): the reports, and the slowest changes.
	reports *viewReports
	open    metrics.OpenWork
	slowest []metrics.ChangeTiming
}

// ViewOption changes what View loads.
type ViewOption func(*viewOptions)

type viewOptions struct {
	previous bool
	noRows   bool
	slowest  int
}

// WithPrevious loads the previous period as well, for PreviousReport.
func WithPrevious() ViewOption { return func(o *viewOptions) { o.previous = true } }

// WithoutRows loads no rows: Data stays empty, and the view serves its
// reports (Report, PreviousReport, Weekly), LeadTimeSeconds and
// SlowestChanges (up to WithSlowestChanges) from the rollups alone. For
// pages that list no other rows, such as the overview.
func WithoutRows() ViewOption { return func(o *viewOptions) { o.noRows = true } }

// WithSlowestChanges loads the n slowest changes of the window (by lead
// time) for SlowestChanges, even without rows.
func WithSlowestChanges(n int) ViewOption { return func(o *viewOptions) { o.slowest = n } }

// View loads what a page needs for a scope and window. An unknown repo or
// team is an error wrapping ErrUnknownScope.
//
// The reports come from facts (the rollups; see cache.go for how they are
// kept between requests); the rows, which pages list under their figures,
// are loaded unless WithoutRows.
func (e *Engine) View(ctx context.Context, sc Scope, w metrics.Window, now time.Time, opts ...ViewOption) (*View, error) {
	var o viewOptions
	for _, opt := range opts {
		opt(&o)
	}
	m, gen, genOK, err := e.meta(ctx)
	if err != nil {
		return nil, err
	}
	r, err := m.resolve(sc)
	if err != nil {
		return nil, err
	}
	v := &View{Scope: r, Window: w, Previous: PreviousWindow(w, e.rules.Location), HasPrevious: o.previous, Now: now, Rules: e.rules}
	v.Repos, v.Teams = m.byID, m.teams // shared: read only
	if v.Decisions, err = e.decisionsFor(ctx, v.Scope, v.Teams); err != nil {
		return nil, fmt.Errorf("load view: %w", err)
	}
	if v.reports, err = e.viewReports(ctx, gen, genOK, r, w, v.Previous, o.previous); err != nil {
		return nil, fmt.Errorf("load view: %w", err)
	}
	v.open = metrics.OpenWorkOf(v.reports.open, e.rules, now)
	if o.slowest > 0 && (o.slowest <= len(v.reports.slowest) || v.reports.slowestComplete()) {
		if v.slowest, err = e.slowestChanges(ctx, v, o.slowest); err != nil {
			return nil, fmt.Errorf("load view: %w", err)
		}
	}
	if o.noRows {
		return v, nil
	}
	rows := w
	if o.previous {
		rows.From = v.Previous.From
	}
	// Two goroutines on the read pool: CI runs, the largest table (read for
	// the window alone), beside everything else. More parallel queries cost
	// more CPU in SQLite than they save.
	var (
		wg        sync.WaitGroup
		changes   []store.Change
		deps      []store.Deployment
		incidents []store.Incident
		runs      []store.CIRun
		ciErr     error
	)
	wg.Go(func() { runs, ciErr = e.st.CIRunsForWindow(ctx, r.IDs, w.From, w.To) })
	err = func() error {
		var err error
		if changes, err = e.st.ChangesForWindow(ctx, r.IDs, rows.From, rows.To); err != nil {
			return err
		}
		if deps, err = e.st.DeploymentsForWindow(ctx, r.IDs, rows.From, rows.To); err != nil {
			return err
		}
		incidents, err = e.st.IncidentsForWindow(ctx, r.IDs, rows.From, rows.To)
		return err
	}()
	wg.Wait()
	if err := errors.Join(err, ciErr); err != nil {
		return nil, fmt.Errorf("load view: %w", err)
	}
	v.Data = assembleDataset(changes, deps, incidents, runs)
	return v, nil
}

// slowestChanges loads the n slowest changes of the view's window, as
// LeadTimeRows gives them, from the ids its facts name.
func (e *Engine) slowestChanges(ctx context.Context, v *View, n int) ([]metrics.ChangeTiming, error) {
	top := firstN(v.reports.slowest, n)
	ids := make([]int64, len(top))
	for i, s := range top {
		ids[i] = s.ChangeID
	}
	cs, err := e.st.ChangesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	// A change rewritten since the facts were read may have left; the
	// next view, computed anew, has it right.
	rows := metrics.LeadTimeRows(metrics.Dataset{Changes: mapSlice(cs, toChange)}, v.Window, v.Rules)
	sortSlowest(rows)
	return rows, nil
}

// assembleDataset turns store rows into a Dataset (for Dataset and View): each
// deployment gets the changes it shipped and the incidents pinned on it, so
// rows can be shown beside the numbers they make.
func assembleDataset(changes []store.Change, deps []store.Deployment, incidents []store.Incident, runs []store.CIRun) metrics.Dataset {
	ds := metrics.Dataset{
		Changes:     mapSlice(changes, toChange),
		Deployments: mapSlice(deps, toDeployment),
		Incidents:   mapSlice(incidents, toIncident),
		CIRuns:      mapSlice(runs, toCIRun),
	}
	idx := make(map[int64]int, len(ds.Deployments))
	for i, d := range ds.Deployments {
		idx[d.ID] = i
	}
	for _, c := range ds.Changes {
		if i, ok := idx[c.DeploymentID]; ok && c.DeploymentID != 0 {
			ds.Deployments[i].ChangeIDs = append(ds.Deployments[i].ChangeIDs, c.ID)
		}
	}
	for _, in := range ds.Incidents {
		if i, ok := idx[in.DeploymentID]; ok && in.DeploymentID != 0 {
			ds.Deployments[i].IncidentIDs = append(ds.Deployments[i].IncidentIDs, in.ID)
		}
	}
	return ds
}

// PreviousWindow is the period of the same length that ends where w
// starts: whole calendar days back in loc when w is whole days (so 12 weeks
// stay 12 weeks across a daylight-saving change), the same duration
// otherwise.
func PreviousWindow(w metrics.Window, loc *time.Location) metrics.Window {
	if loc == nil {
		loc = time.UTC
	}
	from, to := w.From.In(loc), w.To.In(loc)
	if isMidnight(from) && isMidnight(to) {
		days := int(metrics.WindowDays(w, loc) + 0.5)
		return metrics.Window{From: time.Date(from.Year(), from.Month(), from.Day()-days, 0, 0, 0, 0, loc), To: w.From}
	}
	return metrics.Window{From: w.From.Add(-w.To.Sub(w.From)), To: w.From}
}

func isMidnight(t time.Time) bool {
	return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
}

// Report is every measure over the window.
func (v *View) Report() metrics.Report {
	if v.reports != nil {
		return withOpenWork(v.reports.report, v.open)
	}
	v.reportOnce.Do(func() { v.report = v.compute(v.Window) })
	return v.report
}

// LeadTimeSeconds are the lead times of the changes counted in the window's
// lead time, in no particular order.
func (v *View) LeadTimeSeconds() []float64 {
	if v.reports != nil {
		return v.reports.leadSeconds
	}
	rows := metrics.LeadTimeRows(v.Data, v.Window, v.Rules)
	secs := make([]float64, len(rows))
	for i, r := range rows {
		secs[i] = r.LeadTime.Seconds()
	}
	return secs
}

// PreviousReport is every measure over the previous period but CI (whose
// runs are not loaded for it: its figures are null); ok is false when the
// view was loaded without WithPrevious.
func (v *View) PreviousReport() (rep metrics.Report, ok bool) {
	if !v.HasPrevious {
		return metrics.Report{}, false
	}
	if v.reports != nil {
		return withOpenWork(v.reports.previous, v.open), true
	}
	v.previousOnce.Do(func() { v.previous = v.compute(v.Previous) })
	return v.previous, true
}

// Weekly is every measure for each whole week of the window: what
// metrics.Weekly computes, but each week from the rows that week needs
// (weekRows), not from all of them, with the weeks shared among the CPUs.
func (v *View) Weekly() []metrics.WeekReport {
	if v.reports != nil {
		v.weeklyOnce.Do(func() {
			v.weekly = make([]metrics.WeekReport, len(v.reports.weekly))
			for i, w := range v.reports.weekly {
				v.weekly[i] = metrics.WeekReport{Start: w.Start, Report: withOpenWork(w.Report, v.open)}
			}
		})
		return v.weekly
	}
	v.weeklyOnce.Do(func() {
		weeks := metrics.Weeks(v.Window, v.Rules.Location)
		v.weekly = make([]metrics.WeekReport, len(weeks))
		next := make(chan int, len(weeks))
		for i := range weeks {
			next <- i
		}
		close(next)
		var wg sync.WaitGroup
		for range min(runtime.GOMAXPROCS(0), len(weeks)) {
			wg.Go(func() {
				for i := range next {
					ds := weekRows(v.Data, weeks[i])
					v.weekly[i] = metrics.WeekReport{Start: weeks[i].From, Report: metrics.Compute(ds, weeks[i], v.Rules, v.Now)}
				}
			})
		}
		wg.Wait()
	})
	return v.weekly
}

// weekRows keeps the rows of ds that a report over w needs, by the rules
// the store loads a window's rows with (ChangesForWindow and the others):
// changes merged in w, shipped in w or open; deployments finished or
// recovered in w; incidents created or resolved in w, open, or attributed
// to a deployment that finished in w; CI runs finished in w. A report over
// w from these rows is the report from all of them (TestWeeklyFromWeekRows
// checks it), at a twelfth of the cost for a 12-week window.
func weekRows(ds metrics.Dataset, w metrics.Window) metrics.Dataset {
	var out metrics.Dataset
	finished := map[int64]bool{}
	for _, d := range ds.Deployments {
		if w.Contains(d.FinishedAt) || w.Contains(d.RecoveredAt) {
			out.Deployments = append(out.Deployments, d)
		}
		if w.Contains(d.FinishedAt) {
			finished[d.ID] = true
		}
	}
	for _, c := range ds.Changes {
		if w.Contains(c.MergedAt) || (c.DeploymentID != 0 && w.Contains(c.DeployedAt)) || c.State == store.StateOpen {
			out.Changes = append(out.Changes, c)
		}
	}
	for _, in := range ds.Incidents {
		if w.Contains(in.CreatedAt) || w.Contains(in.ResolvedAt) || in.ResolvedAt.IsZero() || finished[in.DeploymentID] {
			out.Incidents = append(out.Incidents, in)
		}
	}
	for _, r := range ds.CIRuns {
		if w.Contains(r.FinishedAt) {
			out.CIRuns = append(out.CIRuns, r)
		}
	}
	return out
}

// Prepare computes the report, the previous report (when loaded) and the
// weekly reports concurrently, so a page that shows all three waits for the
// slowest rather than their sum.
func (v *View) Prepare() {
	if v.reports != nil {
		return // computed already
	}
	var wg sync.WaitGroup
	wg.Go(func() { v.Report() })
	wg.Go(func() { v.PreviousReport() })
	wg.Go(func() { v.Weekly() })
	wg.Wait()
}

func (v *View) compute(w metrics.Window) metrics.Report {
	return scoped(metrics.Compute(v.Data, w, v.Rules, v.Now), v.Scope)
}

// RepoName is the name of a repo by id ("" when unknown).
func (v *View) RepoName(id int64) string { return v.Repos[id].Name }

// TeamList returns the teams: the config's when the engine has them, else
// the ones recorded in the database.
func (e *Engine) TeamList(ctx context.Context) ([]store.Team, error) {
	if e.Teams != nil {
		return e.Teams, nil
	}
	return e.st.Teams(ctx)
}
