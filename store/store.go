// Package store keeps tach's data in one SQLite file: the schema and its
// migrations, idempotent upserts keyed by provider ids, and the queries the
// metrics need. One file per entity; every call takes a ctx.
//
// Times cross this package's boundary as time.Time (UTC) and are stored as
// Unix seconds; a zero time.Time is NULL.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is an open tach database. Writes go through one connection (SQLite
// has one writer; a queue in Go is kinder than SQLITE_BUSY), reads through a
// pool that WAL lets run beside the writer.
type Store struct {
	path  string
	write *sql.DB
	read  *sql.DB
}

// driverName is the database/sql driver the store opens: modernc's
// SQLite. Tests swap in a wrapper that checks every query's plan
// (queryplan_test.go).
var driverName = "sqlite"

// ErrNotFound is returned by lookups of one row that does not exist.
var ErrNotFound = errors.New("not found")

// Open opens (creating if needed, readable by its owner only: private.go)
// the database at path and applies any pending migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("open database: no path given")
	}
	if dir := filepath.Dir(path); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("open database %s: directory %s does not exist", path, dir)
		}
	}
	if isFilePath(path) {
		if err := createPrivate(path); err != nil {
			return nil, fmt.Errorf("open database %s: %w", path, err)
		}
	}
	write, err := sql.Open(driverName, dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	s := &Store{path: path, write: write}
	if err := s.migrate(ctx); err != nil {
		write.Close()
		return nil, err
	}
	read, err := sql.Open(driverName, dsn(path, true))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	s.read = read
	return s, nil
}

// OpenExisting opens a database that must already exist, for commands that
// only read (a report of a missing file is a typo, not a new database).
func OpenExisting(ctx context.Context, path string) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open database: %s does not exist; run `tach sync` or `tach demo --db %s` first", path, path)
	}
	return Open(ctx, path)
}

func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_time_format", "sqlite")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		// BEGIN IMMEDIATE: take the write lock at the start of a transaction,
		// so a reader never has to be upgraded into a deadlock.
		q.Add("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// Path is the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error {
	var errs []error
	if s.read != nil {
		errs = append(errs, s.read.Close())
	}
	errs = append(errs, s.write.Close())
	return errors.Join(errs...)
}

// migrate applies every embedded migration newer than schema_version, each in
// its own transaction.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate %s: %w", s.path, err)
	}
	var current int
	if err := s.write.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return fmt.Errorf("migrate %s: read schema_version: %w", s.path, err)
	}
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	type migration struct {
		version int
		name    string
	}
	var pending []migration
	latest := 0
	for _, f := range files {
		base := filepath.Base(f)
		n, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migrate: %s does not start with a number", base)
		}
		latest = max(latest, n)
		if n > current {
			pending = append(pending, migration{n, f})
		}
	}
	if current > latest {
		return fmt.Errorf("migrate %s: the database is at schema version %d, newer than this tach knows (%d); upgrade tach", s.path, current, latest)
	}
	sort.Slice(pending, func(i, j int) bool { return pending[i].version < pending[j].version })
	for _, m := range pending {
		body, err := migrations.ReadFile(m.name)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (?, ?)`, m.version, time.Now().Unix())
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate %s: apply %s: %w", s.path, filepath.Base(m.name), err)
		}
	}
	return nil
}

// SchemaVersion is the latest migration applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Write runs fn in one write transaction: everything fn writes is committed
// together, or nothing is. Collectors commit a page of rows and the watermark
// that covers them in one Write, so a sync killed at any moment resumes
// where the last commit left it.
func (s *Store) Write(ctx context.Context, fn func(tx *Tx) error) error {
	return s.inTx(ctx, func(t *sql.Tx) error {
		tx := &Tx{tx: t, stmts: map[string]*sql.Stmt{}}
		defer tx.closeStmts()
		return fn(tx)
	})
}

// Tx is a write transaction. Its statements are prepared once per
// transaction and reused for every row.
type Tx struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

func (tx *Tx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := tx.stmts[query]; ok {
		return st, nil
	}
	st, err := tx.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	tx.stmts[query] = st
	return st, nil
}

func (tx *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := tx.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (tx *Tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := tx.stmt(ctx, query)
	if err != nil {
		// Surface the prepare error through the row's Scan.
		return tx.tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (tx *Tx) closeStmts() {
	for _, st := range tx.stmts {
		st.Close()
	}
}

// Result says what an upsert did.
type Result int

const (
	Unchanged Result = iota
	Inserted
	Updated
)

func (r Result) String() string {
	return [...]string{"unchanged", "inserted", "updated"}[r]
}

// upsert inserts a row keyed by keyCols, or updates its cols when any of
// them differ. It returns the row id and what it did. Columns that are not
// listed (the derived ones) are never touched by an update.
func (tx *Tx) upsert(ctx context.Context, table string, keyCols []string, keyVals []any, cols []string, vals []any) (int64, Result, error) {
	var id int64
	where := make([]string, len(keyCols))
	for i, c := range keyCols {
		where[i] = c + " = ?"
	}
	err := tx.queryRow(ctx, `SELECT id FROM `+table+` WHERE `+strings.Join(where, " AND "), keyVals...).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		all := append(append([]string{}, keyCols...), cols...)
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(all)), ", ")
		err := tx.queryRow(ctx, `INSERT INTO `+table+` (`+strings.Join(all, ", ")+`) VALUES (`+marks+`) RETURNING id`,
			append(append([]any{}, keyVals...), vals...)...).Scan(&id)
		if err != nil {
			return 0, Unchanged, err
		}
		return id, Inserted, nil
	case err != nil:
		return 0, Unchanged, err
	}
	set := make([]string, len(cols))
	differ := make([]string, len(cols))
	for i, c := range cols {
		set[i] = c + " = ?"
		differ[i] = c + " IS NOT ?"
	}
	args := append(append(append([]any{}, vals...), id), vals...)
	res, err := tx.exec(ctx, `UPDATE `+table+` SET `+strings.Join(set, ", ")+` WHERE id = ? AND (`+strings.Join(differ, " OR ")+`)`, args...)
	if err != nil {
		return 0, Unchanged, err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return id, Updated, nil
	}
	return id, Unchanged, nil
}

// unix turns a time into a nullable Unix-seconds column value.
func unix(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}

// fromUnix turns a nullable Unix-seconds column back into a time.
func fromUnix(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.Unix(v.Int64, 0).UTC()
}

func nullInt(v int, known bool) any {
	if !known {
		return nil
	}
	return v
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// placeholders returns "?, ?, ?" for n values.
func placeholders(n int) string {
	if n == 0 {
		return "NULL"
	}
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func int64Args(ids []int64) []any {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return args
}
