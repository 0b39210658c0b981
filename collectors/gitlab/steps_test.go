package gitlab_test

import (
	"context"
	"strings"
	"testing"

	gt "github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
)

// A project's resources run at once, each on its own: one GitLab keeps
// failing (the issues list answers 500) costs only that one; the merge
// requests, deployments, pipelines and ranges are all synced, and the
// error names the resource that failed.
func TestOneFailingResourceLeavesTheOthers(t *testing.T) {
	h := newHarness(t)
	h.srv.AddProject(billing())
	name := "acme/platform/billing"
	h.srv.AddFault(gt.Fault{Endpoint: "GET /projects/:id/issues", Status: 500})
	err := h.sync(context.Background(), nil, repo(name)).Repos[0].Err
	if err == nil || !strings.Contains(err.Error(), "/issues") || strings.Count(err.Error(), "sync "+name) != 1 {
		t.Fatalf("sync error = %v; want the issues list's, naming the project once", err)
	}
	hist, herr := h.st.RepoHistory(context.Background(), mustRepoID(t, h.st, name))
	if herr != nil {
		t.Fatal(herr)
	}
	runs, rerr := h.st.CIRunsForWindow(context.Background(), []int64{hist.Repo.ID}, at(-30*day).Unix(), at(30*day).Unix())
	if rerr != nil {
		t.Fatal(rerr)
	}
	ranged := 0
	for _, d := range hist.Deployments {
		if d.RangeSHAs != nil {
			ranged++
		}
	}
	if len(hist.Changes) != 7 || len(hist.Deployments) == 0 || len(runs) == 0 || ranged == 0 || len(hist.Incidents) != 0 {
		t.Errorf("after the issues failed: %d changes, %d deployments (%d ranged), %d pipelines, %d incidents; want all 7 changes, deployments with ranges, pipelines and no incidents",
			len(hist.Changes), len(hist.Deployments), ranged, len(runs), len(hist.Incidents))
	}
}
