package storetest

import (
	"database/sql"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/tach-dev/tach/store"
)

// SetHistoryStart moves a repo's history start (as if it was first synced
// with another sync.history); the zero time forgets it. The page cache
// sees it: the generation moves.
func SetHistoryStart(t testing.TB, st *store.Store, repo string, start time.Time) {
	t.Helper()
	var v any
	if !start.IsZero() {
		v = start.Unix()
	}
	exec(t, st, "set history start", `UPDATE repos SET history_start = ? WHERE name = ?`, v, repo)
	exec(t, st, "set history start", `UPDATE rollup_generation SET gen = gen + 1`)
}

// RemigrateHistoryStart puts a database back in the state before
// migration 0007 (no history starts recorded) and applies 0007 again, as
// on a database synced before it; later migrations stay as they are.
// Close the store over path first.
func RemigrateHistoryStart(t testing.TB, path string) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	body, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "migrations", "0007_history_start.sql"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{`ALTER TABLE repos DROP COLUMN history_start`, string(body)} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("storetest: remigrate history start: %v", err)
		}
	}
}

func exec(t testing.TB, st *store.Store, what, q string, args ...any) {
	t.Helper()
	if _, err := Raw(t, st.Path()).Exec(q, args...); err != nil {
		t.Fatalf("storetest: %s: %v", what, err)
	}
}
