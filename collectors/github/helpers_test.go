package github

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/github/githubtest"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// now is the fixed "now" of the test histories (a Monday).
var now = time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) time.Time { return now.Add(-d) }

const day = 24 * time.Hour

// fakeClock is the collector's clock in tests: sleeping moves it on at once
// and records the wait.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.slept = append(c.slept, d)
	return nil
}

func (c *fakeClock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// syncLog collects a provider's log lines.
type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// newProvider returns a provider talking to srv with a fake clock.
func newProvider(t testing.TB, srv *githubtest.Server, tweak ...func(*Options)) (*Provider, *fakeClock, *syncLog) {
	t.Helper()
	clk := newFakeClock()
	logs := &syncLog{}
	opts := Options{
		BaseURL: srv.BaseURL(), Token: githubtest.DefaultToken, Transport: srv.Client().Transport,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    clk.Now, Sleep: clk.Sleep,
	}
	for _, f := range tweak {
		f(&opts)
	}
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return p, clk, logs
}

func runOptions() collectors.Options {
	return collectors.Options{History: 180 * day, IncidentLabels: []string{"incident"}, Workers: 2, Now: func() time.Time { return now }}
}

func repoEntry(name, source string) collectors.Repo {
	return collectors.Repo{Provider: store.GitHub, Name: name, Source: source,
		Environments: regexp.MustCompile(`(?i)^(prod|production)$`), Workflow: "deploy.yml", Link: "commits"}
}

// syncAll runs one sync of repos and returns its summary.
func syncAll(ctx context.Context, t testing.TB, st *store.Store, p *Provider, repos ...collectors.Repo) *collectors.Summary {
	t.Helper()
	sum, err := collectors.Run(ctx, st, map[string]collectors.Provider{store.GitHub: p}, repos, runOptions(), nil)
	if err != nil && ctx.Err() == nil {
		t.Fatalf("sync: %v", err)
	}
	return sum
}

// mustSync runs a sync that must succeed for every repo.
func mustSync(t testing.TB, st *store.Store, p *Provider, repos ...collectors.Repo) *collectors.Summary {
	t.Helper()
	sum := syncAll(context.Background(), t, st, p, repos...)
	for _, r := range sum.Repos {
		if r.Err != nil {
			t.Fatalf("sync %s: %v", r.Repo, r.Err)
		}
	}
	return sum
}

func repoSummary(t testing.TB, sum *collectors.Summary, name string) collectors.RepoSummary {
	t.Helper()
	for _, r := range sum.Repos {
		if r.Repo == name {
			return r
		}
	}
	t.Fatalf("no summary for %s", name)
	return collectors.RepoSummary{}
}

func history(t testing.TB, st *store.Store, name string) store.History {
	t.Helper()
	r, err := st.RepoByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	h, err := st.RepoHistory(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func changeByNumber(t testing.TB, h store.History, n int) store.Change {
	t.Helper()
	for _, c := range h.Changes {
		if c.Number == int64(n) {
			return c
		}
	}
	t.Fatalf("no change #%d", n)
	return store.Change{}
}

// dump renders every table the collector writes, keyed by natural keys
// (row ids differ between a resumed and a clean sync) and without the
// sync state's per-run figures (time of success, requests, rows, rate
// limit, ETag: the validator of the last answer, which differs when a
// resumed sync finished a resource in the cut run and read it again), so
// two databases with the same rows give the same text.
func dump(t testing.TB, st *store.Store, withState bool) string {
	t.Helper()
	db := storetest.Raw(t, st.Path())
	queries := []string{
		`SELECT provider, name, provider_id, default_branch, url, created_at, archived FROM repos ORDER BY provider, name`,
		`SELECT r.name, c.number, c.provider_id, c.title, c.author, c.author_is_bot, c.state, c.draft, c.labels, c.created_at, c.ready_at,
			c.first_commit_at, c.merged_at, c.closed_at, c.updated_at, c.additions, c.deletions, c.changed_files, c.merge_sha, c.squash_sha,
			c.base_branch, c.url FROM changes c JOIN repos r ON r.id = c.repo_id ORDER BY r.name, c.number`,
		`SELECT r.name, c.number, v.provider_id, v.author, v.author_is_bot, v.state, v.submitted_at FROM reviews v
			JOIN changes c ON c.id = v.change_id JOIN repos r ON r.id = c.repo_id ORDER BY r.name, c.number, v.provider_id`,
		`SELECT r.name, d.source, d.provider_id, d.environment, d.environment_tier, d.sha, d.ref, d.status, d.creator, d.url,
			d.created_at, d.finished_at, d.updated_at, d.range_fetched FROM deployments d JOIN repos r ON r.id = d.repo_id
			ORDER BY r.name, d.source, d.provider_id`,
		`SELECT r.name, d.source, d.provider_id, dc.sha FROM deployment_commits dc JOIN deployments d ON d.id = dc.deployment_id
			JOIN repos r ON r.id = d.repo_id ORDER BY r.name, d.source, d.provider_id, dc.sha`,
		`SELECT r.name, i.number, i.provider_id, i.title, i.labels, i.url, i.created_at, i.resolved_at, i.updated_at
			FROM incidents i JOIN repos r ON r.id = i.repo_id ORDER BY r.name, i.number`,
		`SELECT r.name, c.provider_id, c.name, c.branch, c.event, c.sha, c.status, c.conclusion, c.url, c.created_at, c.started_at,
			c.finished_at, c.updated_at FROM ci_runs c JOIN repos r ON r.id = c.repo_id ORDER BY r.name, c.provider_id`,
		`SELECT r.name, c.number, p.path, f.additions, f.deletions, COALESCE(pp.path, ''), f.renamed_away FROM change_files f
			JOIN changes c ON c.id = f.change_id JOIN repos r ON r.id = c.repo_id JOIN paths p ON p.id = f.path_id
			LEFT JOIN paths pp ON pp.id = f.previous_path_id ORDER BY r.name, c.number, p.path`,
		`SELECT r.name, s.resource, s.watermark, s.last_error FROM sync_state s JOIN repos r ON r.id = s.repo_id ORDER BY r.name, s.resource`,
	}
	if !withState {
		queries = queries[:len(queries)-1]
	}
	var b strings.Builder
	for i, q := range queries {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("dump: %v\n%s", err, q)
		}
		cols, _ := rows.Columns()
		fmt.Fprintf(&b, "== table %d\n", i)
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for j, v := range vals {
				if j > 0 {
					b.WriteString(" | ")
				}
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprint(&b, v)
			}
			b.WriteString("\n")
		}
		rows.Close()
	}
	return b.String()
}

// countRows counts a table's rows.
func countRows(t testing.TB, st *store.Store, table string) int {
	t.Helper()
	db := storetest.Raw(t, st.Path())
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// diffLines shows the first lines where two dumps differ.
func diffLines(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for i := 0; i < max(len(al), len(bl)) && len(out) < 12; i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			out = append(out, fmt.Sprintf("line %d:\n  want %s\n  got  %s", i+1, x, y))
		}
	}
	return strings.Join(out, "\n")
}

func itoa(n int64) string { return fmt.Sprint(n) }

func mustAtoi(t testing.TB, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
