package gitlab_test

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/gitlab"
	"github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// now is the tests' present; the datasets are dated before it.
var now = time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

// harness is a fake GitLab, a fresh store and a collector between them,
// with waits recorded instead of slept.
type harness struct {
	t   testing.TB
	srv *gitlabtest.Server
	st  *store.Store

	// history, when set, is how far back the first sync goes (runOptions'
	// otherwise).
	history time.Duration

	mu     sync.Mutex
	waits  []time.Duration // retry backoffs the policy computed
	sleeps []time.Duration // rate-limit pacing
}

func newHarness(t testing.TB) *harness {
	h := &harness{t: t, srv: gitlabtest.New(t), st: storetest.New(t)}
	h.srv.Token = "secret-token"
	h.srv.Now = clock
	return h
}

// options are the collector's options for the fake: small pages, instant
// retries and pacing.
func (h *harness) options() gitlab.Options {
	return gitlab.Options{
		BaseURL: h.srv.BaseURL(), Token: "secret-token", HTTPClient: h.srv.Client(),
		PageSize: 3, GraphQLPageSize: 2,
		RetryWaitMin: time.Millisecond, RetryWaitMax: 4 * time.Millisecond,
		Backoff: func(d time.Duration) time.Duration {
			h.mu.Lock()
			h.waits = append(h.waits, d)
			h.mu.Unlock()
			return time.Millisecond
		},
		Now: clock,
		Sleep: func(ctx context.Context, d time.Duration) error {
			h.mu.Lock()
			h.sleeps = append(h.sleeps, d)
			h.mu.Unlock()
			return ctx.Err()
		},
	}
}

func (h *harness) provider(mod ...func(*gitlab.Options)) *gitlab.Provider {
	h.t.Helper()
	o := h.options()
	for _, m := range mod {
		m(&o)
	}
	p, err := gitlab.New(o)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

func runOptions() collectors.Options {
	return collectors.Options{History: 180 * 24 * time.Hour, IncidentLabels: []string{"incident", "sev1"}, Workers: 4, Now: clock}
}

// sync runs one sync of repos with a new provider and fails the test when
// the run itself fails (per-repo errors are in the summary).
func (h *harness) sync(ctx context.Context, p *gitlab.Provider, repos ...collectors.Repo) *collectors.Summary {
	h.t.Helper()
	if p == nil {
		p = h.provider()
	}
	o := runOptions()
	if h.history > 0 {
		o.History = h.history
	}
	sum, err := collectors.Run(ctx, h.st, map[string]collectors.Provider{store.GitLab: p}, repos, o, nil)
	if err != nil && ctx.Err() == nil {
		h.t.Fatalf("sync: %v", err)
	}
	return sum
}

// mustSync syncs and fails on any repo's error.
func (h *harness) mustSync(repos ...collectors.Repo) *collectors.Summary {
	h.t.Helper()
	sum := h.sync(context.Background(), nil, repos...)
	for _, r := range sum.Repos {
		if r.Err != nil {
			h.t.Fatalf("sync %s: %v", r.Repo, r.Err)
		}
	}
	return sum
}

func repo(name string) collectors.Repo {
	return collectors.Repo{Provider: store.GitLab, Name: name, Source: "deployments", Link: "commits",
		Environments: regexp.MustCompile(`(?i)^(prod|production)$`)}
}

func repoWith(name, source, workflow string) collectors.Repo {
	r := repo(name)
	r.Source, r.Workflow = source, workflow
	return r
}

func resourceRequests(sum *collectors.Summary, repo, resource string) int {
	for _, r := range sum.Repos {
		if r.Repo == repo {
			if rs := r.Resources[resource]; rs != nil {
				return rs.Requests
			}
		}
	}
	return 0
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

// dump lists every row the collector writes, keyed by natural keys (not
// row ids), one line per row, sorted: two stores with the same dump hold
// the same data.
func dump(t testing.TB, st *store.Store) string {
	t.Helper()
	db := storetest.Raw(t, st.Path())
	queries := map[string]string{
		"repos": `SELECT provider, name, provider_id, default_branch, url, created_at, archived FROM repos`,
		"changes": `SELECT r.name, c.number, c.provider_id, c.title, c.author, c.author_is_bot, c.state, c.draft, c.labels,
			c.created_at, c.ready_at, c.first_commit_at, c.merged_at, c.closed_at, c.updated_at, c.additions, c.deletions,
			c.changed_files, c.merge_sha, c.squash_sha, c.base_branch, c.url FROM changes c JOIN repos r ON r.id = c.repo_id`,
		"reviews": `SELECT r.name, c.number, v.provider_id, v.author, v.author_is_bot, v.state, v.submitted_at
			FROM reviews v JOIN changes c ON c.id = v.change_id JOIN repos r ON r.id = c.repo_id`,
		"deployments": `SELECT r.name, d.source, d.provider_id, d.environment, d.environment_tier, d.sha, d.ref, d.status,
			d.creator, d.url, d.created_at, d.finished_at, d.updated_at, d.range_fetched FROM deployments d JOIN repos r ON r.id = d.repo_id`,
		"deployment_commits": `SELECT r.name, d.source, d.provider_id, dc.sha FROM deployment_commits dc
			JOIN deployments d ON d.id = dc.deployment_id JOIN repos r ON r.id = d.repo_id`,
		"incidents": `SELECT r.name, i.number, i.provider_id, i.title, i.labels, i.url, i.created_at, i.resolved_at, i.updated_at
			FROM incidents i JOIN repos r ON r.id = i.repo_id`,
		"ci_runs": `SELECT r.name, c.provider_id, c.name, c.branch, c.event, c.sha, c.status, c.conclusion, c.url,
			c.created_at, c.started_at, c.finished_at, c.updated_at FROM ci_runs c JOIN repos r ON r.id = c.repo_id`,
		"change_files": `SELECT r.name, c.number, p.path, f.additions, f.deletions, COALESCE(pp.path, ''), f.renamed_away
			FROM change_files f JOIN changes c ON c.id = f.change_id JOIN repos r ON r.id = c.repo_id
			JOIN paths p ON p.id = f.path_id LEFT JOIN paths pp ON pp.id = f.previous_path_id`,
	}
	names := make([]string, 0, len(queries))
	for n := range queries {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []string
	for _, table := range names {
		rows, err := db.Query(queries[table])
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			parts := make([]string, len(vals))
			for i, v := range vals {
				parts[i] = fmt.Sprint(v)
			}
			lines = append(lines, table+": "+strings.Join(parts, " | "))
		}
		rows.Close()
		sort.Strings(lines)
		out = append(out, lines...)
	}
	return strings.Join(out, "\n")
}

// diffLines shows the first lines where two dumps differ.
func diffLines(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	inB := map[string]bool{}
	for _, l := range lb {
		inB[l] = true
	}
	inA := map[string]bool{}
	for _, l := range la {
		inA[l] = true
	}
	var out []string
	for _, l := range la {
		if !inB[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range lb {
		if !inA[l] {
			out = append(out, "+ "+l)
		}
	}
	if len(out) > 20 {
		out = append(out[:20], "...")
	}
	return strings.Join(out, "\n")
}
