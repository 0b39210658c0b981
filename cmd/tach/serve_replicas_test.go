package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors/github/githubtest"
	"github.com/tach-dev/tach/store/storetest"
)

// TestServeReplicasOnePostgres is issue 13's "done when" for replicas:
// two `tach serve --config` on one PostgreSQL database. Exactly one holds
// the sync lock and runs the scheduled syncs; the other serves pages that
// follow what the first writes, and passes "sync now" on to it. Killed with
// SIGKILL, the first's lock goes with its connection, and the second runs
// the next scheduled sync.
func TestServeReplicasOnePostgres(t *testing.T) {
	storetest.SkipUnlessPostgres(t)
	database := storetest.Database(t)
	gh := githubtest.New(t)
	repo := gh.AddRepo("acme/api")
	repo.Generate(githubtest.History{PRs: 6, Deployments: 3, Runs: 2})
	dir := t.TempDir()
	cfg := writeConfigIn(t, dir, fmt.Sprintf(`database: %q
listen: 127.0.0.1:0
log:
  format: json
  level: info
github:
  token: %s
  base_url: %s
sync:
  interval: 1s
repos:
  - github: acme/api
`, database, githubtest.DefaultToken, gh.BaseURL()))
	bin := buildTach(t, t.TempDir())
	a := startBinary(t, bin, "serve", "--config", cfg)
	b := startBinary(t, bin, "serve", "--config", cfg)

	// One of them takes the lock and syncs.
	var holder, other *binary
	waitUntil(t, "a replica to hold the sync lock and sync", func() bool {
		ha, hb := lockHeld(t, a), lockHeld(t, b)
		if ha == hb {
			return false
		}
		holder, other = a, b
		if hb {
			holder, other = b, a
		}
		return syncsFinished(holder) >= 2
	})
	if lockHeld(t, other) {
		t.Fatalf("both replicas say they hold the sync lock:\n%s\n%s", holder.stderr, other.stderr)
	}

	// Each follows the generation from a listening connection, not a
	// query a page.
	for _, r := range []*binary{holder, other} {
		waitUntil(t, "a replica to follow the generation", func() bool {
			_, body := get(t, r, "/readyz")
			return strings.Contains(body, "generation: followed")
		})
	}

	// The other serves what the holder synced, and its page cache follows
	// the database when the holder writes more.
	before := deployments(t, holder)
	if before == 0 {
		t.Fatalf("the holder synced no deployments:\n%s", holder.stderr)
	}
	if got := deployments(t, other); got != before {
		t.Fatalf("the other replica shows %d deployments, the holder %d", got, before)
	}
	// Sync now on the replica without the lock (where a load balancer may
	// send it) is passed on to the holder, which runs it.
	if code, body := post(t, other, "/api/v1/sync"); code != http.StatusAccepted || !strings.Contains(body, `"passed_on"`) {
		t.Fatalf("sync now on the replica without the lock: %d %s", code, body)
	}
	waitUntil(t, "the holder to run the sync passed on", func() bool {
		return strings.Contains(holder.stderr.String(), "sync now, passed on by another replica")
	})
	gh.Edit(func() {
		sha := repo.AddCommit("ship it", time.Now().Add(-time.Minute))
		repo.Deploy(sha, "production", time.Now().Add(-30*time.Second), "success")
	})
	waitUntil(t, "the other replica to show the deployment the holder synced", func() bool { return deployments(t, other) == before+1 })

	// The holder dies; the other takes over the schedule.
	if n := syncsStarted(other); n != 0 {
		t.Fatalf("the replica without the lock started %d syncs:\n%s", n, other.stderr)
	}
	if err := holder.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-holder.exited
	waitUntil(t, "the other replica to take the lock and run the next sync", func() bool {
		return lockHeld(t, other) && syncsFinished(other) >= 1
	})
	// Sync now there runs there (or finds its run in flight).
	if code, body := post(t, other, "/api/v1/sync"); code != http.StatusConflict && (code != http.StatusAccepted || !strings.Contains(body, `"started"`)) {
		t.Errorf("sync now on the new holder: %d %s", code, body)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// lockHeld reads /readyz's sync lock line.
func lockHeld(t *testing.T, b *binary) bool {
	t.Helper()
	code, body := get(t, b, "/readyz")
	if code != 200 || !strings.Contains(body, "sync lock: ") {
		t.Fatalf("/readyz: %d %q; want ok and the sync lock's line", code, body)
	}
	return strings.Contains(body, "sync lock: held")
}

func syncsStarted(b *binary) int  { return strings.Count(b.stderr.String(), `"msg":"sync started"`) }
func syncsFinished(b *binary) int { return strings.Count(b.stderr.String(), `"msg":"sync finished"`) }

// deployments is the production deployments of the last 90 days up to
// tomorrow, from /api/v1/metrics.
func deployments(t *testing.T, b *binary) int {
	t.Helper()
	now := time.Now().UTC()
	code, body := get(t, b, "/api/v1/metrics?from="+now.AddDate(0, 0, -91).Format(time.DateOnly)+"&to="+now.AddDate(0, 0, 1).Format(time.DateOnly))
	return deploymentsOf(t, code, body)
}

func get(t *testing.T, b *binary, path string) (int, string) { return request(t, b, "GET", path) }
func post(t *testing.T, b *binary, path string) (int, string) {
	return request(t, b, "POST", path)
}

func request(t *testing.T, b *binary, method, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, b.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}
