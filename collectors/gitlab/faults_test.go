package gitlab_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/collectorstest"
	"github.com/tach-dev/tach/collectors/gitlab"
	gt "github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
)

func TestRateLimitPacesBeforeTheLimit(t *testing.T) {
	h := newHarness(t)
	h.srv.AddProject(billing())
	h.srv.SetRateLimit(gt.RateLimit{Limit: 100, Remaining: 14, Reset: now.Add(time.Minute)})
	h.mustSync(repo("acme/platform/billing"))

	var paced, waitedForReset bool
	for _, d := range h.sleeps {
		switch {
		case d > 0 && d < time.Minute:
			paced = true // spreading the last requests until the reset
		case d == time.Minute:
			waitedForReset = true // nothing left: wait for the reset
		}
	}
	if !paced || !waitedForReset {
		t.Errorf("pacing sleeps %v: want short spreads below the low-water mark and a wait for the reset", h.sleeps)
	}
}

func TestRateLimitSpentFarFromResetStopsWithWhenToRetry(t *testing.T) {
	h := newHarness(t)
	h.srv.AddProject(billing())
	h.srv.SetRateLimit(gt.RateLimit{Limit: 100, Remaining: 0, Reset: now.Add(2 * time.Hour), Enforce: true})
	sum := h.sync(context.Background(), nil, repo("acme/platform/billing"))
	err := repoSummary(t, sum, "acme/platform/billing").Err
	if !errors.Is(err, collectors.ErrRateLimited) {
		t.Fatalf("err = %v, want ErrRateLimited", err)
	}
	if !strings.Contains(err.Error(), "retry after 2025-06-02T14:00") {
		t.Errorf("err = %q: should say when to retry", err)
	}
	if n := h.srv.TotalRequests(); n != 1 {
		t.Errorf("%d requests; a 429 whose Retry-After is hours away is not retried", n)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	h := newHarness(t)
	h.srv.AddProject(billing())
	h.srv.AddFault(gt.Fault{Endpoint: "GET /projects/:id/deployments", Status: 429, RetryAfter: "7", Times: 1})
	sum := h.mustSync(repo("acme/platform/billing"))
	if len(h.waits) != 1 || h.waits[0] != 7*time.Second {
		t.Errorf("retry waits %v, want one of 7s (Retry-After)", h.waits)
	}
	rs := repoSummary(t, sum, "acme/platform/billing")
	if rs.Requests != h.srv.TotalRequests() {
		t.Errorf("summary counts %d requests, the server saw %d (the retry counts)", rs.Requests, h.srv.TotalRequests())
	}
}

func TestServerErrorsAreRetriedABoundedNumberOfTimes(t *testing.T) {
	h := newHarness(t)
	h.srv.AddProject(billing())
	h.srv.AddFault(gt.Fault{Endpoint: "POST /api/graphql", Status: 502, Times: 2})
	h.mustSync(repo("acme/platform/billing"))
	if len(h.waits) != 2 {
		t.Errorf("retry waits %v, want 2", h.waits)
	}

	// A pipelines list that keeps failing, by either API: a bounded number
	// of attempts, then the error, naming the list.
	for _, endpoint := range []string{"POST /api/graphql TachPipelines", "GET /projects/:id/pipelines"} {
		h2 := newHarness(t)
		h2.srv.AddProject(billing())
		h2.srv.NoGraphQL = strings.HasPrefix(endpoint, "GET")
		h2.srv.AddFault(gt.Fault{Endpoint: endpoint, Status: 500})
		sum := h2.sync(context.Background(), nil, repo("acme/platform/billing"))
		err := repoSummary(t, sum, "acme/platform/billing").Err
		if err == nil || !strings.Contains(err.Error(), "list pipelines") || !strings.Contains(err.Error(), "500") {
			t.Fatalf("%s: err = %v, want a 500 naming the pipelines list", endpoint, err)
		}
		// By GraphQL, a first sync reads its pipelines in two halves at
		// once: each is tried that many times, and the first to fail
		// stops the other.
		walks := 1
		if !h2.srv.NoGraphQL {
			walks = 2
		}
		if n := h2.srv.Requests(endpoint); n < gitlab.DefaultMaxRetries+1 || n > walks*(gitlab.DefaultMaxRetries+1) {
			t.Errorf("%s: %d attempts, want %d to %d", endpoint, n, gitlab.DefaultMaxRetries+1, walks*(gitlab.DefaultMaxRetries+1))
		}
		// What came before the failure is kept.
		if c := change(t, h2.st, "acme/platform/billing", 1); c.Title == "" {
			t.Errorf("%s: merge requests synced before the failure are gone", endpoint)
		}
	}
}

func TestRejectedTokenSaysWhatItNeeds(t *testing.T) {
	h := newHarness(t)
	h.srv.AddProject(billing())
	var logs bytes.Buffer
	p := h.provider(func(o *gitlab.Options) {
		o.Token = "wrong-token-value"
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	sum := h.sync(context.Background(), p, repo("acme/platform/billing"))
	err := repoSummary(t, sum, "acme/platform/billing").Err
	if !errors.Is(err, collectors.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	for _, want := range []string{"rejected the token", "read_api", "acme/platform/billing"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to say %q", err, want)
		}
	}
	if strings.Contains(err.Error()+logs.String(), "wrong-token-value") {
		t.Errorf("the token leaked into an error or a log line")
	}
}

func TestMissingProjectFailsAloneAndIsNamed(t *testing.T) {
	h := newHarness(t)
	h.srv.AddProject(billing())
	sum := h.sync(context.Background(), nil, repo("acme/platform/billing"), repo("acme/platform/nope"))
	if err := repoSummary(t, sum, "acme/platform/billing").Err; err != nil {
		t.Errorf("billing: %v", err)
	}
	err := repoSummary(t, sum, "acme/platform/nope").Err
	if !errors.Is(err, collectors.ErrRepoNotFound) || !strings.Contains(err.Error(), "acme/platform/nope") {
		t.Errorf("nope: %v, want ErrRepoNotFound naming it", err)
	}
	if len(sum.Failed()) != 1 {
		t.Errorf("failed repos: %d, want 1", len(sum.Failed()))
	}
}

func TestMalformedResponseNamesTheEndpointAndWritesNothingHalf(t *testing.T) {
	for _, endpoint := range []string{"POST /api/graphql TachMergeRequests", "GET /projects/:id/deployments"} {
		t.Run(endpoint, func(t *testing.T) {
			clean := newHarness(t)
			clean.srv.AddProject(billing())
			clean.mustSync(repo("acme/platform/billing"))
			want := dump(t, clean.st)

			h := &harness{t: t, srv: clean.srv, st: newStore(t)}
			clean.srv.AddFault(gt.Fault{Endpoint: endpoint, Truncate: true, Skip: 1, Times: 1})
			sum := h.sync(context.Background(), nil, repo("acme/platform/billing"))
			err := repoSummary(t, sum, "acme/platform/billing").Err
			if err == nil || !strings.Contains(err.Error(), "malformed response") {
				t.Fatalf("err = %v, want a malformed response", err)
			}
			wantOp := map[string]string{"POST /api/graphql TachMergeRequests": "list merge requests", "GET /projects/:id/deployments": "GET /projects/:id/deployments"}[endpoint]
			if !strings.Contains(err.Error(), wantOp) {
				t.Errorf("err = %q, want it to name %q", err, wantOp)
			}
			clean.srv.ClearFaults()
			h.mustSync(repo("acme/platform/billing"))
			if got := dump(t, h.st); got != want {
				t.Errorf("after the fault and a resync, rows differ from a clean sync:\n%s", diffLines(want, got))
			}
		})
	}
}

func TestCancelledSyncStopsCleanly(t *testing.T) {
	h := newHarness(t)
	h.srv.AddProject(billing())
	h.srv.Latency = 20 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	sum := h.sync(ctx, nil, repo("acme/platform/billing"))
	if time.Since(start) > 2*time.Second {
		t.Errorf("a cancelled sync took %s to stop", time.Since(start))
	}
	if len(sum.Repos) == 1 {
		if err := sum.Repos[0].Err; err == nil || !(errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
			t.Errorf("err = %v, want the context's error", err)
		}
	}
}

// TestTokenGoesOnlyToTheAPIHost: Go copies PRIVATE-TOKEN on every
// redirect; the collector follows a redirect on the API host with it, and
// refuses one to another host at once (no retries), naming both hosts.
func TestTokenGoesOnlyToTheAPIHost(t *testing.T) {
	other := collectorstest.NewOtherHost(t)
	var awayAsked atomic.Int32
	var movedToken atomic.Value
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v4/groups/acme/projects":
			http.Redirect(w, r, "/api/v4/groups/7/projects?"+r.URL.RawQuery, http.StatusMovedPermanently)
		case "/api/v4/groups/7/projects":
			movedToken.Store(r.Header.Get("Private-Token"))
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintln(w, `[{"id": 1, "path_with_namespace": "acme/billing"}]`)
		default:
			awayAsked.Add(1)
			http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusFound)
		}
	}))
	t.Cleanup(api.Close)
	const token = "glpat-apihost-test-token"
	p, err := gitlab.New(gitlab.Options{BaseURL: api.URL + "/api/v4", Token: token,
		RetryWaitMin: time.Millisecond, RetryWaitMax: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	names, err := p.ExpandGroup(ctx, "acme", false)
	if err != nil || len(names) != 1 || names[0] != "acme/billing" || movedToken.Load() != token {
		t.Fatalf("a redirect on the API host: %v %v, PRIVATE-TOKEN %q", names, err, movedToken.Load())
	}
	_, err = p.ExpandGroup(ctx, "elsewhere", false)
	if !errors.Is(err, collectors.ErrOtherHost) || !strings.Contains(err.Error(), api.URL+" redirected to "+other.URL) ||
		!strings.Contains(err.Error(), "gitlab.base_url") || strings.Contains(err.Error(), token) {
		t.Errorf("a redirect to another host: %v", err)
	}
	if n := awayAsked.Load(); n != 1 {
		t.Errorf("the refused request was sent %d times, want 1 (no retries)", n)
	}
	other.Check(t)
}
