package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors/github/githubtest"
	"github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// TestReliabilityCrashSafety is the reliability suite's crash test: the
// real tach binary syncs from a fake GitHub and a fake GitLab (served by
// this process on real ports) and is killed with SIGKILL at random points
// of the sync, many times over, each chain of kills resuming in the same
// database; a last sync then runs to completion. Every chain must end with
// the rows of one clean sync, row for row (every table, derived values
// included), and pass PRAGMA integrity_check.
//
// The kill points are measured in requests the fakes served since the
// process started (a quarter are random delays instead, to land in the
// start-up and the derive step too). It builds the binary, so it runs only
// with TACH_RELIABILITY=1 (TACH_RELIABILITY_KILLS sets how many kills, 45
// by default):
//
//	TACH_RELIABILITY=1 go test -run Reliability -v ./cmd/tach/
func TestReliabilityCrashSafety(t *testing.T) {
	if os.Getenv("TACH_RELIABILITY") == "" {
		t.Skip("builds tach and kills it many times; set TACH_RELIABILITY=1 to run")
	}
	kills := 45
	if n, err := strconv.Atoi(os.Getenv("TACH_RELIABILITY_KILLS")); err == nil && n > 0 {
		kills = n
	}
	dir := t.TempDir()
	bin := buildTach(t, dir)

	end := time.Now().UTC().Truncate(time.Second)
	gh := githubtest.New(t)
	gh.AddRepo("acme/api").Generate(githubtest.History{PRs: 220, Deployments: 60, Runs: 240, Incidents: 8, Issues: 30, End: end, Span: 90 * 24 * time.Hour, Seed: 7})
	gh.AddRepo("acme/web").Generate(githubtest.History{PRs: 120, Deployments: 30, Runs: 120, Incidents: 4, Issues: 10, End: end, Span: 60 * 24 * time.Hour, Seed: 8})
	gl := gitlabtest.New(t)
	gl.Token = "crash-test-gitlab-token"
	gl.AddProject(gitlabtest.GenerateProject("acme/platform/billing", 160, end))
	gl.AddProject(gitlabtest.GenerateProject("acme/platform/ledger", 90, end))
	served := func() int { return gh.TotalRequests() + gl.TotalRequests() }

	config := func(db string) string {
		f := filepath.Join(dir, filepath.Base(db)+".yaml")
		body := fmt.Sprintf(`database: %s
log:
  format: json
  level: warn
github:
  token: %s
  base_url: %s
gitlab:
  token: %s
  base_url: %s
sync:
  workers: 4
repos:
  - github: acme/api
  - github: acme/web
    deployments:
      link: time
  - gitlab: acme/platform/billing
  - gitlab: acme/platform/ledger
    deployments:
      source: workflow
      workflow: push   # a pipeline whose source is push deploys
teams:
  - name: platform
    repos: [acme/platform/billing, acme/platform/ledger]
  - name: product
    repos: [acme/api, acme/web]
`, db, githubtest.DefaultToken, gh.BaseURL(), gl.Token, gl.BaseURL())
		if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	syncToEnd := func(cfg string) {
		t.Helper()
		cmd := exec.Command(bin, "sync", "--config", cfg)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sync: %v\n%s", err, out)
		}
	}

	cleanDB := filepath.Join(dir, "clean.db")
	before := served()
	syncToEnd(config(cleanDB))
	cleanRequests := served() - before
	want := storetest.Dump(t, cleanDB)
	checkIntegrity(t, cleanDB)
	t.Logf("a clean sync made %d requests and wrote a %d-line dump", cleanRequests, countLines(want))

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	killed, chains, finishedEarly := 0, 0, 0
	for killed < kills {
		chains++
		db := filepath.Join(dir, fmt.Sprintf("chain-%d.db", chains))
		cfg := config(db)
		gh.ResetCounts() // a fresh rate-limit budget for each chain
		// Each resumed sync re-reads from its watermarks: roughly what the
		// killed one had not done is left.
		left := cleanRequests
		for i := 0; i < 8 && killed < kills; i++ {
			ok, n := kill(t, bin, cfg, rng, left, served)
			if !ok {
				finishedEarly++ // this chain is synced: on to a new one
				break
			}
			killed++
			left = max(2, left-n+n/10)
		}
		syncToEnd(cfg)
		checkIntegrity(t, db)
		if got := storetest.Dump(t, db); got != want {
			t.Fatalf("chain %d (%d kills so far): rows differ from a clean sync:\n%s", chains, killed, storetest.Diff(want, got))
		}
	}
	t.Logf("%d SIGKILLs survived in %d chains (%d runs ended before their kill point, ending their chain); every chain ended with the rows of a clean sync and passed integrity_check",
		killed, chains, finishedEarly)
}

// kill starts a sync and kills it with SIGKILL after a random number of
// requests (up to left) or a random delay; it reports whether the kill
// landed before the sync ended by itself, and the requests it served.
func kill(t *testing.T, bin, cfg string, rng *rand.Rand, left int, served func() int) (bool, int) {
	t.Helper()
	cmd := exec.Command(bin, "sync", "--config", cfg)
	start := served()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var deadline <-chan time.Time
	target := -1
	if rng.IntN(4) == 0 {
		deadline = time.After(time.Duration(rng.IntN(1500)) * time.Millisecond)
	} else {
		target = 1 + rng.IntN(left)
	}
	tick := time.NewTicker(200 * time.Microsecond)
	defer tick.Stop()
	for {
		select {
		case <-exited:
			return false, served() - start
		case <-deadline:
		case <-tick.C:
			if target < 0 || served()-start < target {
				continue
			}
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			<-exited
			return false, served() - start
		}
		err := <-exited
		ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
		return err != nil && ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL, served() - start
	}
}

func checkIntegrity(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := store.IntegrityCheck(context.Background(), db); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func countLines(s string) int {
	n := 1
	for _, c := range s {
		if c == '\n' {
			n++
		}
	}
	return n
}

// buildTach builds the tach binary into dir and returns its path, for the
// tests that run it as a process of its own.
func buildTach(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "tach")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
