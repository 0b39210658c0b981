package github

import (
	"context"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/github/githubtest"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// attemptID is the provider id of a run's attempt n.
func attemptID(run *githubtest.WorkflowRun, n int) string {
	if n <= 1 {
		return itoa(run.ID)
	}
	return itoa(run.ID) + "/attempts/" + itoa(int64(n))
}

func ciRuns(t *testing.T, st *store.Store, name string) map[string]store.CIRun {
	t.Helper()
	runs, err := st.CIRunsForWindow(context.Background(), []int64{history(t, st, name).Repo.ID}, ago(365*day).Unix(), now.Add(365*day).Unix())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.CIRun{}
	for _, r := range runs {
		out[r.ProviderID] = r
	}
	return out
}

// A re-run keeps its run id and created_at, so the runs walk, which stops
// at the runs created before the last sync, never saw it. Runs of the
// last rerunWindow are read again; each attempt is its own CI run, and
// with source workflow its own deployment attempt (docs/metrics.md).
func TestRerunOfAnOlderRunIsSeen(t *testing.T) {
	srv := githubtest.New(t)
	h := buildHandHistory(srv, "acme/api")
	var ci, deploy *githubtest.WorkflowRun
	for _, r := range h.repo.Runs {
		switch {
		case r.HeadBranch == "feature-9":
			ci = r // failed 3 days ago
		case r.Name == "Deploy" && r.HeadSHA == h.flipped.MergeCommit:
			deploy = r // succeeded 11 days ago
		}
	}
	p, _, _ := newProvider(t, srv)
	st := storetest.New(t)
	entry := repoEntry("acme/api", "workflow")
	mustSync(t, st, p, entry)

	srv.Edit(func() {
		h.repo.AddRun("CI", "ci.yml", "main", h.hotfix.MergeCommit, ago(time.Hour), "success", ago(50*time.Minute))
		h.repo.Rerun(ci, ago(40*time.Minute), "success", ago(30*time.Minute))
		h.repo.Rerun(deploy, ago(20*time.Minute), "failure", ago(10*time.Minute))
	})
	srv.ResetCounts()
	mustSync(t, st, p, entry)

	runs := ciRuns(t, st, "acme/api")
	if r := runs[attemptID(ci, 1)]; r.Conclusion != "failure" {
		t.Errorf("first attempt = %+v, want its failure kept", r)
	}
	if r, ok := runs[attemptID(ci, 2)]; !ok || r.Conclusion != "success" || !r.StartedAt.Equal(ago(40*time.Minute)) || !r.FinishedAt.Equal(ago(30*time.Minute)) {
		t.Errorf("re-run attempt = %+v (seen %v), want a success from its own start to its finish", r, ok)
	}
	deps := map[string]store.Deployment{}
	for _, d := range history(t, st, "acme/api").Deployments {
		deps[d.ProviderID] = d
	}
	if d := deps[attemptID(deploy, 1)]; d.Status != "success" {
		t.Errorf("first deploy attempt = %s, want success", d.Status)
	}
	if d, ok := deps[attemptID(deploy, 2)]; !ok || d.Status != "failure" || !d.FinishedAt.Equal(ago(10*time.Minute)) {
		t.Errorf("re-run deploy attempt = %+v (seen %v), want a failed attempt", d, ok)
	}
	if n := srv.Requests("runs"); n != 1 {
		t.Errorf("runs pages = %d, want 1 (the window of re-runs fits in it)", n)
	}
}

// An attempt seen running and re-run before the next sync is read by its
// attempt number: its row must not stay running forever.
func TestRerunFinishesTheAttemptSeenRunning(t *testing.T) {
	srv := githubtest.New(t)
	h := buildHandHistory(srv, "acme/api")
	p, _, _ := newProvider(t, srv)
	st := storetest.New(t)
	entry := repoEntry("acme/api", "workflow")
	mustSync(t, st, p, entry)

	srv.Edit(func() {
		h.running.Status, h.running.Conclusion, h.running.UpdatedAt = "completed", "failure", ago(day)
		h.repo.Rerun(h.running, ago(2*time.Hour), "", time.Time{})
	})
	srv.ResetCounts()
	mustSync(t, st, p, entry)
	runs := ciRuns(t, st, "acme/api")
	if r := runs[attemptID(h.running, 1)]; r.Status != "completed" || r.Conclusion != "failure" || !r.FinishedAt.Equal(ago(day)) {
		t.Errorf("attempt 1 = %+v, want it completed as it ended", r)
	}
	if _, ok := runs[attemptID(h.running, 2)]; ok {
		t.Errorf("attempt 2 finished already?")
	}
	deps := map[string]store.Deployment{}
	for _, d := range history(t, st, "acme/api").Deployments {
		deps[d.ProviderID] = d
	}
	if d := deps[attemptID(h.running, 1)]; d.Status != "failure" {
		t.Errorf("deploy attempt 1 = %s, want failure", d.Status)
	}
	if d := deps[attemptID(h.running, 2)]; d.Status != "pending" {
		t.Errorf("deploy attempt 2 = %s, want pending", d.Status)
	}
	if n := srv.Requests("run_attempt"); n != 1 {
		t.Errorf("attempt requests = %d, want 1", n)
	}
}

// A workflow_run delivery of a re-run is its own attempt: the first
// attempt's row stays as it ended.
func TestWebhookRerunIsAnotherAttempt(t *testing.T) {
	octo := repoEntry("octo-org/octo-repo", "workflow")
	octo.Workflow = "test.yml"
	cfg := webhookConfig(octo)
	cfg.History = 0
	st := storetest.New(t)
	first := apply(t, st, cfg, "workflow_run", fixture(t, "workflow_run.completed.json"))
	rerun := edit(t, fixture(t, "workflow_run.completed.json"), func(m map[string]any) {
		r := m["workflow_run"].(map[string]any)
		r["run_attempt"], r["conclusion"] = 2, "failure"
		r["run_started_at"], r["updated_at"] = "2020-01-23T00:00:00Z", "2020-01-23T00:05:00Z"
	})
	if a := apply(t, st, cfg, "workflow_run", rerun); a.Rows != 2 {
		t.Fatalf("re-run applied = %+v, want a run and a deployment", a)
	}
	runs, _ := st.CIRunsForWindow(bg, []int64{first.RepoID}, 0, time.Now().Unix())
	got := map[string]string{}
	for _, r := range runs {
		got[r.ProviderID] = r.Conclusion
	}
	if len(got) != 2 || got["289782451"] != "success" || got["289782451/attempts/2"] != "failure" {
		t.Errorf("runs = %v, want the first attempt's success and the re-run's failure", got)
	}
	h, _ := st.RepoHistory(bg, first.RepoID)
	if len(h.Deployments) != 2 {
		t.Errorf("deployments = %+v, want one per attempt", h.Deployments)
	}
}

// In a busy repo the window of re-runs spans pages: a re-sync reads only
// the pages it needs (the first, with its ETag), and once a day every page
// of the window.
func TestRerunsDeepInTheWindowAreSeenWithinADay(t *testing.T) {
	srv := githubtest.New(t)
	r := srv.AddRepo("acme/busy")
	for i := range 12 { // one a day, newest first on the list
		at := ago(time.Duration(12-i) * day)
		r.AddRun("CI", "ci.yml", "main", githubtest.SHA(itoa(int64(i))), at, "failure", at.Add(10*time.Minute))
	}
	old := r.Runs[3] // 9 days old: on the fifth page of two
	p, _, _ := newProvider(t, srv, func(o *Options) { o.PageSize = 2 })
	st := storetest.New(t)
	entry := repoEntry("acme/busy", "deployments")
	syncAt := func(at time.Time) {
		t.Helper()
		opts := runOptions()
		opts.Now = func() time.Time { return at }
		sum, err := collectors.Run(context.Background(), st, map[string]collectors.Provider{store.GitHub: p}, []collectors.Repo{entry}, opts, nil)
		if err != nil || len(sum.Failed()) > 0 {
			t.Fatalf("sync: %v %v", err, sum.Failed())
		}
	}
	syncAt(now)
	srv.Edit(func() { r.Rerun(old, ago(time.Hour), "success", ago(50*time.Minute)) })

	srv.ResetCounts()
	syncAt(now.Add(time.Hour))
	if n := srv.Requests("runs"); n != 1 {
		t.Errorf("an hour later: %d runs requests, want the first page alone (a 304)", n)
	}
	if _, ok := ciRuns(t, st, "acme/busy")[attemptID(old, 2)]; ok {
		t.Fatalf("the re-run was seen without its page being read?")
	}
	srv.ResetCounts()
	syncAt(now.Add(day))
	if _, ok := ciRuns(t, st, "acme/busy")[attemptID(old, 2)]; !ok {
		t.Errorf("a day later the re-run is still not seen")
	}
	if n := srv.Requests("runs"); n != 6 { // the 12 runs of the 14 days, 2 a page
		t.Errorf("the day's read of the window: %d pages, want 6", n)
	}
}
