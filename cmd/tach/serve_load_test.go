package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors/github/githubtest"
)

// loadPages are what the load test's clients read: the dashboard and its
// API.
var loadPages = []string{
	"/", "/weekly", "/measures/lead-time", "/measures/deployment-frequency", "/measures/change-failure-rate",
	"/changes?per_page=25", "/deployments?per_page=25", "/incidents?weeks=26", "/sync", "/decisions",
	"/api/v1/metrics", "/api/v1/overview", "/api/v1/weekly", "/api/v1/changes?per_page=50", "/api/v1/deployments",
	"/api/v1/measures/lead-time", "/api/v1/sync", "/api/v1/scopes",
}

// TestReliabilityLoad: 50 concurrent clients read the dashboard and the
// API of a running tach serve while syncs write to the same database
// (against a fake GitHub answering with latency, so each sync holds
// writes for a while). No request may fail, none may meet "database is
// locked"; the latency is reported, not asserted. It runs for 1.5 s by
// default and 20 s with TACH_RELIABILITY=1 (TACH_RELIABILITY_LOAD_SECONDS
// sets it). In -short runs (make race) 8 clients, not 50, and not the
// weekly review's two pages: under the race detector a page costs ten to
// twenty times its CPU (the weekly review, recomputed after each sync's
// write, 10 s and more), and 50 clients starve each other past their
// timeout on two CPUs, which is no finding about tach.
//
//	TACH_RELIABILITY=1 go test -run ReliabilityLoad -v ./cmd/tach/
func TestReliabilityLoad(t *testing.T) {
	clients, pages := 50, loadPages
	if testing.Short() {
		clients = 8
		pages = slices.DeleteFunc(slices.Clone(loadPages), func(p string) bool { return strings.Contains(p, "weekly") })
	}
	duration := 1500 * time.Millisecond
	if os.Getenv("TACH_RELIABILITY") != "" {
		duration = 20 * time.Second
		if n, err := strconv.Atoi(os.Getenv("TACH_RELIABILITY_LOAD_SECONDS")); err == nil && n > 0 {
			duration = time.Duration(n) * time.Second
		}
	}
	gh := githubtest.New(t)
	repo := gh.AddRepo("acme/load")
	repo.Generate(githubtest.History{PRs: 400, Deployments: 60, Runs: 60, Incidents: 6})
	gh.SetLatency(5 * time.Millisecond)
	dir := t.TempDir()
	copyFile(t, demoDB, filepath.Join(dir, "tach.db"))
	cfg := writeConfigIn(t, dir, fmt.Sprintf(`database: tach.db
listen: 127.0.0.1:0
log: {level: warn}
github:
  token: %s
  base_url: %s
sync:
  interval: 1h
repos:
  - github: acme/load
`, githubtest.DefaultToken, gh.BaseURL()))
	s := startServe(t, "--config", cfg)
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 60 * time.Second}

	// Syncs, one after another, for the whole run.
	ctx, stop := context.WithTimeout(context.Background(), duration)
	defer stop()
	var syncs, syncRequests atomic.Int64
	var syncer sync.WaitGroup
	syncer.Go(func() {
		for ctx.Err() == nil {
			resp, err := hc.Post(s.url+"/api/v1/sync", "application/json", nil)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusAccepted {
					// The fake's history grows a pull request with each
					// sync, so that every sync has something to write.
					n := syncs.Add(1)
					gh.Edit(func() {
						repo.Generate(githubtest.History{PRs: 1, End: time.Now().UTC().Truncate(time.Second), Span: time.Minute, Seed: uint64(n + 7)})
					})
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	})

	var (
		mu        sync.Mutex
		latencies []time.Duration
		failures  []string
		requests  atomic.Int64
	)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			var own []time.Duration
			for i := c; ctx.Err() == nil; i++ {
				path := pages[i%len(pages)]
				start := time.Now()
				resp, err := hc.Get(s.url + path)
				var body []byte
				if err == nil {
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				took := time.Since(start)
				requests.Add(1)
				switch {
				case err != nil:
					mu.Lock()
					failures = append(failures, fmt.Sprintf("GET %s: %v", path, err))
					mu.Unlock()
				case resp.StatusCode != http.StatusOK || strings.Contains(string(body), "database is locked"):
					mu.Lock()
					failures = append(failures, fmt.Sprintf("GET %s: %d %.200s", path, resp.StatusCode, body))
					mu.Unlock()
				default:
					own = append(own, took)
				}
			}
			mu.Lock()
			latencies = append(latencies, own...)
			mu.Unlock()
		})
	}
	wg.Wait()
	syncer.Wait()
	waitSyncs(t, s, hc, 1)
	syncRequests.Store(int64(gh.TotalRequests()))
	if code := s.stop(); code != 0 {
		t.Errorf("exit %d", code)
	}
	logs := s.stderr.String()
	if strings.Contains(logs, "database is locked") || strings.Contains(logs, "SQLITE_BUSY") {
		t.Errorf("the server met a locked database:\n%s", logs)
	}
	if strings.Contains(logs, `level=ERROR`) {
		t.Errorf("the server logged errors:\n%s", logs)
	}
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))]
	}
	t.Logf("load: %d clients for %s while %d syncs wrote (%d fake-GitHub requests): %d requests, %d errors, %.0f req/s, latency median %s, p99 %s, max %s",
		clients, duration, syncs.Load(), syncRequests.Load(), requests.Load(), len(failures), float64(requests.Load())/duration.Seconds(),
		pct(0.5).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), pct(1).Round(time.Microsecond))
	if len(failures) > 0 {
		t.Errorf("%d of %d requests failed; the first: %s", len(failures), requests.Load(), strings.Join(failures[:min(5, len(failures))], "\n"))
	}
	if syncs.Load() == 0 {
		t.Error("no sync ran during the load")
	}
}
