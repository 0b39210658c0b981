package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/collectorstest"
	"github.com/tach-dev/tach/collectors/github/githubtest"
	"github.com/tach-dev/tach/store/storetest"
)

func hasSleep(slept []time.Duration, lo, hi time.Duration) bool {
	for _, d := range slept {
		if d >= lo && d <= hi {
			return true
		}
	}
	return false
}

func TestPrimaryLimitNearResetWaits(t *testing.T) {
	for _, ep := range []string{"graphql", "runs"} {
		t.Run(ep, func(t *testing.T) {
			srv := githubtest.New(t)
			buildHandHistory(srv, "acme/api")
			srv.Inject(githubtest.PrimaryLimit(40 * time.Second).On(ep).Repeat(1))
			p, clk, logs := newProvider(t, srv)
			st := storetest.New(t)
			mustSync(t, st, p, repoEntry("acme/api", "deployments"))
			if !hasSleep(clk.Slept(), 40*time.Second, 43*time.Second) {
				t.Errorf("did not wait for the reset: slept %v", clk.Slept())
			}
			if !strings.Contains(logs.String(), "primary rate limit spent") {
				t.Errorf("no warning logged")
			}
			if n := len(history(t, st, "acme/api").Changes); n != 7 {
				t.Errorf("changes = %d after the wait", n)
			}
		})
	}
}

func TestPrimaryLimitSpentBudgetWaitsForServerReset(t *testing.T) {
	srv := githubtest.New(t)
	buildHandHistory(srv, "acme/api")
	p, clk, _ := newProvider(t, srv)
	srv.SetNow(clk.Now) // the server's reset and the collector's waits on one clock
	srv.SetRateLimit("graphql", 5000, 0, 90*time.Second)
	st := storetest.New(t)
	mustSync(t, st, p, repoEntry("acme/api", "deployments"))
	if !hasSleep(clk.Slept(), 90*time.Second, 93*time.Second) {
		t.Errorf("slept %v, want one wait for the reset in 90s", clk.Slept())
	}
}

func TestPrimaryLimitFarResetFailsWithWhenToRetry(t *testing.T) {
	srv := githubtest.New(t)
	buildHandHistory(srv, "acme/api")
	buildHandHistory(srv, "acme/web")
	srv.Inject(githubtest.PrimaryLimit(2 * time.Hour).On("graphql"))
	p, clk, _ := newProvider(t, srv, func(o *Options) { o.MaxRateLimitWait = 10 * time.Minute })
	st := storetest.New(t)
	sum := syncAll(context.Background(), t, st, p, repoEntry("acme/api", "deployments"), repoEntry("acme/web", "deployments"))
	for _, r := range sum.Repos {
		if !errors.Is(r.Err, collectors.ErrRateLimited) {
			t.Fatalf("%s: err = %v, want ErrRateLimited", r.Repo, r.Err)
		}
		msg := r.Err.Error()
		if !strings.Contains(msg, "run the sync again") || !strings.Contains(msg, "UTC") || !strings.Contains(msg, "graphql") {
			t.Errorf("message does not say when to retry: %s", msg)
		}
	}
	for _, d := range clk.Slept() {
		if d > 10*time.Minute {
			t.Errorf("waited %v, longer than MaxRateLimitWait", d)
		}
	}
	// The budget is shared: once one answer says it is spent, the other
	// repo does not ask GraphQL again.
	if n := srv.Requests("graphql.pullRequests"); n > 2 {
		t.Errorf("GraphQL asked %d times with the budget spent", n)
	}
}

func TestPacingSpreadsTheRestOfTheBudget(t *testing.T) {
	srv := githubtest.New(t)
	srv.AddRepo("acme/big").Generate(githubtest.History{PRs: 40, End: now, Span: 30 * day})
	p, clk, logs := newProvider(t, srv, func(o *Options) { o.PullRequestPageSize = 5 })
	srv.SetNow(clk.Now)
	srv.SetRateLimit("graphql", 1000, 50, 10*time.Minute) // 5% left: pace
	st := storetest.New(t)
	mustSync(t, st, p, repoEntry("acme/big", "deployments"))
	slept := clk.Slept()
	if len(slept) < 5 {
		t.Fatalf("slept %v; want the GraphQL requests spaced out", slept)
	}
	for _, d := range slept {
		if d > 20*time.Second {
			t.Errorf("a pacing wait of %v: the budget of 50 over 10m allows ~12s", d)
		}
	}
	if strings.Count(logs.String(), "rate limit running low") != 1 {
		t.Errorf("pacing not announced once:\n%s", logs)
	}
	if rem, _ := p.RateLimit("graphql"); rem <= 0 {
		t.Errorf("graphql budget left = %d; pacing should not run it dry", rem)
	}
}

func TestSecondaryLimitAndTooManyRequests(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fault  githubtest.Fault
		lo, hi time.Duration
		count  string
		want   int
	}{
		{"secondary with Retry-After", githubtest.SecondaryLimit(45 * time.Second).On("runs").Repeat(1), 45 * time.Second, 45 * time.Second, "runs", 2},
		{"secondary without Retry-After", githubtest.SecondaryLimit(0).On("graphql.pullRequests").Repeat(1), 30 * time.Second, 60 * time.Second, "graphql.pullRequests", 2},
		{"429 with Retry-After", githubtest.TooManyRequests(10 * time.Second).On("issues").Repeat(2), 10 * time.Second, 10 * time.Second, "issues", 4}, // 2 × 429, the newest-update probe, the list
		{"429 without Retry-After", githubtest.TooManyRequests(0).On("repo").Repeat(1), 30 * time.Second, 60 * time.Second, "repo", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := githubtest.New(t)
			buildHandHistory(srv, "acme/api")
			srv.Inject(tc.fault)
			p, clk, _ := newProvider(t, srv)
			st := storetest.New(t)
			sum := mustSync(t, st, p, repoEntry("acme/api", "deployments"))
			if !hasSleep(clk.Slept(), tc.lo, tc.hi) {
				t.Errorf("slept %v, want a wait in [%v, %v]", clk.Slept(), tc.lo, tc.hi)
			}
			if n := srv.Requests(tc.count); n != tc.want {
				t.Errorf("%s requests = %d, want %d", tc.count, n, tc.want)
			}
			if got := repoSummary(t, sum, "acme/api").Requests; got != srv.TotalRequests() {
				t.Errorf("summary counts %d requests, the server got %d", got, srv.TotalRequests())
			}
		})
	}
}

func TestServerErrorsAreRetried(t *testing.T) {
	srv := githubtest.New(t)
	buildHandHistory(srv, "acme/api")
	srv.Inject(githubtest.ServerError(502).On("graphql.pullRequests").Repeat(2))
	p, clk, _ := newProvider(t, srv)
	st := storetest.New(t)
	sum := mustSync(t, st, p, repoEntry("acme/api", "deployments"))
	if n := srv.Requests("graphql.pullRequests"); n != 3 {
		t.Errorf("pull request requests = %d, want 3 (two 502s, then success)", n)
	}
	if got := repoSummary(t, sum, "acme/api").Resources[collectors.ResourceChanges].Requests; got != 3 {
		t.Errorf("changes counted %d requests, want 3 (retries count)", got)
	}
	if len(clk.Slept()) != 2 {
		t.Errorf("backoffs = %v, want 2", clk.Slept())
	}
}

func TestServerErrorForeverIsBounded(t *testing.T) {
	srv := githubtest.New(t)
	buildHandHistory(srv, "acme/api")
	srv.Inject(githubtest.ServerError(503).On("issues"))
	p, _, _ := newProvider(t, srv)
	st := storetest.New(t)
	sum := syncAll(context.Background(), t, st, p, repoEntry("acme/api", "deployments"))
	err := repoSummary(t, sum, "acme/api").Err
	if err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "incidents") {
		t.Fatalf("err = %v, want the 503 of incidents", err)
	}
	if n := srv.Requests("issues"); n != 5 {
		t.Errorf("issues requests = %d, want 5 (1 + 4 retries)", n)
	}
	// The other resources still synced.
	if n := len(history(t, st, "acme/api").Changes); n != 7 {
		t.Errorf("changes = %d", n)
	}
}

func TestTimeoutsAreRetried(t *testing.T) {
	srv := githubtest.New(t)
	buildHandHistory(srv, "acme/api")
	srv.Inject(githubtest.Slow(2 * time.Second).On("repo").Repeat(1))
	p, _, _ := newProvider(t, srv, func(o *Options) { o.RequestTimeout = 100 * time.Millisecond })
	st := storetest.New(t)
	start := time.Now()
	mustSync(t, st, p, repoEntry("acme/api", "deployments"))
	if n := srv.Requests("repo"); n != 2 {
		t.Errorf("repo requests = %d, want 2", n)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("sync took %v; the slow attempt should have been cut at 100ms", d)
	}
}

func TestRejectedToken(t *testing.T) {
	srv := githubtest.New(t)
	buildHandHistory(srv, "acme/api")
	const secret = "ghp_supersecretvalue"
	p, _, logs := newProvider(t, srv, func(o *Options) { o.Token = secret })
	st := storetest.New(t)
	sum := syncAll(context.Background(), t, st, p, repoEntry("acme/api", "deployments"))
	err := repoSummary(t, sum, "acme/api").Err
	if !errors.Is(err, collectors.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	for _, want := range []string{"rejected the token", "repo scope", "fine-grained", "pull requests", "deployments", "actions"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q: %s", want, err)
		}
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(logs.String(), secret) {
		t.Errorf("the token leaked")
	}
	if srv.TotalRequests() != 1 {
		t.Errorf("requests after a 401 = %d, want 1", srv.TotalRequests())
	}
}

func TestMissingRepoDoesNotStopOthers(t *testing.T) {
	srv := githubtest.New(t)
	buildHandHistory(srv, "acme/api")
	p, _, _ := newProvider(t, srv)
	st := storetest.New(t)
	sum := syncAll(context.Background(), t, st, p, repoEntry("acme/api", "deployments"), repoEntry("acme/gone", "deployments"))
	gone := repoSummary(t, sum, "acme/gone").Err
	if !errors.Is(gone, collectors.ErrRepoNotFound) || !strings.Contains(gone.Error(), "acme/gone") {
		t.Errorf("err = %v, want ErrRepoNotFound naming acme/gone", gone)
	}
	if err := repoSummary(t, sum, "acme/api").Err; err != nil {
		t.Errorf("acme/api: %v", err)
	}
	if n := len(history(t, st, "acme/api").Changes); n != 7 {
		t.Errorf("acme/api changes = %d", n)
	}
}

func TestMalformedAnswerWritesNothingHalf(t *testing.T) {
	for _, tc := range []struct {
		endpoint, path, table string
	}{
		{"graphql.pullRequests", "/api/graphql", "changes"},
		{"runs", "/api/v3/repos/acme/api/actions/runs", "ci_runs"},
	} {
		t.Run(tc.endpoint, func(t *testing.T) {
			srv := githubtest.New(t)
			buildHandHistory(srv, "acme/api")
			small := func(o *Options) { o.PullRequestPageSize = 2; o.PageSize = 2 }
			entry := repoEntry("acme/api", "deployments")

			clean := storetest.New(t)
			p, _, _ := newProvider(t, srv, small)
			mustSync(t, clean, p, entry)

			srv.Inject(githubtest.MalformedBody().On(tc.endpoint).After(1).Repeat(1))
			st := storetest.New(t)
			p, _, _ = newProvider(t, srv, small)
			sum := syncAll(context.Background(), t, st, p, entry)
			err := repoSummary(t, sum, "acme/api").Err
			if err == nil || !strings.Contains(err.Error(), "malformed") || !strings.Contains(err.Error(), tc.path) {
				t.Fatalf("err = %v, want a malformed answer naming %s", err, tc.path)
			}
			// The first page is committed whole, the broken one not at all,
			// and the watermark has not moved.
			if n := countRows(t, st, tc.table); n != 2 {
				t.Errorf("%s rows = %d, want the 2 of the first page", tc.table, n)
			}
			for _, line := range strings.Split(dump(t, st, true), "\n") {
				res := map[string]string{"changes": "| changes |", "ci_runs": "| ci_runs |"}[tc.table]
				if strings.Contains(line, res) && !strings.Contains(line, res+" <nil>") {
					t.Errorf("watermark moved past a malformed page: %s", line)
				}
			}
			mustSync(t, st, p, entry)
			if got, want := dump(t, st, false), dump(t, clean, false); got != want {
				t.Errorf("after the retry, rows differ from a clean sync:\n%s", diffLines(want, got))
			}
		})
	}
}

func TestCancelStopsPromptly(t *testing.T) {
	srv := githubtest.New(t)
	buildHandHistory(srv, "acme/api")
	srv.SetLatency(10 * time.Second)
	p, _, _ := newProvider(t, srv)
	st := storetest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	sum := syncAll(ctx, t, st, p, repoEntry("acme/api", "deployments"))
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancelled sync took %v", d)
	}
	if len(sum.Repos) == 1 && !errors.Is(sum.Repos[0].Err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", sum.Repos[0].Err)
	}
}

func TestGraphQLURL(t *testing.T) {
	for base, want := range map[string]string{
		"https://api.github.com/":           "https://api.github.com/graphql",
		"https://ghe.example.com/api/v3/":   "https://ghe.example.com/api/graphql",
		"https://ghe.example.com/api/v3":    "https://ghe.example.com/api/graphql",
		"http://127.0.0.1:8080/":            "http://127.0.0.1:8080/graphql",
		"https://proxy.example.com/github/": "https://proxy.example.com/github/graphql",
	} {
		p, err := New(Options{BaseURL: base})
		if err != nil {
			t.Fatal(err)
		}
		if p.opts.GraphQLURL != want {
			t.Errorf("%s → %s, want %s", base, p.opts.GraphQLURL, want)
		}
	}
	if _, err := New(Options{BaseURL: "ftp://x/"}); err == nil {
		t.Errorf("an ftp base URL was accepted")
	}
}

func TestSecondaryLimitForeverIsBounded(t *testing.T) {
	srv := githubtest.New(t)
	buildHandHistory(srv, "acme/api")
	srv.Inject(githubtest.SecondaryLimit(30 * time.Second).On("runs"))
	p, _, _ := newProvider(t, srv)
	st := storetest.New(t)
	sum := syncAll(context.Background(), t, st, p, repoEntry("acme/api", "deployments"))
	err := repoSummary(t, sum, "acme/api").Err
	if !errors.Is(err, collectors.ErrRateLimited) || !strings.Contains(err.Error(), "secondary") || !strings.Contains(err.Error(), "ci_runs") {
		t.Fatalf("err = %v, want a secondary rate limit of ci_runs", err)
	}
	if n := srv.Requests("runs"); n != 5 {
		t.Errorf("runs requests = %d, want 5 (1 + 4 waits)", n)
	}
}

// TestTokenGoesOnlyToTheAPIHost: a redirect on the API host is followed
// with the token (a renamed repo answers 301); a redirect or a next-page
// link to another host is refused, naming both, and the other host never
// hears from the collector.
func TestTokenGoesOnlyToTheAPIHost(t *testing.T) {
	const token = "ghp-apihost-test-token"
	other := collectorstest.NewOtherHost(t)
	var newAuth atomic.Value
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v3/repos/acme/old":
			http.Redirect(w, r, "/api/v3/repositories/42", http.StatusMovedPermanently)
		case "/api/v3/repositories/42":
			newAuth.Store(r.Header.Get("Authorization"))
			w.Header().Set("Link", `<`+other.URL+`/api/v3/repositories/42?page=2>; rel="next"`)
			fmt.Fprintln(w, `{"full_name": "acme/new"}`)
		default:
			http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusFound)
		}
	}))
	t.Cleanup(api.Close)
	p, err := New(Options{BaseURL: api.URL + "/api/v3/", Token: token, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var repo struct {
		FullName string `json:"full_name"`
	}
	ans, err := p.client.get(ctx, p.client.url("repos/acme/old", nil), "", &repo)
	if err != nil || repo.FullName != "acme/new" || newAuth.Load() != "Bearer "+token {
		t.Fatalf("a redirect on the API host: %v, %+v, Authorization %q", err, repo, newAuth.Load())
	}
	apiOrigin, otherOrigin := api.URL, other.URL
	for _, tc := range []struct{ what, url, says string }{
		{"a next-page link to another host", ans.next, "a link pointed to " + otherOrigin},
		{"a redirect to another host", p.client.url("repos/acme/shop", nil), apiOrigin + " redirected to " + otherOrigin},
	} {
		_, err := p.client.get(ctx, tc.url, "", &repo)
		if !errors.Is(err, collectors.ErrOtherHost) || !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), "github.base_url") {
			t.Errorf("%s: %v", tc.what, err)
		}
		if err != nil && strings.Contains(err.Error(), token) {
			t.Errorf("%s: the error holds the token: %v", tc.what, err)
		}
	}
	other.Check(t)
}
