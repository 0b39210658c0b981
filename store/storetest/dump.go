package storetest

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // the driver the store registers
)

// dumpQueries render the tables a sync writes by natural keys (row ids
// differ between a resumed and a clean sync), with their derived columns,
// and without what differs between two runs that stored the same data:
// sync_state's times, per-run figures and ETags (the validator of the last
// answer, which a second run of a clean sync changes too), schema_version's
// time.
var dumpQueries = map[string]string{
	"schema_version": `SELECT version FROM schema_version`,
	"repos":          `SELECT provider, name, provider_id, default_branch, url, created_at, archived FROM repos`,
	"changes": `SELECT r.name, c.number, c.provider_id, c.title, c.author, c.author_is_bot, c.state, c.draft, c.labels, c.created_at,
		c.ready_at, c.first_commit_at, c.merged_at, c.closed_at, c.updated_at, c.additions, c.deletions, c.changed_files, c.merge_sha,
		c.squash_sha, c.base_branch, c.url, c.first_review_at, c.first_approval_at, c.files_fetched FROM changes c JOIN repos r ON r.id = c.repo_id`,
	"paths": `SELECT r.name, p.path FROM paths p JOIN repos r ON r.id = p.repo_id`,
	"change_files": `SELECT r.name, c.number, p.path, f.additions, f.deletions, COALESCE(pp.path, ''), f.renamed_away FROM change_files f
		JOIN changes c ON c.id = f.change_id JOIN repos r ON r.id = c.repo_id JOIN paths p ON p.id = f.path_id
		LEFT JOIN paths pp ON pp.id = f.previous_path_id`,
	"reviews": `SELECT r.name, c.number, v.provider_id, v.author, v.author_is_bot, v.state, v.submitted_at FROM reviews v
		JOIN changes c ON c.id = v.change_id JOIN repos r ON r.id = c.repo_id`,
	"deployments": `SELECT r.name, d.source, d.provider_id, d.environment, d.environment_tier, d.sha, d.ref, d.status, d.creator, d.url,
		d.created_at, d.finished_at, d.updated_at, d.range_fetched, d.production, d.failed_attempt, d.failed, d.failure_cause, d.rollback,
		d.rework, d.recovered_at, d.recovered_by FROM deployments d JOIN repos r ON r.id = d.repo_id`,
	"deployment_commits": `SELECT r.name, d.source, d.provider_id, dc.sha FROM deployment_commits dc
		JOIN deployments d ON d.id = dc.deployment_id JOIN repos r ON r.id = d.repo_id`,
	"deployment_changes": `SELECT r.name, d.source, d.provider_id, c.number FROM deployment_changes x
		JOIN deployments d ON d.id = x.deployment_id JOIN changes c ON c.id = x.change_id JOIN repos r ON r.id = d.repo_id`,
	"incidents": `SELECT r.name, i.number, i.provider_id, i.title, i.labels, i.url, i.created_at, i.resolved_at, i.updated_at,
		d.source, d.provider_id FROM incidents i JOIN repos r ON r.id = i.repo_id LEFT JOIN deployments d ON d.id = i.deployment_id`,
	"ci_runs": `SELECT r.name, c.provider_id, c.name, c.branch, c.event, c.sha, c.status, c.conclusion, c.url, c.created_at, c.started_at,
		c.finished_at, c.updated_at FROM ci_runs c JOIN repos r ON r.id = c.repo_id`,
	"teams":               `SELECT name FROM teams`,
	"team_repos":          `SELECT t.team, r.name FROM team_repos t JOIN repos r ON r.id = t.repo_id`,
	"sync_state":          `SELECT r.name, s.resource, s.watermark, s.last_error FROM sync_state s JOIN repos r ON r.id = s.repo_id`,
	"meta":                `SELECT key, value FROM meta`,
	"decisions":           `SELECT decided_on, title, kind, scope_team, scope_repos, note, link FROM decisions`,
	"decision_candidates": `SELECT id, status, source, suggested_on, scope_team, scope_repos, title FROM decision_candidates`,
	"derive_pending":      `SELECT r.name FROM derive_pending p JOIN repos r ON r.id = p.repo_id`,
	"webhook_deliveries":  `SELECT provider, id, event, outcome FROM webhook_deliveries`,
	"users":               `SELECT login, role FROM users`,
	"sessions":            `SELECT COUNT(*) FROM sessions`,
	// Rollups are a cache of the rows (migration 0004): which repos have
	// one, fresh or not, and which periods. The packed facts carry row ids,
	// and the generation counts how often rollups were rebuilt.
	"rollup_repos":      `SELECT r.name, x.version, x.fresh FROM rollup_repos x JOIN repos r ON r.id = x.repo_id`,
	"rollup_periods":    `SELECT r.name, p.key & 1048575 FROM rollup_periods p JOIN repos r ON r.id = p.key >> 20`,
	"rollup_generation": `SELECT COUNT(*) FROM rollup_generation`,
}

// Dump renders every table of the database at path (a store's Path), one sorted line per
// row, so that two databases holding the same data give the same text
// whatever order their rows were written in. A table it does not know
// (one added since) is dumped whole, its repo_id shown as the repo's name.
// The rollup_ tables are left out: they are a cache the derive step
// rebuilds from the rows (their ids and freshness depend on when it ran).
func Dump(tb testing.TB, path string) string {
	tb.Helper()
	db := Raw(tb, path)
	var out []string
	for _, table := range db.Tables(tb) {
		if strings.HasPrefix(table, "rollup_") {
			continue
		}
		q, ok := dumpQueries[table]
		if !ok {
			q = genericQuery(tb, db, table)
		}
		lines, err := dumpQuery(db, table, q)
		if err != nil {
			tb.Fatalf("dump %s: %s: %v", path, table, err)
		}
		out = append(out, lines...)
	}
	return strings.Join(out, "\n")
}

// genericQuery selects every column of a table, with the name of the repo
// in place of a repo_id (row ids differ between two databases).
func genericQuery(tb testing.TB, db *DB, table string) string {
	var cols []string
	hasRepo := false
	for _, c := range db.Columns(tb, table) {
		if c == "repo_id" {
			hasRepo = true
			c = "(SELECT name FROM repos WHERE id = t.repo_id)"
		} else {
			c = `t."` + c + `"`
		}
		cols = append(cols, c)
	}
	if !hasRepo || len(cols) == 0 {
		return `SELECT * FROM "` + table + `"`
	}
	return `SELECT ` + strings.Join(cols, ", ") + ` FROM "` + table + `" t`
}

func dumpQuery(db *DB, table, q string) ([]string, error) {
	rows, err := db.Query(q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			parts[i] = fmt.Sprint(v)
		}
		lines = append(lines, table+": "+strings.Join(parts, " | "))
	}
	sort.Strings(lines)
	return lines, rows.Err()
}

// Diff shows the lines only one of two dumps has (at most 20).
func Diff(want, got string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	inWant, inGot := in(want), in(got)
	var out []string
	for _, l := range strings.Split(want, "\n") {
		if !inGot[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if !inWant[l] {
			out = append(out, "+ "+l)
		}
	}
	if len(out) > 20 {
		out = append(out[:20], fmt.Sprintf("... (%d more)", len(out)-20))
	}
	return strings.Join(out, "\n")
}
