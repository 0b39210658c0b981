package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors/github/githubtest"
)

// benchSync syncs from the fake GitHub of collectors/github/githubtest with
// `tach sync` (a separate process, so that its peak memory is its own):
// first repos of growing history with no latency, for the sync's peak
// memory (it must not grow with the history: pages are written as they
// come, never held); then a few repos at once with 50 ms of latency per
// request, for the wall time against the least the requests allow — the
// requests ÷ the repos synced at once × the latency — and the requests per
// pull request against ⌈N/100⌉.
func benchSync(b *testing.B, e *env) {
	end := time.Now().UTC().Truncate(time.Second)
	history := func(prs int) githubtest.History {
		return githubtest.History{PRs: prs, Deployments: prs / 10, Runs: prs / 2, Incidents: prs / 50, Issues: prs / 20, End: end, Span: 150 * 24 * time.Hour}
	}
	dir := b.TempDir()
	var rss, derived []string
	var first, last int64
	for _, n := range intList(os.Getenv("TACH_BENCH_SYNC_PRS"), []int{10000, 30000, 100000}) {
		gh := githubtest.New(b)
		gh.AddRepo("acme/big").Generate(history(n))
		unlimited(gh)
		db := filepath.Join(dir, fmt.Sprintf("sync-%d.db", n))
		cfg := syncConfig(b, dir, db, gh, []string{"acme/big"}, 1)
		// The sync's resident memory, sampled; the sync proper ends with
		// the last request the fake answers, then the derive step runs.
		var mu sync.Mutex
		var lastRequest time.Time
		gh.OnRequest(func(string) { mu.Lock(); lastRequest = time.Now(); mu.Unlock() })
		type sample struct {
			at  time.Time
			rss int64
		}
		var samples []sample
		wall, peak := runSampled(b, e.bin, func(pid int) {
			if kb := vmRSS(pid); kb > 0 {
				samples = append(samples, sample{time.Now(), kb})
			}
		}, "sync", "--config", cfg)
		mu.Lock()
		var syncPeak int64
		for _, s := range samples {
			if !s.at.After(lastRequest) {
				syncPeak = max(syncPeak, s.rss)
			}
		}
		mu.Unlock()
		prs := gh.Requests("graphql.pullRequests")
		rss = append(rss, fmt.Sprintf("%d PRs: %.0f MB", n, float64(syncPeak)/1024))
		derived = append(derived, fmt.Sprintf("%d PRs: %.0f MB", n, float64(peak)/1024))
		record("sync", fmt.Sprintf("full sync of %d pull requests, no latency", n), fmt.Sprintf("%.0f MB while syncing, %.0f MB with the derive step, %.1f s", float64(syncPeak)/1024, float64(peak)/1024, wall.Seconds()), "", "",
			fmt.Sprintf("%d requests, %d for pull requests (⌈N/100⌉ = %d)", gh.TotalRequests(), prs, (n+99)/100))
		if first == 0 {
			first = syncPeak
		}
		last = syncPeak
		gh.Close()
	}
	if first > 0 {
		grow := float64(last) / float64(first)
		record("sync", "peak memory of the sync as history grows", join(rss), "flat", verdict(grow < 1.5),
			fmt.Sprintf("largest ÷ smallest = %.2f; pages are written as they come", grow))
		record("sync", "  with the derive step (one repo at a time)", join(derived), "", "",
			"the derive step holds the repo it derives: here all of the history is one repo")
	}

	// Throughput against a provider 50 ms away.
	const repos, prs, latency = 4, 2000, 50 * time.Millisecond
	gh := githubtest.New(b)
	var names []string
	for i := range repos {
		name := fmt.Sprintf("acme/svc%d", i)
		h := history(prs)
		h.Seed = uint64(i + 1)
		gh.AddRepo(name).Generate(h)
		names = append(names, name)
	}
	unlimited(gh)
	gh.SetLatency(latency)
	arrivals := gh.RecordArrivals()
	db := filepath.Join(dir, "latency.db")
	cfg := syncConfig(b, dir, db, gh, names, repos)
	_, wall, _, _ := run(b, e.bin, "sync", "--config", cfg)
	total := gh.TotalRequests()
	concurrency := arrivals.MostInFlight(latency)
	bound := time.Duration(total) * latency / repos
	ratio := wall.Seconds() / bound.Seconds()
	record("sync", fmt.Sprintf("sync of %d repos × %d PRs, 50 ms a request", repos, prs), fmt.Sprintf("%.1f s for %d requests: %.2f × the least", wall.Seconds(), total, ratio),
		"≤ 1.3 ×", verdict(ratio <= 1.3), fmt.Sprintf("least = %d requests ÷ %d repos at once (sync.workers) × 50 ms = %.1f s", total, repos, bound.Seconds()))
	strict := time.Duration(total) * latency / time.Duration(max(concurrency, 1))
	record("sync", "  against the most requests it had in flight", fmt.Sprintf("%.2f × the least", wall.Seconds()/strict.Seconds()), "", "",
		fmt.Sprintf("least = %d requests ÷ %d in flight at most (4 requests of a repo at once) × 50 ms = %.1f s", total, concurrency, strict.Seconds()))
	per := gh.Requests("graphql.pullRequests")
	want := repos * ((prs + 99) / 100)
	record("sync", "requests for pull requests", fmt.Sprintf("%d (%d a repo)", per, per/repos), fmt.Sprintf("⌈N/100⌉ = %d a repo", (prs+99)/100),
		verdict(per <= want), "")
}

// syncConfig writes a config that syncs repos from gh into db.
func syncConfig(b *testing.B, dir, db string, gh *githubtest.Server, repos []string, workers int) string {
	var list strings.Builder
	for _, r := range repos {
		fmt.Fprintf(&list, "  - github: %s\n", r)
	}
	body := fmt.Sprintf(`database: %s
log:
  level: warn
github:
  token: %s
  base_url: %s
sync:
  workers: %d
  history: 365d
repos:
%s`, db, githubtest.DefaultToken, gh.BaseURL(), workers, list.String())
	path := filepath.Join(dir, filepath.Base(db)+".yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

// runSampled runs tach, calling sample with its pid every 20 ms, and
// returns its wall time and peak RSS in KB (/usr/bin/time's, as run's).
func runSampled(b *testing.B, bin string, sample func(pid int), args ...string) (time.Duration, int64) {
	b.Helper()
	done := make(chan struct{})
	var wall time.Duration
	var peak int64
	go func() {
		defer close(done)
		_, wall, _, peak = run(b, bin, args...)
	}()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	pid := 0
	for {
		select {
		case <-done:
			return wall, peak
		case <-tick.C:
			if pid == 0 {
				pid = childPid(bin)
			}
			if pid > 0 {
				sample(pid)
			}
		}
	}
}

// childPid finds the running tach started from bin (under /usr/bin/time):
// a child of this process, or of its child.
func childPid(bin string) int {
	var walk func(pid int, depth int) int
	walk = func(pid int, depth int) int {
		// Any thread of a process may have started the child.
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
		var kids []string
		for _, t := range tasks {
			if body, err := os.ReadFile(t); err == nil {
				kids = append(kids, strings.Fields(string(body))...)
			}
		}
		for _, f := range kids {
			child, _ := strconv.Atoi(f)
			if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", child)); err == nil && exe == bin {
				return child
			}
			if depth < 2 {
				if p := walk(child, depth+1); p > 0 {
					return p
				}
			}
		}
		return 0
	}
	return walk(os.Getpid(), 0)
}

// vmRSS is a process's resident set size in KB.
func vmRSS(pid int) int64 { return procStatusKB(pid, "VmRSS") }

// procStatusKB is a field of /proc/PID/status in kB (0 when unknown).
func procStatusKB(pid int, field string) int64 {
	body, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, field+":") {
			kb, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			return kb
		}
	}
	return 0
}

// unlimited lifts the fake's hourly budgets (5,000 requests, as GitHub's):
// a first sync of a large history spends more, and tach would then spread
// its requests until the reset — right, and an hour long.
func unlimited(gh *githubtest.Server) {
	for _, r := range []string{"core", "graphql"} {
		gh.SetRateLimit(r, 10_000_000, 10_000_000, time.Hour)
	}
}
