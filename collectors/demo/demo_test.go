package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// testEnd is a Monday 00:00 UTC, as `tach demo` passes. The data is the
// same for every Monday, shifted, since everything is relative to End.
var testEnd = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// testOptions are what `tach demo` uses (seed 0, default scale), so the
// figures the tests check are the ones users see.
var testOptions = Options{End: testEnd}

func repoRules() map[string]metrics.RepoRules {
	out := map[string]metrics.RepoRules{}
	for name, s := range RepoSettings() {
		out[name] = metrics.RepoRules{Source: s.Source, Link: s.Link}
	}
	return out
}

// TestGenerate generates the demo once at full scale and checks it from
// every side; determinism compares it with a second generation.
func TestGenerate(t *testing.T) {
	storetest.Long(t)
	ctx := context.Background()
	st := storetest.New(t)
	sum, err := Generate(ctx, st, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", sum)
	db := openRaw(t, st.Path())

	t.Run("deterministic", func(t *testing.T) {
		other := storetest.New(t)
		sum2, err := Generate(ctx, other, testOptions)
		if err != nil {
			t.Fatal(err)
		}
		if sum2 != sum {
			t.Errorf("summaries differ:\n%s\n%s", sum, sum2)
		}
		a, b := dump(t, db), dump(t, openRaw(t, other.Path()))
		for _, table := range slices.Sorted(func(yield func(string) bool) {
			for k := range a {
				if !yield(k) {
					return
				}
			}
		}) {
			if len(a[table]) == 0 {
				t.Errorf("%s: no rows", table)
			}
			if !slices.Equal(a[table], b[table]) {
				i := 0
				for i < min(len(a[table]), len(b[table])) && a[table][i] == b[table][i] {
					i++
				}
				t.Errorf("%s differs (%d vs %d rows) at row %d", table, len(a[table]), len(b[table]), i)
			}
		}
	})

	t.Run("summary", func(t *testing.T) {
		for table, want := range map[string]int{
			"repos": sum.Repos, "teams": sum.Teams, "changes": sum.Changes, "reviews": sum.Reviews,
			"deployments": sum.Deployments, "deployment_commits": sum.DeploymentCommits,
			"incidents": sum.Incidents, "ci_runs": sum.CIRuns, "decisions": sum.Decisions,
			"change_files WHERE renamed_away = 0": sum.ChangeFiles,
		} {
			if got := count(t, db, "SELECT count(*) FROM "+table); got != want {
				t.Errorf("%s: %d rows, summary says %d", table, got, want)
			}
		}
		if sum.Changes < 2000 || sum.Changes > 3000 {
			t.Errorf("default scale wrote %d changes, want about %d", sum.Changes, baseChanges)
		}
	})

	t.Run("shape", func(t *testing.T) { checkShape(t, db, st) })
	t.Run("files", func(t *testing.T) { checkFiles(t, db) })

	// Derive, as `tach demo` does, then read reports.
	if err := engine.NewDeriver(st, metrics.DefaultRules(), repoRules()).Derive(ctx); err != nil {
		t.Fatal(err)
	}

	t.Run("derived", func(t *testing.T) { checkDerived(t, db) })
	reports := engine.NewReports(st, metrics.DefaultRules(), nil)
	t.Run("report", func(t *testing.T) { checkReport(t, reports) })
	t.Run("decisions", func(t *testing.T) { checkDecisions(t, st, reports) })
}

// dump reads every table in key order, as text.
func dump(t *testing.T, db *storetest.DB) map[string][]string {
	t.Helper()
	queries := map[string]string{
		"repos":              `SELECT * FROM repos ORDER BY provider, name`,
		"teams":              `SELECT * FROM teams ORDER BY name`,
		"team_repos":         `SELECT * FROM team_repos ORDER BY team, repo_id`,
		"changes":            `SELECT * FROM changes ORDER BY repo_id, number`,
		"reviews":            `SELECT * FROM reviews ORDER BY change_id, provider_id`,
		"deployments":        `SELECT * FROM deployments ORDER BY repo_id, source, provider_id`,
		"deployment_commits": `SELECT * FROM deployment_commits ORDER BY deployment_id, sha`,
		"incidents":          `SELECT * FROM incidents ORDER BY repo_id, number`,
		"ci_runs":            `SELECT * FROM ci_runs ORDER BY repo_id, provider_id`,
		"paths":              `SELECT * FROM paths ORDER BY repo_id, path`,
		"change_files":       `SELECT * FROM change_files ORDER BY change_id, path_id`,
		// The store stamps updated_at with the time of writing.
		"decisions": `SELECT id, decided_on, title, kind, scope_team, scope_repos, note, link, created_at FROM decisions ORDER BY id`,
		"meta":      `SELECT * FROM meta ORDER BY key`,
	}
	out := map[string][]string{}
	for table, q := range queries {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("dump %s: %v", table, err)
			}
			var b strings.Builder
			for _, v := range vals {
				fmt.Fprintf(&b, "%v\x1f", v)
			}
			out[table] = append(out[table], b.String())
		}
		rows.Close()
	}
	return out
}

// openRaw opens a store's database, for queries the store has no method
// for.
func openRaw(t *testing.T, path string) *storetest.DB {
	t.Helper()
	return storetest.Raw(t, path)
}

// pgSpelling is PostgreSQL's spelling of the shape checks SQLite's
// functions (json_each, strftime) write.
var pgSpelling = map[string]string{
	"labels": `SELECT count(DISTINCT j) FROM changes, jsonb_array_elements_text(CAST(changes.labels AS jsonb)) j
		WHERE j IN ('feature', 'bug', 'hotfix', 'refactor', 'perf')`,
	"changes in working hours on weekdays": `SELECT 100 * count(*) FILTER (WHERE extract(hour FROM to_timestamp(created_at) AT TIME ZONE 'UTC') BETWEEN 6 AND 20
		AND extract(dow FROM to_timestamp(created_at) AT TIME ZONE 'UTC') NOT IN (0, 6)) / count(*) FROM changes WHERE author_is_bot = 0`,
}

func count(t *testing.T, db *storetest.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func checkShape(t *testing.T, db *storetest.DB, st *store.Store) {
	ctx := context.Background()
	end := testEnd.Unix()
	clk := newClock(testEnd)

	// Time span: at least 9 months, nothing at or after End.
	var first, last int64
	if err := db.QueryRow(`SELECT min(created_at), max(created_at) FROM changes`).Scan(&first, &last); err != nil {
		t.Fatal(err)
	}
	if span := time.Duration(end-first) * time.Second; span < 270*24*time.Hour {
		t.Errorf("history spans %s, want at least 9 months", span)
	}
	for _, q := range []string{
		`SELECT count(*) FROM changes WHERE created_at >= ? OR merged_at >= ? OR closed_at >= ? OR updated_at >= ?`,
		`SELECT count(*) FROM deployments WHERE created_at >= ? OR finished_at >= ? OR updated_at >= ? OR finished_at < created_at`,
		`SELECT count(*) FROM incidents WHERE created_at >= ? OR resolved_at >= ? OR resolved_at < created_at`,
		`SELECT count(*) FROM reviews WHERE submitted_at >= ?`,
		`SELECT count(*) FROM ci_runs WHERE created_at >= ? OR finished_at >= ? OR started_at < created_at OR finished_at < started_at`,
	} {
		n := strings.Count(q, "?")
		args := make([]any, n)
		for i := range args {
			args[i] = end
		}
		if got := count(t, db, q, args...); got != 0 {
			t.Errorf("%d rows out of order or after End: %s", got, q)
		}
	}
	if got := count(t, db, `SELECT count(*) FROM changes WHERE first_commit_at > created_at OR ready_at < created_at OR merged_at < created_at`); got != 0 {
		t.Errorf("%d changes with lifecycle times out of order", got)
	}
	if v, err := st.Meta(ctx, store.MetaDemo); err != nil || v != "1" {
		t.Errorf("meta demo = %q, %v; want 1", v, err)
	}

	// Repos: mixed providers, a nested GitLab group, payments born at the split.
	repos, err := st.Repos(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(repos) < 5 {
		t.Errorf("%d repos, want 5 or more", len(repos))
	}
	providers := map[string]bool{}
	for _, r := range repos {
		providers[r.Provider] = true
		if r.Name == repoPayments && !sameDay(r.CreatedAt, clk.split) {
			t.Errorf("payments created %s, want the split day %s", r.CreatedAt, clk.split)
		}
	}
	if !providers[store.GitHub] || !providers[store.GitLab] {
		t.Errorf("providers %v, want github and gitlab", providers)
	}
	if got := count(t, db, `SELECT min(c.created_at) FROM changes c JOIN repos r ON r.id = c.repo_id WHERE r.name = ?`, repoPayments); int64(got) < clk.split.Unix() {
		t.Errorf("payments has a change before it existed")
	}
	teams, err := st.Teams(ctx)
	if err != nil || len(teams) != 2 || len(teams[0].Repos)+len(teams[1].Repos) != 5 {
		t.Errorf("teams = %+v, %v", teams, err)
	}

	checks := []struct {
		what string
		q    string
		min  int
		max  int // 0: no upper bound
	}{
		{"dependabot changes", `SELECT count(*) FROM changes WHERE author = 'dependabot[bot]' AND author_is_bot = 1 AND title LIKE 'chore(deps): bump %'`, 10, 0},
		{"renovate changes", `SELECT count(*) FROM changes WHERE author = 'renovate[bot]' AND author_is_bot = 1`, 10, 0},
		{"renovate fix(deps) changes", `SELECT count(*) FROM changes WHERE author = 'renovate[bot]' AND title LIKE 'fix(deps): %'`, 1, 0},
		{"human changes flagged bot", `SELECT count(*) FROM changes WHERE author_is_bot = 1 AND author NOT LIKE '%[bot]'`, 0, -1},
		{"drafts made ready", `SELECT count(*) FROM changes WHERE draft = 0 AND ready_at > created_at`, 50, 0},
		{"open drafts", `SELECT count(*) FROM changes WHERE draft = 1 AND state = 'open' AND ready_at IS NULL`, 1, 0},
		{"squash merges (GitLab)", `SELECT count(*) FROM changes c JOIN repos r ON r.id = c.repo_id WHERE r.provider = 'gitlab' AND c.state = 'merged' AND c.squash_sha != '' AND c.squash_sha != c.merge_sha`, 50, 0},
		{"GitLab merges without a squash sha", `SELECT count(*) FROM changes c JOIN repos r ON r.id = c.repo_id WHERE r.provider = 'gitlab' AND c.state = 'merged' AND c.squash_sha = ''`, 0, -1},
		{"closed unmerged", `SELECT count(*) FROM changes WHERE state = 'closed' AND merged_at IS NULL AND closed_at IS NOT NULL`, 20, 0},
		{"merged with a merge sha", `SELECT count(*) FROM changes WHERE state = 'merged' AND merge_sha = ''`, 0, -1},
		{"never reviewed merges", `SELECT count(*) FROM changes c WHERE state = 'merged' AND author_is_bot = 0 AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.change_id = c.id AND r.author_is_bot = 0 AND r.author != c.author)`, 20, 0},
		{"bot reviews", `SELECT count(*) FROM reviews WHERE author = 'github-actions[bot]' AND author_is_bot = 1`, 100, 0},
		{"self-comments", `SELECT count(*) FROM reviews r JOIN changes c ON c.id = r.change_id WHERE r.author = c.author`, 50, 0},
		{"reverts", `SELECT count(*) FROM changes WHERE title LIKE 'Revert "%"'`, 2, 0},
		{"hotfixes", `SELECT count(*) FROM changes WHERE title LIKE 'hotfix: %' AND labels LIKE '%"hotfix"%'`, 3, 0},
		{"open, waiting > 48h for a first review", `SELECT count(*) FROM changes c WHERE state = 'open' AND draft = 0 AND ready_at < ? - 172800 AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.change_id = c.id AND r.author_is_bot = 0 AND r.author != c.author)`, 2, 0},
		{"very large open changes", `SELECT count(*) FROM changes WHERE state = 'open' AND additions + deletions > 2000`, 1, 0},
		{"CI workflows ci and lint", `SELECT count(DISTINCT name) FROM ci_runs WHERE name IN ('ci', 'lint')`, 2, 2},
		{"CI conclusions", `SELECT count(DISTINCT conclusion) FROM ci_runs WHERE conclusion IN ('success', 'failure', 'cancelled', 'skipped')`, 4, 4},
		{"CI runs per change", `SELECT count(*) / (SELECT count(*) FROM changes) FROM ci_runs`, 3, 8},
		{"failed deployment attempts", `SELECT count(*) FROM deployments WHERE status IN ('failure', 'error') AND environment IN ('production', 'live')`, 10, 0},
		{"staging deployments", `SELECT count(*) FROM deployments WHERE environment = 'staging' AND status = 'success'`, 50, 0},
		{"GitLab deployments to live, tier production", `SELECT count(*) FROM deployments d JOIN repos r ON r.id = d.repo_id WHERE r.provider = 'gitlab' AND d.environment = 'live' AND d.environment_tier = 'production'`, 30, 0},
		{"merge deployments", `SELECT count(*) FROM deployments d JOIN changes c ON c.repo_id = d.repo_id AND CAST(c.number AS TEXT) = d.provider_id WHERE d.source = 'merges' AND d.sha = c.merge_sha AND d.finished_at = c.merged_at AND d.status = 'success' AND d.environment = 'production'`, 100, 0},
		{"successful deployments with a stored range", `SELECT count(*) FROM deployments WHERE source = 'deployments' AND status = 'success' AND range_fetched = 1`, 300, 0},
		{"range shas that are no merge or squash sha", `SELECT count(*) FROM deployment_commits WHERE sha NOT IN (SELECT merge_sha FROM changes UNION SELECT squash_sha FROM changes)`, 0, -1},
		{"open incidents", `SELECT count(*) FROM incidents WHERE resolved_at IS NULL`, 1, 1},
		{"open incident in the last 2 weeks", `SELECT count(*) FROM incidents WHERE resolved_at IS NULL AND created_at >= ? - 14 * 86400`, 1, 1},
		{"incidents before any deployment", `SELECT count(*) FROM incidents WHERE created_at < (SELECT min(finished_at) FROM deployments)`, 1, 0},
		{"incidents labelled incident", `SELECT count(*) FROM incidents WHERE labels NOT LIKE '%"incident"%'`, 0, -1},
		{"resolved in 30 min to 2 days", `SELECT count(*) FROM incidents WHERE resolved_at - created_at < 1800 OR resolved_at - created_at > 2 * 86400`, 0, -1},
		{"incidents", `SELECT count(*) FROM incidents`, 30, 80},
		{"decisions", `SELECT count(*) FROM decisions WHERE note != '' AND link LIKE 'https://%'`, 3, 0},
		{"labels", `SELECT count(DISTINCT j.value) FROM changes, json_each(changes.labels) j WHERE j.value IN ('feature', 'bug', 'hotfix', 'refactor', 'perf')`, 5, 5},
		{"changes in working hours on weekdays", `SELECT 100 * sum(CAST(strftime('%H', created_at, 'unixepoch') AS INTEGER) BETWEEN 6 AND 20 AND strftime('%w', created_at, 'unixepoch') NOT IN ('0', '6')) / count(*) FROM changes WHERE author_is_bot = 0`, 90, 0},
	}
	for _, c := range checks {
		args := []any{}
		if strings.Contains(c.q, "?") {
			args = append(args, end)
		}
		q := c.q
		if pg, ok := pgSpelling[c.what]; ok && db.IsPostgres() {
			q = pg
		}
		got := count(t, db, q, args...)
		switch {
		case c.max == -1 && got != 0:
			t.Errorf("%s: %d, want none", c.what, got)
		case c.max != -1 && got < c.min, c.max > 0 && got > c.max:
			t.Errorf("%s: %d, want %d..%d", c.what, got, c.min, c.max)
		}
	}

	// The hostile title, exactly once and byte for byte.
	var titles []string
	rows, err := db.Query(`SELECT title FROM changes WHERE title LIKE '%<script>%'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		titles = append(titles, s)
	}
	rows.Close()
	if len(titles) != 1 || titles[0] != "<script>alert(1)</script> Fix XSS in search" {
		t.Errorf("hostile titles = %q", titles)
	}

	// Re-runs: the same sha twice in a row in production.
	reruns := 0
	rows, err = db.Query(`SELECT repo_id, sha FROM deployments WHERE status = 'success' AND environment IN ('production', 'live') ORDER BY repo_id, finished_at, id`)
	if err != nil {
		t.Fatal(err)
	}
	var prevRepo int64
	var prevSHA string
	for rows.Next() {
		var repo int64
		var sha string
		rows.Scan(&repo, &sha)
		if repo == prevRepo && sha == prevSHA {
			reruns++
		}
		prevRepo, prevSHA = repo, sha
	}
	rows.Close()
	if reruns < 2 {
		t.Errorf("%d re-runs, want some", reruns)
	}
}

func sameDay(a, b time.Time) bool { return a.Format(time.DateOnly) == b.Format(time.DateOnly) }

// checkDerived checks what the engine found in the raw rows: rollbacks,
// attribution, first reviews that skip bots and authors.
func checkDerived(t *testing.T, db *storetest.DB) {
	checks := []struct {
		what string
		q    string
		min  int
	}{
		{"rollbacks", `SELECT count(*) FROM deployments WHERE rollback = 1`, 2},
		{"rolled-back deployments with an incident", `SELECT count(*) FROM deployments WHERE failure_cause = 'incident+rollback'`, 2},
		{"failed deployments", `SELECT count(*) FROM deployments WHERE failed = 1`, 20},
		{"rework deployments", `SELECT count(*) FROM deployments WHERE rework = 1`, 20},
		{"shipped changes", `SELECT count(*) FROM deployment_changes`, 1500},
		{"attributed incidents", `SELECT count(*) FROM incidents WHERE deployment_id IS NOT NULL`, 20},
		{"unattributed incidents", `SELECT count(*) FROM incidents WHERE deployment_id IS NULL`, 3},
		{"incidents beyond the window", `SELECT count(*) FROM incidents i WHERE deployment_id IS NULL AND EXISTS (SELECT 1 FROM deployments d WHERE d.repo_id = i.repo_id AND d.production = 1 AND d.finished_at < i.created_at)`, 2},
		// A bot's comment or the author's own came first, and the first
		// review is a later, real one.
		{"first reviews after a bot's comment", `SELECT count(*) FROM changes c WHERE c.first_review_at > (SELECT min(submitted_at) FROM reviews r WHERE r.change_id = c.id AND r.author_is_bot = 1)`, 100},
		{"first reviews after the author's comment", `SELECT count(*) FROM changes c WHERE c.first_review_at > (SELECT min(submitted_at) FROM reviews r WHERE r.change_id = c.id AND r.author = c.author)`, 50},
	}
	for _, c := range checks {
		if got := count(t, db, c.q); got < c.min {
			t.Errorf("%s: %d, want at least %d", c.what, got, c.min)
		}
	}
	if got := count(t, db, `SELECT count(*) FROM changes c WHERE EXISTS (SELECT 1 FROM reviews r WHERE r.change_id = c.id
		AND (r.author_is_bot = 1 OR r.author = c.author) AND r.submitted_at = c.first_review_at
		AND NOT EXISTS (SELECT 1 FROM reviews o WHERE o.change_id = c.id AND o.author_is_bot = 0 AND o.author != c.author AND o.submitted_at = c.first_review_at))`); got != 0 {
		t.Errorf("%d first reviews are a bot's or the author's", got)
	}
	// Every merged change that went to production was shipped (web ships
	// each merge; the rest deploy at least a few times a week).
	if got := count(t, db, `SELECT count(*) FROM changes c WHERE state = 'merged' AND merged_at < ? - 14 * 86400
		AND NOT EXISTS (SELECT 1 FROM deployment_changes dc WHERE dc.change_id = c.id)`, testEnd.Unix()); got != 0 {
		t.Errorf("%d changes merged more than 2 weeks ago were never shipped", got)
	}
}

// checkReport: every figure of a 12-week report over the whole organisation
// can be computed.
func checkReport(t *testing.T, reports *engine.Reports) {
	ctx := context.Background()
	w := metrics.Window{From: testEnd.Add(-12 * week), To: testEnd}
	for _, sc := range []engine.Scope{{}, {Team: teamCheckout}, {Team: teamPlatform}} {
		rep, err := reports.Report(ctx, sc, w, testEnd)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, path := range nullPaths(m, "") {
			if path == "scope.team" && sc.Team == "" || path == "partial_history" {
				continue // null: every repo's history covers the 12 weeks
			}
			if sc.Team != "" && strings.HasPrefix(path, "recovery_time.") {
				continue // a team may have had no failure in 12 weeks
			}
			t.Errorf("scope %+v: %s is null", sc, path)
		}
		if rep.PartialHistory != nil {
			t.Errorf("scope %+v: the demo holds every record of its year, yet %+v", sc, rep.PartialHistory)
		}
		if sc.Team == "" {
			if rep.RecoveryTime.OpenIncidents != 1 {
				t.Errorf("open incidents = %d, want 1", rep.RecoveryTime.OpenIncidents)
			}
			if rep.OpenWork.Open == 0 || rep.OpenWork.StaleReview == 0 {
				t.Errorf("open work = %+v, want some, and some waiting for review", rep.OpenWork)
			}
			t.Logf("last 12 weeks: %s", b)
		}
	}
}

func nullPaths(v any, prefix string) []string {
	switch v := v.(type) {
	case nil:
		return []string{prefix}
	case map[string]any:
		var out []string
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range v {
				if !yield(k) {
					return
				}
			}
		}) {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			out = append(out, nullPaths(v[k], p)...)
		}
		return out
	}
	return nil
}

// checkDecisions measures each decision's built-in effect with 8 weeks
// before and after, as the compare page does, and checks that a measure
// the decision does not touch stays within about 15 %.
func checkDecisions(t *testing.T, st *store.Store, reports *engine.Reports) {
	ctx := context.Background()
	clk := newClock(testEnd)
	decisions, err := st.Decisions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := clk.decisions()
	if len(decisions) != len(want) {
		t.Fatalf("%d decisions, want %d", len(decisions), len(want))
	}
	for i, d := range decisions {
		if d.DecidedOn != want[i].DecidedOn || d.Title != want[i].Title {
			t.Errorf("decision %d = %s %q, want %s %q", i, d.DecidedOn, d.Title, want[i].DecidedOn, want[i].Title)
		}
	}
	beforeAfter := func(sc engine.Scope, at time.Time) (b, a metrics.Report) {
		t.Helper()
		var err error
		if b, err = reports.Report(ctx, sc, metrics.Window{From: at.Add(-8 * week), To: at}, testEnd); err != nil {
			t.Fatal(err)
		}
		if a, err = reports.Report(ctx, sc, metrics.Window{From: at, To: at.Add(8 * week)}, testEnd); err != nil {
			t.Fatal(err)
		}
		return b, a
	}
	// change is after/before − 1.
	change := func(what string, b, a *float64) float64 {
		t.Helper()
		if b == nil || a == nil || *b == 0 {
			t.Fatalf("%s: before %v, after %v", what, b, a)
		}
		return *a / *b - 1
	}
	atLeast := func(what string, got, want float64) {
		t.Helper()
		if (want < 0 && got > want) || (want > 0 && got < want) {
			t.Errorf("%s changed %+.0f %%, want %+.0f %% or more", what, 100*got, 100*want)
		}
	}
	steady := func(what string, got float64) {
		t.Helper()
		if math.Abs(got) >= 0.15 {
			t.Errorf("%s changed %+.0f %%, want less than 15 %%", what, 100*got)
		}
	}
	hours := func(p *float64) string {
		if p == nil {
			return "–"
		}
		return fmt.Sprintf("%.1f h", *p/3600)
	}
	num := func(p *float64) string {
		if p == nil {
			return "–"
		}
		return fmt.Sprintf("%.1f", *p)
	}

	t.Run("split", func(t *testing.T) {
		b, a := beforeAfter(engine.Scope{Team: teamCheckout}, clk.split)
		lead := change("lead time", b.LeadTime.MedianSeconds, a.LeadTime.MedianSeconds)
		df := change("deployment frequency", b.DeploymentFrequency.PerWeek, a.DeploymentFrequency.PerWeek)
		size := change("PR size", b.PRSize.MedianLines, a.PRSize.MedianLines)
		thr := change("throughput", b.Throughput.PerWeek, a.Throughput.PerWeek)
		t.Logf("checkout, 8 weeks before → after %s: lead time median %s → %s (%+.0f %%, n %d/%d); deployments/week %s → %s (%+.0f %%); "+
			"change failure rate %d/%d → %d/%d; PR size %s → %s (%+.0f %%); throughput/week %s → %s (%+.0f %%)",
			clk.split.Format(time.DateOnly), hours(b.LeadTime.MedianSeconds), hours(a.LeadTime.MedianSeconds), 100*lead, b.LeadTime.Count, a.LeadTime.Count,
			num(b.DeploymentFrequency.PerWeek), num(a.DeploymentFrequency.PerWeek), 100*df,
			b.ChangeFailureRate.Failed, b.ChangeFailureRate.Deployments, a.ChangeFailureRate.Failed, a.ChangeFailureRate.Deployments,
			num(b.PRSize.MedianLines), num(a.PRSize.MedianLines), 100*size, num(b.Throughput.PerWeek), num(a.Throughput.PerWeek), 100*thr)
		atLeast("lead time", lead, -0.30)
		atLeast("deployment frequency", df, 0.30)
		steady("PR size", size)
		steady("throughput", thr)
		// Change failure rate: no built-in change; with a handful of
		// failures a side, only its size is checked.
		if r1, r2 := b.ChangeFailureRate.Rate, a.ChangeFailureRate.Rate; r1 == nil || r2 == nil || math.Abs(*r2-*r1) > 0.03 {
			t.Errorf("change failure rate %v → %v, want about the same", r1, r2)
		}
	})

	t.Run("cache", func(t *testing.T) {
		b, a := beforeAfter(engine.Scope{Repos: []string{repoCatalog}}, clk.cache)
		cfr := change("change failure rate", b.ChangeFailureRate.Rate, a.ChangeFailureRate.Rate)
		ttr := change("time to restore", b.TimeToRestore.MedianSeconds, a.TimeToRestore.MedianSeconds)
		rec := change("recovery time", b.RecoveryTime.MedianSeconds, a.RecoveryTime.MedianSeconds)
		lead := change("lead time", b.LeadTime.MedianSeconds, a.LeadTime.MedianSeconds)
		t.Logf("catalog, 8 weeks before → after %s: change failure rate %d/%d → %d/%d (%+.0f %%); time to restore median %s → %s (%+.0f %%, n %d/%d); "+
			"recovery time median %s → %s (%+.0f %%, n %d/%d); lead time median %s → %s (%+.0f %%, n %d/%d)",
			clk.cache.Format(time.DateOnly), b.ChangeFailureRate.Failed, b.ChangeFailureRate.Deployments, a.ChangeFailureRate.Failed, a.ChangeFailureRate.Deployments, 100*cfr,
			hours(b.TimeToRestore.MedianSeconds), hours(a.TimeToRestore.MedianSeconds), 100*ttr, b.TimeToRestore.Count, a.TimeToRestore.Count,
			hours(b.RecoveryTime.MedianSeconds), hours(a.RecoveryTime.MedianSeconds), 100*rec, b.RecoveryTime.Count, a.RecoveryTime.Count,
			hours(b.LeadTime.MedianSeconds), hours(a.LeadTime.MedianSeconds), 100*lead, b.LeadTime.Count, a.LeadTime.Count)
		atLeast("change failure rate", cfr, -0.50)
		atLeast("time to restore", ttr, -0.50)
		atLeast("recovery time", rec, -0.30)
		// Enough observations a side for the compare page's statistics.
		if b.TimeToRestore.Count < 5 || a.TimeToRestore.Count < 5 {
			t.Errorf("time to restore: %d and %d incidents, want 5 a side", b.TimeToRestore.Count, a.TimeToRestore.Count)
		}
		// The failure counts must be far enough apart for Fisher's exact test.
		if p := fisherExact(b.ChangeFailureRate.Failed, b.ChangeFailureRate.Deployments, a.ChangeFailureRate.Failed, a.ChangeFailureRate.Deployments); p >= 0.05 {
			t.Errorf("change failure rate: Fisher p = %.3f, want < 0.05", p)
		}
		steady("lead time", lead)
	})

	t.Run("orm", func(t *testing.T) {
		b, a := beforeAfter(engine.Scope{Repos: []string{repoMonolith}}, clk.orm)
		size := change("PR size", b.PRSize.MedianLines, a.PRSize.MedianLines)
		review := change("review time", b.CycleTime.Review.MedianSeconds, a.CycleTime.Review.MedianSeconds)
		df := change("deployment frequency", b.DeploymentFrequency.PerWeek, a.DeploymentFrequency.PerWeek)
		t.Logf("monolith, 8 weeks before → after %s: PR size median %s → %s lines (%+.0f %%); review time median %s → %s (%+.0f %%, n %d/%d); "+
			"deployments/week %s → %s (%+.0f %%)",
			clk.orm.Format(time.DateOnly), num(b.PRSize.MedianLines), num(a.PRSize.MedianLines), 100*size,
			hours(b.CycleTime.Review.MedianSeconds), hours(a.CycleTime.Review.MedianSeconds), 100*review, b.CycleTime.Review.Count, a.CycleTime.Review.Count,
			num(b.DeploymentFrequency.PerWeek), num(a.DeploymentFrequency.PerWeek), 100*df)
		atLeast("PR size", size, 0.25)
		atLeast("review time", review, 0.25)
		steady("deployment frequency", df)
	})
}

// fisherExact is the two-sided p-value of Fisher's exact test for a failed
// of n against b failed of m.
func fisherExact(a, n, b, m int) float64 {
	lnC := func(n, k int) float64 {
		x, _ := math.Lgamma(float64(n + 1))
		y, _ := math.Lgamma(float64(k + 1))
		z, _ := math.Lgamma(float64(n - k + 1))
		return x - y - z
	}
	total, fails := n+m, a+b
	p := func(x int) float64 { return math.Exp(lnC(n, x) + lnC(m, fails-x) - lnC(total, fails)) }
	p0, sum := p(a), 0.0
	for x := max(0, fails-m); x <= min(n, fails); x++ {
		if px := p(x); px <= p0*(1+1e-7) {
			sum += px
		}
	}
	return sum
}

func TestScale(t *testing.T) {
	st := storetest.New(t)
	sum, err := Generate(context.Background(), st, Options{End: testEnd, Seed: 7, Scale: 400})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Changes < 320 || sum.Changes > 480 {
		t.Errorf("scale 400 wrote %d changes", sum.Changes)
	}
	if sum.Deployments == 0 || sum.CIRuns == 0 || sum.Incidents == 0 {
		t.Errorf("scale 400: %s", sum)
	}
}

func TestGenerateErrors(t *testing.T) {
	st := storetest.New(t)
	if _, err := Generate(context.Background(), st, Options{}); err == nil {
		t.Error("no End: no error")
	}
	if _, err := Generate(context.Background(), st, Options{End: testEnd, Scale: -1}); err == nil {
		t.Error("negative scale: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, st, Options{End: testEnd}); err == nil {
		t.Error("cancelled context: no error")
	}
}

func TestRepoSettingsAndDescribe(t *testing.T) {
	settings := RepoSettings()
	if len(settings) != len(repoDefs) {
		t.Fatalf("%d settings for %d repos", len(settings), len(repoDefs))
	}
	for _, d := range repoDefs {
		s, ok := settings[d.name]
		switch {
		case !ok:
			t.Errorf("%s: no settings", d.name)
		case s.Source != metrics.SourceDeployments && s.Source != metrics.SourceMerges:
			t.Errorf("%s: source %q", d.name, s.Source)
		case s.Source == metrics.SourceDeployments && s.Link != metrics.LinkCommits:
			t.Errorf("%s: link %q", d.name, s.Link)
		}
	}
	if settings[repoWeb].Source != metrics.SourceMerges {
		t.Errorf("web: %+v", settings[repoWeb])
	}
	desc := Describe()
	for _, want := range []string{"Split payments out of the monolith", "Cache catalog reads in Redis",
		"Replace the ORM with hand-written SQL on hot paths", repoPayments, repoTerraform} {
		if !strings.Contains(desc, want) {
			t.Errorf("Describe() does not mention %q", want)
		}
	}
}

func TestWorkingTime(t *testing.T) {
	// Friday 17:00 London + 3 working hours = 2 on Friday, 1 on Monday.
	fri := time.Date(2026, 2, 27, 17, 0, 0, 0, time.UTC)
	if got, want := addWork(fri, 3*time.Hour, 0), time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("addWork = %s, want %s", got, want)
	}
	// Monday 09:00 Berlin (08:00 UTC) − 2 working hours = Friday 18:00 Berlin.
	mon := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	if got, want := subWork(mon, 2*time.Hour, time.Hour), time.Date(2026, 2, 27, 17, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("subWork = %s, want %s", got, want)
	}
	for _, tc := range []struct{ at, want time.Time }{
		{time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC), time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)},
		{time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), time.Date(2026, 3, 3, 8, 0, 0, 0, time.UTC)},
		{time.Date(2026, 3, 6, 20, 0, 0, 0, time.UTC), time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC)},
	} {
		if got := nextWorkingStart(tc.at); !got.Equal(tc.want) {
			t.Errorf("nextWorkingStart(%s) = %s, want %s", tc.at, got, tc.want)
		}
	}
}

func TestQuota(t *testing.T) {
	r := newRNG(1, "quota")
	q := newQuota(r)
	hits := 0
	for range 1000 {
		if q.take(r, 0.1) {
			hits++
		}
	}
	if hits < 99 || hits > 101 {
		t.Errorf("%d hits in 1000 trials at 0.1, want 100 ± 1", hits)
	}
}

// TestLargeOrganisation generates the smallest large organisation: Acme's
// repos over three years among generated ones, in teams, with about one
// deployment per five changes and two CI runs per change in the generated
// repos.
func TestLargeOrganisation(t *testing.T) {
	storetest.Long(t)
	st := storetest.New(t)
	sum, err := Generate(context.Background(), st, Options{End: testEnd, Scale: orgScale + 2000})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", sum)
	db := openRaw(t, st.Path())
	if sum.Repos < len(repoDefs)+3 || sum.Teams < 3 {
		t.Errorf("%d repos in %d teams", sum.Repos, sum.Teams)
	}
	if sum.Changes < orgScale || sum.Changes > orgScale+4000 {
		t.Errorf("%d changes, want about %d", sum.Changes, orgScale+2000)
	}
	// Three years of history.
	var first, last int64
	if err := db.QueryRow(`SELECT MIN(created_at), MAX(created_at) FROM changes`).Scan(&first, &last); err != nil {
		t.Fatal(err)
	}
	if span := time.Duration(last-first) * time.Second; span < 150*week {
		t.Errorf("history spans %s, want three years", span)
	}
	gen := func(q string) float64 {
		var n float64
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	changes := gen(`SELECT count(*) FROM changes c JOIN repos r ON r.id = c.repo_id WHERE r.name LIKE 'globex/%'`)
	deps := gen(`SELECT count(*) FROM deployments d JOIN repos r ON r.id = d.repo_id WHERE r.name LIKE 'globex/%'`)
	runs := gen(`SELECT count(*) FROM ci_runs c JOIN repos r ON r.id = c.repo_id WHERE r.name LIKE 'globex/%'`)
	if r := deps / changes; r < 0.1 || r > 0.35 {
		t.Errorf("%.2f deployments per change in the generated repos", r)
	}
	if r := runs / changes; r < 1.5 || r > 2.5 {
		t.Errorf("%.2f CI runs per change in the generated repos", r)
	}
	if n := gen(`SELECT count(*) FROM team_repos t JOIN repos r ON r.id = t.repo_id WHERE r.name LIKE 'globex/%'`); int(n) != sum.Repos-len(repoDefs) {
		t.Errorf("%v generated repos in teams, want %d", n, sum.Repos-len(repoDefs))
	}
}

// checkFiles checks the files of the changes: as many as each says it
// has, its lines over them, the monolith's modules (payments left with
// the split), bots' bumps in the manifests, and fixes in a few files.
func checkFiles(t *testing.T, db *storetest.DB) {
	if n := count(t, db, `SELECT count(*) FROM changes WHERE files_fetched = 0`); n != 0 {
		t.Errorf("%d changes without files", n)
	}
	if n := count(t, db, `SELECT count(*) FROM changes c WHERE changed_files !=
		(SELECT count(*) FROM change_files f WHERE f.change_id = c.id AND f.renamed_away = 0)`); n != 0 {
		t.Errorf("%d changes whose files are not as many as changed_files", n)
	}
	if n := count(t, db, `SELECT count(*) FROM changes c WHERE
		additions != (SELECT sum(additions) FROM change_files f WHERE f.change_id = c.id) OR
		deletions != (SELECT sum(deletions) FROM change_files f WHERE f.change_id = c.id)`); n != 0 {
		t.Errorf("%d changes whose files' lines do not add up to theirs", n)
	}
	// Most changes touch a handful of files.
	small := count(t, db, `SELECT count(*) FROM changes WHERE changed_files BETWEEN 1 AND 15`)
	if all := count(t, db, `SELECT count(*) FROM changes`); float64(small) < 0.9*float64(all) {
		t.Errorf("%d of %d changes touch 1 to 15 files, want nine in ten", small, all)
	}
	if n := count(t, db, `SELECT count(*) FROM change_files WHERE previous_path_id IS NOT NULL`); n < 10 {
		t.Errorf("%d renames, want some", n)
	}

	// The monolith's modules are its top-level directories.
	split := newClock(testEnd).split.Unix()
	touching := func(module, when string) int {
		return count(t, db, `SELECT count(DISTINCT c.id) FROM changes c JOIN repos r ON r.id = c.repo_id
			JOIN change_files f ON f.change_id = c.id JOIN paths p ON p.id = f.path_id
			WHERE r.name = ? AND p.path LIKE ? AND c.created_at `+when+` ?`, repoMonolith, module+"/%", split)
	}
	for _, m := range monolithModules {
		if n := touching(m.name, "<"); n < 20 {
			t.Errorf("module %s: %d changes before the split, want more", m.name, n)
		}
		after := touching(m.name, ">=")
		switch {
		case m.name == "payments" && after != 1:
			t.Errorf("module payments: %d changes after the split, want only its removal", after)
		case m.name != "payments" && after < 20:
			t.Errorf("module %s: %d changes after the split, want more", m.name, after)
		}
	}

	// Bots bump dependencies: the manifest first.
	if n := count(t, db, `SELECT count(*) FROM changes c WHERE c.author_is_bot = 1 AND NOT EXISTS (SELECT 1 FROM change_files f
		JOIN paths p ON p.id = f.path_id WHERE f.change_id = c.id AND p.path IN ('go.mod', 'package.json', 'versions.tf'))`); n != 0 {
		t.Errorf("%d bot changes touch no dependency manifest", n)
	}
	// Fixes cluster: most of the monolith's fix changes touch one of the
	// three files fixed most.
	fixes := `FROM changes c JOIN repos r ON r.id = c.repo_id JOIN change_files f ON f.change_id = c.id
		WHERE r.name = ? AND (c.labels LIKE '%"bug"%' OR c.labels LIKE '%"hotfix"%')`
	all := count(t, db, `SELECT count(DISTINCT c.id) `+fixes, repoMonolith)
	top := count(t, db, `SELECT count(DISTINCT c.id) `+fixes+` AND f.path_id IN (SELECT f.path_id `+fixes+`
		GROUP BY f.path_id ORDER BY count(*) DESC LIMIT 3)`, repoMonolith, repoMonolith)
	if all == 0 || float64(top) < 0.6*float64(all) {
		t.Errorf("%d of %d fix changes touch the three files fixed most, want most", top, all)
	}
}
