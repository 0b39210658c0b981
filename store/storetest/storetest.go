// Package storetest gives each test a fresh, migrated tach database: a
// SQLite file, or, with TACH_TEST_POSTGRES set to a PostgreSQL URL, a
// schema of its own in that database. The same tests then check both
// engines (`make test` runs them twice when PostgreSQL is installed).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the driver "pgx", for the schemas' creation and the raw reads
	"github.com/tach-dev/tach/store"
)

// EnvPostgres names the variable that points the tests at a PostgreSQL
// database (for example postgres://tach@127.0.0.1:54320/postgres): each
// test gets a schema of its own there, dropped when it ends.
const EnvPostgres = "TACH_TEST_POSTGRES"

// Postgres is the URL of TACH_TEST_POSTGRES; "" when the tests run on
// SQLite.
func Postgres() string { return os.Getenv(EnvPostgres) }

// New opens a fresh database (Database), migrated to the latest schema,
// and closes it when the test ends.
func New(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), Database(t))
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Database names a fresh, empty database for the test to open as often
// as it likes: a file in t.TempDir(), or, with TACH_TEST_POSTGRES set, a
// new schema of that database (the URL's search_path), dropped when the
// test ends — after the test's own cleanups, which close its stores.
func Database(t testing.TB) string {
	t.Helper()
	if Postgres() == "" {
		return filepath.Join(t.TempDir(), "tach.db")
	}
	return NewSchema(t, Postgres())
}

// MainDatabase is Database for a TestMain, which has no testing.T: a file
// in dir, or a new schema; drop removes the schema (call it once the
// stores on it are closed).
func MainDatabase(dir string) (database string, drop func(), err error) {
	base := Postgres()
	if base == "" {
		return filepath.Join(dir, "tach.db"), func() {}, nil
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, store.Redact(base, err)
	}
	schema := schemaName()
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("storetest: create schema: %w", store.Redact(base, err))
	}
	drop = func() {
		db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		db.Close()
	}
	dsn, err := withSearchPath(base, schema)
	if err != nil {
		drop()
		return "", nil, err
	}
	return dsn, drop, nil
}

func schemaName() string {
	raw := make([]byte, 6)
	rand.Read(raw)
	return "t_" + hex.EncodeToString(raw)
}

// withSearchPath is base with schema as its search_path.
func withSearchPath(base, schema string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("storetest: %s: %w", EnvPostgres, store.Redact(base, err))
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	dsn := u.String()
	databases.Store(store.RedactURL(dsn), dsn)
	return dsn, nil
}

// NewSchema creates a schema of its own in the PostgreSQL database at
// base and returns base with that schema as its search_path. The schema
// is dropped when the test ends.
func NewSchema(t testing.TB, base string) string {
	t.Helper()
	admin := adminDB(t, base)
	schema := schemaName()
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("storetest: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("storetest: drop schema %s (a store left open?): %v", schema, err)
		}
	})
	dsn, err := withSearchPath(base, schema)
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

var (
	adminMu  sync.Mutex
	adminDBs = map[string]*sql.DB{}
	// databases maps a store's Path (its URL with the password hidden)
	// to its URL, for Raw and Dump.
	databases sync.Map
)

// adminDB is a pool on the database at base, shared by the tests of a
// package, that creates and drops their schemas.
func adminDB(t testing.TB, base string) *sql.DB {
	adminMu.Lock()
	defer adminMu.Unlock()
	if db := adminDBs[base]; db != nil {
		return db
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("storetest: %s: %v", EnvPostgres, store.Redact(base, err))
	}
	db.SetMaxOpenConns(4)
	if err := db.Ping(); err != nil {
		t.Fatalf("storetest: %s does not answer: %v", store.RedactURL(base), store.Redact(base, err))
	}
	adminDBs[base] = db
	return db
}

// DB is a connection of its own to a test's database, for what the store
// has no method for: reading rows as they are stored, or putting a
// database in a state a test needs. Queries take ? placeholders on both
// engines.
type DB struct {
	*sql.DB
	pg bool
}

// Raw opens the database a store opened (its Path), closed when the test
// ends.
func Raw(t testing.TB, database string) *DB {
	t.Helper()
	if !store.IsPostgres(database) {
		db, err := sql.Open("sqlite", "file:"+database+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return &DB{DB: db}
	}
	dsn := database
	if v, ok := databases.Load(database); ok {
		dsn = v.(string)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(store.Redact(dsn, err))
	}
	t.Cleanup(func() { db.Close() })
	return &DB{DB: db, pg: true}
}

// IsPostgres reports whether the database is PostgreSQL's.
func (db *DB) IsPostgres() bool { return db.pg }

func (db *DB) rebind(q string) string {
	if !db.pg {
		return q
	}
	return store.RebindPostgres(q)
}

func (db *DB) Query(q string, args ...any) (*sql.Rows, error) {
	return db.DB.Query(db.rebind(q), args...)
}

func (db *DB) QueryRow(q string, args ...any) *sql.Row {
	return db.DB.QueryRow(db.rebind(q), args...)
}

func (db *DB) Exec(q string, args ...any) (sql.Result, error) {
	return db.DB.Exec(db.rebind(q), args...)
}

// Tables lists the database's tables.
func (db *DB) Tables(t testing.TB) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	if db.pg {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
	}
	return db.Strings(t, q)
}

// Columns lists a table's columns in order.
func (db *DB) Columns(t testing.TB, table string) []string {
	t.Helper()
	q := `SELECT name FROM pragma_table_info(?) ORDER BY cid`
	if db.pg {
		q = `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`
	}
	return db.Strings(t, q, table)
}

// Strings runs a query of one text column and returns its rows.
func (db *DB) Strings(t testing.TB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Engine names the engine the tests run on, for messages.
func Engine() string {
	if Postgres() != "" {
		return "PostgreSQL"
	}
	return "SQLite"
}

// SkipUnlessPostgres skips a test of what only PostgreSQL does (replicas
// on one database) when TACH_TEST_POSTGRES is not set.
func SkipUnlessPostgres(t testing.TB) string {
	t.Helper()
	base := Postgres()
	if base == "" {
		t.Skipf("%s is not set: this test needs a PostgreSQL database (make test sets it when PostgreSQL is installed)", EnvPostgres)
	}
	return base
}

// SkipOnPostgres skips a test of what only a SQLite file does (its
// permissions, VACUUM INTO) when the tests run on PostgreSQL.
func SkipOnPostgres(t testing.TB, why string) {
	t.Helper()
	if Postgres() != "" {
		t.Skipf("SQLite only: %s", why)
	}
}

// Long skips a test in -short runs. It marks the tests that recompute a
// whole demo, or render many of its pages, to check what they say, with no
// concurrency of their own: `make unit` runs them, `make race` (-race
// -short, where the race detector makes them take minutes) leaves them
// out.
func Long(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("a whole-demo computation without concurrency: make unit runs it, make race (-short) does not")
	}
}
