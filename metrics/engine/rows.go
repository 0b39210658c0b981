package engine

import (
	"cmp"
	"slices"

	"github.com/tach-dev/tach/metrics"
)

// The rows a measure page lists under its figures, from the view's loaded
// data: each is one of package metrics' row functions, sorted the way a
// reader looks for trouble (slowest, largest first) and joined with what
// the reader needs beside it (the repo, the changes a deployment carried,
// its incidents, the rollback that replaced it).

// DeploymentDetail is a deployment with what it shipped and what went wrong.
type DeploymentDetail struct {
	metrics.Deployment
	Repo         string
	Changes      []metrics.Change
	Incidents    []metrics.Incident
	RolledBackBy *metrics.Deployment // the rollback that replaced it, when it was rolled back
}

// Detail joins a deployment with its repo, changes, incidents and rollback.
func (v *View) Detail(d metrics.Deployment) DeploymentDetail {
	out := DeploymentDetail{Deployment: d, Repo: v.RepoName(d.RepoID)}
	out.Changes, out.Incidents = v.dataIndex().Shipped(d)
	if d.RecoveredBy == metrics.RecoveredByRollback {
		for i := range v.Data.Deployments {
			r := &v.Data.Deployments[i]
			if r.Rollback && r.Production && r.RepoID == d.RepoID && r.FinishedAt.Equal(d.RecoveredAt) {
				rb := *r
				out.RolledBackBy = &rb
				break
			}
		}
	}
	return out
}

func (v *View) dataIndex() metrics.DatasetIndex {
	v.indexOnce.Do(func() { v.index = v.Data.Index() })
	return v.index
}

// Change finds a loaded change by id.
func (v *View) Change(id int64) (metrics.Change, bool) { return v.dataIndex().Change(id) }

// Deployments returns the production deployments of the window with their
// details, newest first.
func (v *View) Deployments() []DeploymentDetail {
	return v.details(metrics.ProductionDeployments(v.Data, v.Window), func(metrics.Deployment) bool { return true })
}

// FailedDeployments returns the production deployments of the window that
// failed (change failure rate's numerator), newest first.
func (v *View) FailedDeployments() []DeploymentDetail {
	return v.details(metrics.ProductionDeployments(v.Data, v.Window), func(d metrics.Deployment) bool { return d.Failed })
}

// ReworkDeployments returns the production deployments of the window that
// were rework (rework rate's numerator), newest first.
func (v *View) ReworkDeployments() []DeploymentDetail {
	return v.details(metrics.ProductionDeployments(v.Data, v.Window), func(d metrics.Deployment) bool { return d.Rework })
}

// FailedAttempts returns the deployment attempts of the window that never
// reached production, newest first.
func (v *View) FailedAttempts() []DeploymentDetail {
	return v.details(metrics.FailedAttempts(v.Data, v.Window), func(metrics.Deployment) bool { return true })
}

func (v *View) details(deps []metrics.Deployment, keep func(metrics.Deployment) bool) []DeploymentDetail {
	var out []DeploymentDetail
	for i := len(deps) - 1; i >= 0; i-- {
		if keep(deps[i]) {
			out = append(out, v.Detail(deps[i]))
		}
	}
	return out
}

// SlowestChanges returns the n changes of the window with the longest lead
// time (all when n ≤ 0).
func (v *View) SlowestChanges(n int) []metrics.ChangeTiming {
	if v.slowest != nil && n > 0 && (n <= len(v.slowest) || v.reports.slowestComplete()) {
		return firstN(v.slowest, n)
	}
	rows := metrics.LeadTimeRows(v.Data, v.Window, v.Rules)
	sortSlowest(rows)
	return firstN(rows, n)
}

// sortSlowest orders rows by lead time, longest first, then by change id.
func sortSlowest(rows []metrics.ChangeTiming) {
	slices.SortStableFunc(rows, func(a, b metrics.ChangeTiming) int {
		return cmp.Or(cmp.Compare(b.LeadTime, a.LeadTime), cmp.Compare(a.Change.ID, b.Change.ID))
	})
}

// SlowestRecoveries returns the n recoveries of the window that took
// longest (all when n ≤ 0).
func (v *View) SlowestRecoveries(n int) []metrics.Recovery {
	rows := metrics.RecoveryRows(v.Data, v.Window)
	slices.SortStableFunc(rows, func(a, b metrics.Recovery) int {
		return cmp.Or(cmp.Compare(b.Duration, a.Duration), cmp.Compare(a.Deployment.ID, b.Deployment.ID))
	})
	return firstN(rows, n)
}

// LargestMerged returns the n largest changes merged in the window (all when
// n ≤ 0); changes of unknown size come last.
func (v *View) LargestMerged(n int) []metrics.Change {
	return firstN(metrics.BySizeDesc(metrics.MergedChanges(v.Data, v.Window, v.Rules)), n)
}

// SlowestCIRuns returns the n CI runs of the window that took longest (all
// when n ≤ 0).
func (v *View) SlowestCIRuns(n int) []metrics.CIRun {
	rows := metrics.CIRunsIn(v.Data, v.Window)
	dur := func(r metrics.CIRun) float64 {
		d, ok := metrics.CIRunDuration(r)
		if !ok {
			return -1
		}
		return d.Seconds()
	}
	slices.SortStableFunc(rows, func(a, b metrics.CIRun) int {
		return cmp.Or(cmp.Compare(dur(b), dur(a)), cmp.Compare(a.ID, b.ID))
	})
	return firstN(rows, n)
}

func firstN[T any](rows []T, n int) []T {
	if n > 0 && len(rows) > n {
		return rows[:n]
	}
	return rows
}
