package gitlab_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	gt "github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
	"github.com/tach-dev/tach/store"
)

func deploymentsOf(t *testing.T, st *store.Store, name string) []store.Deployment {
	t.Helper()
	h, err := st.RepoHistory(context.Background(), mustRepoID(t, st, name))
	if err != nil {
		t.Fatal(err)
	}
	return h.Deployments
}

func TestSourceMergesShipsEachMergeIntoTheDefaultBranch(t *testing.T) {
	h := newHarness(t)
	h.srv.AddProject(billing())
	name := "acme/platform/billing"
	r := repoWith(name, "merges", "")
	h.mustSync(r)

	want := map[string]string{"1": shaM1, "2": shaS2, "3": shaS3, "6": shaH6} // squash sha when squashed; !7 is on release-1
	got := map[string]string{}
	for _, d := range deploymentsOf(t, h.st, name) {
		if d.Source != "merges" {
			t.Errorf("deployment from source %s with source merges", d.Source)
			continue
		}
		got[d.ProviderID] = d.SHA
		iid, _ := strconv.ParseInt(d.ProviderID, 10, 64)
		c := change(t, h.st, name, iid)
		if !d.CreatedAt.Equal(c.MergedAt) || !d.FinishedAt.Equal(c.MergedAt) || d.Status != "success" || d.Environment != "production" {
			t.Errorf("deployment of !%d = %+v", iid, d)
		}
	}
	if len(got) != len(want) {
		t.Errorf("merge deployments %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("deployment of !%s sha %s, want %s", k, got[k], v)
		}
	}
	if n := h.srv.Requests("GET /projects/:id/deployments") + h.srv.Requests("GET /projects/:id/repository/compare"); n != 0 {
		t.Errorf("%d deployment or compare requests with source merges, want 0", n)
	}
}

func TestSourceReleases(t *testing.T) {
	h := newHarness(t)
	p := billing()
	p.Releases = []*gt.Release{
		{TagName: "v1.0", SHA: shaM1, Author: "alice", CreatedAt: at(5 * hour), ReleasedAt: at(5 * hour)},
		{TagName: "v1.1", SHA: shaS2, Author: "bob", CreatedAt: at(day + 8*hour), ReleasedAt: at(day + 8*hour)},
		{TagName: "v2.0", SHA: shaH6, Author: "bob", CreatedAt: at(6 * day), ReleasedAt: now.Add(72 * time.Hour)}, // upcoming
	}
	h.srv.AddProject(p)
	r := repoWith(p.Path, "releases", "")
	h.mustSync(r)

	var tags []string
	for _, d := range deploymentsOf(t, h.st, p.Path) {
		if d.Source != "releases" {
			t.Errorf("deployment from source %s with source releases", d.Source)
		}
		tags = append(tags, d.ProviderID)
		if d.ProviderID == "v1.1" && (len(d.RangeSHAs) != 1 || d.RangeSHAs[0] != shaS2) {
			t.Errorf("v1.1 range = %v, want [S2] (compare v1.0...v1.1)", d.RangeSHAs)
		}
	}
	slices.Sort(tags)
	if !slices.Equal(tags, []string{"v1.0", "v1.1"}) {
		t.Errorf("release deployments %v, want v1.0 and v1.1 (v2.0 is upcoming)", tags)
	}

	h.srv.ResetCounts()
	sum := h.mustSync(r)
	if n := resourceRequests(sum, p.Path, collectors.ResourceDeployments); n != 1 {
		t.Errorf("re-sync read releases with %d requests, want 1", n)
	}
}

func TestSourceWorkflowTakesTheDeployJobOfDefaultBranchPipelines(t *testing.T) {
	t.Run("graphql", func(t *testing.T) { testSourceWorkflow(t, false) })
	t.Run("rest", func(t *testing.T) { testSourceWorkflow(t, true) })
}

func testSourceWorkflow(t *testing.T, rest bool) {
	h := newHarness(t)
	h.srv.NoGraphQL = rest
	p := billing()
	job := func(status string, start time.Time) []*gt.Job {
		return []*gt.Job{
			{Name: "test", Stage: "test", Status: "success", CreatedAt: start, StartedAt: start, FinishedAt: start.Add(3 * time.Minute)},
			{Name: "deploy-prod", Stage: "deploy", Status: status, CreatedAt: start, StartedAt: start.Add(4 * time.Minute), FinishedAt: start.Add(9 * time.Minute)},
		}
	}
	// M1's pipeline has 120 more jobs before its deploy job: its jobs take
	// two pages.
	var many []*gt.Job
	for i := range 120 {
		many = append(many, &gt.Job{Name: fmt.Sprint("lint ", i), Stage: "test", Status: "success", CreatedAt: at(3 * hour), FinishedAt: at(3*hour + time.Minute)})
	}
	p.Pipelines = []*gt.Pipeline{
		{Status: "success", SHA: shaM1, CreatedAt: at(3 * hour), StartedAt: at(3 * hour), FinishedAt: at(3*hour + 10*time.Minute), Jobs: append(many, job("success", at(3*hour))...)},
		{Status: "failed", SHA: shaS2, CreatedAt: at(day + 6*hour), StartedAt: at(day + 6*hour), FinishedAt: at(day + 6*hour + 10*time.Minute), Jobs: job("failed", at(day+6*hour))},
		{Status: "success", SHA: shaS3, CreatedAt: at(2*day + 2*hour), StartedAt: at(2*day + 2*hour), FinishedAt: at(2*day + 2*hour + 4*time.Minute),
			Jobs: job("success", at(2*day+2*hour))[:1]}, // no deploy job
		{Status: "success", Ref: "feature/x", SHA: gt.SHA("feature"), CreatedAt: at(2 * day), StartedAt: at(2 * day), FinishedAt: at(2*day + 10*time.Minute), Jobs: job("success", at(2*day))},
		{Status: "running", SHA: shaH6, CreatedAt: at(5 * day), StartedAt: at(5 * day), UpdatedAt: at(5 * day)},
	}
	h.srv.AddProject(p)
	r := repoWith(p.Path, "workflow", "deploy-prod")
	h.mustSync(r)

	got := map[string]string{}
	for _, d := range deploymentsOf(t, h.st, p.Path) {
		if d.Source != "workflow" {
			t.Errorf("deployment from source %s with source workflow", d.Source)
			continue
		}
		got[d.SHA] = d.Status
		if d.SHA == shaM1 && !d.FinishedAt.Equal(at(3*hour+9*time.Minute)) {
			t.Errorf("deployment finished %s, want the deploy job's end", d.FinishedAt)
		}
	}
	if len(got) != 2 || got[shaM1] != "success" || got[shaS2] != "failure" {
		t.Errorf("workflow deployments by sha: %v, want M1 success and S2 failure", got)
	}
	if rest {
		if n := h.srv.Requests("GET /projects/:id/pipelines/:pipeline_id/jobs"); n != 4 {
			t.Errorf("%d job lists read, want 4 (the finished default-branch pipelines, M1's in two pages)", n)
		}
	} else {
		// A page of pipelines with their first 100 jobs for each half of
		// the first sync's window; one more page of M1's jobs.
		if n := h.srv.Requests("POST /api/graphql TachPipelines") + h.srv.Requests("POST /api/graphql TachPipelineJobs"); n != 3 {
			t.Errorf("%d GraphQL requests for pipelines, want 3 (%v)", n, h.srv.Counts())
		}
		if n := h.srv.Requests("GET /projects/:id/pipelines/:pipeline_id/jobs") + h.srv.Requests("GET /projects/:id/pipelines/:pipeline_id"); n != 0 {
			t.Errorf("read %d pipelines or job lists by REST, want 0", n)
		}
	}

	h.srv.ResetCounts()
	sum := h.mustSync(r)
	if n := h.srv.Requests("GET /projects/:id/pipelines/:pipeline_id/jobs") + h.srv.Requests("GET /projects/:id/pipelines/:pipeline_id") +
		h.srv.Requests("POST /api/graphql TachPipelineJobs"); n != 0 {
		t.Errorf("re-sync read %d pipelines or job lists again, want 0", n)
	}
	if n := resourceRequests(sum, p.Path, collectors.ResourceCIRuns); n > 2 {
		t.Errorf("re-sync: %d pipeline requests, want ≤ 2", n)
	}
}

func TestSquashCommitIsInTheDeploymentRange(t *testing.T) {
	h := newHarness(t)
	h.srv.AddProject(billing())
	name := "acme/platform/billing"
	h.mustSync(repo(name))
	c2 := change(t, h.st, name, 2)
	for _, d := range deploymentsOf(t, h.st, name) {
		if d.Status == "success" && d.Environment == "production" && d.SHA == shaS2 {
			if !slices.Contains(d.RangeSHAs, c2.SquashSHA) || slices.Contains(d.RangeSHAs, c2.MergeSHA) {
				t.Errorf("range %v: want !2's squash commit %s (linking by squash sha), not its merge commit", d.RangeSHAs, c2.SquashSHA)
			}
			return
		}
	}
	t.Fatal("no successful production deployment of S2")
}
