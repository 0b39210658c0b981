package metrics

import (
	"slices"
	"testing"
	"time"
)

// A module's rows by the rules of docs/metrics.md, "Modules".
func TestModuleDataset(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ds := Dataset{
		Changes: []Change{
			{ID: 1, Author: "ann", MergeSHA: "a1", Additions: 100, Deletions: 50, DeploymentID: 10},
			{ID: 2, Author: "bob", MergeSHA: "b2", Additions: 10, DeploymentID: 10},            // not in the module
			{ID: 3, Author: "dependabot[bot]", MergeSHA: "c3", Additions: 4, DeploymentID: 11}, // a bot's, in the module
			{ID: 4, Author: "cat", SquashSHA: "D4", MergeSHA: "d4m", Additions: 7},             // merged, not shipped, in a failed attempt's range
			{ID: 5, Author: "dan", MergeSHA: "e5", Additions: 1, DeploymentID: 13},             // not in the module
		},
		Deployments: []Deployment{
			{ID: 10, Production: true, Failed: true, FinishedAt: at, ChangeIDs: []int64{1, 2}},
			{ID: 11, Production: true, FinishedAt: at, ChangeIDs: []int64{3}}, // ships only a bot's change of the module
			{ID: 12, FailedAttempt: true, FinishedAt: at, RangeSHAs: []string{"d4"}},
			{ID: 13, Production: true, FinishedAt: at, ChangeIDs: []int64{5}},
		},
		Incidents: []Incident{{ID: 100, DeploymentID: 10}, {ID: 101, DeploymentID: 13}, {ID: 102}},
		CIRuns:    []CIRun{{ID: 200, SHA: "A1"}, {ID: 201, SHA: "b2"}, {ID: 202, SHA: "d4"}, {ID: 203, SHA: "c3"}, {ID: 204}},
	}
	touching := map[int64]ModuleLines{1: {Additions: 60, Deletions: 5}, 3: {Additions: 4}, 4: {Additions: 7}}
	md := ModuleDataset(ds, touching, DefaultRules())
	ids := func(n int, id func(int) int64) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = id(i)
		}
		return out
	}
	if got := ids(len(md.Changes), func(i int) int64 { return md.Changes[i].ID }); !slices.Equal(got, []int64{1, 3, 4}) {
		t.Errorf("changes %v, want those touching the module", got)
	}
	if c := md.Changes[0]; c.Additions != 60 || c.Deletions != 5 {
		t.Errorf("change 1's size in the module: +%d −%d", c.Additions, c.Deletions)
	}
	// 10 ships change 1 (its failure is the module's); 11 ships only a
	// bot's change; 12's range holds change 4's squash commit; 13 ships
	// nothing of the module.
	if got := ids(len(md.Deployments), func(i int) int64 { return md.Deployments[i].ID }); !slices.Equal(got, []int64{10, 12}) {
		t.Errorf("deployments %v, want 10 and the failed attempt 12", got)
	}
	if d := md.Deployments[0]; !d.Failed || !slices.Equal(d.ChangeIDs, []int64{1}) {
		t.Errorf("deployment 10 in the module: failed %v, changes %v", d.Failed, d.ChangeIDs)
	}
	if got := ids(len(md.Incidents), func(i int) int64 { return md.Incidents[i].ID }); !slices.Equal(got, []int64{100}) {
		t.Errorf("incidents %v, want those of the module's deployments", got)
	}
	if got := ids(len(md.CIRuns), func(i int) int64 { return md.CIRuns[i].ID }); !slices.Equal(got, []int64{200, 202, 203}) {
		t.Errorf("CI runs %v, want those on the module's changes' commits", got)
	}
}
