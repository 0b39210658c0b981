package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The query plans of the hot queries on PostgreSQL, the twin of
// TestHotQueriesSearchIndexes: every query the store sends while running
// them is recorded (a pgx tracer) and explained afterwards, with the same
// arguments. On the test's few rows the planner would rightly read whole
// tables, so the plans are asked for with sequential scans priced out
// (enable_seqscan off): a big table still read in full has no index the
// query can use. An index scan with no condition — every row in index
// order — is how the planner reads a few rows, and is only counted as
// reading a table in full at scale: at a million changes, with the
// planner's own costs (make plans-postgres, docs/postgres.md).

// pgScanOf finds the scans of a plan: the node, its table, and its depth.
var pgScanOf = regexp.MustCompile(`^(\s*(?:->\s+)?)(Seq Scan|Index Scan|Index Only Scan|Bitmap Heap Scan|Parallel Seq Scan)(?: Backward)?(?: using \S+)? on (\w+)`)

type queryLog struct {
	mu      sync.Mutex
	on      bool
	queries map[string][]any
}

func (l *queryLog) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := strings.TrimSpace(d.SQL)
	verb := strings.ToUpper(strings.SplitN(q, " ", 2)[0])
	if l.on && (verb == "SELECT" || verb == "UPDATE" || verb == "DELETE" || verb == "WITH") {
		l.queries[q] = d.Args
	}
	return ctx
}

func (l *queryLog) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// A pipeline's queries (ReadRollups) are recorded as the others.
func (l *queryLog) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

func (l *queryLog) TraceBatchQuery(ctx context.Context, c *pgx.Conn, d pgx.TraceBatchQueryData) {
	l.TraceQueryStart(ctx, c, pgx.TraceQueryStartData{SQL: d.SQL, Args: d.Args})
}

func (l *queryLog) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

func TestHotQueriesUseIndexesOnPostgres(t *testing.T) {
	base := os.Getenv("TACH_TEST_POSTGRES")
	if base == "" {
		t.Skip("TACH_TEST_POSTGRES is not set: the PostgreSQL twin of TestHotQueriesSearchIndexes needs a PostgreSQL database")
	}
	log := &queryLog{queries: map[string][]any{}}
	queryTracer = log
	defer func() { queryTracer = nil }()
	st, err := Open(context.Background(), planSchema(t, base))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ids := fillForPlans(t, st)
	// Few rows: sequential scans priced out, a table still read in full has
	// no index the query can use.
	checkPlans(t, st, log, func() { runHotQueries(t, st, ids, planFrom, planTo, true) },
		`SET enable_seqscan = off`, false)
}

// TestHotQueriesUseIndexesAtScaleOnPostgres checks the same queries'
// plans, with the planner's own costs, on a large database (the million-
// change demo: make plans-postgres), scoped to one repo and to a team's
// repos. It only reads.
func TestHotQueriesUseIndexesAtScaleOnPostgres(t *testing.T) {
	database := os.Getenv("TACH_PLANS_POSTGRES")
	if database == "" {
		t.Skip("TACH_PLANS_POSTGRES is not set: make plans-postgres writes the million-change demo into PostgreSQL and sets it")
	}
	log := &queryLog{queries: map[string][]any{}}
	queryTracer = log
	defer func() { queryTracer = nil }()
	ctx := context.Background()
	st, err := Open(ctx, database)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	repos, err := st.Repos(ctx)
	if err != nil || len(repos) < 2 {
		t.Fatalf("repos: %d, %v: want a demo", len(repos), err)
	}
	// A team's repos (the demo's teams have about 20): over every repo of
	// the organisation, the planner rightly reads some tables whole
	// (docs/postgres.md, "Query plans").
	var ids []int64
	for _, r := range repos[:min(20, len(repos))] {
		ids = append(ids, r.ID)
	}
	var last int64
	if err := st.read.QueryRowContext(ctx, `SELECT MAX(merged_at) FROM changes`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	to := time.Unix(last, 0).UTC()
	from := to.AddDate(0, 0, -84)
	t.Logf("%d repos; the window %s to %s", len(ids), from.Format(time.DateOnly), to.Format(time.DateOnly))
	checkPlans(t, st, log, func() { runHotQueries(t, st, ids, from, to, false) }, ``, true)
}

// checkPlans records the queries run sends, then explains each (after
// setup, on a connection of its own) and fails on a big table read in
// full: a sequential scan, or, strict, an index scan without a condition.
// A probe that must read all of changes checks the check.
func checkPlans(t *testing.T, st *Store, log *queryLog, run func(), setup string, strict bool) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.write.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	log.mu.Lock()
	log.on = true
	log.mu.Unlock()
	run()
	probe := `SELECT count(*) FROM changes WHERE title = ?`
	var n int
	if err := st.read.QueryRowContext(ctx, probe, "c").Scan(&n); err != nil {
		t.Fatal(err)
	}
	log.mu.Lock()
	log.on = false
	queries := log.queries
	log.mu.Unlock()
	if len(queries) < 15 {
		t.Fatalf("only %d queries recorded: is the tracer in use?", len(queries))
	}
	pipelined := false
	for q := range queries {
		pipelined = pipelined || strings.Contains(q, "JOIN rollup_periods")
	}
	if !pipelined {
		t.Fatal("the rollups' periods query (sent in a pipeline) was not recorded")
	}

	conn, err := st.read.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if setup != "" {
		if _, err := conn.ExecContext(ctx, setup); err != nil {
			t.Fatal(err)
		}
	}
	// At scale, a table of few rows (the demo's incidents: 9,000) is
	// rightly read whole into a hash join.
	small := map[string]bool{}
	if strict {
		for _, table := range bigTables {
			var n float64
			if err := conn.QueryRowContext(ctx, `SELECT reltuples FROM pg_class WHERE oid = to_regclass($1)`, table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			small[table] = n < smallTable
		}
	}
	sawProbe := false
	for q, args := range queries {
		rows, err := conn.QueryContext(ctx, "EXPLAIN "+q, args...)
		if err != nil {
			t.Errorf("EXPLAIN %s: %v", q, err)
			continue
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		full := fullScans(plan, strict)
		if q == rebindDollar(probe) {
			sawProbe = len(full) > 0
			continue
		}
		for _, table := range full {
			if small[table] {
				continue
			}
			t.Errorf("reads all of %s:\n%s\nplan:\n  %s", table, q, strings.Join(plan, "\n  "))
		}
	}
	if !sawProbe {
		t.Fatal("the plan of a full scan of changes was not seen")
	}
}

// smallTable is the rows under which a table may be read whole at scale.
const smallTable = 50000

// fullScans lists the big tables a plan reads in full: a sequential scan,
// or, strict, an index scan without an index condition.
func fullScans(plan []string, strict bool) []string {
	var out []string
	for i, line := range plan {
		m := pgScanOf.FindStringSubmatch(line)
		if m == nil || !isBig(m[3]) {
			continue
		}
		full := strings.Contains(m[2], "Seq Scan")
		if strict && !full && m[2] != "Bitmap Heap Scan" {
			// The node's own details are the lines below it, indented
			// deeper than it and not a node of their own.
			full = true
			for _, d := range plan[i+1:] {
				if strings.Contains(d, "->") || indent(d) <= len(m[1]) {
					break
				}
				if strings.Contains(d, "Index Cond:") {
					full = false
					break
				}
			}
		}
		if full {
			out = append(out, m[3])
		}
	}
	return out
}

func isBig(table string) bool {
	for _, b := range bigTables {
		if b == table {
			return true
		}
	}
	return false
}

func indent(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }

// planSchema is a fresh schema of the database at base, dropped when the
// test ends (storetest's, which this package's own tests cannot import).
func planSchema(t *testing.T, base string) string {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("plans_%d_%d", os.Getpid(), time.Now().UnixNano())
	if _, err := admin.Exec(`CREATE SCHEMA ` + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec(`DROP SCHEMA ` + name + ` CASCADE`)
		admin.Close()
	})
	return base + sep(base) + "search_path=" + name
}

func sep(u string) string {
	if strings.Contains(u, "?") {
		return "&"
	}
	return "?"
}
