package store

import (
	"context"
	"database/sql"
	"strings"
)

// The store speaks to two engines: SQLite (one file, the default) and
// PostgreSQL (a server, for several `tach serve` replicas). Its queries
// are written once, in the SQL both understand — ? placeholders, ON
// CONFLICT upserts, IS DISTINCT FROM, RETURNING — and everything that
// must differ is said here, by a dialect per engine
// (dialect_sqlite.go, dialect_postgres.go): how to connect, placeholders,
// the few expressions each spells its own way, the migrations' files,
// a consistent snapshot for reads, one writer at a time, the lock of the
// scheduled sync, and what each offers beside SQL (a bulk load's tuning,
// the tables of a copy).

// Engines.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// IsPostgres reports whether a database names a PostgreSQL server (a
// postgres:// or postgresql:// URL) rather than a SQLite file.
func IsPostgres(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

type dialect interface {
	// engine is SQLite or Postgres.
	engine() string
	// rebind turns the ? placeholders of a query into the engine's.
	rebind(query string) string
	// args are a query's arguments as the engine can take them.
	args(args []any) []any
	// migrationSuffix names the engine's own version of a migration
	// (0005_x.postgres.sql beside 0005_x.sql); "" when it has none.
	migrationSuffix() string
	// schemaVersionDDL creates the table of applied migrations.
	schemaVersionDDL() string
	// beginWrite begins a write transaction: one writer at a time, across
	// every process using the database. conn, when not nil, is the
	// transaction's own connection, to close after it.
	beginWrite(ctx context.Context, write *sql.DB) (tx *sql.Tx, conn *sql.Conn, err error)
	// prepares says whether a transaction should prepare its statements
	// (SQLite), or leave caching them to the driver (pgx).
	prepares() bool
	// snapshot are the options of a read transaction whose statements all
	// see one moment of the database.
	snapshot() *sql.TxOptions

	// nocase is an expression that sorts and compares like expr, but
	// ignoring the case of ASCII letters.
	nocase(expr string) string
	// nocaseEq is "col equals ?, ignoring the case of ASCII letters".
	nocaseEq(col string) string
	// contains is "haystack contains ?" (both lower-cased by the caller).
	contains(haystack string) string
	// greatest is the larger of two values.
	greatest(a, b string) string
	// bulkSource is n rows of width values each (args, row after row) as
	// one statement takes them: after `INSERT INTO t (cols)`, or as
	// `FROM (source) AS v` with columns column1, column2, …; with the
	// arguments that go with it. bulkRows is how many rows one statement
	// should carry.
	bulkSource(width, n int, args []any) (string, []any)
	bulkRows() int
	// versionArg is a rollup's version as the version column holds it
	// (TEXT in SQLite; PostgreSQL's text holds no NUL, its column is BYTEA).
	versionArg(v string) any
	// idTable is a table of one column, value, holding the ids of the
	// argument idList gives.
	idTable() string
	idList(ids []int64) any

	// readRollups is ReadRollups: readRollupsInTx, or what the engine
	// does in fewer round trips.
	readRollups(ctx context.Context, read *db, r rollupRead) error

	// explicitIDs is run after rows were inserted into table with ids
	// chosen by the caller, so that the next row given none takes a free one.
	explicitIDs(ctx context.Context, tx *Tx, table string) error
	// loadMode tunes the write connection for a load that is thrown away if
	// it fails; the function it returns restores the defaults.
	loadMode(ctx context.Context, write *sql.DB) (func() error, error)
	// tables lists the tables of the schema; columns lists a table's
	// columns in order.
	tables(ctx context.Context, q queryer) ([]string, error)
	columns(ctx context.Context, q queryer, table string) ([]column, error)
	// emptyTables deletes every row of tables (listed parents first).
	emptyTables(ctx context.Context, tx *Tx, tables []string) error
	// copyIn writes rows into a table in tx, as fast as the engine can take
	// them; next returns false after the last row.
	copyIn(ctx context.Context, tx *Tx, table string, cols []string, next func() ([]any, bool, error)) error
}

// column is a table's column and what kind of value it holds: "int",
// "text" or "bytes".
type column struct {
	name, kind string
}

// queryer is what both a pool and a transaction can query with.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// db is a pool of connections that speaks the store's SQL: every query is
// rebound to the engine's placeholders on its way.
type db struct {
	*sql.DB
	d dialect
}

func (c *db) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.DB.QueryContext(ctx, c.d.rebind(query), c.d.args(args)...)
}

func (c *db) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return c.DB.QueryRowContext(ctx, c.d.rebind(query), c.d.args(args)...)
}

func (c *db) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.DB.ExecContext(ctx, c.d.rebind(query), c.d.args(args)...)
}

// snapshotTx is a read transaction that speaks the store's SQL.
type snapshotTx struct {
	*sql.Tx
	d dialect
}

func (t *snapshotTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.Tx.QueryContext(ctx, t.d.rebind(query), t.d.args(args)...)
}

func (t *snapshotTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.Tx.QueryRowContext(ctx, t.d.rebind(query), t.d.args(args)...)
}

// rebindDollar turns ? into $1, $2, … outside quoted strings, quoted
// names and comments.
func rebindDollar(q string) string {
	if strings.IndexByte(q, '?') < 0 {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + len(q)/4)
	n := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch c {
		case '\'', '"':
			j := i + 1
			for j < len(q) && q[j] != c {
				j++
			}
			end := min(j+1, len(q))
			b.WriteString(q[i:end])
			i = end - 1
		case '-':
			if i+1 < len(q) && q[i+1] == '-' {
				j := strings.IndexByte(q[i:], '\n')
				if j < 0 {
					j = len(q) - i
				}
				b.WriteString(q[i : i+j])
				i += j - 1
				continue
			}
			b.WriteByte(c)
		case '?':
			n++
			b.WriteByte('$')
			b.WriteString(itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	var buf [20]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}
