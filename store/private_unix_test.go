//go:build unix

package store_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/tach-dev/tach/store"
)

// withUmask runs the test under a normal umask (022), where files are
// made 0644 unless their creator asks otherwise.
func withUmask(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
}

// modeOf is the permission bits of a file.
func modeOf(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// TestFilesArePrivate: the database holds password and session hashes,
// so the database, its -wal and -shm, and a backup are readable by their
// owner only, whatever the umask.
func TestFilesArePrivate(t *testing.T) {
	withUmask(t)
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
		if m := modeOf(t, f); m != 0o600 {
			t.Errorf("%s: mode %#o, want 0600", filepath.Base(f), m)
		}
	}
	if _, exposed := st.ExposedFiles(); exposed != nil {
		t.Errorf("a new database is reported exposed: %v", exposed)
	}
	dest := filepath.Join(dir, "backup.db")
	if err := st.Backup(ctx, dest); err != nil {
		t.Fatal(err)
	}
	if m := modeOf(t, dest); m != 0o600 {
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

// TestExposedFilesReported: a database made readable by others (by an
// older tach, or a copy) is reported, with each file that is.
func TestExposedFilesReported(t *testing.T) {
	withUmask(t)
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
