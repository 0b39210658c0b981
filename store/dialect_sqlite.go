package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
)

// SQLite: one file, WAL. Writes go through one connection (SQLite has one
// writer; a queue in Go is kinder than SQLITE_BUSY), reads through a pool
// that WAL lets run beside the writer.

type sqliteDialect struct{}

// driverName is the database/sql driver the store opens a SQLite file
// with: modernc's SQLite. Tests swap in a wrapper that checks every
// query's plan (queryplan_test.go).
var driverName = "sqlite"

// openSQLite opens (creating if needed, readable by its owner only:
// private.go) the database file at path.
func openSQLite(path string) (write, read *sql.DB, err error) {
	if dir := filepath.Dir(path); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return nil, nil, fmt.Errorf("open database %s: directory %s does not exist", path, dir)
		}
	}
	if isFilePath(path) {
		if err := createPrivate(path); err != nil {
			return nil, nil, fmt.Errorf("open database %s: %w", path, err)
		}
	}
	write, err = sql.Open(driverName, dsn(path, false))
	if err != nil {
		return nil, nil, fmt.Errorf("open database %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	read, err = sql.Open(driverName, dsn(path, true))
	if err != nil {
		write.Close()
		return nil, nil, fmt.Errorf("open database %s: %w", path, err)
	}
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	return write, read, nil
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

func (sqliteDialect) engine() string           { return SQLite }
func (sqliteDialect) rebind(q string) string   { return q }
func (sqliteDialect) args(a []any) []any       { return a }
func (sqliteDialect) migrationSuffix() string  { return "" }
func (sqliteDialect) prepares() bool           { return true }
func (sqliteDialect) snapshot() *sql.TxOptions { return &sql.TxOptions{ReadOnly: true} }

func (sqliteDialect) schemaVersionDDL() string {
	return `CREATE TABLE IF NOT EXISTS schema_version (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL)`
}

// beginWrite: the write connection's BEGIN IMMEDIATE takes SQLite's one
// write lock.
func (sqliteDialect) beginWrite(ctx context.Context, write *sql.DB) (*sql.Tx, *sql.Conn, error) {
	tx, err := write.BeginTx(ctx, nil)
	return tx, nil, err
}

func (sqliteDialect) nocase(expr string) string   { return expr + " COLLATE NOCASE" }
func (sqliteDialect) nocaseEq(col string) string  { return col + " = ? COLLATE NOCASE" }
func (sqliteDialect) contains(h string) string    { return "instr(" + h + ", lower(?)) > 0" }
func (sqliteDialect) greatest(a, b string) string { return "MAX(" + a + ", " + b + ")" }

// bulkSource: a multi-row VALUES list. Beyond about 64 rows a statement,
// binding dominates and bigger statements win nothing.
func (sqliteDialect) bulkSource(width, n int, args []any) (string, []any) {
	one := "(" + placeholders(width) + ")"
	return "VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", n), ", "), args
}

func (sqliteDialect) bulkRows() int { return 64 }

func (sqliteDialect) versionArg(v string) any { return v }

// The ids as a JSON array, read by json_each.
func (sqliteDialect) idTable() string { return "json_each(?) j" }

func (sqliteDialect) idList(ids []int64) any {
	b := make([]byte, 0, 8*len(ids))
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

// readRollups: in-process, a round trip costs nothing.
func (sqliteDialect) readRollups(ctx context.Context, read *db, r rollupRead) error {
	return readRollupsInTx(ctx, read, r)
}

// explicitIDs: an INTEGER PRIMARY KEY takes max + 1 by itself.
func (sqliteDialect) explicitIDs(context.Context, *Tx, string) error { return nil }

// loadMode: no fsync, a larger page cache.
func (sqliteDialect) loadMode(ctx context.Context, write *sql.DB) (func() error, error) {
	for _, p := range []string{`PRAGMA synchronous = OFF`, `PRAGMA cache_size = -65536`, `PRAGMA temp_store = MEMORY`} {
		if _, err := write.ExecContext(ctx, p); err != nil {
			return nil, fmt.Errorf("load mode: %w", err)
		}
	}
	return func() error {
		for _, p := range []string{`PRAGMA synchronous = NORMAL`, `PRAGMA cache_size = -2000`} {
			if _, err := write.ExecContext(ctx, p); err != nil {
				return fmt.Errorf("load mode: %w", err)
			}
		}
		return nil
	}, nil
}

func (sqliteDialect) tables(ctx context.Context, q queryer) ([]string, error) {
	return queryStrings(ctx, q, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
}

func (sqliteDialect) columns(ctx context.Context, q queryer, table string) ([]column, error) {
	return queryColumns(ctx, q, `SELECT name, CASE upper(type) WHEN 'TEXT' THEN 'text' WHEN 'BLOB' THEN 'bytes' ELSE 'int' END
		FROM pragma_table_info(?) ORDER BY cid`, table)
}

// copyIn: multi-row INSERTs of up to bulkRows rows, statements prepared
// once for the transaction.
func (d sqliteDialect) copyIn(ctx context.Context, tx *Tx, table string, cols []string, next func() ([]any, bool, error)) error {
	chunk := 16 * d.bulkRows()
	buf := make([][]any, 0, chunk)
	flush := func() error {
		err := tx.insertRows(ctx, "INSERT", table, cols, "", len(buf), func(i int, args []any) []any { return append(args, buf[i]...) })
		buf = buf[:0]
		return err
	}
	for {
		row, ok, err := next()
		if err != nil {
			return err
		}
		if !ok {
			return flush()
		}
		buf = append(buf, row)
		if len(buf) == chunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
}

func (sqliteDialect) emptyTables(ctx context.Context, tx *Tx, tables []string) error {
	for i := len(tables) - 1; i >= 0; i-- {
		if _, err := tx.exec(ctx, `DELETE FROM `+tables[i]); err != nil {
			return fmt.Errorf("empty %s: %w", tables[i], err)
		}
	}
	return nil
}

// queryColumns reads columns: their names and kinds.
func queryColumns(ctx context.Context, q queryer, query string, args ...any) ([]column, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.name, &c.kind); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// queryStrings returns the one column of a query's rows.
func queryStrings(ctx context.Context, q queryer, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
