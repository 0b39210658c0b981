package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/store"
)

// Reports answers what the pages and the CLI's reports ask: a scope
// resolved, a report or each week's over a window, a View of a page, the
// weekly review. Its reports come from the repos' rollups of facts
// (rollup.go), kept between requests in its page cache (cache.go).
type Reports struct {
	st      *store.Store
	rules   metrics.Rules
	teamsOf TeamsOf
	cache   pageCache
	views   flights[*viewReports] // views being computed, by generation and cache key
	gate    *Gate                 // nil: heavy work is not bounded
	// comparisons keeps the comparisons that judge the headline keys,
	// and judging coalesces identical ones (keys.go).
	comparisons genCache[impact.Comparison]
	judging     flights[impact.Comparison]
	// splits keeps the splits of measure pages (split.go).
	splits genCache[*metrics.Split]
}

// TeamsOf gives the teams over the repos in the database: the config's
// teams, resolved against the repos synced so far (a team may name a
// group, meaning every repo in it).
type TeamsOf func(repos []store.Repo) []store.Team

// NewReports returns the reports over st by rules. teamsOf gives the
// teams; nil means the teams recorded in the database. The teams are
// resolved again whenever the repos or teams in the database change, so a
// repo synced for the first time joins its teams.
func NewReports(st *store.Store, rules metrics.Rules, teamsOf TeamsOf) *Reports {
	if rules.Location == nil {
		rules.Location = time.UTC
	}
	return &Reports{st: st, rules: rules, teamsOf: teamsOf,
		comparisons: genCache[impact.Comparison]{kept: comparisonsKept}, splits: genCache[*metrics.Split]{kept: splitsKept}}
}

// UseGate bounds the heavy work of these reports and of the decision logs
// built on them (gate.go): comparisons, suggestions, views over long
// windows. Call it before the first request; without it, nothing is
// bounded, as the CLI wants.
func (rp *Reports) UseGate(g *Gate) { rp.gate = g }

// Rules are the organisation-wide rules the reports apply.
func (rp *Reports) Rules() metrics.Rules { return rp.rules }

// Resolve turns a scope into the repos it names, or says which name is
// unknown.
func (rp *Reports) Resolve(ctx context.Context, sc Scope) (Resolved, error) {
	m, _, _, err := rp.meta(ctx)
	if err != nil {
		return Resolved{}, err
	}
	return m.resolve(sc)
}

// TeamList returns the teams (see NewReports).
func (rp *Reports) TeamList(ctx context.Context) ([]store.Team, error) {
	m, _, _, err := rp.meta(ctx)
	if err != nil {
		return nil, err
	}
	return m.teams, nil
}

// readTeams reads the teams over repos, for the cache's meta.
func (rp *Reports) readTeams(ctx context.Context, repos []store.Repo) ([]store.Team, error) {
	if rp.teamsOf != nil {
		return rp.teamsOf(repos), nil
	}
	return rp.st.Teams(ctx)
}

// Dataset loads the rows a report over w needs for the resolved repos
// (and the rows of its modules' repos that touch them).
func (rp *Reports) Dataset(ctx context.Context, r Resolved, w metrics.Window) (metrics.Dataset, error) {
	return rp.dataset(ctx, r, w, true)
}

// datasetWithoutCI is Dataset without the CI runs.
func (rp *Reports) datasetWithoutCI(ctx context.Context, r Resolved, w metrics.Window) (metrics.Dataset, error) {
	return rp.dataset(ctx, r, w, false)
}

// dataset is Dataset, its CI runs read only when withCI.
func (rp *Reports) dataset(ctx context.Context, r Resolved, w metrics.Window, withCI bool) (metrics.Dataset, error) {
	lo, hi := w.Seconds()
	changes, err := rp.st.ChangesForWindow(ctx, r.IDs, lo, hi)
	if err != nil {
		return metrics.Dataset{}, err
	}
	deps, err := rp.st.DeploymentsForWindow(ctx, r.IDs, lo, hi)
	if err != nil {
		return metrics.Dataset{}, err
	}
	incidents, err := rp.st.IncidentsForWindow(ctx, r.IDs, lo, hi)
	if err != nil {
		return metrics.Dataset{}, err
	}
	var runs []store.CIRun
	if withCI {
		if runs, err = rp.st.CIRunsForWindow(ctx, r.IDs, lo, hi); err != nil {
			return metrics.Dataset{}, err
		}
	}
	ds := assembleDataset(changes, deps, incidents, runs)
	if len(r.Modules) > 0 {
		md, err := rp.moduleData(ctx, r.Modules, w)
		if err != nil {
			return metrics.Dataset{}, err
		}
		if !withCI {
			md.CIRuns = nil
		}
		ds = joinDatasets(ds, md)
	}
	return ds, nil
}

// Report computes every measure for a scope and window, from the repos'
// rollups where they are fresh (see rollup.go) and from rows elsewhere:
// the same report either way.
func (rp *Reports) Report(ctx context.Context, sc Scope, w metrics.Window, now time.Time) (metrics.Report, error) {
	m, _, _, err := rp.meta(ctx)
	if err != nil {
		return metrics.Report{}, err
	}
	r, h, err := m.resolveWithHistory(sc)
	if err != nil {
		return metrics.Report{}, err
	}
	rep, err := rp.report(ctx, r, h, w, now)
	if err != nil {
		return metrics.Report{}, fmt.Errorf("report: %w", err)
	}
	rep = scoped(rep, r)
	rep.PartialHistory = h.partial(w)
	return rep, nil
}

// Weekly computes every measure for each week of w's weekly series
// (metrics.SeriesWeeks: part weeks at its ends included), each week
// marked by where the scope's history starts.
func (rp *Reports) Weekly(ctx context.Context, sc Scope, w metrics.Window, now time.Time) ([]metrics.WeekReport, error) {
	m, _, _, err := rp.meta(ctx)
	if err != nil {
		return nil, err
	}
	r, h, err := m.resolveWithHistory(sc)
	if err != nil {
		return nil, err
	}
	weeks, err := rp.weekly(ctx, r, h, w, now)
	if err != nil {
		return nil, fmt.Errorf("weekly report: %w", err)
	}
	return withHistory(weeks, h), nil
}
