package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/store"
)

// View is one scope over one window, as a page shows it. Its reports (the
// window's, the previous period's, each week's) come from facts — the
// repos' rollups, cached between requests (cache.go) — and the rows behind
// them, which pages list under their figures, are loaded once (unless
// WithoutRows) and shared by every list a page's widgets ask for.
//
// With WithPrevious the report of the period of the same length before the
// window is computed too, so a page can compare the DORA keys, throughput
// and PR size; its CI figures are null (CI runs are read for the window
// only).
type View struct {
	Scope       Resolved
	Window      metrics.Window
	Previous    metrics.Window // the period of the same length just before Window
	HasPrevious bool           // PreviousReport is computed (WithPrevious)
	Now         time.Time
	Rules       metrics.Rules
	// Data holds the rows behind the figures of Window: the rows pages
	// list. Empty WithoutRows.
	Data      metrics.Dataset
	Repos     map[int64]store.Repo // every repo in the database, by id
	Decisions []store.Decision     // the decisions that concern the scope, oldest first
	Teams     []store.Team         // every team, for filters
	// RepoNames and ModuleRefs are every repo's name, sorted, and every
	// module's REPO:NAME, for filters (shared: read only).
	RepoNames, ModuleRefs []string

	indexOnce, weeklyOnce sync.Once
	weekly                []metrics.WeekReport
	index                 metrics.DatasetIndex
	history               scopeHistory // where each scoped repo's history starts

	reports *viewReports // from facts: the reports, lead times and slowest changes
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

// WithPrevious computes the previous period's report as well, for
// PreviousReport.
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
func (rp *Reports) View(ctx context.Context, sc Scope, w metrics.Window, now time.Time, opts ...ViewOption) (*View, error) {
	var o viewOptions
	for _, opt := range opts {
		opt(&o)
	}
	m, gen, genOK, err := rp.meta(ctx)
	if err != nil {
		return nil, err
	}
	r, h, err := m.resolveWithHistory(sc)
	if err != nil {
		return nil, err
	}
	v := &View{Scope: r, Window: w, Previous: PreviousWindow(w, rp.rules.Location), HasPrevious: o.previous, Now: now, Rules: rp.rules}
	v.Repos, v.Teams = m.byID, m.teams // shared: read only
	v.RepoNames, v.ModuleRefs = m.lists()
	v.history = h
	// Rates per week, and the rows behind them, over the weeks with data.
	v.Window, v.Previous = v.history.withDataFrom(v.Window, rp.rules.Timezone()), v.history.withDataFrom(v.Previous, rp.rules.Timezone())
	if v.Decisions, err = rp.decisionsFor(ctx, v.Scope, v.Teams); err != nil {
		return nil, fmt.Errorf("load view: %w", err)
	}
	if v.reports, err = rp.viewReports(ctx, gen, genOK, r, w, v.Previous, o.previous, reportsAt{now: now, history: v.history}); err != nil {
		return nil, fmt.Errorf("load view: %w", err)
	}
	v.open = metrics.OpenWorkOf(v.reports.open, rp.rules, now)
	if o.slowest > 0 && (o.slowest <= len(v.reports.slowest) || v.reports.slowestComplete()) {
		if v.slowest, err = rp.slowestChanges(ctx, v, o.slowest); err != nil {
			return nil, fmt.Errorf("load view: %w", err)
		}
	}
	if o.noRows {
		return v, nil
	}
	if HeavyWindow(w) {
		// Half a year of rows and more: heavy work.
		release, err := rp.gate.Compute(ctx)
		if err != nil {
			return nil, fmt.Errorf("load view: %w", err)
		}
		defer release()
	}
	// Two goroutines on the read pool: CI runs, the largest table, beside
	// everything else. More parallel queries cost more CPU in SQLite than
	// they save.
	var (
		wg        sync.WaitGroup
		changes   []store.Change
		deps      []store.Deployment
		incidents []store.Incident
		runs      []store.CIRun
		ciErr     error
	)
	lo, hi := w.Seconds()
	wg.Go(func() { runs, ciErr = rp.st.CIRunsForWindow(ctx, r.IDs, lo, hi) })
	err = func() error {
		var err error
		if changes, err = rp.st.ChangesForWindow(ctx, r.IDs, lo, hi); err != nil {
			return err
		}
		if deps, err = rp.st.DeploymentsForWindow(ctx, r.IDs, lo, hi); err != nil {
			return err
		}
		incidents, err = rp.st.IncidentsForWindow(ctx, r.IDs, lo, hi)
		return err
	}()
	wg.Wait()
	if err := errors.Join(err, ciErr); err != nil {
		return nil, fmt.Errorf("load view: %w", err)
	}
	v.Data = assembleDataset(changes, deps, incidents, runs)
	if len(r.Modules) > 0 {
		md, err := rp.moduleData(ctx, r.Modules, w)
		if err != nil {
			return nil, fmt.Errorf("load view: %w", err)
		}
		v.Data = joinDatasets(v.Data, md)
	}
	return v, nil
}

// slowestChanges loads the n slowest changes of the view's window, as
// LeadTimeRows gives them, from the ids its facts name.
func (rp *Reports) slowestChanges(ctx context.Context, v *View, n int) ([]metrics.ChangeTiming, error) {
	top := firstN(v.reports.slowest, n)
	ids := make([]int64, len(top))
	for i, s := range top {
		ids[i] = s.ChangeID
	}
	cs, err := rp.st.ChangesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	// A change rewritten since the facts were read may have left; the
	// next view, computed anew, has it right.
	rows := metrics.LeadTimeRows(metrics.Dataset{Changes: mapSlice(cs, toChange)}, v.Window, v.Rules)
	sortSlowest(rows)
	return rows, nil
}

// joinDatasets puts the rows of b after a's.
func joinDatasets(a, b metrics.Dataset) metrics.Dataset {
	a.Changes = append(a.Changes, b.Changes...)
	a.Deployments = append(a.Deployments, b.Deployments...)
	a.Incidents = append(a.Incidents, b.Incidents...)
	a.CIRuns = append(a.CIRuns, b.CIRuns...)
	return a
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
	rep := withOpenWork(v.reports.report, v.open)
	rep.PartialHistory = v.history.partial(v.Window)
	return rep
}

// LeadTimeSeconds are the lead times of the changes counted in the window's
// lead time, in no particular order.
func (v *View) LeadTimeSeconds() []float64 { return v.reports.leadSeconds }

// PreviousReport is every measure over the previous period but CI (whose
// runs are not read for it: its figures are null); ok is false when the
// view was loaded without WithPrevious.
func (v *View) PreviousReport() (rep metrics.Report, ok bool) {
	if !v.HasPrevious {
		return metrics.Report{}, false
	}
	rep = withOpenWork(v.reports.previous, v.open)
	rep.PartialHistory = v.history.partial(v.Previous)
	return rep, true
}

// Keys are the headline measures of the window against the previous
// period, each judged by the tests of decision impact on the rows of both
// (impact.JudgeKeys), or not judged when either period reaches before the
// history start of a scoped repo; nil when the view was loaded without
// WithPrevious. They are the five DORA keys: the previous period's CI
// runs are not read.
func (v *View) Keys() []metrics.KeyComparison {
	return slices.Clone(v.reports.keys)
}

// Weekly is every measure for each week of the window's weekly series:
// its whole weeks, and the part weeks at its ends (metrics.SeriesWeeks).
func (v *View) Weekly() []metrics.WeekReport {
	v.weeklyOnce.Do(func() {
		v.weekly = make([]metrics.WeekReport, len(v.reports.weekly))
		for i, w := range v.reports.weekly {
			w.Report = withOpenWork(w.Report, v.open)
			v.weekly[i] = w
		}
		withHistory(v.weekly, v.history)
	})
	return v.weekly
}

// RepoName is the name of a repo by id ("" when unknown).
func (v *View) RepoName(id int64) string { return v.Repos[id].Name }
