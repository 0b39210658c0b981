package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The query plans of the hot queries. Every query the store runs during
// the test goes through a driver that asks SQLite for its plan first
// (EXPLAIN QUERY PLAN, with the same arguments), so the test checks what
// the code really runs, not a copy of it: a query scoped to some repos or a
// window must SEARCH an index, never SCAN a table of rows.

// bigTables are the tables that grow with history: a scan of any of them
// reads every row of the organisation.
var bigTables = []string{"changes", "reviews", "change_files", "paths", "deployments", "deployment_commits", "deployment_changes", "incidents", "ci_runs", "rollup_periods"}

var scanOf = regexp.MustCompile(`\bSCAN (\w+)`)

type planRecorder struct {
	mu    sync.Mutex
	on    bool
	plans map[string][]string // query → plan lines
}

func (r *planRecorder) record(query string, plan []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.on {
		r.plans[query] = plan
	}
}

var plans = &planRecorder{plans: map[string][]string{}}

func init() {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		panic(err)
	}
	sql.Register("sqlite-plans", planDriver{base: db.Driver(), rec: plans})
	db.Close()
}

type planDriver struct {
	base driver.Driver
	rec  *planRecorder
}

func (d planDriver) Open(name string) (driver.Conn, error) {
	c, err := d.base.Open(name)
	if err != nil {
		return nil, err
	}
	return &planConn{Conn: c, rec: d.rec}, nil
}

// planConn prepares every statement, so that database/sql runs each query
// through a planStmt.
type planConn struct {
	driver.Conn
	rec *planRecorder
}

func (c *planConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &planStmt{Stmt: st, conn: c, query: query}, nil
}

func (c *planConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

type planStmt struct {
	driver.Stmt
	conn  *planConn
	query string
}

func (s *planStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.explain(ctx, args)
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}

func (s *planStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.explain(ctx, args)
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

// explain records the plan of a SELECT, UPDATE or DELETE.
func (s *planStmt) explain(ctx context.Context, args []driver.NamedValue) {
	q := strings.TrimSpace(s.query)
	verb := strings.ToUpper(strings.SplitN(q, " ", 2)[0])
	if verb != "SELECT" && verb != "UPDATE" && verb != "DELETE" && verb != "WITH" {
		return
	}
	st, err := s.conn.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, "EXPLAIN QUERY PLAN "+q)
	if err != nil {
		return
	}
	defer st.Close()
	rows, err := st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return
	}
	defer rows.Close()
	var plan []string
	vals := make([]driver.Value, len(rows.Columns()))
	for rows.Next(vals) == nil {
		plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
	}
	s.conn.rec.record(q, plan)
}

// TestHotQueriesSearchIndexes runs the store's read paths — the rows of a
// window (as the row pages and repos without a fresh rollup read them), a
// repo's history (the derive step), rollups, CI timings — on a database
// with rows of several repos, and checks each query's plan: no scan of a
// table that grows with history.
func TestHotQueriesSearchIndexes(t *testing.T) {
	driverName = "sqlite-plans"
	defer func() { driverName = "sqlite" }()
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "plans.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ids := fillForPlans(t, st)
	plans.mu.Lock()
	plans.on, plans.plans = true, map[string][]string{}
	plans.mu.Unlock()
	runHotQueries(t, st, ids, planFrom, planTo, true)

	// The check itself: a query that reads every change is caught.
	var n int
	if err := st.read.QueryRowContext(ctx, `SELECT count(*) FROM changes WHERE title = ?`, "c").Scan(&n); err != nil {
		t.Fatal(err)
	}
	plans.mu.Lock()
	defer plans.mu.Unlock()
	plans.on = false
	probe := `SELECT count(*) FROM changes WHERE title = ?`
	if p := plans.plans[probe]; len(p) == 0 || !scanOf.MatchString(strings.Join(p, "\n")) {
		t.Fatalf("the plan of a full scan was not seen: %q", p)
	}
	delete(plans.plans, probe)
	if len(plans.plans) < 15 {
		t.Fatalf("only %d queries planned: is the plan driver in use?", len(plans.plans))
	}
	for q, plan := range plans.plans {
		for _, line := range plan {
			m := scanOf.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			for _, big := range bigTables {
				if m[1] == big {
					t.Errorf("a scan of %s:\n%s\nplan:\n  %s", big, q, strings.Join(plan, "\n  "))
				}
			}
		}
	}
}

// runHotQueries runs the store's read paths — the rows of a window (as
// the row pages and repos without a fresh rollup read them), a repo's
// history (the derive step), rollups, files, CI timings — and the writes
// of a derive, on the repos of fillForPlans.
// Without writes, only the reads run (on a database of a benchmark).
func runHotQueries(t *testing.T, st *Store, ids []int64, from, to time.Time, writes bool) {
	t.Helper()
	ctx := context.Background()

	for _, scope := range [][]int64{ids[:1], ids} {
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		_, err := st.ChangesForWindow(ctx, scope, from.Unix(), to.Unix())
		must(err)
		_, err = st.DeploymentsForWindow(ctx, scope, from.Unix(), to.Unix())
		must(err)
		_, err = st.RecoveredDeployments(ctx, scope, from.Unix(), to.Unix())
		must(err)
		_, err = st.IncidentsForWindow(ctx, scope, from.Unix(), to.Unix())
		must(err)
		_, err = st.CIRunsForWindow(ctx, scope, from.Unix(), to.Unix())
		must(err)
		must(st.ReadRollups(ctx, scope, "v", 700, 740, func(map[int64][]byte) error { return nil },
			func(int64, int, []byte) error { return nil }))
		_, err = st.ChangesByID(ctx, []int64{1, 2, 3})
		must(err)
		// The list pages, by their default sort.
		_, err = st.ListChanges(ctx, ChangeFilter{RepoIDs: scope, From: from, To: to})
		must(err)
		_, err = st.ListDeployments(ctx, DeploymentFilter{RepoIDs: scope, From: from, To: to})
		must(err)
		_, err = st.ListIncidents(ctx, IncidentFilter{RepoIDs: scope, From: from, To: to})
		must(err)
	}
	// Files: the paths of some changes, the changes touching some paths
	// (a module's), the changes whose files a sync must fetch, and a
	// change's files replaced.
	files, err := st.FilesOfChanges(ctx, []int64{1, 2, 3})
	if err != nil || len(files) == 0 {
		t.Fatalf("files of changes: %v, %v", files, err)
	}
	paths, err := st.RepoPaths(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	var pathIDs []int64
	for id := range paths {
		pathIDs = append(pathIDs, id)
	}
	if _, err := st.ChangesTouchingPaths(ctx, pathIDs[:2]); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ChangesNeedingFiles(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if writes {
		err = st.Write(ctx, func(tx *Tx) error {
			if _, err := tx.MarkChangeFilesStale(ctx, ids[0], 2); err != nil {
				return err
			}
			_, err := tx.ReplaceChangeFiles(ctx, ids[0], 2, []ChangeFile{{Path: "checkout/cart.go", Additions: 4}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	h, err := st.RepoHistory(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.RepoChangeCount(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := st.EachCIRunTiming(ctx, ids[0], func(CIRunTiming) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if !writes {
		return
	}
	if err := st.BeginRollup(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	diff := DerivedDiff{Changes: h.Changes, Deployments: h.Deployments, Incidents: h.Incidents}
	for _, c := range h.Changes {
		diff.Unlinked = append(diff.Unlinked, c.ID)
		if len(h.Deployments) > 0 {
			diff.Linked = append(diff.Linked, Link{DeploymentID: h.Deployments[0].ID, ChangeID: c.ID})
		}
	}
	if err := st.SaveDerivedRollup(ctx, ids[0], diff, Rollup{Version: "v", Periods: map[int][]byte{720: {0}}}); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveDerived(ctx, ids[0], h.Changes, h.Deployments, h.Incidents, diff.Linked); err != nil {
		t.Fatal(err)
	}
}

// The window of the hot queries on fillForPlans's rows.
var planFrom, planTo = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC)

// fillForPlans writes a few repos with a bit of every row.
func fillForPlans(t *testing.T, st *Store) []int64 {
	ctx := context.Background()
	var ids []int64
	err := st.Write(ctx, func(tx *Tx) error {
		for i := range 4 {
			id, _, err := tx.UpsertRepo(ctx, Repo{Provider: GitHub, Name: fmt.Sprintf("acme/r%d", i)})
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for ri, repo := range ids {
			for n := range 30 {
				at := base.Add(time.Duration(n*24+ri) * time.Hour)
				c := Change{RepoID: repo, Number: int64(n + 1), Title: "c", Author: "ada", State: StateMerged, CreatedAt: at, MergedAt: at.Add(time.Hour),
					UpdatedAt: at.Add(time.Hour), MergeSHA: fmt.Sprintf("m%d-%d", ri, n),
					Reviews: []Review{{ProviderID: fmt.Sprint(n), Author: "bob", State: "approved", SubmittedAt: at.Add(30 * time.Minute)}}}
				if n%5 == 0 {
					c.State, c.MergedAt = StateOpen, time.Time{}
				}
				changeID, _, err := tx.UpsertChange(ctx, c)
				if err != nil {
					return err
				}
				if n%3 != 0 {
					files := []ChangeFile{{Path: fmt.Sprintf("checkout/f%d.go", n%4), Additions: n}, {Path: "payments/x.go", PreviousPath: "checkout/x.go", Deletions: 1}}
					if _, err := tx.ReplaceChangeFiles(ctx, repo, changeID, files); err != nil {
						return err
					}
				}
				depID, _, err := tx.UpsertDeployment(ctx, Deployment{RepoID: repo, Source: "deployments", ProviderID: fmt.Sprint(n), Environment: "production",
					SHA: c.MergeSHA, Status: "success", CreatedAt: at.Add(2 * time.Hour), FinishedAt: at.Add(3 * time.Hour), UpdatedAt: at.Add(3 * time.Hour)})
				if err != nil {
					return err
				}
				if err := tx.SetDeploymentRange(ctx, depID, []string{c.MergeSHA}); err != nil {
					return err
				}
				if _, _, err := tx.UpsertCIRun(ctx, CIRun{RepoID: repo, ProviderID: fmt.Sprint(n), Name: "ci", Conclusion: "success",
					CreatedAt: at, StartedAt: at, FinishedAt: at.Add(10 * time.Minute), UpdatedAt: at.Add(10 * time.Minute)}); err != nil {
					return err
				}
				if n%7 == 0 {
					if _, _, err := tx.UpsertIncident(ctx, Incident{RepoID: repo, Number: int64(1000 + n), Title: "down", CreatedAt: at.Add(4 * time.Hour),
						ResolvedAt: at.Add(6 * time.Hour), UpdatedAt: at.Add(6 * time.Hour)}); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}
