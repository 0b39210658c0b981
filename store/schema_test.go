package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The migrations make the same schema on both engines: the same tables,
// the same columns in the same order, holding the same kinds of values.
// A migration's PostgreSQL file (0006_x.postgres.sql) that drifts from
// its SQLite one — a column forgotten, a table named otherwise — fails
// here, not in a copy or a report.
// kindsDiffer are the columns whose kind differs on purpose.
var kindsDiffer = map[string]bool{
	// A rollup's version may hold a NUL, which PostgreSQL's text cannot:
	// BYTEA there (dialect.versionArg).
	"rollup_repos.version": true,
}

func TestMigrationsMakeTheSameSchemaOnBothEngines(t *testing.T) {
	base := os.Getenv("TACH_TEST_POSTGRES")
	if base == "" {
		t.Skip("TACH_TEST_POSTGRES is not set: comparing the engines' schemas needs a PostgreSQL database")
	}
	ctx := context.Background()
	lite, err := Open(ctx, filepath.Join(t.TempDir(), "schema.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	pg, err := Open(ctx, planSchema(t, base))
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	schema := func(st *Store) map[string][]column {
		t.Helper()
		tables, err := st.d.tables(ctx, st.read)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]column{}
		for _, table := range tables {
			if out[table], err = st.d.columns(ctx, st.read, table); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	a, b := schema(lite), schema(pg)
	if len(a) < 20 {
		t.Fatalf("SQLite has %d tables", len(a))
	}
	for table, cols := range a {
		if _, ok := b[table]; !ok {
			t.Errorf("table %s is in SQLite's schema, not PostgreSQL's", table)
			continue
		}
		for i, c := range b[table] {
			if i < len(cols) && cols[i].name == c.name && kindsDiffer[table+"."+c.name] {
				b[table][i].kind = cols[i].kind
			}
		}
		if !slices.Equal(cols, b[table]) {
			t.Errorf("table %s:\n  SQLite     %s\n  PostgreSQL %s", table, fmt.Sprint(cols), fmt.Sprint(b[table]))
		}
	}
	for table := range b {
		if _, ok := a[table]; !ok {
			t.Errorf("table %s is in PostgreSQL's schema, not SQLite's", table)
		}
	}

	// PostgreSQL sorts and compares text by the database's locale, SQLite
	// byte by byte: every text column is COLLATE "C", or reports would
	// list rows in another order on another server.
	rows, err := pg.read.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type = 'text' AND collation_name IS DISTINCT FROM 'C'
		ORDER BY table_name, column_name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			t.Fatal(err)
		}
		t.Errorf("%s.%s is text without COLLATE \"C\" in PostgreSQL's migration", table, col)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// A bulk write on PostgreSQL sends each column as an array typed by its
// values, and a column of NULLs only as bigint (postgresDialect.bulkSource):
// right while every column that may hold NULL is an integer. A nullable
// text or bytea column fails here, before a bulk write of NULLs into it
// fails in a sync.
func TestNullableColumnsAreIntegers(t *testing.T) {
	base := os.Getenv("TACH_TEST_POSTGRES")
	if base == "" {
		t.Skip("TACH_TEST_POSTGRES is not set: the rule is PostgreSQL's")
	}
	ctx := context.Background()
	st, err := Open(ctx, planSchema(t, base))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	odd, err := queryStrings(ctx, st.read, `SELECT table_name || '.' || column_name || ' ' || data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_nullable = 'YES' AND data_type NOT IN ('bigint', 'integer') ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	if len(odd) > 0 {
		t.Errorf("nullable columns that are not integers: %v (give them a NOT NULL default, or type bulkSource's arrays by the column)", odd)
	}
	nullable, err := queryStrings(ctx, st.read, `SELECT column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_nullable = 'YES' AND table_name = 'changes' ORDER BY 1`)
	if err != nil || !slices.Contains(nullable, "merged_at") {
		t.Fatalf("the check sees no nullable column of changes: %v, %v", nullable, err)
	}
}
