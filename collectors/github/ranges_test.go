package github

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors/github/githubtest"
	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// rangeScenario is a history with every case a deployment range meets:
// squash merges and merge commits (whose commits come in on side lines,
// some committed before the tip they branched from), a pull request
// stacked on another one's branch and merged into it, failed deployments,
// a rollback and the fix after it, a redeploy of the same sha, a hotfix
// deployed from a release branch and the deployment from main after it,
// a second production environment and a staging one.
func rangeScenario(srv *githubtest.Server, name string) (stacked *githubtest.PullRequest, shippedBy *githubtest.Deployment, offLine int) {
	r := srv.AddRepo(name)
	r.Generate(githubtest.History{PRs: 400, Deployments: 80, Runs: 20, Incidents: 4, End: ago(2 * day), Span: 150 * day, MergeCommits: 40})
	at := ago(2 * day)
	step := func() time.Time { at = at.Add(time.Hour); return at }
	deploy := func(sha, env string, states ...string) *githubtest.Deployment {
		return r.Deploy(sha, env, step(), states...)
	}
	tip := func() string { return r.Commits[len(r.Commits)-1].SHA }

	// A stacked pull request: B on A's branch, merged into it with a merge
	// commit, then A into main with a merge commit.
	a := r.AddPR("Base of a stack", alice, step())
	b := r.AddPR("Stacked on it", bob, step())
	b.BaseRef = a.HeadRef
	aHead := r.AddSideCommit("a work", step(), r.Commits[len(r.Commits)-1].SHA)
	bHead := r.AddSideCommit("b work", step(), aHead)
	mb := r.AddSideCommit("Merge pull request #b into a", step(), aHead, bHead)
	b.MergeCommit, b.MergedAt, b.ClosedAt, b.UpdatedAt = mb, at, at, at
	a.Commits = nil
	ma := r.AddCommit("Merge pull request #a", step())
	r.Commits[len(r.Commits)-1].Parents = []string{r.Commits[len(r.Commits)-2].SHA, mb}
	a.MergeCommit, a.MergedAt, a.ClosedAt, a.UpdatedAt = ma, at, at, at
	good := deploy(tip(), "production", "success")

	// A bad release, rolled back, then the fix; a redeploy of the fix.
	bad := r.AddPR("Risky change", carol, step())
	r.MergeWithCommit(bad, step())
	deploy(tip(), "production", "success")
	deploy(good.SHA, "production", "success") // the rollback
	fix := r.AddPR("Fix the risky change", carol, step())
	r.Merge(fix, step())
	redeployed := deploy(tip(), "production", "success")
	deploy(redeployed.SHA, "production", "success")
	deploy(tip(), "production", "failure")

	// A hotfix from a release branch off the last good deployment, then
	// main again: both ranges are off the first-parent line (compare).
	hot := r.AddSideCommit("hotfix on release", step(), good.SHA)
	deploy(hot, "production", "success")
	late := r.AddPR("After the hotfix", dave, step())
	r.Merge(late, step())
	deploy(tip(), "production", "success")

	// A second production environment, and staging (never ranged).
	deploy(good.SHA, "prod", "success")
	deploy(tip(), "prod", "success")
	deploy(tip(), "staging", "success")
	return b, good, 2
}

// The ranges from the branch's history give exactly the rows, derived
// links included, that a compare request per deployment gave.
func TestRangesFromHistoryEqualCompares(t *testing.T) {
	srv := githubtest.New(t)
	stacked, good, offLine := rangeScenario(srv, "acme/shop")
	entry := repoEntry("acme/shop", "deployments")
	sync := func(compareEveryRange bool) (dump string, counts map[string]int, total int) {
		t.Helper()
		st := storetest.New(t)
		p, _, _ := newProvider(t, srv, func(o *Options) { o.compareEveryRange = compareEveryRange })
		srv.ResetCounts()
		mustSync(t, st, p, entry)
		counts, total = srv.RequestCounts(), srv.TotalRequests()
		eng := engine.New(st, metrics.DefaultRules(), nil)
		if err := eng.Derive(context.Background(), history(t, st, "acme/shop").Repo.ID); err != nil {
			t.Fatal(err)
		}
		return storetest.Dump(t, st.Path()), counts, total
	}
	before, old, oldTotal := sync(true)
	after, now, nowTotal := sync(false)
	if before != after {
		t.Errorf("rows differ between compare ranges (-) and history ranges (+):\n%s", storetest.Diff(before, after))
	}
	if line := fmt.Sprintf("deployment_changes: acme/shop | deployments | %d | %d", good.ID, stacked.Number); !strings.Contains(after, line+"\n") {
		t.Errorf("the pull request merged into a branch that was merged later is not shipped with that merge: no %q", line)
	}
	if n := countLines(after, "deployment_changes: "); n < 300 {
		t.Errorf("only %d changes linked: the scenario should ship most of its 300-odd merges", n)
	}
	if now["compare"] != offLine || old["compare"] < 70 {
		t.Errorf("compare requests: %d before, %d now; want one per range before, %d now (the release branch's): %v", old["compare"], now["compare"], offLine, now)
	}
	// The history pages: about one per 100 commits of the default branch
	// and of the branches merged into it.
	if h := now["graphql.history"]; h < 4 || h > 8 {
		t.Errorf("history pages = %d", h)
	}
	t.Logf("compare path: %d requests (%d compares); history path: %d requests (%d compares, %d history pages)",
		oldTotal, old["compare"], nowTotal, now["compare"], now["graphql.history"])
}

func countLines(dump, prefix string) int {
	n := 0
	for _, l := range strings.Split(dump, "\n") {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// A re-sync reads only the history its new ranges need, deeper when a
// merge brings in a branch that started before the last deployment (its
// commits must be read to be in the range); a branch older than
// mergeLookback before it is cheaper asked of compare. Either way, the
// rows are those compares gave.
func TestResyncRangesReadOnlyTheHistoryTheyNeed(t *testing.T) {
	srv := githubtest.New(t)
	r := srv.AddRepo("acme/shop")
	r.Generate(githubtest.History{PRs: 60, Deployments: 12, End: ago(3 * day), Span: 60 * day})
	entry := repoEntry("acme/shop", "deployments")
	small := func(o *Options) { o.PageSize = 5 }
	stOld, stNew := storetest.New(t), storetest.New(t)
	pOld, _, _ := newProvider(t, srv, small, func(o *Options) { o.compareEveryRange = true })
	pNew, _, _ := newProvider(t, srv, small)
	mustSync(t, stOld, pOld, entry)
	mustSync(t, stNew, pNew, entry)

	// mergeBranch merges, with a merge commit, a branch whose two commits
	// are from age ago, after three squash merges; then deploys the tip.
	mergeBranch := func(name string, age, at time.Duration) {
		srv.Edit(func() {
			long := r.AddPR(name, erin, ago(age))
			long.Commits = []githubtest.Commit{
				{SHA: githubtest.SHA(name + "-1"), Author: erin, AuthoredAt: ago(age)},
				{SHA: githubtest.SHA(name + "-2"), Author: erin, AuthoredAt: ago(age - day)},
			}
			for i := range 3 {
				pr := r.AddPR(fmt.Sprintf("%s: small change %d", name, i), alice, ago(at).Add(time.Duration(i)*time.Minute))
				r.Merge(pr, ago(at).Add(time.Duration(i)*time.Minute+time.Second))
			}
			r.MergeWithCommit(long, ago(at).Add(time.Hour))
			r.Deploy(r.Commits[len(r.Commits)-1].SHA, "production", ago(at).Add(2*time.Hour), "success")
		})
	}
	for _, tc := range []struct {
		name             string
		age, at          time.Duration
		compares         int
		minPage, maxPage int
	}{
		// 12 days back, 7 before the last deployment: a page deeper than
		// the 3 squash merges, the merge commit and the branch.
		{"recent-branch", 12 * day, 2 * day, 0, 3, 6},
		// 100 days back: one compare (2 pages of 5) rather than the history.
		{"ancient-branch", 100 * day, day, 2, 1, 2},
	} {
		mergeBranch(tc.name, tc.age, tc.at)
		srv.ResetCounts()
		mustSync(t, stNew, pNew, entry)
		if n, h := srv.Requests("compare"), srv.Requests("graphql.history"); n != tc.compares || h < tc.minPage || h > tc.maxPage {
			t.Errorf("%s: %d compare requests and %d history pages; want %d and %d–%d", tc.name, n, h, tc.compares, tc.minPage, tc.maxPage)
		}
		mustSync(t, stOld, pOld, entry)
	}
	for _, st := range []*store.Store{stOld, stNew} {
		if err := engine.New(st, metrics.DefaultRules(), nil).Derive(context.Background(), history(t, st, "acme/shop").Repo.ID); err != nil {
			t.Fatal(err)
		}
	}
	before, after := storetest.Dump(t, stOld.Path()), storetest.Dump(t, stNew.Path())
	if before != after {
		t.Errorf("rows differ between compare ranges (-) and history ranges (+):\n%s", storetest.Diff(before, after))
	}
	for _, sha := range []string{githubtest.SHA("recent-branch-1"), githubtest.SHA("ancient-branch-1")} {
		if !strings.Contains(after, sha) {
			t.Errorf("a merged branch's first commit %s is not in its range", sha)
		}
	}
}
