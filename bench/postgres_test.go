package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// The scale benchmark on PostgreSQL (make bench-scale DB=postgres://…):
// with TACH_BENCH_DB set to a postgres:// URL, the parts that read or
// write the store — ingest, reports, the web — run against that
// PostgreSQL database instead of the SQLite file. The demos are still
// generated into SQLite (and cached there), then copied with `tach copy
// --replace` into a schema of their own, named after the URL's
// search_path (default tach_bench) and the scale: tach_bench_1000000.
// What those schemas hold is replaced. A copy is kept, and reused while
// the demo it came from is the same one and the schema still holds its
// changes; TACH_BENCH_RECOPY=1 copies again.

const (
	engineSQLite   = "SQLite"
	enginePostgres = "PostgreSQL"
)

// engineName is the store the run measures: SQLite, or PostgreSQL with
// TACH_BENCH_DB. Set by newEnv.
var engineName = engineSQLite

// benchDB is TACH_BENCH_DB: "" (SQLite) or a postgres:// URL.
func benchDB(b *testing.B) string {
	db := os.Getenv("TACH_BENCH_DB")
	if db != "" && !store.IsPostgres(db) {
		b.Fatalf("TACH_BENCH_DB=%s: want a postgres:// URL (SQLite is the default: leave it unset)", db)
	}
	return db
}

// withSchema is the URL u with schema as its search_path.
func withSchema(b *testing.B, u, schema string) string {
	p, err := url.Parse(u)
	if err != nil {
		b.Fatal(store.Redact(u, err))
	}
	q := p.Query()
	q.Set("search_path", schema)
	p.RawQuery = q.Encode()
	return p.String()
}

var notInName = regexp.MustCompile(`[^a-zA-Z0-9_]`)

// baseSchema is the URL's search_path (its first schema, as a plain
// name), or tach_bench.
func baseSchema(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "tach_bench"
	}
	first, _, _ := strings.Cut(p.Query().Get("search_path"), ",")
	if name := notInName.ReplaceAllString(strings.TrimSpace(first), "_"); name != "" {
		return name
	}
	return "tach_bench"
}

// pgCopy is what a copy of a demo into PostgreSQL was: kept beside the
// demo (demo-N-KEY.db.pg.json) to reuse the copy.
type pgCopy struct {
	Key      string    `json:"key"`       // the demo's
	Database string    `json:"database"`  // the URL, password hidden
	Rows     int64     `json:"rows"`      // copied
	Seconds  float64   `json:"seconds"`   // the whole `tach copy`
	Changes  int64     `json:"changes"`   // the changes table's rows, to check the copy is still there
	CopiedAt time.Time `json:"copied_at"` // when
	Reused   bool      `json:"-"`
}

var copiedLine = regexp.MustCompile(`Copied (\d+) rows of \d+ tables in (\S+) `)

// storeDB is the database the store-dependent parts open for a demo: its
// SQLite file, or its copy in PostgreSQL (made now when missing).
func (e *env) storeDB(b *testing.B, d *dataset) string {
	if e.pg == "" {
		return d.Path
	}
	e.pgCopy(b, d)
	return withSchema(b, e.pg, fmt.Sprintf("%s_%d", baseSchema(e.pg), d.Scale))
}

// pgCopy copies a demo into its schema with `tach copy --replace`, or
// finds it copied already.
func (e *env) pgCopy(b *testing.B, d *dataset) *pgCopy {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c := e.copies[d.Scale]; c != nil {
		return c
	}
	target := withSchema(b, e.pg, fmt.Sprintf("%s_%d", baseSchema(e.pg), d.Scale))
	side := d.Path + ".pg.json"
	changes := countChanges(b, "sqlite", "file:"+d.Path+"?mode=ro")
	var c pgCopy
	if os.Getenv("TACH_BENCH_RECOPY") == "" {
		if body, err := os.ReadFile(side); err == nil && json.Unmarshal(body, &c) == nil &&
			c.Key == d.Key && c.Database == store.RedactURL(target) && c.Changes == changes &&
			countChanges(b, "pgx", target) == changes {
			c.Reused = true
			e.copies[d.Scale] = &c
			return &c
		}
	}
	b.Logf("copying the demo at scale %d into %s", d.Scale, store.RedactURL(target))
	start := time.Now()
	out, _, _, _ := run(b, e.bin, "copy", "--from", d.Path, "--to", target, "--replace")
	c = pgCopy{Key: d.Key, Database: store.RedactURL(target), Seconds: time.Since(start).Seconds(), Changes: changes, CopiedAt: time.Now().UTC()}
	if m := copiedLine.FindSubmatch(out); m != nil {
		c.Rows, _ = strconv.ParseInt(string(m[1]), 10, 64)
	}
	// Fresh statistics for the planner, as a server's autovacuum would
	// have after a while.
	analyze(b, target)
	body, _ := json.MarshalIndent(c, "", "  ")
	if err := os.WriteFile(side, body, 0o644); err != nil {
		b.Fatal(err)
	}
	e.copies[d.Scale] = &c
	return &c
}

// analyze gathers the planner's statistics of a PostgreSQL database's
// tables, as autovacuum does by itself a while after they changed.
func analyze(b *testing.B, database string) {
	db, err := sql.Open("pgx", database)
	if err != nil {
		b.Fatal(store.Redact(database, err))
	}
	defer db.Close()
	if _, err := db.Exec(`ANALYZE`); err != nil {
		b.Fatal(store.Redact(database, err))
	}
}

// countChanges is the number of rows of changes in a database; -1 when it
// has none (no table, no schema).
func countChanges(b *testing.B, driver, dsn string) int64 {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		b.Fatal(store.Redact(dsn, err))
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var n int64
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM changes`).Scan(&n); err != nil {
		return -1
	}
	return n
}

// ingestDB names a fresh, empty database for one ingest run: a file in
// dir, or a schema of its own in TACH_BENCH_DB (storetest.NewSchema's,
// dropped when the benchmark ends).
func (e *env) ingestDB(b *testing.B, dir, name string) string {
	if e.pg == "" {
		return filepath.Join(dir, name)
	}
	return storetest.NewSchema(b, e.pg)
}

// sqlOpen opens a database for the bench's own queries: the SQLite file
// read-only, or the PostgreSQL URL. rebind turns ? into $n on PostgreSQL.
func sqlOpen(b *testing.B, database string) (db *sql.DB, rebind func(string) string) {
	if store.IsPostgres(database) {
		db, err := sql.Open("pgx", database)
		if err != nil {
			b.Fatal(store.Redact(database, err))
		}
		return db, store.RebindPostgres
	}
	db, err := sql.Open("sqlite", "file:"+database+"?mode=ro&_pragma=query_only(1)")
	if err != nil {
		b.Fatal(err)
	}
	return db, func(q string) string { return q }
}
