package github

import (
	"context"
	"testing"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/github/githubtest"
	"github.com/tach-dev/tach/store/storetest"
)

// TestFirstSyncWarnsOfAnEmptyDeploymentSource: a repo configured with
// source deployments that ships by releases gets, after its first sync,
// a warning on its sync state naming the source that would have found
// deployments; the check is not made again.
func TestFirstSyncWarnsOfAnEmptyDeploymentSource(t *testing.T) {
	srv := githubtest.New(t)
	lib := srv.AddRepo("acme/lib")
	sha := lib.AddCommit("initial", ago(30*day))
	lib.AddRelease("v1.0.0", sha, ago(3*day), ago(3*day))
	lib.AddRelease("v1.1.0", sha, ago(2*day), ago(2*day))
	api := srv.AddRepo("acme/api")
	asha := api.AddCommit("initial", ago(30*day))
	api.Deploy(asha, "production", ago(5*day), "success")
	p, _, _ := newProvider(t, srv)
	st := storetest.New(t)
	mustSync(t, st, p, repoEntry("acme/lib", "deployments"), repoEntry("acme/api", "deployments"))

	states, err := st.SyncStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	warned := map[string]string{}
	for _, s := range states {
		if s.Resource == collectors.ResourceDeploySource {
			warned[s.RepoName] = s.LastError
		}
	}
	want := "deployments.source deployments (environments (?i)^(prod|production)$) found no production deployment in the first sync; releases would have (2 published releases): set deployments: {source: releases}"
	if warned["acme/lib"] != want {
		t.Errorf("acme/lib warning = %q\nwant %q", warned["acme/lib"], want)
	}
	if w, ok := warned["acme/api"]; !ok || w != "" {
		t.Errorf("acme/api, whose source found a deployment: checked %v, warning %q", ok, w)
	}
	before := srv.Requests("releases")
	mustSync(t, st, p, repoEntry("acme/lib", "deployments"))
	if srv.Requests("releases") != before || srv.Requests("environments") != 1 {
		t.Errorf("the check ran again: releases %d → %d, environments %d", before, srv.Requests("releases"), srv.Requests("environments"))
	}
}

// TestDeploySourceCheckIsOnlyAHint: a check that cannot look (the
// environments answer 403) does not fail the repo's sync, and is made at
// the next sync instead.
func TestDeploySourceCheckIsOnlyAHint(t *testing.T) {
	srv := githubtest.New(t)
	lib := srv.AddRepo("acme/lib")
	sha := lib.AddCommit("initial", ago(30*day))
	lib.AddRelease("v1.0.0", sha, ago(3*day), ago(3*day))
	srv.Inject(githubtest.Fault{Endpoint: "environments", Status: 403, Message: "Resource not accessible by integration"})
	p, _, logs := newProvider(t, srv)
	st := storetest.New(t)
	mustSync(t, st, p, repoEntry("acme/lib", "deployments"))
	if !contains(logs.String(), "could not check the deployment source") {
		t.Errorf("the failed check was not logged:\n%s", logs.String())
	}
	srv.ClearFaults()
	mustSync(t, st, p, repoEntry("acme/lib", "deployments"))
	states, err := st.SyncStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checked := false
	for _, s := range states {
		if s.Resource == collectors.ResourceDeploySource {
			checked = true
			if !contains(s.LastError, "releases would have (1 published releases)") {
				t.Errorf("after the second sync: %q", s.LastError)
			}
		}
	}
	if !checked {
		t.Error("the check was not made at the second sync")
	}
}
