package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tach-dev/tach/cmd/tach/config"
	"github.com/tach-dev/tach/store"
)

// receiver is a local chat platform: it records each POST's body.
type receiver struct {
	mu     sync.Mutex
	bodies []string
	srv    *httptest.Server
}

func newReceiver(t *testing.T, status ...int) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.bodies = append(r.bodies, string(b))
		if n := len(r.bodies); n <= len(status) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(status[n-1])
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies...)
}

// digestSetup is the demo database with a config whose digest posts to
// one local receiver per platform; Slack's first answer is a 429 and
// Teams' a 502.
func digestSetup(t *testing.T) (cfgPath string, recv map[string]*receiver) {
	t.Helper()
	dir := t.TempDir()
	db, err := os.ReadFile(demoDB)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tach.db"), db, 0o600); err != nil {
		t.Fatal(err)
	}
	recv = map[string]*receiver{
		"slack": newReceiver(t, http.StatusTooManyRequests), "teams": newReceiver(t, http.StatusBadGateway),
		"mattermost": newReceiver(t), "discord": newReceiver(t), "webhook": newReceiver(t),
	}
	var to strings.Builder
	for _, p := range []string{"slack", "teams", "mattermost", "discord", "webhook"} {
		fmt.Fprintf(&to, "    - %s: %s/hook/s3cr3t-%s\n", p, recv[p].srv.URL, p)
	}
	cfgPath = filepath.Join(dir, "tach.yaml")
	yaml := fmt.Sprintf(`database: tach.db
timezone: Europe/Paris
repos:
  - github: acme/payments
  - github: acme/web
  - github: acme/catalog
teams:
  - {name: checkout, repos: [acme/payments, acme/web]}
  - {name: platform, repos: [acme/catalog]}
digest:
  schedule: Mon 09:00
  link: https://tach.example.com
  to:
%s`, to.String())
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, recv
}

// TestDigestSendPostsOncePerWeek: `tach digest send` posts one digest per
// team to each platform in its own format, retrying a 429 and a 502; run
// again (a restart), it posts nothing more for the same week.
func TestDigestSendPostsOncePerWeek(t *testing.T) {
	cfg, recv := digestSetup(t)
	code, out, errOut := tach(t, "digest", "send", "--config", cfg)
	if code != 0 {
		t.Fatalf("digest send: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, "s3cr3t") {
		t.Errorf("a webhook URL was printed:\n%s%s", out, errOut)
	}
	want := map[string]int{"slack": 3, "teams": 3} // 2 teams, and one retried post
	for p, r := range recv {
		n := want[p]
		if n == 0 {
			n = 2
		}
		if got := len(r.got()); got != n {
			t.Errorf("%s received %d posts, want %d (one per team, plus a retry)", p, got, n)
		}
	}
	// Each platform's own format.
	last := func(p string) map[string]any {
		b := recv[p].got()
		var v map[string]any
		if err := json.Unmarshal([]byte(b[len(b)-1]), &v); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		return v
	}
	if _, ok := last("slack")["blocks"]; !ok {
		t.Error("slack got no Block Kit blocks")
	}
	if a, _ := last("teams")["attachments"].([]any); len(a) != 1 {
		t.Error("teams got no Adaptive Card")
	}
	if s, _ := last("mattermost")["text"].(string); !strings.Contains(s, "| Measure |") || !strings.Contains(s, "team platform") {
		t.Errorf("mattermost text = %q", s)
	}
	if s, _ := last("discord")["content"].(string); !strings.Contains(s, "https://tach.example.com/weekly?team=platform&week=") {
		t.Errorf("discord content = %q", s)
	}
	if r, _ := last("webhook")["review"].(map[string]any); r["week"] == nil {
		t.Error("webhook got no review")
	}

	// Again, as after a restart: nothing is posted twice.
	code, out, _ = tach(t, "digest", "send", "--config", cfg)
	if code != 0 || strings.Count(out, "already") != 10 {
		t.Errorf("second send: exit %d\n%s", code, out)
	}
	for p, r := range recv {
		if n := len(r.got()); n != max(want[p], 2) {
			t.Errorf("%s: %d posts after the second send", p, n)
		}
	}
}

func TestDigestDryRunAndTeam(t *testing.T) {
	cfg, recv := digestSetup(t)
	code, out, errOut := tach(t, "digest", "send", "--config", cfg, "--dry-run", "--team", "platform")
	if code != 0 {
		t.Fatalf("dry run: exit %d\n%s", code, errOut)
	}
	if strings.Count(out, "== ") != 5 || !strings.Contains(out, "== slack, team platform, week of") || strings.Contains(out, "team checkout") {
		t.Errorf("dry run printed:\n%s", out)
	}
	for p, r := range recv {
		if len(r.got()) != 0 {
			t.Errorf("the dry run posted to %s", p)
		}
	}
	code, _, errOut = tach(t, "digest", "send", "--config", cfg, "--team", "nobody")
	if code != 2 || !strings.Contains(errOut, `team "nobody" is not in the config's teams`) {
		t.Errorf("unknown team: exit %d, %s", code, errOut)
	}
}

// TestDigestScheduleAcrossRestart: tach serve's schedule sends nothing
// before Monday 09:00 (in the configured timezone), everything at it,
// and a new server (a restart, or a second replica) sends nothing again.
func TestDigestScheduleAcrossRestart(t *testing.T) {
	cfgPath, recv := digestSetup(t)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reports, err := newReports(ctx, cfg, st, true)
	if err != nil {
		t.Fatal(err)
	}
	paris := cfg.Location
	log := slog.New(slog.DiscardHandler)
	posts := func() int {
		n := 0
		for _, r := range recv {
			n += len(r.got())
		}
		return n
	}
	var sched *digestSchedule
	for _, tc := range []struct {
		at      time.Time
		want    int
		restart bool
	}{
		{time.Date(2026, 12, 7, 8, 59, 0, 0, paris), 0, true},   // Monday, a minute early
		{time.Date(2026, 12, 7, 9, 0, 0, 0, paris), 12, false},  // 2 teams × 5, and 2 retries
		{time.Date(2026, 12, 7, 9, 1, 0, 0, paris), 12, false},  // the same server, a minute on
		{time.Date(2026, 12, 9, 14, 0, 0, 0, paris), 12, true},  // a restarted server, on Wednesday
		{time.Date(2026, 12, 14, 9, 0, 0, 0, paris), 22, false}, // the next Monday: the next week's
	} {
		if tc.restart {
			sched = newDigestSchedule(cfg, st, reports, log)
		}
		sched.sender.Sleep = func(context.Context, time.Duration) error { return nil }
		sched.now = func() time.Time { return tc.at }
		sched.tick(ctx)
		if got := posts(); got != tc.want {
			t.Errorf("at %v: %d posts in all, want %d", tc.at, got, tc.want)
		}
	}
}
