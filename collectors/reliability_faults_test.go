package collectors_test

import (
	"context"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/github"
	"github.com/tach-dev/tach/collectors/github/githubtest"
	"github.com/tach-dev/tach/collectors/gitlab"
	"github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// The reliability suite's fault injection: a sync against a fake GitHub
// and a fake GitLab that answer with randomised schedules of 5xx, timeouts,
// secondary rate limits, 429s, spent primary limits near their reset and
// truncated bodies, run again until no repo fails, must end with exactly
// the rows of a clean sync (every table, by natural keys). Waits run on a
// fake clock, so a schedule takes milliseconds; timeouts are real (short).
//
// By default a few seeds run; TACH_RELIABILITY=1 runs many:
//
//	TACH_RELIABILITY=1 go test -run Reliability -v ./collectors/

// reliabilitySeeds is how many schedules each provider gets.
func reliabilitySeeds(quick int) int {
	if os.Getenv("TACH_RELIABILITY") != "" {
		if n, err := strconv.Atoi(os.Getenv("TACH_RELIABILITY_SEEDS")); err == nil && n > 0 {
			return n
		}
		return 150
	}
	return quick
}

// epoch is the fixed present of the generated histories.
var epoch = time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)

// fakeClock moves only when something sleeps on it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}

func runOpts() collectors.Options {
	return collectors.Options{History: 180 * 24 * time.Hour, IncidentLabels: []string{"incident"}, Workers: 2, Now: func() time.Time { return epoch }}
}

// syncUntilClean syncs until no repo fails nor warns (a failed run leaves
// what it committed, a warned one the rows it could not get; the next one
// goes on from there), an interval of the fake clock apart as the server's
// scheduler would, and returns the runs made.
func syncUntilClean(t *testing.T, st *store.Store, name string, p collectors.Provider, repos []collectors.Repo, clk *fakeClock) int {
	t.Helper()
	var last []string
	for run := 1; run <= 40; run++ {
		sum, err := collectors.Run(context.Background(), st, map[string]collectors.Provider{name: p}, repos, runOpts(), nil)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		last = last[:0]
		for _, r := range sum.Repos {
			for _, rs := range r.Resources {
				last = append(last, rs.Warnings...)
			}
		}
		if len(sum.Failed()) == 0 && len(last) == 0 {
			return run
		}
		for _, f := range sum.Failed() {
			last = append(last, f.Err.Error())
		}
		clk.Advance(time.Hour)
	}
	t.Fatalf("still failing after 40 runs: %s", strings.Join(last, "; "))
	return 0
}

func ghRepos() []collectors.Repo {
	env := regexp.MustCompile(`(?i)^(prod|production)$`)
	return []collectors.Repo{
		{Provider: store.GitHub, Name: "acme/api", Source: "deployments", Environments: env, Link: "commits"},
		{Provider: store.GitHub, Name: "acme/web", Source: "deployments", Environments: env, Link: "commits"},
	}
}

func ghProvider(t *testing.T, srv *githubtest.Server, clk *fakeClock) *github.Provider {
	t.Helper()
	p, err := github.New(github.Options{
		BaseURL: srv.BaseURL(), Token: githubtest.DefaultToken, Transport: srv.Client().Transport,
		PullRequestPageSize: 5, PageSize: 6, RequestTimeout: 150 * time.Millisecond,
		MaxRateLimitWait: 5 * time.Minute, Now: clk.Now, Sleep: clk.Sleep,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ghFault is one random fault of a schedule, on a random endpoint.
func ghFault(rng *rand.Rand) (githubtest.Fault, string) {
	endpoints := []string{"", "", "graphql", "repo", "issues", "runs", "compare"}
	var f githubtest.Fault
	kind := ""
	switch rng.IntN(9) {
	case 0:
		f, kind = githubtest.ServerError(502), "502"
	case 1:
		f, kind = githubtest.ServerError(503), "503"
	case 2:
		f, kind = githubtest.Slow(400*time.Millisecond), "timeout"
	case 3:
		f, kind = githubtest.SecondaryLimit(time.Duration(rng.IntN(90))*time.Second), "secondary limit"
	case 4:
		f, kind = githubtest.TooManyRequests(time.Duration(rng.IntN(30))*time.Second), "429"
	case 5:
		f, kind = githubtest.PrimaryLimit(time.Duration(5+rng.IntN(170))*time.Second), "primary limit near reset"
	case 6:
		f, kind = githubtest.MalformedBody(), "truncated body"
	case 7:
		f, kind = githubtest.PrimaryLimit(2*time.Hour), "primary limit far from reset"
	default:
		f, kind = githubtest.ServerError(500), "500"
	}
	f = f.On(endpoints[rng.IntN(len(endpoints))]).After(rng.IntN(25)).Repeat(1 + rng.IntN(4))
	if kind == "timeout" {
		f = f.Repeat(1 + rng.IntN(2))
	}
	return f, kind
}

func TestReliabilityGitHubFaults(t *testing.T) {
	srv := githubtest.New(t)
	srv.AddRepo("acme/api").Generate(githubtest.History{PRs: 40, Deployments: 12, Runs: 30, Incidents: 5, Issues: 8, End: epoch, Span: 60 * 24 * time.Hour, Seed: 1})
	srv.AddRepo("acme/web").Generate(githubtest.History{PRs: 25, Deployments: 8, Runs: 20, Incidents: 3, Issues: 4, End: epoch, Span: 60 * 24 * time.Hour, Seed: 2})
	// Two hotfixes deployed from a release branch, then main again: ranges
	// off the default branch's first-parent line, asked of compare.
	api := srv.Repo("acme/api")
	main := api.Commits[len(api.Commits)-1].SHA
	hotfix := api.AddSideCommit("hotfix 1", epoch.Add(time.Hour), main)
	api.Deploy(hotfix, "production", epoch.Add(2*time.Hour), "success")
	hotfix = api.AddSideCommit("hotfix 2", epoch.Add(3*time.Hour), hotfix)
	api.Deploy(hotfix, "production", epoch.Add(4*time.Hour), "success")
	api.Deploy(main, "production", epoch.Add(5*time.Hour), "success")

	clk := &fakeClock{t: epoch}
	srv.SetNow(clk.Now)
	clean := storetest.New(t)
	syncUntilClean(t, clean, store.GitHub, ghProvider(t, srv, clk), ghRepos(), clk)
	want := storetest.Dump(t, clean.Path())
	cleanRequests := srv.TotalRequests()

	seeds := reliabilitySeeds(4)
	faults, runs, kinds := 0, 0, map[string]int{}
	for seed := 1; seed <= seeds; seed++ {
		rng := rand.New(rand.NewPCG(uint64(seed), 0x7ac4))
		clk := &fakeClock{t: epoch}
		srv.ClearFaults()
		srv.ResetCounts()
		srv.SetNow(clk.Now)
		for range 2 + rng.IntN(7) {
			f, kind := ghFault(rng)
			srv.Inject(f)
			kinds[kind]++
		}
		before := srv.FaultsInjected()
		st := storetest.New(t)
		runs += syncUntilClean(t, st, store.GitHub, ghProvider(t, srv, clk), ghRepos(), clk)
		faults += srv.FaultsInjected() - before
		if got := storetest.Dump(t, st.Path()); got != want {
			t.Fatalf("seed %d: rows differ from a clean sync:\n%s", seed, storetest.Diff(want, got))
		}
	}
	t.Logf("GitHub: %d schedules, %d faults injected (%v), %d sync runs, every one ending with the %d-line dump of a clean sync (%d requests)",
		seeds, faults, kinds, runs, strings.Count(want, "\n")+1, cleanRequests)
	if faults == 0 {
		t.Error("no fault was injected")
	}
}

func glRepos() []collectors.Repo {
	return []collectors.Repo{
		{Provider: store.GitLab, Name: "acme/platform/billing", Source: "deployments", Link: "commits", Environments: regexp.MustCompile(`(?i)^(prod|production)$`)},
		{Provider: store.GitLab, Name: "acme/platform/ledger", Source: "workflow", Workflow: "", Link: "time"},
	}
}

func glProvider(t *testing.T, srv *gitlabtest.Server, clk *fakeClock) *gitlab.Provider {
	t.Helper()
	p, err := gitlab.New(gitlab.Options{
		BaseURL: srv.BaseURL(), Token: "gl-token",
		HTTPClient: &http.Client{Transport: srv.Client().Transport, Timeout: 150 * time.Millisecond},
		PageSize:   4, GraphQLPageSize: 3,
		RetryWaitMin: time.Second, RetryWaitMax: 30 * time.Second, MaxRateLimitWait: 5 * time.Minute,
		Backoff: func(d time.Duration) time.Duration { clk.Advance(d); return 0 },
		Now:     clk.Now, Sleep: clk.Sleep,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func glFault(rng *rand.Rand) (gitlabtest.Fault, string) {
	endpoints := []string{"", "", "POST /api/graphql", "GET /projects/:id/merge_requests", "GET /projects/:id/deployments",
		"GET /projects/:id/pipelines", "GET /projects/:id/issues", "GET /projects/:id/repository", "GET /projects/:id/environments"}
	f := gitlabtest.Fault{Endpoint: endpoints[rng.IntN(len(endpoints))], Skip: rng.IntN(20), Times: 1 + rng.IntN(4)}
	kind := ""
	switch rng.IntN(8) {
	case 0:
		f.Status, kind = 502, "502"
	case 1:
		f.Status, kind = 503, "503"
	case 2:
		f.Latency, f.Times, kind = 400*time.Millisecond, 1+rng.IntN(2), "timeout"
	case 3:
		f.Status, f.RetryAfter, kind = 429, strconv.Itoa(rng.IntN(30)), "429"
	case 4:
		// A spent limit: GitLab answers 429 with the wait to the reset.
		f.Status, f.RetryAfter, kind = 429, strconv.Itoa(60+rng.IntN(200)), "spent limit near reset"
	case 5:
		f.Truncate, kind = true, "truncated body"
	case 6:
		f.Status, f.RetryAfter, kind = 429, "7200", "spent limit far from reset"
	default:
		f.Status, kind = 500, "500"
	}
	return f, kind
}

func TestReliabilityGitLabFaults(t *testing.T) {
	srv := gitlabtest.New(t)
	srv.Token = "gl-token"
	srv.AddProject(gitlabtest.GenerateProject("acme/platform/billing", 24, epoch))
	srv.AddProject(gitlabtest.GenerateProject("acme/platform/ledger", 14, epoch))

	clk := &fakeClock{t: epoch}
	srv.Now = clk.Now
	clean := storetest.New(t)
	syncUntilClean(t, clean, store.GitLab, glProvider(t, srv, clk), glRepos(), clk)
	want := storetest.Dump(t, clean.Path())
	cleanRequests := srv.TotalRequests()

	seeds := reliabilitySeeds(4)
	faults, runs, spent, kinds := 0, 0, 0, map[string]int{}
	for seed := 1; seed <= seeds; seed++ {
		rng := rand.New(rand.NewPCG(uint64(seed), 0x91ab))
		clk := &fakeClock{t: epoch}
		srv.ClearFaults()
		srv.Now = clk.Now
		srv.SetRateLimit(gitlabtest.RateLimit{Limit: 100000, Remaining: 100000, Reset: epoch.Add(time.Hour)})
		if rng.IntN(4) == 0 {
			// The rate limit itself runs low and out, resetting soon: the
			// collector paces, then waits for the reset.
			srv.SetRateLimit(gitlabtest.RateLimit{Limit: 60, Remaining: 5 + rng.IntN(20), Reset: epoch.Add(time.Duration(10+rng.IntN(50)) * time.Second), Enforce: true})
			spent++
		}
		for range 2 + rng.IntN(7) {
			f, kind := glFault(rng)
			srv.AddFault(f)
			kinds[kind]++
		}
		before := srv.FaultsInjected()
		st := storetest.New(t)
		runs += syncUntilClean(t, st, store.GitLab, glProvider(t, srv, clk), glRepos(), clk)
		faults += srv.FaultsInjected() - before
		if got := storetest.Dump(t, st.Path()); got != want {
			t.Fatalf("seed %d: rows differ from a clean sync:\n%s", seed, storetest.Diff(want, got))
		}
	}
	t.Logf("GitLab: %d schedules (%d against a spent rate limit), %d faults injected (%v), %d sync runs, every one ending with the %d-line dump of a clean sync (%d requests)",
		seeds, spent, faults, kinds, runs, strings.Count(want, "\n")+1, cleanRequests)
	if faults == 0 {
		t.Error("no fault was injected")
	}
}
