package gitlab_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/gitlab"
	gt "github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
	"github.com/tach-dev/tach/store"
)

var allResources = []string{collectors.ResourceRepo, collectors.ResourceChanges, collectors.ResourceChangeFiles, collectors.ResourceDeployments,
	collectors.ResourceCIRuns, collectors.ResourceIncidents, collectors.ResourceRanges}

func TestResyncWithNothingNewIsCheap(t *testing.T) {
	t.Run("graphql", func(t *testing.T) { testResyncWithNothingNew(t, false) })
	t.Run("rest", func(t *testing.T) { testResyncWithNothingNew(t, true) })
}

func testResyncWithNothingNew(t *testing.T, rest bool) {
	h := newHarness(t)
	h.srv.AddProject(billing())
	h.srv.NoGraphQL = rest
	name := "acme/platform/billing"
	h.mustSync(repo(name))
	before := dump(t, h.st)

	h.srv.ResetCounts()
	sum := h.mustSync(repo(name))
	rs := repoSummary(t, sum, name)
	for _, res := range allResources {
		got := rs.Resources[res]
		if got == nil {
			t.Errorf("%s: not in the summary", res)
			continue
		}
		if got.Requests > 2 {
			t.Errorf("%s: %d requests on a sync with nothing new, want ≤ 2", res, got.Requests)
		}
		if got.New+got.Updated != 0 {
			t.Errorf("%s: %d new, %d updated on a sync with nothing new", res, got.New, got.Updated)
		}
	}
	if rs.Requests != h.srv.TotalRequests() {
		t.Errorf("summary counts %d requests, the server saw %d", rs.Requests, h.srv.TotalRequests())
	}
	if after := dump(t, h.st); after != before {
		t.Errorf("a sync with nothing new changed rows:\n%s", diffLines(before, after))
	}
	t.Logf("re-sync: %d requests: %v", rs.Requests, h.srv.Counts())
}

func TestResyncAfterUpdates(t *testing.T) {
	t.Run("graphql", func(t *testing.T) { testResyncAfterUpdates(t, false) })
	t.Run("rest", func(t *testing.T) { testResyncAfterUpdates(t, true) })
}

func testResyncAfterUpdates(t *testing.T, rest bool) {
	h := newHarness(t)
	h.srv.NoGraphQL = rest
	p := h.srv.AddProject(billing())
	name := "acme/platform/billing"
	h.mustSync(repo(name))

	later := at(7 * day)
	h.srv.Edit(func() {
		// !4 is marked ready and reviewed; the running deployment finishes;
		// a new pipeline; the "incident" label comes off an issue.
		m := p.MergeRequests[3]
		m.Draft, m.Title = false, "Experiment"
		m.Notes = append(m.Notes,
			&gt.Note{Body: gt.NoteReady, System: true, Author: dave, CreatedAt: later},
			&gt.Note{Body: "LGTM", Author: erin, CreatedAt: later.Add(hour)})
		m.UpdatedAt = later.Add(hour)
		d := p.Deployments[7]
		d.Status, d.FinishedAt, d.UpdatedAt = "success", later, later
		p.Pipelines = append(p.Pipelines, &gt.Pipeline{Status: "success", Ref: "main", SHA: shaH6, CreatedAt: later,
			StartedAt: later.Add(time.Minute), FinishedAt: later.Add(9 * time.Minute)})
		is := p.Issues[1]
		is.Labels, is.UpdatedAt = []string{"backend"}, later
	})
	h.srv.ResetCounts()
	sum := h.mustSync(repo(name))
	rs := repoSummary(t, sum, name)

	c4 := change(t, h.st, name, 4)
	if c4.Draft || !c4.ReadyAt.Equal(later) || len(c4.Reviews) != 1 || c4.Reviews[0].Author != "erin" {
		t.Errorf("!4 after update = %+v", c4)
	}
	if got := rs.Resources[collectors.ResourceChanges]; got.Updated != 1 || got.New != 0 {
		t.Errorf("changes: %+v, want 1 updated", *got)
	}
	if got := rs.Resources[collectors.ResourceDeployments]; got.Updated != 1 {
		t.Errorf("deployments: %+v, want 1 updated", *got)
	}
	if got := rs.Resources[collectors.ResourceCIRuns]; got.New != 1 {
		t.Errorf("ci_runs: %+v, want 1 new", *got)
	}
	// By REST only the new pipeline is read in full; by GraphQL none is,
	// the page of updated pipelines has their times.
	want := map[bool]int{true: 1, false: 0}[rest]
	if n := h.srv.Requests("GET /projects/:id/pipelines/:pipeline_id"); n != want {
		t.Errorf("read %d pipelines in full, want %d", n, want)
	}
	if got := rs.Resources[collectors.ResourceCIRuns]; !rest && got.Requests != 1 {
		t.Errorf("ci_runs: %d requests, want 1 page of updated pipelines", got.Requests)
	}
	incs, _ := h.st.IncidentsForWindow(context.Background(), []int64{mustRepoID(t, h.st, name)}, at(-day).Unix(), at(30*day).Unix())
	for _, in := range incs {
		if in.Title == "Exports time out" {
			t.Errorf("an issue whose incident label came off is still an incident")
		}
	}
	// The deployment that finished gets its range (prev D5 has the same
	// sha: a redeploy, nothing new, no request).
	if n := h.srv.Requests("GET /projects/:id/repository/compare"); n != 0 {
		t.Errorf("%d compare requests for a redeploy of the same sha, want 0", n)
	}
}

// cancelAfter is a transport that cancels the sync after n requests, as a
// Ctrl-C (or a kill) at that moment.
type cancelAfter struct {
	next   http.RoundTripper
	n      int64
	seen   atomic.Int64
	cancel context.CancelFunc
}

func (c *cancelAfter) RoundTrip(r *http.Request) (*http.Response, error) {
	if c.seen.Add(1) > c.n {
		c.cancel()
		return nil, context.Canceled
	}
	return c.next.RoundTrip(r)
}

// TestResumeAfterCancellationEqualsCleanSync stops a sync after each
// possible number of requests, runs it again, and compares every row with
// a single clean sync.
func TestResumeAfterCancellationEqualsCleanSync(t *testing.T) {
	for _, mode := range []struct {
		name    string
		graphql bool
	}{{"graphql", true}, {"rest", false}} {
		t.Run(mode.name, func(t *testing.T) {
			clean := newHarness(t)
			p := billing()
			p.MergeRequests = append(p.MergeRequests, gt.GenerateMergeRequests(6, gt.GenOptions{Start: at(8 * day), Prefix: "x"})...)
			clean.srv.AddProject(p)
			clean.srv.NoGraphQL = !mode.graphql
			clean.mustSync(repo(p.Path))
			want := dump(t, clean.st)
			total := clean.srv.TotalRequests()
			if total < 10 {
				t.Fatalf("the clean sync made only %d requests", total)
			}

			// Every stopping point for GraphQL; a spread of them for REST,
			// which makes many more requests (and fewer under -race).
			step := max(1, total/25)
			if raceEnabled {
				step = max(1, total/5)
			}
			for n := 1; n < total; n += step {
				h := &harness{t: t, srv: clean.srv, st: newStore(t)}
				ctx, cancel := context.WithCancel(context.Background())
				ca := &cancelAfter{next: clean.srv.Client().Transport, n: int64(n), cancel: cancel}
				interrupted := h.provider(func(o *gitlab.Options) { o.HTTPClient = &http.Client{Transport: ca} })
				sum := h.sync(ctx, interrupted, repo(p.Path))
				cancel()
				// A sync may need fewer requests than the clean one: by REST,
				// the first sync asks GraphQL once or twice (the first page
				// of each half of its window, at once) before it falls back.
				if err := repoSummary(t, sum, p.Path).Err; err == nil && ca.seen.Load() > int64(n) {
					t.Fatalf("cancelled after %d requests: the sync reported no error", n)
				}
				h.mustSync(repo(p.Path))
				if got := dump(t, h.st); got != want {
					t.Fatalf("cancelled after %d requests and resumed: rows differ from a clean sync:\n%s", n, diffLines(want, got))
				}
			}
		})
	}
}

func newStore(t testing.TB) *store.Store {
	return newHarness(t).st
}
