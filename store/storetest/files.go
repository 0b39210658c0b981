package storetest

import (
	"testing"

	"github.com/tach-dev/tach/store"
)

// ForgetChangeFiles puts a database back in the state of one synced
// before changed files were collected, as migration 0006 leaves it: no
// files, no paths, every change's files still to fetch, and no sync state
// of the change_files step.
func ForgetChangeFiles(t testing.TB, st *store.Store) {
	t.Helper()
	db := Raw(t, st.Path())
	for _, q := range []string{`DELETE FROM change_files`, `DELETE FROM paths`, `UPDATE changes SET files_fetched = 0`,
		`DELETE FROM sync_state WHERE resource = 'change_files'`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("storetest: forget change files: %v", err)
		}
	}
}
