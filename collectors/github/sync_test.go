package github

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/github/githubtest"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

func TestFullSync(t *testing.T) {
	srv := githubtest.New(t)
	h := buildHandHistory(srv, "acme/api")
	p, _, _ := newProvider(t, srv)
	st := storetest.New(t)
	sum := mustSync(t, st, p, repoEntry("acme/api", "deployments"))
	hist := history(t, st, "acme/api")

	if hist.Repo.DefaultBranch != "main" || hist.Repo.URL != srv.URL+"/acme/api" || !hist.Repo.CreatedAt.Equal(ago(700*day)) {
		t.Errorf("repo row = %+v", hist.Repo)
	}

	// Pull requests: all but the one older than sync.history.
	if len(hist.Changes) != 7 {
		t.Fatalf("changes = %d, want 7", len(hist.Changes))
	}
	login := changeByNumber(t, hist, h.login.Number)
	if login.State != store.StateMerged || login.MergeSHA != h.login.MergeCommit || !login.MergedAt.Equal(h.login.MergedAt) {
		t.Errorf("squash-merged change: state %s sha %s merged %v", login.State, login.MergeSHA, login.MergedAt)
	}
	if !login.FirstCommitAt.Equal(ago(22 * day)) {
		t.Errorf("first commit = %v, want the earliest authored date %v", login.FirstCommitAt, ago(22*day))
	}
	if !login.ReadyAt.Equal(login.CreatedAt) || login.Draft {
		t.Errorf("never a draft: ready %v, want its creation %v", login.ReadyAt, login.CreatedAt)
	}
	if !login.SizeKnown || login.Additions != 120 || login.Deletions != 30 || login.ChangedFiles != 4 {
		t.Errorf("size = +%d -%d %d files (known %v)", login.Additions, login.Deletions, login.ChangedFiles, login.SizeKnown)
	}
	if !slices.Equal(login.Labels, []string{"feature"}) || login.BaseBranch != "main" || login.URL == "" || login.ProviderID == "" {
		t.Errorf("labels %v base %q url %q id %q", login.Labels, login.BaseBranch, login.URL, login.ProviderID)
	}
	if len(login.Reviews) != 1 || login.Reviews[0].Author != "bob" || login.Reviews[0].State != "approved" || login.Reviews[0].AuthorIsBot {
		t.Errorf("reviews = %+v", login.Reviews)
	}

	bump := changeByNumber(t, hist, h.bump.Number)
	if bump.Author != "dependabot[bot]" || !bump.AuthorIsBot {
		t.Errorf("bot author = %q (bot %v)", bump.Author, bump.AuthorIsBot)
	}
	if len(bump.Reviews) != 1 || bump.Reviews[0].Author != "copilot-pull-request-reviewer[bot]" || !bump.Reviews[0].AuthorIsBot || bump.Reviews[0].State != "commented" {
		t.Errorf("bot review = %+v", bump.Reviews)
	}

	drafted := changeByNumber(t, hist, h.drafted.Number)
	if !drafted.ReadyAt.Equal(ago(14*day)) || drafted.Draft {
		t.Errorf("opened as a draft: ready %v, want the ready-for-review event %v", drafted.ReadyAt, ago(14*day))
	}
	flipped := changeByNumber(t, hist, h.flipped.Number)
	if !flipped.ReadyAt.Equal(flipped.CreatedAt) {
		t.Errorf("opened ready, drafted later: ready %v, want its creation %v", flipped.ReadyAt, flipped.CreatedAt)
	}
	wip := changeByNumber(t, hist, h.wip.Number)
	if !wip.Draft || !wip.ReadyAt.IsZero() || wip.State != store.StateOpen {
		t.Errorf("draft: draft %v ready %v state %s", wip.Draft, wip.ReadyAt, wip.State)
	}
	dropped := changeByNumber(t, hist, h.dropped.Number)
	if dropped.State != store.StateClosed || !dropped.ClosedAt.Equal(ago(10*day)) || !dropped.MergedAt.IsZero() {
		t.Errorf("closed: %s closed %v merged %v", dropped.State, dropped.ClosedAt, dropped.MergedAt)
	}
	hotfix := changeByNumber(t, hist, h.hotfix.Number)
	if len(hotfix.Reviews) != 2 {
		t.Errorf("hotfix reviews = %+v", hotfix.Reviews)
	}

	// Deployments: every environment, the first terminal status decides.
	want := map[int64]struct {
		status   string
		finished time.Time
		ranged   bool
	}{
		h.prod1.ID:   {"success", h.prod1.Statuses[1].CreatedAt, false}, // the first: linked by time
		h.staging.ID: {"success", h.staging.Statuses[0].CreatedAt, false},
		h.failed.ID:  {"failure", h.failed.Statuses[1].CreatedAt, false},
		h.prod2.ID:   {"success", h.prod2.Statuses[1].CreatedAt, true}, // inactive later: still a success
		h.pending.ID: {"pending", time.Time{}, false},
	}
	if len(hist.Deployments) != len(want) {
		t.Fatalf("deployments = %d, want %d", len(hist.Deployments), len(want))
	}
	for _, d := range hist.Deployments {
		w, ok := want[mustAtoi(t, d.ProviderID)]
		if !ok {
			t.Errorf("unexpected deployment %+v", d)
			continue
		}
		if d.Status != w.status || !d.FinishedAt.Equal(w.finished) || d.RangeFetched != w.ranged {
			t.Errorf("deployment %s (%s): status %s finished %v ranged %v; want %s %v %v",
				d.ProviderID, d.Environment, d.Status, d.FinishedAt, d.RangeFetched, w.status, w.finished, w.ranged)
		}
		if d.ProviderID == itoa(h.prod2.ID) {
			wantRange := []string{h.bump.MergeCommit, h.drafted.MergeCommit, h.flipped.MergeCommit}
			got := slices.Clone(d.RangeSHAs)
			slices.Sort(got)
			slices.Sort(wantRange)
			if !slices.Equal(got, wantRange) {
				t.Errorf("range of prod2 = %v, want %v", got, wantRange)
			}
		}
	}

	// Incidents: the labelled issue, not the labelled pull request.
	if len(hist.Incidents) != 1 || hist.Incidents[0].Number != int64(h.incident.Number) ||
		!hist.Incidents[0].ResolvedAt.Equal(h.incident.ClosedAt) || !hist.Incidents[0].CreatedAt.Equal(h.incident.CreatedAt) {
		t.Errorf("incidents = %+v", hist.Incidents)
	}

	// CI runs, with start and finish.
	if n := countRows(t, st, "ci_runs"); n != 6 {
		t.Errorf("ci runs = %d, want 6", n)
	}
	runs, err := st.CIRunsForWindow(context.Background(), []int64{hist.Repo.ID}, ago(30*day).Unix(), now.Unix())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.StartedAt.IsZero() || r.FinishedAt.IsZero() || r.Status != "completed" {
			t.Errorf("finished run %+v", r)
		}
	}
	if len(runs) != 5 { // the running one has no finish
		t.Errorf("finished runs = %d, want 5", len(runs))
	}

	// Requests: one per resource, one page of history for the one new
	// range (no compare: both deployments are on the default branch), and
	// for incidents one more: the newest issue update, where the next
	// sync's list starts.
	rs := repoSummary(t, sum, "acme/api")
	if rs.Requests != 7 || srv.TotalRequests() != 7 {
		t.Errorf("requests: summary %d, server %d (%s); want 7", rs.Requests, srv.TotalRequests(), srv.CountsString())
	}
	for _, ep := range []string{"repo", "graphql.pullRequests", "graphql.deployments", "graphql.history", "runs"} {
		if n := srv.Requests(ep); n != 1 {
			t.Errorf("%s requests = %d, want 1", ep, n)
		}
	}
	if n := srv.Requests("issues"); n != 2 {
		t.Errorf("issues requests = %d, want 2", n)
	}
	if rs.RateLimitRemaining <= 0 {
		t.Errorf("rate limit left = %d", rs.RateLimitRemaining)
	}
}

func TestResyncWithNothingNew(t *testing.T) {
	srv := githubtest.New(t)
	buildHandHistory(srv, "acme/api")
	p, _, _ := newProvider(t, srv)
	st := storetest.New(t)
	entry := repoEntry("acme/api", "deployments")
	mustSync(t, st, p, entry)
	before := dump(t, st, false)
	srv.ResetCounts()

	sum := mustSync(t, st, p, entry)
	rs := repoSummary(t, sum, "acme/api")
	for name, res := range rs.Resources {
		if res.Requests > 2 {
			t.Errorf("%s: %d requests, want at most 2", name, res.Requests)
		}
		if res.New+res.Updated > 0 {
			t.Errorf("%s: %d new, %d updated with nothing changed", name, res.New, res.Updated)
		}
	}
	if srv.Requests("compare") != 0 || srv.Requests("graphql.history") != 0 {
		t.Errorf("ranges asked again: %s", srv.CountsString())
	}
	if got := dump(t, st, false); got != before {
		t.Errorf("rows changed:\n%s", diffLines(before, got))
	}
	t.Logf("re-sync: %d requests (%s)", srv.TotalRequests(), srv.CountsString())

	// A third sync is all 304s for the REST lists that have ETags.
	srv.ResetCounts()
	sum = mustSync(t, st, p, entry)
	if total := repoSummary(t, sum, "acme/api").Requests; total > 5 {
		t.Errorf("third sync: %d requests (%s)", total, srv.CountsString())
	}
}

func TestResyncAfterUpdates(t *testing.T) {
	srv := githubtest.New(t)
	h := buildHandHistory(srv, "acme/api")
	var ongoing, relabelled *githubtest.Issue
	srv.Edit(func() {
		ongoing = h.repo.AddIssue("API errors", ago(day), "incident")
		relabelled = h.repo.AddIssue("Slow page", ago(4*day), "incident")
	})
	p, _, _ := newProvider(t, srv)
	st := storetest.New(t)
	entry := repoEntry("acme/api", "deployments")
	mustSync(t, st, p, entry)
	if n := len(history(t, st, "acme/api").Incidents); n != 3 {
		t.Fatalf("incidents before = %d, want 3", n)
	}

	var fresh *githubtest.PullRequest
	var prod3 *githubtest.Deployment
	srv.Edit(func() {
		r := h.repo
		h.hotfix.Title = "Fix crash on login (for real)"
		h.hotfix.UpdatedAt = ago(time.Hour)
		fresh = r.AddPR("Second fix", erin, ago(5*time.Hour))
		r.Merge(fresh, ago(3*time.Hour))
		r.AddStatus(h.pending, "success", ago(2*day).Add(2*time.Hour))
		prod3 = r.Deploy(fresh.MergeCommit, "production", ago(2*time.Hour), "success")
		ongoing.ClosedAt, ongoing.UpdatedAt = ago(30*time.Minute), ago(30*time.Minute)
		relabelled.Labels, relabelled.UpdatedAt = []string{"performance"}, ago(20*time.Minute)
		h.running.Status, h.running.Conclusion, h.running.UpdatedAt = "completed", "success", ago(time.Hour)
	})
	srv.ResetCounts()
	mustSync(t, st, p, entry)
	hist := history(t, st, "acme/api")

	if c := changeByNumber(t, hist, h.hotfix.Number); c.Title != "Fix crash on login (for real)" {
		t.Errorf("changed PR title = %q", c.Title)
	}
	if c := changeByNumber(t, hist, fresh.Number); c.MergeSHA != fresh.MergeCommit || c.State != store.StateMerged {
		t.Errorf("new PR = %+v", c)
	}
	byID := map[string]store.Deployment{}
	for _, d := range hist.Deployments {
		byID[d.ProviderID] = d
	}
	if d := byID[itoa(h.pending.ID)]; d.Status != "success" || !d.FinishedAt.Equal(ago(2*day).Add(2*time.Hour)) ||
		!slices.Equal(d.RangeSHAs, []string{h.hotfix.MergeCommit}) {
		t.Errorf("pending deployment now = %s %v range %v", d.Status, d.FinishedAt, d.RangeSHAs)
	}
	if d := byID[itoa(prod3.ID)]; d.Status != "success" || !slices.Equal(d.RangeSHAs, []string{fresh.MergeCommit}) {
		t.Errorf("new deployment = %s range %v", d.Status, d.RangeSHAs)
	}
	incidents := map[int64]store.Incident{}
	for _, in := range hist.Incidents {
		incidents[in.Number] = in
	}
	if in := incidents[int64(ongoing.Number)]; !in.ResolvedAt.Equal(ago(30 * time.Minute)) {
		t.Errorf("closed incident resolved at %v", in.ResolvedAt)
	}
	if _, ok := incidents[int64(relabelled.Number)]; ok || len(incidents) != 2 {
		t.Errorf("incident whose label was removed is still there: %+v", hist.Incidents)
	}
	runs, err := st.CIRunsForWindow(context.Background(), []int64{hist.Repo.ID}, ago(2*time.Hour).Unix(), now.Unix())
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].ProviderID != itoa(h.running.ID) || runs[0].Conclusion != "success" {
		t.Errorf("completed run = %+v", runs)
	}
	if n, h := srv.Requests("compare"), srv.Requests("graphql.history"); n != 0 || h != 1 {
		t.Errorf("compare requests = %d, history pages = %d; want 0 and 1 (one page for both new ranges)", n, h)
	}
	t.Logf("sync after updates: %s", srv.CountsString())
}

func TestSourcesWorkflowReleasesMerges(t *testing.T) {
	srv := githubtest.New(t)
	h := buildHandHistory(srv, "acme/api")
	for _, source := range []string{"workflow", "releases", "merges"} {
		tc := struct{ source string }{source}
		t.Run(tc.source, func(t *testing.T) {
			st := storetest.New(t)
			p, _, _ := newProvider(t, srv)
			srv.ResetCounts()
			mustSync(t, st, p, repoEntry("acme/api", tc.source))
			hist := history(t, st, "acme/api")
			var got []store.Deployment
			for _, d := range hist.Deployments {
				if d.Source != tc.source {
					t.Errorf("deployment of source %s", d.Source)
				}
				got = append(got, d)
			}
			switch tc.source {
			case "workflow":
				// Deploy runs on main: two successes and one running; the
				// CI runs are not deployments.
				if len(got) != 3 {
					t.Fatalf("workflow deployments = %+v", got)
				}
				for _, d := range got {
					if d.ProviderID == itoa(h.running.ID) {
						if d.Status != "pending" || !d.FinishedAt.IsZero() {
							t.Errorf("running deploy = %+v", d)
						}
					} else if d.Status != "success" || d.Environment != "production" || d.FinishedAt.IsZero() {
						t.Errorf("deploy run = %+v", d)
					}
				}
				if srv.Requests("graphql.deployments") != 0 {
					t.Errorf("workflow source asked for GitHub deployments")
				}
			case "releases":
				// Published, not drafts, not prereleases; at the tag's commit.
				if len(got) != 2 {
					t.Fatalf("release deployments = %+v", got)
				}
				for _, d := range got {
					if d.Status != "success" || !d.CreatedAt.Equal(d.FinishedAt) || (d.SHA != h.login.MergeCommit && d.SHA != h.hotfix.MergeCommit) {
						t.Errorf("release deployment = %+v", d)
					}
				}
				if srv.Requests("compare") != 0 || srv.Requests("graphql.history") != 1 || srv.Requests("graphql.releases") != 1 {
					t.Errorf("requests: %s", srv.CountsString())
				}
			case "merges":
				// One per change merged into main, at its merge commit.
				if len(got) != 5 {
					t.Fatalf("merge deployments = %d", len(got))
				}
				for _, d := range got {
					c := changeByNumber(t, hist, int(mustAtoi(t, d.ProviderID)))
					if d.SHA != c.MergeSHA || !d.FinishedAt.Equal(c.MergedAt) || d.Status != "success" {
						t.Errorf("merge deployment %+v for change %+v", d, c)
					}
				}
				if srv.Requests("compare") != 0 || srv.Requests("graphql.deployments") != 0 {
					t.Errorf("requests: %s", srv.CountsString())
				}
			}
		})
	}
}

func TestLinkTimeAsksNoRanges(t *testing.T) {
	srv := githubtest.New(t)
	buildHandHistory(srv, "acme/api")
	p, _, _ := newProvider(t, srv)
	st := storetest.New(t)
	entry := repoEntry("acme/api", "deployments")
	entry.Link = "time"
	mustSync(t, st, p, entry)
	if n := srv.Requests("compare") + srv.Requests("graphql.history"); n != 0 {
		t.Errorf("range requests with link: time: %s", srv.CountsString())
	}
}

func TestCompareOfRewrittenHistory(t *testing.T) {
	srv := githubtest.New(t)
	h := buildHandHistory(srv, "acme/api")
	srv.Edit(func() { h.prod1.SHA = githubtest.SHA("force-pushed away") })
	p, _, logs := newProvider(t, srv)
	st := storetest.New(t)
	mustSync(t, st, p, repoEntry("acme/api", "deployments"))
	for _, d := range history(t, st, "acme/api").Deployments {
		if d.ProviderID == itoa(h.prod2.ID) && (!d.RangeFetched || len(d.RangeSHAs) != 0) {
			t.Errorf("range after a 404 compare: fetched %v shas %v", d.RangeFetched, d.RangeSHAs)
		}
	}
	if !contains(logs.String(), "cannot compare") {
		t.Errorf("no warning logged:\n%s", logs)
	}
	srv.ResetCounts()
	mustSync(t, st, p, repoEntry("acme/api", "deployments"))
	if n := srv.Requests("compare"); n != 0 {
		t.Errorf("compare asked again: %d", n)
	}
}

func TestPagination(t *testing.T) {
	srv := githubtest.New(t)
	r := srv.AddRepo("acme/big")
	r.Generate(githubtest.History{PRs: 23, Deployments: 7, Runs: 9, Incidents: 5, Issues: 4, End: now, Span: 60 * day})
	p, _, _ := newProvider(t, srv, func(o *Options) { o.PullRequestPageSize = 5; o.PageSize = 3 })
	st := storetest.New(t)
	mustSync(t, st, p, repoEntry("acme/big", "deployments"))
	hist := history(t, st, "acme/big")
	if len(hist.Changes) != 23 || len(hist.Deployments) != 7 || len(hist.Incidents) != 5 || countRows(t, st, "ci_runs") != 9 {
		t.Errorf("rows: %d changes, %d deployments, %d incidents, %d runs", len(hist.Changes), len(hist.Deployments), len(hist.Incidents), countRows(t, st, "ci_runs"))
	}
	if n := srv.Requests("graphql.pullRequests"); n != 5 { // ⌈23/5⌉
		t.Errorf("pull request pages = %d, want 5", n)
	}
	if n := srv.Requests("graphql.deployments"); n != 3 { // ⌈7/3⌉
		t.Errorf("deployment pages = %d, want 3", n)
	}
	if n := srv.Requests("runs"); n != 3 {
		t.Errorf("run pages = %d, want 3", n)
	}
	// Every change in the same sync gets its reviews, and the bots' are marked.
	var bots int
	for _, c := range hist.Changes {
		if c.AuthorIsBot {
			bots++
			if c.Author != "dependabot[bot]" {
				t.Errorf("bot login %q", c.Author)
			}
		}
	}
	if bots == 0 {
		t.Errorf("no bot changes in a generated history")
	}

	// A second sync with smaller pages than changes: one page each.
	srv.ResetCounts()
	mustSync(t, st, p, repoEntry("acme/big", "deployments"))
	if n := srv.Requests("graphql.pullRequests"); n != 1 {
		t.Errorf("re-sync pull request pages = %d, want 1", n)
	}
}

func TestResumeAfterCancellationEqualsCleanSync(t *testing.T) {
	small := func(o *Options) { o.PullRequestPageSize = 2; o.PageSize = 2; o.RangeWorkers = 1 }
	entry := repoEntry("acme/api", "deployments")

	srv := githubtest.New(t)
	buildHandHistory(srv, "acme/api")
	clean := storetest.New(t)
	p, _, _ := newProvider(t, srv, small)
	mustSync(t, clean, p, entry)
	want := dump(t, clean, true)
	total := srv.TotalRequests()
	if total < 10 {
		t.Fatalf("a clean sync made only %d requests; the test wants many cut points", total)
	}

	// Cancel the sync when it sends its k-th request (that request is cut
	// too), for every k; then sync again to the end.
	for k := 1; k <= total; k++ {
		t.Run(fmt.Sprintf("cut at request %d of %d", k, total), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cut := &cutAfter{next: srv.Client().Transport, k: int32(k), cancel: cancel}
			st := storetest.New(t)
			p, _, _ := newProvider(t, srv, small, func(o *Options) { o.Transport = cut })
			sum := syncAll(ctx, t, st, p, entry)
			if err := repoSummary(t, sum, "acme/api").Err; err == nil {
				t.Errorf("a sync cancelled at request %d of %d succeeded", k, total)
			}
			mustSync(t, st, p, entry)
			if got := dump(t, st, true); got != want {
				t.Errorf("resumed sync differs from a clean one:\n%s", diffLines(want, got))
			}
		})
	}
}

// cutAfter cancels a sync's context when its k-th request goes out.
type cutAfter struct {
	next   http.RoundTripper
	k, n   int32
	cancel context.CancelFunc
}

func (c *cutAfter) RoundTrip(req *http.Request) (*http.Response, error) {
	if atomic.AddInt32(&c.n, 1) == c.k {
		c.cancel()
		return nil, context.Canceled
	}
	return c.next.RoundTrip(req)
}

func TestSeveralReposInParallel(t *testing.T) {
	srv := githubtest.New(t)
	var entries []collectors.Repo
	for _, name := range []string{"acme/a", "acme/b", "acme/c", "acme/d", "acme/e"} {
		srv.AddRepo(name).Generate(githubtest.History{PRs: 30, Deployments: 5, Runs: 10, Incidents: 2, End: now, Span: 30 * day})
		entries = append(entries, repoEntry(name, "deployments"))
	}
	p, _, _ := newProvider(t, srv)
	st := storetest.New(t)
	sum := mustSync(t, st, p, entries...)
	if len(sum.Repos) != 5 {
		t.Fatalf("repos = %d", len(sum.Repos))
	}
	for _, e := range entries {
		if n := len(history(t, st, e.Name).Changes); n != 30 {
			t.Errorf("%s: %d changes", e.Name, n)
		}
	}
	if int(p.Requests()) != srv.TotalRequests() || sum.Requests() != srv.TotalRequests() {
		t.Errorf("requests: provider %d, summary %d, server %d", p.Requests(), sum.Requests(), srv.TotalRequests())
	}
}

// A page of pull requests GitHub cannot answer in time (502 after every
// retry) is asked again half as big, and the walk goes on with that size.
func TestPullRequestPageHalvesOnTimeout(t *testing.T) {
	srv := githubtest.New(t)
	srv.AddRepo("acme/big").Generate(githubtest.History{PRs: 120, End: now, Span: 60 * day})
	p, _, _ := newProvider(t, srv)
	srv.Inject(githubtest.ServerError(http.StatusBadGateway).On("graphql.pullRequests").Repeat(5)) // the first try and its 4 retries
	st := storetest.New(t)
	mustSync(t, st, p, repoEntry("acme/big", "deployments"))
	if n := len(history(t, st, "acme/big").Changes); n != 120 {
		t.Fatalf("%d changes, want 120", n)
	}
	// 5 attempts of a page of 100, then ⌈120/50⌉ pages of 50.
	if n := srv.Requests("graphql.pullRequests"); n != 5+3 {
		t.Errorf("pull request requests = %d, want 8", n)
	}
}

// inFlight counts the requests a transport has in flight at once.
type inFlight struct {
	next      http.RoundTripper
	now, most atomic.Int32
}

func (f *inFlight) RoundTrip(req *http.Request) (*http.Response, error) {
	n := f.now.Add(1)
	defer f.now.Add(-1)
	for m := f.most.Load(); n > m && !f.most.CompareAndSwap(m, n); m = f.most.Load() {
	}
	return f.next.RoundTrip(req)
}

// A repo's resources sync at once, their requests within the repo's
// slots: as many in flight as RepoRequests allows, never more.
func TestRepoRequestsBoundTheRequestsInFlight(t *testing.T) {
	srv := githubtest.New(t)
	srv.AddRepo("acme/big").Generate(githubtest.History{PRs: 60, Deployments: 12, Runs: 40, Incidents: 4, End: now, Span: 60 * day})
	srv.SetLatency(20 * time.Millisecond)
	for _, slots := range []int{1, 3} {
		counter := &inFlight{next: srv.Client().Transport}
		p, _, _ := newProvider(t, srv, func(o *Options) {
			o.Transport = counter
			o.RepoRequests = slots
			o.PageSize = 10
			o.PullRequestPageSize = 10
		})
		mustSync(t, storetest.New(t), p, repoEntry("acme/big", "deployments"))
		if got := int(counter.most.Load()); got != slots {
			t.Errorf("RepoRequests %d: %d requests in flight at most", slots, got)
		}
	}
}
