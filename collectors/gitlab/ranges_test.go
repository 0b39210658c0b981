package gitlab_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/gitlab"
	gt "github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/store/storetest"
)

// rangeProject is a generated history (merge commits over each merge
// request's branch, a third squashed) and every case a deployment range
// meets after it: a merge request merged into another one's branch, which
// went on before it was merged (so the first-parent line does not show
// the stacked one's merge commit); a squash merge and a fast-forward one;
// a rollback and the fix after it, a redeploy of the same sha, a failed
// deployment; a hotfix merged into a release branch and deployed from it,
// then main again; a second production environment and staging.
func rangeProject(name string) (p *gt.Project, stacked *gt.MergeRequest, shippedBy *gt.Deployment, offLine int) {
	p = gt.GenerateHistory(name, gt.History{MergeRequests: 240, Deployments: 40, Pipelines: 10, End: now.Add(-10 * day), Span: 120 * day})
	at := now.Add(-9 * day)
	step := func() time.Time { at = at.Add(time.Hour); return at }
	tip := func() string { return p.History[len(p.History)-1].SHA }
	commit := func(title string, parents ...string) gt.Commit {
		return gt.Commit{SHA: gt.SHA(name + title), Title: title, AuthoredAt: step(), Author: "alice", Parents: parents}
	}
	side := func(c gt.Commit) string { p.Branches = append(p.Branches, c); return c.SHA }
	onMain := func(c gt.Commit) string { p.History = append(p.History, c); return c.SHA }
	mr := func(title, target string, commits ...string) *gt.MergeRequest {
		m := &gt.MergeRequest{Title: title, Author: gt.User{Username: "dave"}, CreatedAt: step(), State: "opened",
			TargetBranch: target, SourceBranch: "feature/" + strings.ReplaceAll(title, " ", "-"), SHA: commits[len(commits)-1]}
		for _, c := range commits {
			m.Commits = append(m.Commits, gt.Commit{SHA: c, Title: title, AuthoredAt: m.CreatedAt.Add(-time.Hour), Author: "dave"})
		}
		p.MergeRequests = append(p.MergeRequests, m)
		return m
	}
	merged := func(m *gt.MergeRequest, mergeSHA string) {
		m.State, m.MergedAt, m.UpdatedAt, m.MergeCommitSHA = "merged", at, at, mergeSHA
	}
	deploy := func(sha, env, status string) *gt.Deployment {
		t := step()
		d := &gt.Deployment{Environment: env, Status: status, SHA: sha, Ref: "main", User: "alice", CreatedAt: t, FinishedAt: t.Add(10 * time.Minute)}
		p.Deployments = append(p.Deployments, d)
		return d
	}

	// B merged into A's branch, which gets one more commit; A into main.
	a1 := side(commit("a1", tip()))
	b1 := side(commit("b1", a1))
	a := mr("stack base", "main", a1)
	b := mr("stacked on it", a.SourceBranch, b1)
	mb := side(commit("merge b into a", a1, b1))
	merged(b, mb)
	a2 := side(commit("a2", mb))
	a.Commits = append(a.Commits, gt.Commit{SHA: a2, AuthoredAt: at, Author: "dave"})
	merged(a, onMain(commit("merge a", tip(), a2)))
	good := deploy(tip(), "production", "success")

	// A bad release, rolled back; the fix (squashed), a redeploy of it, a
	// fast-forward merge, a failed deployment.
	r1 := side(commit("risky", tip()))
	risky := mr("risky change", "main", r1)
	merged(risky, onMain(commit("merge risky", tip(), r1)))
	deploy(tip(), "production", "success")
	deploy(good.SHA, "production", "success") // the rollback
	squash := side(commit("fix, squashed", tip()))
	fix := mr("fix the risky change", "main", gt.SHA(name+"fix work"))
	merged(fix, onMain(commit("merge fix", tip(), squash)))
	fix.Squash, fix.SquashCommitSHA = true, squash
	redeployed := deploy(tip(), "production", "success")
	deploy(redeployed.SHA, "production", "success")
	ff := mr("fast-forward", "main", gt.SHA(name+"ff"))
	merged(ff, "")
	onMain(gt.Commit{SHA: ff.SHA, Title: "ff", AuthoredAt: at, Parents: []string{tip()}})
	deploy(tip(), "production", "failed")

	// A hotfix merged into a release branch off the good deployment and
	// deployed from it, then main again: both ranges are off the line.
	h1 := side(commit("hotfix", good.SHA))
	hot := mr("hotfix", "release-1", h1)
	merged(hot, side(commit("merge hotfix into release-1", good.SHA, h1)))
	deploy(hot.MergeCommitSHA, "production", "success")
	l1 := side(commit("later", tip()))
	later := mr("after the hotfix", "main", l1)
	merged(later, onMain(commit("merge later", tip(), l1)))
	deploy(tip(), "production", "success")

	// A second production environment, and staging.
	deploy(good.SHA, "prod", "success")
	deploy(tip(), "prod", "success")
	deploy(tip(), "staging", "success")
	return p, b, good, 2
}

// The ranges from the default branch's first-parent line link every
// merge request to the deployment that a compare request per deployment
// linked it to: every row but the ranges' own commits is the same, and
// each range holds what the compare's held of merge and squash commits.
func TestRangesFromHistoryLinkAsCompares(t *testing.T) {
	name := "acme/platform/shop"
	srv := gt.New(t)
	srv.Token, srv.Now = "secret-token", clock
	p, stacked, good, offLine := rangeProject(name)
	srv.AddProject(p)
	ctx := context.Background()
	type result struct {
		dump   string
		ranges map[string][]string
		counts map[string]int
		ranged int
	}
	// refs are the ref_name of each request for the line's commits.
	var refsMu sync.Mutex
	var refs []string
	sync := func(compareEveryRange, singleWalk bool) result {
		t.Helper()
		h := &harness{t: t, srv: srv, st: storetest.New(t)}
		refs = nil
		pr := h.provider(func(o *gitlab.Options) {
			o.PageSize = 100
			o.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if strings.HasSuffix(r.URL.Path, "/repository/commits") {
					refsMu.Lock()
					refs = append(refs, r.URL.Query().Get("ref_name"))
					refsMu.Unlock()
				}
				return srv.Client().Transport.RoundTrip(r)
			})}
			if compareEveryRange {
				gitlab.CompareEveryRange(o)
			}
			if singleWalk {
				gitlab.SingleWalk(o)
			}
		})
		srv.ResetCounts()
		sum := h.sync(ctx, pr, repo(name))
		if err := sum.Repos[0].Err; err != nil {
			t.Fatal(err)
		}
		res := result{counts: srv.Counts(), ranged: resourceRequests(sum, name, collectors.ResourceRanges), ranges: map[string][]string{}}
		if err := engine.NewDeriver(h.st, metrics.DefaultRules(), nil).Derive(ctx); err != nil {
			t.Fatal(err)
		}
		var rows []string
		for _, l := range strings.Split(storetest.Dump(t, h.st.Path()), "\n") {
			if !strings.HasPrefix(l, "deployment_commits: ") {
				rows = append(rows, l)
			}
		}
		res.dump = strings.Join(rows, "\n")
		for _, d := range deploymentsOf(t, h.st, name) {
			if d.RangeSHAs != nil {
				res.ranges[d.ProviderID] = d.RangeSHAs
			}
		}
		return res
	}
	before, single := sync(true, false), sync(false, true)
	if before.dump != single.dump {
		t.Errorf("rows differ between compare ranges (-) and history ranges (+):\n%s", storetest.Diff(before.dump, single.dump))
	}
	// A first sync reads the line in two chains at once: from the tip,
	// and from a deployment's sha halfway down. The same rows.
	after := sync(false, false)
	if single.dump != after.dump {
		t.Errorf("rows differ between one walk of the line (-) and two chains (+):\n%s", storetest.Diff(single.dump, after.dump))
	}
	fromSHA := 0
	for _, r := range refs {
		if len(r) == 40 {
			fromSHA++
		}
	}
	if fromSHA == 0 || fromSHA == len(refs) {
		t.Errorf("the line's pages were asked from %v: want some from the branch and some from a deployment's sha", refs)
	}
	// Each range holds the merge and squash commits the compare's held.
	shipping := map[string]bool{}
	for _, m := range p.MergeRequests {
		for _, sha := range []string{m.MergeCommitSHA, m.SquashCommitSHA, m.SHA} {
			if sha != "" {
				shipping[sha] = true
			}
		}
	}
	if len(after.ranges) != len(before.ranges) {
		t.Errorf("%d ranges from history, %d from compares", len(after.ranges), len(before.ranges))
	}
	for id, cmpRange := range before.ranges {
		got := after.ranges[id]
		for _, sha := range cmpRange {
			if shipping[sha] && !slices.Contains(got, sha) {
				t.Errorf("deployment %s: range from history lacks %s, which its compare held", id, sha)
			}
		}
		for _, sha := range got {
			if !slices.Contains(cmpRange, sha) {
				t.Errorf("deployment %s: range from history holds %s, which its compare did not", id, sha)
			}
		}
	}
	// The merge request merged into a branch merged later is shipped with
	// that branch's merge, though the first-parent line does not show it.
	if line := fmt.Sprintf("deployment_changes: %s | deployments | %d | %d", name, good.ID, stacked.IID); !strings.Contains(after.dump, line+"\n") {
		t.Errorf("the stacked merge request is not shipped with the merge of its branch: no %q", line)
	}
	if n := strings.Count(after.dump, "\ndeployment_changes: "); n < 150 {
		t.Errorf("only %d changes linked: the scenario should ship most of its 200-odd merges", n)
	}
	const cmp, list, base = "GET /projects/:id/repository/compare", "GET /projects/:id/repository/commits", "GET /projects/:id/repository/merge_base"
	// Compares: the release branch's two; for the stacked merge request,
	// the production range that holds it and the prod one after its merge.
	if before.counts[cmp] < 40 || after.counts[cmp] != offLine+2 {
		t.Errorf("compare requests: %d before, %d now; want one per range before, %d now", before.counts[cmp], after.counts[cmp], offLine+2)
	}
	// The first-parent line, 100 commits a page; a merge base for each
	// merge request into another branch whose commit the line does not
	// show: the stacked one (on the default branch), the hotfix (not).
	// In two chains, the page where they meet may be read in part by
	// each: one page more at most.
	if pages := (len(p.History) + 99) / 100; single.counts[list] != pages || after.counts[list] < pages || after.counts[list] > pages+1 || after.counts[base] != 2 {
		t.Errorf("%d pages of the branch's commits in one walk, %d in two chains, and %d merge bases; want %d, %d or one more, and 2",
			single.counts[list], after.counts[list], after.counts[base], pages, pages)
	}
	t.Logf("compare path: %d range requests (%d compares); history path: %d (%d compares, %d commit pages, %d merge bases)",
		before.ranged, before.counts[cmp], after.ranged, after.counts[cmp], after.counts[list], after.counts[base])
}

// A re-sync ranges its new deployments from the first page of the line,
// without a compare; with nothing new, it asks nothing.
func TestResyncRangesFromTheLinesFirstPage(t *testing.T) {
	h := newHarness(t)
	name := "acme/platform/ledger"
	p := h.srv.AddProject(gt.GenerateHistory(name, gt.History{MergeRequests: 120, Deployments: 20, End: now.Add(-3 * day), Span: 60 * day}))
	big := h.provider(func(o *gitlab.Options) { o.PageSize = 100 })
	ctx := context.Background()
	if err := h.sync(ctx, big, repo(name)).Repos[0].Err; err != nil {
		t.Fatal(err)
	}
	h.srv.Edit(func() {
		at := now.Add(-2 * day)
		for i := range 3 {
			sha := gt.SHA(fmt.Sprintf("resync-%d", i))
			p.History = append(p.History, gt.Commit{SHA: sha, AuthoredAt: at.Add(time.Duration(i) * time.Hour), Parents: []string{p.History[len(p.History)-1].SHA}})
			p.Deployments = append(p.Deployments, &gt.Deployment{Environment: "production", Status: "success", SHA: sha, User: "alice",
				CreatedAt: at.Add(time.Duration(i)*time.Hour + time.Minute), FinishedAt: at.Add(time.Duration(i)*time.Hour + 10*time.Minute)})
		}
	})
	h.srv.ResetCounts()
	if err := h.sync(ctx, big, repo(name)).Repos[0].Err; err != nil {
		t.Fatal(err)
	}
	if n, c := h.srv.Requests("GET /projects/:id/repository/commits"), h.srv.Requests("GET /projects/:id/repository/compare"); n != 1 || c != 0 {
		t.Errorf("re-sync with 3 new deployments: %d commit pages and %d compares, want 1 and 0", n, c)
	}
	for _, d := range deploymentsOf(t, h.st, name) {
		if d.SHA == gt.SHA("resync-2") && !slices.Equal(d.RangeSHAs, []string{gt.SHA("resync-2")}) {
			t.Errorf("range of the last new deployment = %v, want its own commit", d.RangeSHAs)
		}
	}
	sum := h.sync(ctx, big, repo(name))
	if n := resourceRequests(sum, name, collectors.ResourceRanges); n != 0 {
		t.Errorf("re-sync with nothing new: %d range requests, want 0", n)
	}
}

// roundTripFunc is an http.RoundTripper of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
