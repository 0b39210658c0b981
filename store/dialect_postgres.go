package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL: a server several `tach serve` replicas share. The store keeps
// SQLite's model — one writer at a time, many readers — across every
// process: each write transaction first takes a transaction-scoped
// advisory lock, so the read-then-write upserts stay exact however many
// replicas write. Reads run on a pool; the scheduled sync's lock is an
// advisory lock held on a connection of its own (sync_lock.go).
//
// The URL's parameters set the connection: sslmode and the other libpq
// parameters as pgx reads them, any server setting (statement_timeout,
// search_path, …) sent at connect, and pool_max_conns the size of the
// read pool (default 8).

type postgresDialect struct{}

// Advisory lock classes (the first key of the two-key form; the second is
// a hash of the schema, so two tach databases in two schemas of one
// server do not share locks).
const (
	writeLockClass = 0x7461 // one writer at a time
	syncLockClass  = 0x7462 // one scheduled sync at a time
)

// queryTracer sees every query sent to PostgreSQL when set: the
// query-plan test's (queryplan_postgres_test.go).
var queryTracer pgx.QueryTracer

// defaultReadConns is the read pool's size unless pool_max_conns says.
const defaultReadConns = 8

// postgresConfig is a database URL read: the driver's configuration, the
// read pool's size, and the URL with its password hidden, for messages.
type postgresConfig struct {
	conn      *pgx.ConnConfig
	readConns int
	redacted  string
	password  string
}

func parsePostgres(database string) (*postgresConfig, error) {
	u, err := url.Parse(database)
	if err != nil {
		return nil, fmt.Errorf("open database: the PostgreSQL URL does not parse (%v); write postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=require",
			Redact(database, errors.Unwrap(err)))
	}
	pc := &postgresConfig{redacted: RedactURL(database), readConns: defaultReadConns}
	pc.password, _ = u.User.Password()
	q := u.Query()
	if v := q.Get("pool_max_conns"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, fmt.Errorf("open database %s: pool_max_conns=%s is not a number of connections from 1 to 1000", pc.redacted, v)
		}
		pc.readConns = n
		q.Del("pool_max_conns")
		u.RawQuery = q.Encode()
	}
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", pc.redacted, redactErr(err, pc.password))
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "tach"
	}
	cfg.Tracer = queryTracer
	pc.conn = cfg
	return pc, nil
}

// openPostgres opens the pools of a PostgreSQL database and checks that
// the server answers. The check is the read pool's first connection: a
// command that only reads (tach report) connects once, and the writer
// connects at its first write (a connection costs a few milliseconds, a
// sixth of a report's whole process).
func openPostgres(ctx context.Context, pc *postgresConfig) (write, read *sql.DB, err error) {
	read = stdlib.OpenDB(*pc.conn)
	read.SetMaxOpenConns(pc.readConns)
	read.SetMaxIdleConns(pc.readConns)
	if err := read.PingContext(ctx); err != nil {
		read.Close()
		return nil, nil, fmt.Errorf("open database %s: %w", pc.redacted, redactErr(err, pc.password))
	}
	write = stdlib.OpenDB(*pc.conn)
	write.SetMaxOpenConns(1)
	return write, read, nil
}

// createSchema creates the schema the URL's search_path names first, when
// it does not exist: tach migrate makes a database from nothing, in a
// schema of its own as in the default one.
func createSchema(ctx context.Context, db *sql.DB, pc *postgresConfig) error {
	path := pc.conn.RuntimeParams["search_path"]
	if path == "" {
		return nil
	}
	var current sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&current); err != nil {
		return fmt.Errorf("open database %s: %w", pc.redacted, redactErr(err, pc.password))
	}
	if current.Valid {
		return nil
	}
	name := strings.TrimSpace(strings.SplitN(path, ",", 2)[0])
	if unq, ok := strings.CutPrefix(name, `"`); ok {
		name = strings.TrimSuffix(unq, `"`)
	}
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("open database %s: create schema %s: %w", pc.redacted, name, redactErr(err, pc.password))
	}
	return nil
}

// holdsTach checks that the schema the URL names holds tach's tables.
func holdsTach(ctx context.Context, db *sql.DB, pc *postgresConfig) error {
	var has bool
	if err := db.QueryRowContext(ctx, `SELECT to_regclass('schema_version') IS NOT NULL`).Scan(&has); err != nil {
		return fmt.Errorf("open database %s: %w", pc.redacted, redactErr(err, pc.password))
	}
	if !has {
		return fmt.Errorf("open database: %s holds no tach database (no schema_version table in its schema); run `tach migrate`, `tach sync` or `tach copy` into it first", pc.redacted)
	}
	return nil
}

// RedactURL is a database name fit for messages: a PostgreSQL URL with
// its password replaced by xxxxx; a file path as it is.
func RedactURL(database string) string {
	if !IsPostgres(database) {
		return database
	}
	u, err := url.Parse(database)
	if err != nil {
		// Unparsable: keep the scheme and host part's end only.
		if at := strings.LastIndexByte(database, '@'); at >= 0 {
			return database[:strings.Index(database, "://")+3] + "xxxxx" + database[at:]
		}
		return database
	}
	return u.Redacted()
}

// Redact removes a database URL's password from an error's text, for
// errors of code that knew the URL (a driver's, a parser's).
func Redact(database string, err error) error {
	if err == nil || !IsPostgres(database) {
		return err
	}
	u, perr := url.Parse(database)
	if perr != nil {
		if at := strings.LastIndexByte(database, '@'); at >= 0 {
			return redactErr(err, database[strings.Index(database, "://")+3:at])
		}
		return err
	}
	pw, _ := u.User.Password()
	return redactErr(err, pw)
}

// redactErr replaces every occurrence of secret in err's text.
func redactErr(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return redactedError{msg: strings.ReplaceAll(err.Error(), secret, "xxxxx"), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }

// Unwrap keeps errors.Is working; Error never shows the secret.
func (e redactedError) Unwrap() error { return e.err }

// RebindPostgres turns a query's ? placeholders into PostgreSQL's $1, $2,
// …, for tests and tools that speak the store's SQL beside it.
func RebindPostgres(q string) string { return rebindDollar(q) }

func (postgresDialect) engine() string         { return Postgres }
func (postgresDialect) rebind(q string) string { return rebindDollar(q) }

// args: PostgreSQL's text holds no NUL character, which a provider's
// payload or a request may carry; it is stored, and looked up, as U+FFFD.
func (postgresDialect) args(a []any) []any {
	for i, v := range a {
		if s, ok := v.(string); ok && strings.IndexByte(s, 0) >= 0 {
			a[i] = pgText(s)
		}
	}
	return a
}

// pgText is s as PostgreSQL's text holds it: a NUL as U+FFFD.
func pgText(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

func (postgresDialect) migrationSuffix() string { return ".postgres.sql" }
func (postgresDialect) prepares() bool          { return false }
func (postgresDialect) snapshot() *sql.TxOptions {
	return &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
}

func (postgresDialect) schemaVersionDDL() string {
	return `CREATE TABLE IF NOT EXISTS schema_version (
		version    BIGINT PRIMARY KEY,
		applied_at BIGINT NOT NULL)`
}

// beginWrite begins on a connection of its own (a COPY needs the
// driver's connection of the transaction), and takes the write lock.
func (postgresDialect) beginWrite(ctx context.Context, write *sql.DB) (*sql.Tx, *sql.Conn, error) {
	conn, err := write.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(`+strconv.Itoa(writeLockClass)+`, hashtext(current_schema()))`); err != nil {
		tx.Rollback()
		conn.Close()
		return nil, nil, fmt.Errorf("take the write lock: %w", err)
	}
	return tx, conn, nil
}

func (postgresDialect) nocase(expr string) string   { return "lower(" + expr + ")" }
func (postgresDialect) nocaseEq(col string) string  { return "lower(" + col + ") = lower(?)" }
func (postgresDialect) contains(h string) string    { return "strpos(" + h + ", lower(?)) > 0" }
func (postgresDialect) greatest(a, b string) string { return "GREATEST(" + a + ", " + b + ")" }

// bulkSource: one array per column, unnested. A statement of a few
// parameters however many rows it carries, planned in microseconds: a
// VALUES list of 64 changes is 1,472 parameters, and planning it costs
// more than writing its rows. An array takes its values' type; a column
// of NULLs only is bigint (the schema's only nullable columns are
// integers: TestNullableColumnsAreIntegers).
func (d postgresDialect) bulkSource(width, n int, args []any) (string, []any) {
	var b strings.Builder
	b.WriteString("SELECT * FROM unnest(")
	arrays := make([]any, width)
	for j := range width {
		col := make([]any, n)
		typ := "bigint"
		for i := range n {
			v := args[i*width+j]
			switch x := v.(type) {
			case string:
				typ = "text"
				if strings.IndexByte(x, 0) >= 0 {
					v = pgText(x)
				}
			case []byte:
				typ = "bytea"
			}
			col[i] = v
		}
		arrays[j] = col
		if j > 0 {
			b.WriteString(", ")
		}
		b.WriteString("CAST(? AS " + typ + "[])")
	}
	b.WriteString(") AS v(")
	for j := range width {
		if j > 0 {
			b.WriteString(", ")
		}
		b.WriteString("column" + strconv.Itoa(j+1))
	}
	b.WriteString(")")
	return b.String(), arrays
}

func (postgresDialect) bulkRows() int { return 5000 }

func (postgresDialect) versionArg(v string) any { return []byte(v) }

func (postgresDialect) idTable() string        { return "unnest(CAST(? AS bigint[])) AS j(value)" }
func (postgresDialect) idList(ids []int64) any { return ids }

// readRollups: the transaction and both queries in one round trip (a
// pipeline of pgx), where readRollupsInTx takes five: the periods are
// asked for every repo, and those of repos not fresh are skipped. A
// report of one repo over 12 weeks took 1.3 ms in-process, SQLite's 0.5.
func (postgresDialect) readRollups(ctx context.Context, read *db, r rollupRead) error {
	conn, err := read.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c := dc.(*stdlib.Conn).Conn()
		freshQuery, periodsQuery := rollupQueries(read.d)
		b := &pgx.Batch{}
		b.Queue(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`)
		b.Queue(rebindDollar(freshQuery), r.ids, r.version)
		periods := r.from <= r.to
		if periods {
			b.Queue(rebindDollar(periodsQuery), r.ids, r.from, r.to)
		}
		b.Queue(`COMMIT`)
		res := c.SendBatch(ctx, b)
		err := readRollupBatch(res, r, periods)
		if cerr := res.Close(); err == nil {
			err = cerr
		}
		if err != nil && c.PgConn().TxStatus() != 'I' {
			// Failed inside the transaction the batch began: end it, or
			// drop the connection.
			if _, rerr := c.Exec(ctx, `ROLLBACK`); rerr != nil {
				return errors.Join(err, driver.ErrBadConn)
			}
		}
		return err
	})
}

// readRollupBatch reads the answers of readRollups' pipeline.
func readRollupBatch(res pgx.BatchResults, r rollupRead, periods bool) error {
	if _, err := res.Exec(); err != nil {
		return err
	}
	rows, err := res.Query()
	if err != nil {
		return err
	}
	open, err := r.giveOpen(rows.Next, rows.Scan, func() error { rows.Close(); return rows.Err() })
	if err != nil {
		return err
	}
	if periods {
		if rows, err = res.Query(); err != nil {
			return err
		}
		var facts pgtype.DriverBytes
		err = r.givePeriods(open, rows.Next, func() (int64, []byte, error) {
			var key int64
			err := rows.Scan(&key, &facts)
			return key, facts, err
		}, func() error { rows.Close(); return rows.Err() })
		if err != nil {
			return err
		}
	}
	_, err = res.Exec()
	return err
}

// explicitIDs moves the table's identity past the ids written.
func (postgresDialect) explicitIDs(ctx context.Context, tx *Tx, table string) error {
	_, err := tx.exec(ctx, `SELECT setval(pg_get_serial_sequence('`+table+`', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM `+table+`), false)`)
	if err != nil {
		return fmt.Errorf("move the ids of %s on: %w", table, err)
	}
	return nil
}

// loadMode: commits do not wait for the disk.
func (postgresDialect) loadMode(ctx context.Context, write *sql.DB) (func() error, error) {
	if _, err := write.ExecContext(ctx, `SET synchronous_commit = off`); err != nil {
		return nil, fmt.Errorf("load mode: %w", err)
	}
	return func() error {
		if _, err := write.ExecContext(ctx, `RESET synchronous_commit`); err != nil {
			return fmt.Errorf("load mode: %w", err)
		}
		return nil
	}, nil
}

func (postgresDialect) tables(ctx context.Context, q queryer) ([]string, error) {
	return queryStrings(ctx, q, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
}

func (postgresDialect) columns(ctx context.Context, q queryer, table string) ([]column, error) {
	return queryColumns(ctx, q, `SELECT column_name, CASE data_type WHEN 'text' THEN 'text' WHEN 'bytea' THEN 'bytes' ELSE 'int' END
		FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`, table)
}

// copyIn: COPY FROM STDIN, through pgx on the transaction's connection.
//
// The table's foreign keys are dropped for the COPY and added back after
// it, in the same transaction: PostgreSQL then checks each with one join,
// not a lookup per row queued to the COPY's end (18 of the 69 minutes of
// copying ten million changes went to change_files' 48 million checks).
// A copy that fails or is killed leaves the table as it was, keys and
// all; rows that break a key fail the copy as before.
func (d postgresDialect) copyIn(ctx context.Context, tx *Tx, table string, cols []string, next func() ([]any, bool, error)) error {
	keys, err := foreignKeys(ctx, tx, table)
	if err != nil {
		return err
	}
	ident := pgx.Identifier{table}.Sanitize()
	for _, k := range keys {
		if _, err := tx.exec(ctx, `ALTER TABLE `+ident+` DROP CONSTRAINT `+pgx.Identifier{k.name}.Sanitize()); err != nil {
			return fmt.Errorf("set aside the foreign key %s: %w", k.name, err)
		}
	}
	err = tx.conn.Raw(func(dc any) error {
		conn := dc.(*stdlib.Conn).Conn()
		_, err := conn.CopyFrom(ctx, pgx.Identifier{table}, cols, &copySource{next: next, clean: d.args})
		return err
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		if _, err := tx.exec(ctx, `ALTER TABLE `+ident+` ADD CONSTRAINT `+pgx.Identifier{k.name}.Sanitize()+` `+k.def); err != nil {
			return fmt.Errorf("check the foreign key %s: %w", k.name, err)
		}
	}
	return nil
}

// foreignKey is a foreign key of a table, as PostgreSQL writes it.
type foreignKey struct{ name, def string }

// foreignKeys are table's foreign keys, in the schema in use.
func foreignKeys(ctx context.Context, tx *Tx, table string) ([]foreignKey, error) {
	rows, err := tx.query(ctx, `SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
		JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE c.contype = 'f' AND n.nspname = current_schema() AND t.relname = ? ORDER BY c.conname`, table)
	if err != nil {
		return nil, fmt.Errorf("foreign keys of %s: %w", table, err)
	}
	defer rows.Close()
	var out []foreignKey
	for rows.Next() {
		var k foreignKey
		if err := rows.Scan(&k.name, &k.def); err != nil {
			return nil, fmt.Errorf("foreign keys of %s: %w", table, err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// copySource feeds pgx's CopyFrom.
type copySource struct {
	next  func() ([]any, bool, error)
	clean func([]any) []any
	row   []any
	err   error
}

func (c *copySource) Next() bool {
	row, ok, err := c.next()
	c.row, c.err = row, err
	return ok && err == nil
}

func (c *copySource) Values() ([]any, error) { return c.clean(c.row), nil }
func (c *copySource) Err() error             { return c.err }

// emptyTables: one TRUNCATE, identities back to 1.
func (postgresDialect) emptyTables(ctx context.Context, tx *Tx, tables []string) error {
	if len(tables) == 0 {
		return nil
	}
	if _, err := tx.exec(ctx, `TRUNCATE `+strings.Join(tables, ", ")+` RESTART IDENTITY`); err != nil {
		return fmt.Errorf("empty tables: %w", err)
	}
	return nil
}
