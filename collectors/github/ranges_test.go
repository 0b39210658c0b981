package github

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
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
		eng := engine.NewDeriver(st, metrics.DefaultRules(), nil)
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
		if err := engine.NewDeriver(st, metrics.DefaultRules(), nil).Derive(context.Background(), history(t, st, "acme/shop").Repo.ID); err != nil {
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

// releaseDeployments deploys main, then two hotfixes from a release branch
// of three commits each off it: their ranges are off the default branch's
// first-parent line, so they are asked of the compare API.
func releaseDeployments(srv *githubtest.Server, name string) (first, second *githubtest.Deployment, shas [][]string) {
	r := srv.AddRepo(name)
	base := r.AddCommit("initial", ago(30*day))
	r.Deploy(base, "production", ago(29*day), "success")
	tip := base
	for k, d := range []**githubtest.Deployment{&first, &second} {
		var range_ []string
		for i := range 3 {
			tip = r.AddSideCommit(fmt.Sprintf("hotfix %d.%d", k, i), ago(time.Duration(20-10*k-i)*day), tip)
			range_ = append(range_, tip)
		}
		*d = r.Deploy(tip, "production", ago(time.Duration(20-10*k-3)*day), "success")
		shas = append(shas, range_)
	}
	return first, second, shas
}

// A compare whose pages are not all linked is read to its total_commits.
func TestComparePagesToTotalCommits(t *testing.T) {
	srv := githubtest.New(t)
	_, second, shas := releaseDeployments(srv, "acme/api")
	srv.Inject(githubtest.WithoutLink().On("compare"))
	p, _, _ := newProvider(t, srv, func(o *Options) { o.PageSize = 2 })
	st := storetest.New(t)
	mustSync(t, st, p, repoEntry("acme/api", "deployments"))
	for _, d := range history(t, st, "acme/api").Deployments {
		if d.ProviderID == itoa(second.ID) {
			got := slices.Sorted(slices.Values(d.RangeSHAs))
			want := slices.Sorted(slices.Values(shas[1]))
			if !slices.Equal(got, want) {
				t.Errorf("range = %v, want all %d commits %v", got, len(want), want)
			}
		}
	}
}

// A compare GitHub keeps failing (a diff too long to generate; a 5xx
// after every retry) leaves that deployment to time linking, says so on
// the sync page, and does not stop the other ranges.
func TestCompareThatKeepsFailingFallsBackToTime(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault githubtest.Fault
		tries int
	}{
		{"diff too long", githubtest.Fault{Status: 500, Message: "Server Error: Sorry, this diff is taking too long to generate."}, 1},
		{"5xx every retry", githubtest.ServerError(502), 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := githubtest.New(t)
			first, second, _ := releaseDeployments(srv, "acme/api")
			srv.Inject(tc.fault.On("compare").Repeat(tc.tries))
			p, _, logs := newProvider(t, srv, func(o *Options) { o.RangeWorkers = 1 })
			st := storetest.New(t)
			sum := mustSync(t, st, p, repoEntry("acme/api", "deployments"))
			for _, d := range history(t, st, "acme/api").Deployments {
				switch d.ProviderID {
				case itoa(first.ID):
					if d.RangeFetched || d.RangeSHAs != nil {
						t.Errorf("the failed range was stored: %v", d.RangeSHAs)
					}
				case itoa(second.ID):
					if !d.RangeFetched || len(d.RangeSHAs) != 3 {
						t.Errorf("the other range = %v (fetched %v)", d.RangeSHAs, d.RangeFetched)
					}
				}
			}
			if n := srv.Requests("compare"); n != tc.tries+1 {
				t.Errorf("compare requests = %d, want %d", n, tc.tries+1)
			}
			warned := repoSummary(t, sum, "acme/api").Resources[collectors.ResourceRanges].Warnings
			if len(warned) != 1 || !strings.Contains(warned[0], itoa(first.ID)) || !strings.Contains(warned[0], "by time") {
				t.Errorf("summary warnings = %q", warned)
			}
			states, err := st.SyncStates(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range states {
				if s.Resource == collectors.ResourceRanges && (!strings.Contains(s.LastError, itoa(first.ID)) || s.LastSuccessAt.IsZero()) {
					t.Errorf("sync state of ranges: error %q, success %v", s.LastError, s.LastSuccessAt)
				}
			}
			if !strings.Contains(logs.String(), "linked by time") {
				t.Errorf("nothing logged:\n%s", logs)
			}

			// The next sync asks again (GitHub may answer now), and a
			// range that comes clears the warning.
			srv.ResetCounts()
			mustSync(t, st, p, repoEntry("acme/api", "deployments"))
			if n := srv.Requests("compare"); n != 1 {
				t.Errorf("compare requests of the next sync = %d, want 1", n)
			}
			states, _ = st.SyncStates(context.Background())
			for _, s := range states {
				if s.Resource == collectors.ResourceRanges && s.LastError != "" {
					t.Errorf("warning left after the range came: %q", s.LastError)
				}
			}
		})
	}
}
