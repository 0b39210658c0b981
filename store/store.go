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
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is an open tach database: a SQLite file, or a PostgreSQL database
// (dialect.go says what differs). Writes go through one connection, one
// transaction at a time; reads through a pool beside it.
type Store struct {
	path  string // the file, or the URL with its password hidden
	d     dialect
	write *db
	read  *db
	lock  *SyncLock
	gen   atomic.Pointer[generationWatch] // set by WatchGeneration
}

// ErrNotFound is returned by lookups of one row that does not exist.
var ErrNotFound = errors.New("not found")

// Open opens the database named by database — a SQLite file's path
// (created if needed, readable by its owner only: private.go) or a
// postgres:// URL — and applies any pending migrations.
func Open(ctx context.Context, database string) (*Store, error) {
	if database == "" {
		return nil, errors.New("open database: no path given")
	}
	if IsPostgres(database) {
		return openPostgresStore(ctx, database, false)
	}
	write, read, err := openSQLite(database)
	if err != nil {
		return nil, err
	}
	d := sqliteDialect{}
	s := &Store{path: database, d: d, write: &db{write, d}, read: &db{read, d}, lock: newSyncLock(nil)}
	return s.migrated(ctx)
}

// migrated applies s's pending migrations, or closes it.
func (s *Store) migrated(ctx context.Context) (*Store, error) {
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// OpenExisting opens a database that must already exist, for commands that
// only read (a report of a missing file is a typo, not a new database).
func OpenExisting(ctx context.Context, database string) (*Store, error) {
	if IsPostgres(database) {
		return openPostgresStore(ctx, database, true)
	}
	if _, err := os.Stat(database); err != nil {
		return nil, fmt.Errorf("open database: %s does not exist; run `tach sync` or `tach demo --db %s` first", database, database)
	}
	return Open(ctx, database)
}

// openPostgresStore opens a PostgreSQL database: the schema its URL
// names is created when missing, unless existing says it must hold tach's
// tables already (an empty one is then a wrong URL or schema, not a new
// store).
func openPostgresStore(ctx context.Context, database string, existing bool) (*Store, error) {
	pc, err := parsePostgres(database)
	if err != nil {
		return nil, err
	}
	write, read, err := openPostgres(ctx, pc)
	if err != nil {
		return nil, err
	}
	d := postgresDialect{}
	s := &Store{path: pc.redacted, d: d, write: &db{write, d}, read: &db{read, d}, lock: newSyncLock(pc)}
	if existing {
		err = holdsTach(ctx, read, pc)
	} else {
		err = createSchema(ctx, read, pc)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s.migrated(ctx)
}

// Path is the database file's path, or its URL with the password hidden.
func (s *Store) Path() string { return s.path }

// Engine is SQLite or Postgres.
func (s *Store) Engine() string { return s.d.engine() }

// Close closes the database.
func (s *Store) Close() error {
	var errs []error
	if s.lock != nil {
		s.lock.close()
	}
	if s.read != nil {
		errs = append(errs, s.read.Close())
	}
	errs = append(errs, s.write.Close())
	return errors.Join(errs...)
}

// migrate applies every embedded migration newer than schema_version, each in
// its own transaction. A migration is one numbered file; where the engines'
// SQL must differ, the engine's own file stands beside it
// (0005_generation_meta.postgres.sql) and is applied in its place.
func (s *Store) migrate(ctx context.Context) error {
	var current int
	if err := s.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
		// A new database. Under the write lock: replicas starting together
		// create it once.
		err := s.Write(ctx, func(tx *Tx) error {
			if _, err := tx.tx.ExecContext(ctx, s.d.schemaVersionDDL()); err != nil {
				return err
			}
			return tx.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current)
		})
		if err != nil {
			return fmt.Errorf("migrate %s: %w", s.path, err)
		}
	}
	all, err := migrationFiles(s.d.migrationSuffix())
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	latest := 0
	var pending []migration
	for _, m := range all {
		latest = max(latest, m.version)
		if m.version > current {
			pending = append(pending, m)
		}
	}
	if current > latest {
		return fmt.Errorf("migrate %s: the database is at schema version %d, newer than this tach knows (%d); upgrade tach", s.path, current, latest)
	}
	for _, m := range pending {
		body, err := migrations.ReadFile(m.name)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		err = s.Write(ctx, func(tx *Tx) error {
			var now int
			if err := tx.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&now); err != nil {
				return err
			}
			if now >= m.version {
				return nil // another process applied it meanwhile
			}
			if _, err := tx.tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.exec(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (?, ?)`, m.version, time.Now().Unix())
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate %s: apply %s: %w", s.path, filepath.Base(m.name), err)
		}
	}
	return nil
}

// migration is one embedded migration file.
type migration struct {
	version int
	name    string
}

// migrationFiles lists the migrations of an engine in order: for each
// version, the file with the engine's suffix when there is one, else the
// plain .sql file.
func migrationFiles(suffix string) ([]migration, error) {
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	byVersion := map[int]migration{}
	plain := map[int]string{}
	for _, f := range files {
		base := filepath.Base(f)
		n, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("%s does not start with a number", base)
		}
		switch {
		case suffix != "" && strings.HasSuffix(base, suffix):
			byVersion[n] = migration{n, f} // the engine's own: it wins
		case strings.HasSuffix(base, postgresDialect{}.migrationSuffix()):
			// another engine's own
		default:
			if prev, ok := plain[n]; ok {
				return nil, fmt.Errorf("%s and %s have the same number", filepath.Base(prev), base)
			}
			plain[n] = f
		}
	}
	for n, f := range plain {
		if _, ok := byVersion[n]; !ok {
			byVersion[n] = migration{n, f}
		}
	}
	out := make([]migration, 0, len(byVersion))
	for _, m := range byVersion {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
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

// Write runs fn in one write transaction: everything fn writes is committed
// together, or nothing is. Collectors commit a page of rows and the watermark
// that covers them in one Write, so a sync killed at any moment resumes
// where the last commit left it.
func (s *Store) Write(ctx context.Context, fn func(tx *Tx) error) error {
	t, conn, err := s.d.beginWrite(ctx, s.write.DB)
	if err != nil {
		return err
	}
	if conn != nil {
		defer conn.Close()
	}
	tx := &Tx{tx: t, conn: conn, d: s.d, stmts: map[string]*sql.Stmt{}}
	err = fn(tx)
	tx.closeStmts()
	if err != nil {
		t.Rollback()
		return err
	}
	err = t.Commit()
	s.wrote()
	return err
}

// Tx is a write transaction. On SQLite its statements are prepared once
// per transaction and reused for every row; pgx caches them per
// connection by itself.
type Tx struct {
	tx    *sql.Tx
	conn  *sql.Conn // the transaction's connection, where the engine needs it (PostgreSQL's COPY)
	d     dialect
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
	if !tx.d.prepares() {
		return tx.tx.ExecContext(ctx, tx.d.rebind(query), tx.d.args(args)...)
	}
	st, err := tx.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (tx *Tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if !tx.d.prepares() {
		return tx.tx.QueryContext(ctx, tx.d.rebind(query), tx.d.args(args)...)
	}
	st, err := tx.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (tx *Tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if !tx.d.prepares() {
		return tx.tx.QueryRowContext(ctx, tx.d.rebind(query), tx.d.args(args)...)
	}
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
		differ[i] = c + " IS DISTINCT FROM ?"
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

// sqlArgs are a list's values as a statement's arguments.
func sqlArgs[T any](xs []T) []any {
	args := make([]any, len(xs))
	for i, x := range xs {
		args[i] = x
	}
	return args
}
