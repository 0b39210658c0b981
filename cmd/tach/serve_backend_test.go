package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/cmd/tach/config"
	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/github/githubtest"
	"github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
	"github.com/tach-dev/tach/store"
)

func init() {
	// Cheap password hashes keep the tests fast; the format is the same.
	store.PasswordParams = store.Argon2Params{Memory: 1024, Time: 1, Threads: 1}
}

// tachIn runs one command line with stdin and returns its exit status,
// stdout and stderr.
func tachIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), &cli{stdout: &out, stderr: &errOut, stdin: strings.NewReader(stdin)}, args)
	return code, out.String(), errOut.String()
}

func TestUsersCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "tach.db")
	const pw = "tach-Secret-Password-42"
	code, out, errOut := tachIn(t, pw+"\n", "users", "add", "ada", "--role", "write", "--db", db)
	if code != 0 || !strings.Contains(out, "Added user ada (write)") {
		t.Fatalf("add: exit %d\n%s%s", code, out, errOut)
	}
	var seen strings.Builder
	seen.WriteString(out + errOut)
	for _, tc := range []struct {
		stdin string
		args  []string
		code  int
		want  string
	}{
		{pw + "\n", []string{"users", "add", "ada", "--role", "read", "--db", db}, 1, "already exists"},
		{pw + "\n", []string{"users", "add", "bob", "--db", db}, 2, "--role"},
		{pw + "\n", []string{"users", "add", "bob", "--role", "admin", "--db", db}, 2, "read or write"},
		{"too-short\n", []string{"users", "add", "bob", "--role", "read", "--db", db}, 1, "at least 12"},
		{"\n", []string{"users", "add", "bob", "--role", "read", "--db", db}, 1, "no password"},
		{"", []string{"users", "add", "bob", "--role", "read", "--db", db}, 1, "no password"},
		{pw + "\n", []string{"users", "add", "--role", "read", "--db", db}, 2, "needs LOGIN"},
		{pw + "\n", []string{"users", "passwd", "nobody", "--db", db}, 1, "no user nobody"},
		{"", []string{"users", "rm", "nobody", "--db", db}, 1, "no user nobody"},
		{"", []string{"users", "frobnicate"}, 2, "unknown subcommand"},
		{"", []string{"users", "list", "--db", filepath.Join(t.TempDir(), "none.db")}, 1, "does not exist"},
	} {
		code, out, errOut := tachIn(t, tc.stdin, tc.args...)
		seen.WriteString(out + errOut)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
		if strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("%v: error on several lines: %q", tc.args, errOut)
		}
	}
	// Added with a password from stdin (the first line only), listed.
	code, out, errOut = tachIn(t, "another-password-123\nignored second line\n", "users", "add", "bob", "--role", "read", "--db", db)
	if code != 0 {
		t.Fatalf("add bob: %s", errOut)
	}
	code, out, _ = tachIn(t, "", "users", "list", "--db", db)
	if code != 0 || !strings.Contains(out, "ada    write") || !strings.Contains(out, "bob    read") {
		t.Errorf("list:\n%s", out)
	}
	seen.WriteString(out)
	// The new password works, the old does not; rm ends it.
	code, out, errOut = tachIn(t, "a-brand-new-password\n", "users", "passwd", "ada", "--db", db)
	seen.WriteString(out + errOut)
	if code != 0 {
		t.Fatalf("passwd: %s", errOut)
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Authenticate(context.Background(), "ada", "a-brand-new-password"); err != nil {
		t.Errorf("new password refused: %v", err)
	}
	if _, err := st.Authenticate(context.Background(), "ada", pw); !errors.Is(err, store.ErrBadCredentials) {
		t.Errorf("old password: %v", err)
	}
	st.Close()
	if code, _, errOut := tachIn(t, "", "users", "rm", "bob", "--db", db); code != 0 {
		t.Errorf("rm: %s", errOut)
	}
	// No password was ever printed, nor stored in the clear.
	raw := readAll(t, db)
	for _, secret := range []string{pw, "another-password-123", "a-brand-new-password"} {
		if strings.Contains(seen.String(), secret) || bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the password %q was printed or stored", secret)
		}
	}
}

// readAll returns a database's bytes with its WAL.
func readAll(t *testing.T, db string) []byte {
	t.Helper()
	var all []byte
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(db + suffix)
		if err == nil {
			all = append(all, b...)
		}
	}
	return all
}

func TestBackupCommand(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "copy.db")
	code, out, errOut := tachIn(t, "", "backup", dest, "--db", demoDB)
	if code != 0 || !strings.Contains(out, "integrity check: ok") {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	// The copy answers the same report as the original.
	args := []string{"report", "metrics", "--from", "2026-08-31", "--to", "2026-11-23", "--format", "json"}
	_, want, _ := tach(t, append(args, "--db", demoDB)...)
	_, got, _ := tach(t, append(args, "--db", dest)...)
	if want != got || want == "" {
		t.Errorf("the copy reports differently")
	}
	if code, _, errOut := tachIn(t, "", "backup", dest, "--db", demoDB); code != 1 || !strings.Contains(errOut, "exists") {
		t.Errorf("overwrite: exit %d %s", code, errOut)
	}
	if code, _, errOut := tachIn(t, "", "backup", "--db", demoDB); code != 2 || !strings.Contains(errOut, "needs FILE") {
		t.Errorf("no file: exit %d %s", code, errOut)
	}
	if code, _, errOut := tachIn(t, "", "backup", filepath.Join(dir, "x.db"), "--db", filepath.Join(dir, "missing.db")); code != 1 || !strings.Contains(errOut, "does not exist") {
		t.Errorf("missing database: exit %d %s", code, errOut)
	}
}

// writeConfigIn writes a tach.yaml with the given body into dir.
func writeConfigIn(t *testing.T, dir, body string) string {
	t.Helper()
	f := filepath.Join(dir, "tach.yaml")
	if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestSchedulerRunsTheSync: the syncer is what the server's scheduler
// runs; a run of it is `tach sync`, with its progress and summary.
func TestSchedulerRunsTheSync(t *testing.T) {
	srv := githubtest.New(t)
	srv.AddRepo("acme/shop").Generate(githubtest.History{PRs: 12, Deployments: 4, Runs: 5, Incidents: 2})
	dir := t.TempDir()
	cfg, err := config.Load(writeConfigIn(t, dir, fmt.Sprintf("database: tach.db\ngithub:\n  token: %s\n  base_url: %s\nrepos:\n  - github: acme/shop\n", githubtest.DefaultToken, srv.BaseURL())))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := newSyncer(cfg, st, newLogger(&bytes.Buffer{}, cfg))
	if err != nil {
		t.Fatal(err)
	}
	sch := collectors.NewScheduler(s.SyncFunc(), collectors.ScheduleOptions{Interval: time.Hour, FirstDelay: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- sch.Run(ctx) }()
	waitRunning := time.Now().Add(5 * time.Second)
	var r collectors.SyncRun
	for {
		r, err = sch.RunNow(context.Background())
		if !errors.Is(err, collectors.ErrSchedulerStopped) || time.Now().After(waitRunning) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err != nil || r.Err != nil || r.Summary == nil || len(r.Summary.Failed()) != 0 {
		t.Fatalf("run = %+v, %v", r, err)
	}
	if p, running := sch.Snapshot(); running || len(p) != 1 || !p[0].Done || p[0].Items[collectors.ResourceChanges] == 0 {
		t.Errorf("progress = %+v", p)
	}
	repo, err := st.RepoByName(context.Background(), "acme/shop")
	if err != nil {
		t.Fatal(err)
	}
	h, _ := st.RepoHistory(context.Background(), repo.ID)
	derived := 0
	for _, d := range h.Deployments {
		if d.Production {
			derived++
		}
	}
	if len(h.Changes) != 12 || derived == 0 {
		t.Errorf("after the run: %d changes, %d production deployments derived", len(h.Changes), derived)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestSyncerAppliesWebhooks: a webhook through the syncer lands in the
// store and the repo is derived again; a repo not in the config is refused.
func TestSyncerAppliesWebhooks(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Load(writeConfigIn(t, dir, "database: tach.db\ngithub:\n  token: x\nsync:\n  history: 100000d\nincidents:\n  labels: [bug]\nrepos:\n  - github: codertocat/hello-world\n"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := newSyncer(cfg, st, newLogger(&bytes.Buffer{}, cfg))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := os.ReadFile(filepath.Join("..", "..", "collectors", "github", "testdata", "webhooks", "deployment_status.created.json"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.ApplyWebhook(context.Background(), store.GitHub, "deployment_status", payload)
	if err != nil || a.Rows != 1 {
		t.Fatalf("applied = %+v, %v", a, err)
	}
	// Stored under the config's spelling of the repo, and derived.
	repo, err := st.RepoByName(context.Background(), "codertocat/hello-world")
	if err != nil || repo.ID != a.RepoID {
		t.Fatalf("repo = %+v, %v", repo, err)
	}
	h, _ := st.RepoHistory(context.Background(), repo.ID)
	if len(h.Deployments) != 1 || !h.Deployments[0].Production {
		t.Errorf("deployment not derived as production: %+v", h.Deployments)
	}
	if got := collectors.WebhookOutcome(a, err); got != store.DeliveryApplied {
		t.Errorf("outcome = %s", got)
	}
	other, _ := os.ReadFile(filepath.Join("..", "..", "collectors", "gitlab", "testdata", "webhooks", "issue.json"))
	a, err = s.ApplyWebhook(context.Background(), store.GitLab, "Issue Hook", other)
	if !errors.Is(err, collectors.ErrWebhookUnknownRepo) || collectors.WebhookOutcome(a, err) != store.DeliveryUnknownRepo {
		t.Errorf("a project not in the config: %+v, %v", a, err)
	}
}

// TestLogsFollowTheConfigAndHoldNoSecret runs a sync with a recognisable
// token against fakes that refuse it, with JSON debug logs, and looks for
// the token in everything the run produced: stdout, stderr, the database.
func TestLogsFollowTheConfigAndHoldNoSecret(t *testing.T) {
	const ghToken = "ghp_TACHLEAKCANARY0123456789abcdefABCDEF"
	const glToken = "glpat-TACHLEAKCANARY-9876543210"
	const hookSecret = "whsec-TACHLEAKCANARY-hook"
	gh := githubtest.New(t)
	gh.AddRepo("acme/shop").Generate(githubtest.History{PRs: 3})
	gl := gitlabtest.New(t)
	gl.Token = "the-right-token"
	gl.AddProject(&gitlabtest.Project{Path: "acme/platform/billing"})
	dir := t.TempDir()
	body := fmt.Sprintf(`database: tach.db
log:
  format: json
  level: debug
github:
  token: %s
  base_url: %s
gitlab:
  token: %s
  base_url: %s
webhooks:
  github_secret: %s
repos:
  - github: acme/shop
  - gitlab: acme/platform/billing
`, ghToken, gh.BaseURL(), glToken, gl.BaseURL(), hookSecret)
	cfgFile := writeConfigIn(t, dir, body)
	code, out, errOut := tachIn(t, "", "sync", "--config", cfgFile)
	if code != 1 {
		t.Errorf("exit %d with both tokens refused, want 1\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out+errOut, "rejected the token") {
		t.Errorf("the refusal is not explained:\n%s%s", out, errOut)
	}
	// Every stderr line is a JSON log record (log.format: json), and the
	// debug level lets debug records through.
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	records, levels := 0, map[string]bool{}
	for _, l := range lines {
		if strings.HasPrefix(l, "tach: ") {
			continue // the command's own one-line error
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Errorf("stderr line is not JSON: %q", l)
			continue
		}
		records++
		levels[fmt.Sprint(rec["level"])] = true
	}
	if records == 0 || !levels["ERROR"] {
		t.Errorf("no JSON log records of the failure (levels %v):\n%s", levels, errOut)
	}
	all := append([]byte(out+errOut), readAll(t, filepath.Join(dir, "tach.db"))...)
	for _, secret := range []string{ghToken, glToken, hookSecret, "TACHLEAKCANARY"} {
		if bytes.Contains(all, []byte(secret)) {
			t.Errorf("%q appears in the output or the database", secret)
		}
	}

	// log.level warn drops the info and debug records.
	body = strings.Replace(strings.Replace(body, "level: debug", "level: warn", 1), "format: json", "format: text", 1)
	code, _, errOut = tachIn(t, "", "sync", "--config", writeConfigIn(t, dir, body))
	if code != 1 || strings.Contains(errOut, "level=INFO") || strings.Contains(errOut, "level=DEBUG") || !strings.Contains(errOut, "level=ERROR") {
		t.Errorf("text logs at warn:\n%s", errOut)
	}
	if strings.Contains(errOut, "TACHLEAKCANARY") {
		t.Error("a secret leaked into the text logs")
	}
}
