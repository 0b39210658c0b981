package gitlab_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
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

// A first sync reads its window's merge requests in parts at once (three
// by default; the tests of an update, a failure or a fallback during the
// sync use two halves, the same code): the older, updated from the
// window's start to its middle (GraphQL updatedBefore, REST updated_before
// for the squash commits), and the newer, from the middle on; its
// pipelines in two. These tests sync a generated project whose
// merge requests span the middle: with a history of 120 days before now,
// the middle is now − 60 days, and the merge requests run from 101 days
// to 1 day before now.

const halvesHistory = 120 * day

// halvesMiddle is where a first sync with halvesHistory splits its window.
var halvesMiddle = now.Add(-halvesHistory / 2)

// unbounded is a project's request slots for the tests that hold a
// request back until another half has read its pages: held, it keeps its
// slot, and the other half must not wait for one.
const unbounded = 100

func halvesProject(name string) *gt.Project {
	return gt.GenerateHistory(name, gt.History{MergeRequests: 60, Deployments: 15, Pipelines: 30, Incidents: 3,
		End: now.Add(-day), Span: 100 * day})
}

// mrRequest is a request for merge requests a sync sent: a GraphQL page
// (TachMergeRequests) or a page of the REST list of merged ones (for their
// squash commits).
type mrRequest struct {
	gql bool
	// after and before bound the updates asked for (zero: no bound).
	after, before time.Time
	// n counts the requests of its kind (gql) and half (older: before set)
	// so far, this one included.
	n int
}

func (r mrRequest) older() bool { return !r.before.IsZero() }

// newer is a request of the newer half: from the middle on, unbounded.
func (r mrRequest) newer() bool { return r.before.IsZero() && r.after.Equal(halvesMiddle) }

// mrWatch is a transport that watches the requests for merge requests: it
// records each (and the iids a GraphQL page answered), lets a test act
// before one goes out (on; a response on returns is the answer instead of
// the fake's), and signals when the newer half's last GraphQL page was
// answered.
type mrWatch struct {
	next http.RoundTripper
	on   func(r mrRequest) *http.Response

	mu        sync.Mutex
	sent      []mrRequest
	iids      map[string]map[string]bool // "older"/"newer"/"single" → iids answered
	counts    map[[2]bool]int
	newerDone chan struct{}
	closed    bool
}

func newMRWatch(next http.RoundTripper) *mrWatch {
	return &mrWatch{next: next, iids: map[string]map[string]bool{}, counts: map[[2]bool]int{}, newerDone: make(chan struct{})}
}

func (w *mrWatch) RoundTrip(r *http.Request) (*http.Response, error) {
	req, ok := w.classify(r)
	if !ok {
		return w.next.RoundTrip(r)
	}
	w.mu.Lock()
	w.counts[[2]bool{req.gql, req.older()}]++
	req.n = w.counts[[2]bool{req.gql, req.older()}]
	w.sent = append(w.sent, req)
	w.mu.Unlock()
	if w.on != nil {
		if resp := w.on(req); resp != nil {
			return resp, nil
		}
	}
	resp, err := w.next.RoundTrip(r)
	if err != nil || !req.gql || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var page struct {
		Data struct {
			Project struct {
				MergeRequests struct {
					PageInfo struct {
						HasNextPage bool `json:"hasNextPage"`
					} `json:"pageInfo"`
					Nodes []struct {
						IID string `json:"iid"`
					} `json:"nodes"`
				} `json:"mergeRequests"`
			} `json:"project"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &page) == nil {
		half := "single"
		switch {
		case req.older():
			half = "older"
		case req.newer():
			half = "newer"
		}
		w.mu.Lock()
		if w.iids[half] == nil {
			w.iids[half] = map[string]bool{}
		}
		for _, n := range page.Data.Project.MergeRequests.Nodes {
			w.iids[half][n.IID] = true
		}
		if half == "newer" && !page.Data.Project.MergeRequests.PageInfo.HasNextPage && !w.closed {
			close(w.newerDone)
			w.closed = true
		}
		w.mu.Unlock()
	}
	return resp, nil
}

// classify recognises a request for merge requests and its window.
func (w *mrWatch) classify(r *http.Request) (mrRequest, bool) {
	parse := func(s string) time.Time {
		t, _ := time.Parse(time.RFC3339, s)
		return t
	}
	switch {
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/merge_requests") && r.URL.Query().Get("state") == "merged":
		q := r.URL.Query()
		return mrRequest{after: parse(q.Get("updated_after")), before: parse(q.Get("updated_before"))}, true
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/api/graphql"):
		body, err := io.ReadAll(r.Body)
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
		var q struct {
			Query     string         `json:"query"`
			Variables map[string]any `json:"variables"`
		}
		if err != nil || json.Unmarshal(body, &q) != nil || !strings.HasPrefix(q.Query, "query TachMergeRequests(") {
			return mrRequest{}, false
		}
		str := func(k string) string { s, _ := q.Variables[k].(string); return s }
		return mrRequest{gql: true, after: parse(str("updatedAfter")), before: parse(str("updatedBefore"))}, true
	}
	return mrRequest{}, false
}

// count returns how many requests of a kind matched.
func (w *mrWatch) count(match func(mrRequest) bool) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, r := range w.sent {
		if match(r) {
			n++
		}
	}
	return n
}

// waitNewerDone waits for the newer half's last page to be answered.
func (w *mrWatch) waitNewerDone(t *testing.T) bool {
	select {
	case <-w.newerDone:
		return true
	case <-time.After(20 * time.Second):
		t.Errorf("the newer half of the window never read its last page")
		return false
	}
}

// answer is a response a transport makes up.
func answer(status int, body string) *http.Response {
	return &http.Response{StatusCode: status, Status: http.StatusText(status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body))}
}

// halvesHarness is a harness over srv syncing back halvesHistory into a
// fresh store.
func halvesHarness(t *testing.T, srv *gt.Server) *harness {
	return &harness{t: t, srv: srv, st: storetest.New(t), history: halvesHistory}
}

// TestFirstSyncInHalvesStoresWhatOneWalkStores syncs a project whose merge
// requests span the middle of the window (one merged and squashed is
// updated at the middle itself, so both halves read it) in two halves and
// in one walk, for the deployments and merges sources, derives both and
// compares every row, the sync state included: the same. Squash-merged
// merge requests link to the deployments that shipped them.
func TestFirstSyncInHalvesStoresWhatOneWalkStores(t *testing.T) {
	srv := gt.New(t)
	srv.Token, srv.Now = "secret-token", clock
	name := "acme/platform/ledger"
	p := halvesProject(name)
	var atMiddle *gt.MergeRequest
	for _, m := range p.MergeRequests {
		if m.Squash && m.MergedAt.Before(halvesMiddle) {
			atMiddle = m // the newest merged and squashed before the middle
		}
	}
	atMiddle.UpdatedAt = halvesMiddle
	srv.AddProject(p)
	ctx := context.Background()
	for _, src := range []string{"deployments", "merges"} {
		t.Run(src, func(t *testing.T) {
			var dumps []string
			// One walk, two halves, and the default's three parts (whose
			// requests are not counted here: the rows say it all).
			for _, parts := range []int{1, 2, 0} {
				single := parts == 1
				h := halvesHarness(t, srv)
				watch := newMRWatch(srv.Client().Transport)
				prov := h.provider(gitlab.MRParts(parts), func(o *gitlab.Options) {
					o.HTTPClient = &http.Client{Transport: watch}
					if single {
						gitlab.SingleWalk(o)
					}
				})
				r := repoWith(name, src, "deploy-prod")
				if err := h.sync(ctx, prov, r).Repos[0].Err; err != nil {
					t.Fatal(err)
				}
				older := watch.count(func(r mrRequest) bool { return r.gql && r.older() && r.before.Equal(halvesMiddle) })
				newer := watch.count(func(r mrRequest) bool { return r.gql && r.newer() })
				olderList := watch.count(func(r mrRequest) bool { return !r.gql && r.older() && r.before.Equal(halvesMiddle) })
				switch {
				case single:
					if older+newer+olderList > 0 {
						t.Fatalf("one walk asked for a half of the window")
					}
				case parts == 0:
				case older < 2 || newer < 2 || olderList < 1:
					t.Fatalf("in halves: %d GraphQL pages of the older half, %d of the newer, %d of the older's merged list; want both halves read",
						older, newer, olderList)
				default:
					iid := strconv.FormatInt(atMiddle.IID, 10)
					if !watch.iids["older"][iid] || !watch.iids["newer"][iid] {
						t.Errorf("!%s, updated at the middle, was not read by both halves", iid)
					}
					if got := len(watch.iids["older"]) + len(watch.iids["newer"]); got != len(p.MergeRequests)+1 {
						t.Errorf("the halves read %d merge requests, want each of %d once and !%s twice", got, len(p.MergeRequests), iid)
					}
				}
				rules := metrics.DefaultRepoRules()
				rules.Source = src
				if err := engine.NewDeriver(h.st, metrics.DefaultRules(), map[string]metrics.RepoRules{name: rules}).Derive(ctx); err != nil {
					t.Fatal(err)
				}
				if !single {
					checkSquashLinks(t, h, name, src)
				}
				dumps = append(dumps, storetest.Dump(t, h.st.Path()))
			}
			for i, what := range []string{"two halves", "three parts"} {
				if dumps[0] != dumps[i+1] {
					t.Errorf("rows of one walk (-) differ from rows of %s (+):\n%s", what, storetest.Diff(dumps[0], dumps[i+1]))
				}
			}
		})
	}
}

// TestAnMRUpdatedDuringAFirstSyncIsNotLost updates a merge request of the
// older half while the halves are read: it moves to the newer half's end.
func TestAnMRUpdatedDuringAFirstSyncIsNotLost(t *testing.T) {
	ctx := context.Background()
	name := "acme/platform/ledger"
	setup := func(t *testing.T) (*harness, *gt.Project, *mrWatch, *gitlab.Provider) {
		srv := gt.New(t)
		srv.Token, srv.Now = "secret-token", clock
		p := srv.AddProject(halvesProject(name))
		h := halvesHarness(t, srv)
		watch := newMRWatch(srv.Client().Transport)
		return h, p, watch, h.provider(gitlab.MRParts(2), func(o *gitlab.Options) { o.HTTPClient, o.ProjectRequests = &http.Client{Transport: watch}, unbounded })
	}
	olderMRs := func(p *gt.Project) []*gt.MergeRequest {
		var out []*gt.MergeRequest
		for _, m := range p.MergeRequests {
			if !m.UpdatedAt.After(halvesMiddle) {
				out = append(out, m)
			}
		}
		return out
	}

	// The older half has yet to reach it: the newer half reads it, at its
	// end, in the same sync.
	t.Run("before the older half reads it", func(t *testing.T) {
		h, p, watch, prov := setup(t)
		older := olderMRs(p)
		moved := older[len(older)-1] // on the older half's last page
		edited := false
		watch.on = func(r mrRequest) *http.Response {
			if r.gql && r.older() && r.n == 2 {
				h.srv.Edit(func() { moved.Title, moved.UpdatedAt = "Retitled during the sync", now.Add(-time.Minute) })
				edited = true
			}
			return nil
		}
		if err := h.sync(ctx, prov, repo(name)).Repos[0].Err; err != nil {
			t.Fatal(err)
		}
		if !edited {
			t.Fatal("no second page of the older half")
		}
		if c := change(t, h.st, name, moved.IID); c.Title != moved.Title || !c.UpdatedAt.Equal(moved.UpdatedAt) {
			t.Errorf("!%d updated during the sync is stored as %q updated %s, want %q updated %s",
				moved.IID, c.Title, c.UpdatedAt, moved.Title, moved.UpdatedAt)
		}
	})

	// The older half read it merged, then it was updated (after the newer
	// half's last page) before the older's list of merged MRs got to it:
	// that list ends at the middle, so the lookup reads the list again from
	// where it ended, to its very end, and finds its squash commit there.
	t.Run("after the older half read it, the newer half done", func(t *testing.T) {
		h, p, watch, prov := setup(t)
		first := olderMRs(p)[0] // the oldest: the first the older half looks up
		if !first.Squash {
			t.Fatalf("the oldest MR is not squashed")
		}
		var once sync.Once
		watch.on = func(r mrRequest) *http.Response {
			if !r.gql && r.older() {
				once.Do(func() {
					if watch.waitNewerDone(t) {
						h.srv.Edit(func() { first.UpdatedAt = now.Add(-time.Minute) })
					}
				})
			}
			return nil
		}
		if err := h.sync(ctx, prov, repo(name)).Repos[0].Err; err != nil {
			t.Fatal(err)
		}
		if !first.UpdatedAt.After(halvesMiddle) {
			t.Fatal("the older half never looked up a squash commit")
		}
		if c := change(t, h.st, name, first.IID); c.SquashSHA != first.SquashCommitSHA {
			t.Errorf("!%d, listed with the newer half's updates when its squash commit was looked up: squash %q, want %s",
				first.IID, c.SquashSHA, first.SquashCommitSHA)
		}
		if n := watch.count(func(r mrRequest) bool { return !r.gql && r.before.IsZero() && r.after.Before(halvesMiddle) }); n == 0 {
			t.Errorf("the older half's list of merged MRs was not read again past the middle")
		}
		// The newer half never saw the update: the watermark stays under it
		// and the next sync stores it.
		st, err := h.st.SyncState(ctx, mustRepoID(t, h.st, name), collectors.ResourceChanges)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Watermark.Before(first.UpdatedAt) {
			t.Errorf("watermark %s is past !%d's update at %s, which was not stored", st.Watermark, first.IID, first.UpdatedAt)
		}
		h.mustSync(repo(name))
		if c := change(t, h.st, name, first.IID); !c.UpdatedAt.Equal(first.UpdatedAt) || c.SquashSHA != first.SquashCommitSHA {
			t.Errorf("after a re-sync !%d is updated %s with squash %q, want %s and %s", first.IID, c.UpdatedAt, c.SquashSHA,
				first.UpdatedAt, first.SquashCommitSHA)
		}
	})

	// The older half read it, it was updated, and the newer half wrote it
	// as updated before the older half committed the page that read it as
	// it was: that older read must not overwrite the newer one.
	t.Run("written by the newer half first", func(t *testing.T) {
		h, p, watch, prov := setup(t)
		first := olderMRs(p)[0]
		var once sync.Once
		watch.on = func(r mrRequest) *http.Response {
			if r.gql || !r.older() {
				return nil
			}
			// The older half looks up the squash commit of its first page's
			// first MR: update that MR, and hold the older half until the
			// newer half has stored it as updated.
			once.Do(func() {
				h.srv.Edit(func() { first.Title, first.UpdatedAt = "Retitled during the sync", now.Add(-time.Minute) })
				deadline := time.Now().Add(20 * time.Second)
				for {
					c, err := h.st.ChangeByNumber(ctx, mustRepoID(t, h.st, name), first.IID)
					if err == nil && c.Title == first.Title {
						return
					}
					if time.Now().After(deadline) {
						t.Errorf("the newer half never stored !%d as updated", first.IID)
						return
					}
					time.Sleep(5 * time.Millisecond)
				}
			})
			return nil
		}
		if err := h.sync(ctx, prov, repo(name)).Repos[0].Err; err != nil {
			t.Fatal(err)
		}
		if first.Title != "Retitled during the sync" {
			t.Fatal("the older half never looked up a squash commit")
		}
		if c := change(t, h.st, name, first.IID); c.Title != first.Title || !c.UpdatedAt.Equal(first.UpdatedAt) {
			t.Errorf("!%d is stored as %q updated %s, want its newer read %q updated %s",
				first.IID, c.Title, c.UpdatedAt, first.Title, first.UpdatedAt)
		}
	})
}

// TestAFailureInOneHalfLeavesTheWatermarkUnderWhatIsUnstored fails the
// third page of one half once the other half has stored a page: the sync
// fails, the watermark is under every merge request not stored, and the
// next sync stores every row a clean sync does.
func TestAFailureInOneHalfLeavesTheWatermarkUnderWhatIsUnstored(t *testing.T) {
	ctx := context.Background()
	srv := gt.New(t)
	srv.Token, srv.Now = "secret-token", clock
	name := "acme/platform/ledger"
	p := srv.AddProject(halvesProject(name))
	clean := halvesHarness(t, srv)
	clean.mustSync(repo(name))
	want := storetest.Dump(t, clean.st.Path())

	for _, failing := range []string{"older", "newer"} {
		t.Run(failing, func(t *testing.T) {
			h := halvesHarness(t, srv)
			watch := newMRWatch(srv.Client().Transport)
			failed := false
			otherThird := make(chan struct{})
			watch.on = func(r mrRequest) *http.Response {
				if !r.gql || r.n != 3 || !r.older() && !r.newer() {
					return nil
				}
				if r.older() != (failing == "older") {
					close(otherThird) // the other half's first page is committed
					return nil
				}
				select {
				case <-otherThird:
				case <-time.After(20 * time.Second):
					t.Errorf("the other half never asked its third page")
				}
				failed = true
				return answer(http.StatusOK, `{"data": null}`)
			}
			prov := h.provider(gitlab.MRParts(2), func(o *gitlab.Options) { o.HTTPClient, o.ProjectRequests = &http.Client{Transport: watch}, unbounded })
			if err := h.sync(ctx, prov, repo(name)).Repos[0].Err; err == nil || !failed {
				t.Fatalf("the %s half's third page failed: %v; the sync: %v", failing, failed, err)
			}
			st, err := h.st.SyncState(ctx, mustRepoID(t, h.st, name), collectors.ResourceChanges)
			if err != nil {
				t.Fatal(err)
			}
			if st.Watermark.IsZero() || st.Watermark.After(halvesMiddle) {
				t.Errorf("watermark %s: want the older half's, before the middle %s", st.Watermark, halvesMiddle)
			}
			storedNewer := 0
			for _, m := range p.MergeRequests {
				_, err := h.st.ChangeByNumber(ctx, mustRepoID(t, h.st, name), m.IID)
				stored := err == nil
				if !stored && m.UpdatedAt.Before(st.Watermark) {
					t.Errorf("!%d, updated %s, is not stored, under the watermark %s", m.IID, m.UpdatedAt, st.Watermark)
				}
				if stored && m.UpdatedAt.After(halvesMiddle) {
					storedNewer++
				}
			}
			if storedNewer == 0 {
				t.Errorf("the newer half stored nothing before the failure")
			}
			h.mustSync(repo(name))
			if got := storetest.Dump(t, h.st.Path()); got != want {
				t.Errorf("after the failure and a re-sync, rows differ from a clean sync:\n%s", storetest.Diff(want, got))
			}
		})
	}
}

// TestGraphQLUnavailableInEitherHalfFallsBackToREST: GraphQL answers 404
// to the second page of one half; the merge requests come from REST from
// the watermark the older half reached, with every row as a clean sync's.
func TestGraphQLUnavailableInEitherHalfFallsBackToREST(t *testing.T) {
	ctx := context.Background()
	srv := gt.New(t)
	srv.Token, srv.Now = "secret-token", clock
	name := "acme/platform/ledger"
	srv.AddProject(halvesProject(name))
	clean := halvesHarness(t, srv)
	clean.mustSync(repo(name))
	want := storetest.Dump(t, clean.st.Path())

	for _, half := range []string{"older", "newer"} {
		t.Run(half, func(t *testing.T) {
			h := halvesHarness(t, srv)
			watch := newMRWatch(srv.Client().Transport)
			refused := false
			watch.on = func(r mrRequest) *http.Response {
				if r.gql && r.n == 2 && (half == "older" && r.older() || half == "newer" && r.newer()) {
					refused = true
					return answer(http.StatusNotFound, `{"message": "404 Not Found"}`)
				}
				return nil
			}
			prov := h.provider(gitlab.MRParts(2), func(o *gitlab.Options) { o.HTTPClient, o.ProjectRequests = &http.Client{Transport: watch}, unbounded })
			srv.ResetCounts()
			if err := h.sync(ctx, prov, repo(name)).Repos[0].Err; err != nil {
				t.Fatal(err)
			}
			if !refused {
				t.Fatalf("no second page of the %s half", half)
			}
			if srv.Requests("GET /projects/:id/merge_requests/:iid/notes") == 0 {
				t.Errorf("no merge request was read by REST")
			}
			if got := storetest.Dump(t, h.st.Path()); got != want {
				t.Errorf("rows differ from a clean sync's:\n%s", storetest.Diff(want, got))
			}
		})
	}
}
