package gitlab_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors/gitlab"
	gt "github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
	"github.com/tach-dev/tach/store"
)

// TestAGitLabWithoutAFieldIsReadByRESTAndSaysSoOnce: a GitLab whose
// GraphQL lacks a field the merge requests query asks for, and one the
// pipelines query asks for: both come from REST, with every row as by
// GraphQL, and the log says once for each which field GitLab refused and
// why, however many projects sync.
func TestAGitLabWithoutAFieldIsReadByRESTAndSaysSoOnce(t *testing.T) {
	base := newHarness(t)
	base.srv.AddProject(billing())
	other := billing()
	other.Path = "acme/platform/ledger"
	base.srv.AddProject(other)
	base.mustSync(repo(billing().Path), repo(other.Path))
	want := dump(t, base.st)

	h := &harness{t: t, srv: base.srv, st: newStore(t)}
	h.srv.MissingFields = []string{"MergeRequest.diffHeadSha", "Pipeline.refPath"}
	var logs bytes.Buffer
	p := h.provider(func(o *gitlab.Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	sum := h.sync(context.Background(), p, repo(billing().Path), repo(other.Path))
	for _, r := range sum.Repos {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.Repo, r.Err)
		}
	}
	if got := dump(t, h.st); got != want {
		t.Errorf("REST rows differ from GraphQL rows:\n%s", diffLines(want, got))
	}
	for what, field := range map[string]string{"merge requests": "MergeRequest.diffHeadSha", "pipelines": "Pipeline.refPath"} {
		var lines []string
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "GraphQL cannot answer; "+what+" come from REST") {
				lines = append(lines, l)
			}
		}
		_, name, _ := strings.Cut(field, ".")
		typ, _, _ := strings.Cut(field, ".")
		reason := fmt.Sprintf("Field '%s' doesn't exist on type '%s'", name, typ)
		if len(lines) != 1 || !strings.Contains(lines[0], "refused="+field) || !strings.Contains(lines[0], reason) {
			t.Errorf("%s: log lines %q, want one naming %s and saying %q", what, lines, field, reason)
		}
	}
}

// TestAnMRMergedWhileTheSyncRunsGetsItsSquashCommit: the REST list of
// merged MRs was read to its end before an MR was merged (squashed); the
// GraphQL page that then shows it merged makes the list read again from
// where it ended.
func TestAnMRMergedWhileTheSyncRunsGetsItsSquashCommit(t *testing.T) {
	h := newHarness(t)
	p := billing()
	late := &gt.MergeRequest{IID: 8, Title: "Late", Author: dave, CreatedAt: at(7 * day), State: "opened", SHA: gt.SHA("head-8")}
	p.MergeRequests = append(p.MergeRequests, late)
	h.srv.AddProject(p)
	shaS8 := gt.SHA("squash-8")
	var queries atomic.Int32
	h.srv.OnRequest = func(endpoint string) {
		// A first sync in two halves: the older half of its window has no
		// MRs (one query, sent with the newer half's first), the newer half pages
		// of two: the fourth query is the one for !5 and !6, before the
		// page with !7 and !8. The REST list (one page of 100) was read
		// with the first page.
		if endpoint == "POST /api/graphql TachMergeRequests" && queries.Add(1) == 4 {
			h.srv.Edit(func() {
				late.State, late.MergedAt, late.UpdatedAt = "merged", at(7*day+hour), at(7*day+hour)
				late.MergeCommitSHA, late.SquashCommitSHA, late.Squash = gt.SHA("merge-8"), shaS8, true
			})
		}
	}
	prov := h.provider(gitlab.MRParts(2), func(o *gitlab.Options) { o.PageSize = 100 })
	if err := h.sync(context.Background(), prov, repo(p.Path)).Repos[0].Err; err != nil {
		t.Fatal(err)
	}
	if c := change(t, h.st, p.Path, 8); c.State != store.StateMerged || c.SquashSHA != shaS8 {
		t.Errorf("!8 merged during the sync: state %s, squash %q, want merged with %s", c.State, c.SquashSHA, shaS8)
	}
	if n := h.srv.Requests("GET /projects/:id/merge_requests"); n != 2 {
		t.Errorf("%d reads of the merged MRs list, want 2 (to its end, then once more for !8)", n)
	}
}

// TestAPipelineUpdatedBehindThePagesIsReadNextTime: GitLab lists pipelines
// newest id first, so a pipeline that finishes after its page was read,
// while a later page holds one updated later still, must not fall under
// the watermark: the next sync reads it finished.
func TestAPipelineUpdatedBehindThePagesIsReadNextTime(t *testing.T) {
	h := newHarness(t) // the fake's clock is now
	p := &gt.Project{Path: "acme/platform/ci"}
	for i := range 150 {
		created := now.Add(-time.Duration(150-i) * time.Hour)
		p.Pipelines = append(p.Pipelines, &gt.Pipeline{Status: "success", SHA: gt.SHA(fmt.Sprint("ci-", i)),
			CreatedAt: created, StartedAt: created, FinishedAt: created.Add(5 * time.Minute)})
	}
	// The oldest (on the second page) was updated ten seconds ago; the
	// newest (first page) is running.
	oldest, newest := p.Pipelines[0], p.Pipelines[149]
	oldest.UpdatedAt = now.Add(-10 * time.Second)
	newest.Status, newest.FinishedAt, newest.UpdatedAt = "running", time.Time{}, newest.StartedAt
	h.srv.AddProject(p)
	var pages atomic.Int32
	h.srv.OnRequest = func(endpoint string) {
		if endpoint == "POST /api/graphql TachPipelines" && pages.Add(1) == 2 {
			h.srv.Edit(func() { // it finishes between the two pages
				newest.Status, newest.FinishedAt, newest.UpdatedAt = "success", now.Add(-30*time.Second), now.Add(-30*time.Second)
			})
		}
	}
	r := repo(p.Path)
	h.mustSync(r)
	h.srv.OnRequest = nil
	h.mustSync(r)
	runs, err := h.st.CIRunsForWindow(context.Background(), []int64{mustRepoID(t, h.st, p.Path)}, now.Add(-200*time.Hour).Unix(), now.Add(time.Hour).Unix())
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range runs {
		if run.SHA == newest.SHA && (run.Conclusion != "success" || !run.FinishedAt.Equal(now.Add(-30*time.Second))) {
			t.Errorf("the pipeline that finished behind the pages: %s %s finished %s, want success at %s",
				run.Status, run.Conclusion, run.FinishedAt, now.Add(-30*time.Second))
		}
	}
	if len(runs) != 150 {
		t.Errorf("%d runs, want 150", len(runs))
	}
}
