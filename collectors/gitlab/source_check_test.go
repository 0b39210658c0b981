package gitlab_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	gt "github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
)

// TestFirstSyncWarnsOfAnEmptyDeploymentSource: a project configured with
// source deployments that ships by releases, or by a deploy job, gets
// after its first sync a warning on its sync state naming the source that
// would have found deployments; one that deploys to an environment of
// tier production (whatever its name) gets none; the check is not made
// again.
func TestFirstSyncWarnsOfAnEmptyDeploymentSource(t *testing.T) {
	h := newHarness(t)
	history := []gt.Commit{{SHA: shaBase, AuthoredAt: at(-10 * day)}, {SHA: shaM1, AuthoredAt: at(3 * hour)}}
	h.srv.AddProject(&gt.Project{Path: "acme/lib", History: history, Releases: []*gt.Release{
		{TagName: "v1.0", SHA: shaBase, Author: "alice", CreatedAt: at(-day), ReleasedAt: at(-day)},
		{TagName: "v1.1", SHA: shaM1, Author: "alice", CreatedAt: at(4 * hour), ReleasedAt: at(4 * hour)},
	}})
	h.srv.AddProject(&gt.Project{Path: "acme/web", History: history, Pipelines: []*gt.Pipeline{{
		Status: "success", Source: "push", Ref: "main", SHA: shaM1, User: "alice",
		CreatedAt: at(4 * hour), UpdatedAt: at(5 * hour), StartedAt: at(4 * hour), FinishedAt: at(5 * hour),
		Jobs: []*gt.Job{
			{Name: "test", Stage: "test", Status: "success", CreatedAt: at(4 * hour), StartedAt: at(4 * hour), FinishedAt: at(4*hour + 10*time.Minute)},
			{Name: "deploy-prod", Stage: "deploy", Status: "success", CreatedAt: at(4 * hour), StartedAt: at(4*hour + 10*time.Minute), FinishedAt: at(5 * hour)},
		},
	}}})
	h.srv.AddProject(&gt.Project{Path: "acme/api", History: history,
		Environments: []*gt.Environment{{Name: "live", Tier: "production"}},
		Deployments: []*gt.Deployment{{Environment: "live", Status: "success", SHA: shaM1, Ref: "main", User: "alice",
			CreatedAt: at(4 * hour), UpdatedAt: at(5 * hour), FinishedAt: at(5 * hour), JobName: "release"}},
	})
	h.mustSync(repo("acme/lib"), repo("acme/web"), repo("acme/api"))

	warned := deploySourceChecks(t, h)
	want := map[string]string{
		"acme/lib": "deployments.source deployments (environments (?i)^(prod|production)$) found no production deployment in the first sync; releases would have (2 published releases): set deployments: {source: releases}",
		"acme/web": "deployments.source deployments (environments (?i)^(prod|production)$) found no production deployment in the first sync; workflow would have (a deploy job: deploy-prod): set deployments: {source: workflow, workflow: deploy-prod}",
	}
	for name, w := range want {
		if warned[name] != w {
			t.Errorf("%s warning = %q\nwant %q", name, warned[name], w)
		}
	}
	if w, ok := warned["acme/api"]; !ok || w != "" {
		t.Errorf("acme/api, whose source found a deployment to a production-tier environment: checked %v, warning %q", ok, w)
	}
	if n := h.srv.Requests("GET /projects/:id/jobs"); n != 2 {
		t.Errorf("GET /projects/:id/jobs %d times, want 2 (the two projects whose source found nothing)", n)
	}
	// Checked once: a second sync asks nothing more, and the warning stays
	// on the sync page.
	h.mustSync(repo("acme/lib"), repo("acme/web"), repo("acme/api"))
	if n := h.srv.Requests("GET /projects/:id/jobs"); n != 2 {
		t.Errorf("the check ran again: GET /projects/:id/jobs %d times", n)
	}
	if got := deploySourceChecks(t, h)["acme/lib"]; got != want["acme/lib"] {
		t.Errorf("after the second sync, acme/lib warning = %q", got)
	}
	// With the source it suggests, a new project has nothing to warn of.
	h.srv.AddProject(&gt.Project{Path: "acme/lib2", History: history, Releases: []*gt.Release{
		{TagName: "v1.0", SHA: shaBase, Author: "alice", CreatedAt: at(-day), ReleasedAt: at(-day)},
	}})
	h.mustSync(repoWith("acme/lib2", "releases", ""))
	if w, ok := deploySourceChecks(t, h)["acme/lib2"]; !ok || w != "" {
		t.Errorf("acme/lib2 with source releases: checked %v, warning %q", ok, w)
	}
}

// TestDeploySourceCheckIsOnlyAHint: a check that cannot look (the jobs
// list answers 500) does not fail the project's sync, and is made at the
// next sync instead.
func TestDeploySourceCheckIsOnlyAHint(t *testing.T) {
	h := newHarness(t)
	h.srv.AddProject(&gt.Project{Path: "acme/lib", History: []gt.Commit{{SHA: shaBase, AuthoredAt: at(-10 * day)}}, Releases: []*gt.Release{
		{TagName: "v1.0", SHA: shaBase, Author: "alice", CreatedAt: at(-day), ReleasedAt: at(-day)},
	}})
	h.srv.AddFault(gt.Fault{Endpoint: "GET /projects/:id/jobs", Status: 500})
	h.mustSync(repo("acme/lib"))
	if _, ok := deploySourceChecks(t, h)["acme/lib"]; ok {
		t.Errorf("a check that failed is recorded as made")
	}
	h.srv.ClearFaults()
	h.mustSync(repo("acme/lib"))
	if got := deploySourceChecks(t, h)["acme/lib"]; !strings.Contains(got, "releases would have (1 published releases)") {
		t.Errorf("after the second sync: %q", got)
	}
}

// deploySourceChecks are the deploy_source rows of the sync page: each
// checked project's warning ("" for none).
func deploySourceChecks(t *testing.T, h *harness) map[string]string {
	t.Helper()
	states, err := h.st.SyncStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range states {
		if s.Resource == collectors.ResourceDeploySource {
			out[s.RepoName] = s.LastError
		}
	}
	return out
}
