//go:build unix

package store_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// TestExposedFilesReported: a database made readable by others (by an
// older tach, or a copy) is reported, with each file that is.
func TestExposedFilesReported(t *testing.T) {
	storetest.NormalUmask(t)
	path := filepath.Join(t.TempDir(), "tach.db")
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path+"-wal", 0o640); err != nil {
		t.Fatal(err)
	}
	mode, exposed := st.ExposedFiles()
	if mode != 0o644 || len(exposed) != 2 || exposed[0] != path || exposed[1] != path+"-wal" {
		t.Errorf("exposed: %#o %v", mode, exposed)
	}
}

// TestFilesArePrivate: the database holds password and session hashes,
// so the database, its -wal and -shm, and a backup are readable by their
// owner only, whatever the umask.
func TestFilesArePrivate(t *testing.T) {
	storetest.NormalUmask(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "tach.db")
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.AddUser(ctx, "ada", "ada-correct-horse-battery", store.RoleWrite); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if m, ok := storetest.Mode(t, f); !ok || m != 0o600 {
			t.Errorf("%s: mode %#o (there: %v), want 0600", filepath.Base(f), m, ok)
		}
	}
	if _, exposed := st.ExposedFiles(); exposed != nil {
		t.Errorf("a new database is reported exposed: %v", exposed)
	}
	dest := filepath.Join(dir, "backup.db")
	if err := st.Backup(ctx, dest); err != nil {
		t.Fatal(err)
	}
	if m, _ := storetest.Mode(t, dest); m != 0o600 {
		t.Errorf("backup: mode %#o, want 0600", m)
	}
	// The backup is whole: its user is there.
	b, err := store.OpenExisting(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if users, err := b.Users(ctx); err != nil || len(users) != 1 {
		t.Errorf("backup's users: %v %v", users, err)
	}
}
