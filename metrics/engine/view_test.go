package engine

import (
	"reflect"
	"testing"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/store"
)

// Each week's report from weekRows equals metrics.Weekly's, from all rows:
// on a hand-made history that puts a row of every kind on both sides of a
// week boundary.
func TestWeeklyFromWeekRows(t *testing.T) {
	mon := time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)
	at := func(days, hours int) time.Time { return mon.AddDate(0, 0, days).Add(time.Duration(hours) * time.Hour) }
	var ds metrics.Dataset
	for i := range 40 {
		d := i % 21
		dep := metrics.Deployment{ID: int64(100 + i), RepoID: 1, Environment: "production", SHA: "s", Status: metrics.StatusSuccess,
			CreatedAt: at(d, 9), FinishedAt: at(d, 10), Production: true}
		if i%7 == 0 {
			dep.Failed, dep.FailureCause, dep.RecoveredAt, dep.RecoveredBy = true, metrics.FailureCauseIncident, at(d+3, 1), metrics.RecoveredByIncidentResolved
		}
		if i%9 == 0 {
			dep.Rework = true
		}
		ds.Deployments = append(ds.Deployments, dep)
		ds.Changes = append(ds.Changes, metrics.Change{ID: int64(i + 1), RepoID: 1, Number: int64(i + 1), Title: "c", Author: "ada", State: store.StateMerged,
			CreatedAt: at(d-4, 0), ReadyAt: at(d-3, 0), FirstCommitAt: at(d-5, 0), MergedAt: at(d, 8), FirstReviewAt: at(d-1, 0),
			Additions: i, Deletions: 1, SizeKnown: true, DeploymentID: dep.ID, DeployedAt: dep.FinishedAt})
		ds.CIRuns = append(ds.CIRuns, metrics.CIRun{ID: int64(i), RepoID: 1, Conclusion: "success", StartedAt: at(d, 2), FinishedAt: at(d, 3)})
		if i%7 == 0 {
			ds.Incidents = append(ds.Incidents, metrics.Incident{ID: int64(i), RepoID: 1, CreatedAt: at(d, 12), ResolvedAt: at(d+3, 1), DeploymentID: dep.ID})
		}
	}
	ds.Changes = append(ds.Changes, metrics.Change{ID: 999, RepoID: 1, State: store.StateOpen, CreatedAt: at(1, 0), ReadyAt: at(1, 0)})
	ds.Incidents = append(ds.Incidents, metrics.Incident{ID: 999, RepoID: 1, CreatedAt: at(2, 0), DeploymentID: 100})
	w := metrics.Window{From: mon, To: mon.AddDate(0, 0, 21)}
	now := mon.AddDate(0, 0, 30)
	rules := metrics.DefaultRules()
	v := &View{Window: w, Rules: rules, Now: now, Data: ds}
	want := metrics.Weekly(ds, w, rules, now)
	got := v.Weekly()
	if len(got) != 3 || len(got) != len(want) {
		t.Fatalf("%d weeks, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("week %d:\n got %+v\nwant %+v", i, got[i].Report, want[i].Report)
		}
	}
}
